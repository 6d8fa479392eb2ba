"""Salesforce leads and Pipedrive persons in the lead funnel: each CRM's rows of
marts.lead_funnel equal the funnel computed from the world its simulator serves.

The simulated org makes one Lead per surviving world contact (deleted when the contact is
archived), converted when the contact reached the opportunity stage, into the lowest-id
deal the contact is on; the simulated Pipedrive account has a person per live contact and
gives each deal the lowest contact id among its contacts as its person. Lifecycles count
only live deals: not deleted, not merged away, not quarantined (malformed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from ground_truth import month_start, naive_utc

from ingestion.simulator import read_table
from ingestion.simulator.salesforce_server.org import LEAD_SOURCE

# Every LeadSource the simulated org emits and the channel the rules must give it.
LEAD_SOURCE_CHANNELS = {
    "Organic Search": "organic_search",
    "Paid Search": "paid_search",
    "Paid Social": "paid_social",
    "Social Media": "organic_social",
    "Email": "email",
    "Referral": "referral",
    "Web": "direct",
    "Other": "other_campaigns",
    "Offline": "offline",
    "AI Referral": "ai_referral",
}
STEPS = ["leads", "mqls", "sqls", "opportunities", "customers"]


@pytest.fixture(scope="module")
def world(multi_source_run):
    """The world's contacts, deal-contact links and the deals the lifecycles count."""
    run = multi_source_run
    end = datetime.combine(run.as_of + timedelta(days=1), datetime.min.time())
    deals = run.truth("truth_deals").to_pandas()
    live = deals[~deals.is_deleted & ~deals.is_malformed & deals.merged_into_deal_id.isna()]
    live = live[naive_utc(live.created_at) < end]
    won = set(live.deal_id[(live.outcome == "won") & (naive_utc(live.closed_at) < end)])
    contacts = read_table(run.world_dir, "contacts").to_pandas()
    links = read_table(run.world_dir, "deal_contacts").to_pandas()
    return contacts[~contacts.archived], links, set(live.deal_id), won


def _mart(run, source: str) -> pd.DataFrame:
    keys = ["lead_month", "original_source", "original_channel"]
    sums = ", ".join(f"sum({step}) as {step}" for step in STEPS)
    frame = run.arrow(
        f"select {', '.join(keys)}, {sums} from marts.lead_funnel "
        f"where source_system = '{source}' group by all"
    ).to_pandas()
    return frame.set_index(keys).sort_index().astype(int)


def _expected(persons: pd.DataFrame, source: pd.Series, channel: pd.Series) -> pd.DataFrame:
    """No CRM but HubSpot dates MQL or SQL: a person passes both once an opportunity."""
    frame = pd.DataFrame(
        {
            "lead_month": month_start(persons.createdate),
            "original_source": source.fillna("(none)"),
            "original_channel": channel,
            "leads": 1,
            "mqls": persons.opportunity.astype(int),
            "sqls": persons.opportunity.astype(int),
            "opportunities": persons.opportunity.astype(int),
            "customers": persons.customer.astype(int),
        }
    )
    return frame.groupby(["lead_month", "original_source", "original_channel"]).sum().sort_index()


def test_salesforce_leads_funnel_equals_the_org(multi_source_run, world):
    contacts, links, _, won = world
    first_deal = links.assign(n=links.deal_id.astype(int)).groupby("contact_id").n.min()
    converted = contacts.lifecyclestage.isin(["opportunity", "customer"])
    converted_into = contacts.id.map(first_deal).astype("Int64").astype(str)
    leads = contacts.assign(opportunity=converted, customer=converted & converted_into.isin(won))
    source = leads.hs_analytics_source.map(lambda s: None if s is None else LEAD_SOURCE.get(s, s))
    channel = source.map(LEAD_SOURCE_CHANNELS).where(source.notna(), "unattributed")
    assert channel.notna().all(), set(source[channel.isna()])
    expected = _expected(leads, source, channel)
    mart = _mart(multi_source_run, "salesforce")

    assert expected.customers.sum() > 10 and (expected.opportunities > expected.customers).any()
    pd.testing.assert_frame_equal(mart, expected[mart.columns], check_dtype=False)
    # A converted lead is counted once: the org holds a Contact for each, none is a lead.
    [(landed_contacts,)] = multi_source_run.query(
        """select count(distinct "Id") from raw_salesforce."Contact" where "IsDeleted" = 'false'"""
    )
    assert landed_contacts == converted.sum() and mart.leads.sum() == len(contacts)


def test_pipedrive_persons_funnel_equals_the_account(multi_source_run, world):
    contacts, links, live, won = world
    person_of = links.groupby("deal_id").contact_id.min()
    person_of = person_of[person_of.index.isin(live)]
    persons = contacts.assign(
        opportunity=contacts.id.isin(set(person_of)),
        customer=contacts.id.isin(set(person_of[person_of.index.isin(won)])),
    )
    # Pipedrive persons have no source field, and the simulated deals no Source channel.
    none = pd.Series(None, index=persons.index, dtype=object)
    expected = _expected(persons, none, "unattributed")
    mart = _mart(multi_source_run, "pipedrive")

    assert expected.customers.sum() > 10
    pd.testing.assert_frame_equal(mart, expected[mart.columns], check_dtype=False)


def test_new_leads_by_source_counts_every_crm_person_once(multi_source_run, world):
    contacts = world[0]
    counts = dict(
        multi_source_run.query(
            "select source_system, sum(new_leads) from marts.new_leads_by_source "
            "where source_system in ('salesforce', 'pipedrive') group by 1"
        )
    )
    assert counts == {"salesforce": len(contacts), "pipedrive": len(contacts)}
