"""Real data through the CSV source: Olist's marketing funnel, end to end to the marts."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import OLIST


@pytest.fixture(scope="module")
def olist_run(multi_source_run):
    """The run of every source, whose CSV exports are Olist's (source instance 'olist')."""
    return multi_source_run.settings.home, multi_source_run.summary


@pytest.fixture(scope="module")
def olist_csv() -> pd.DataFrame:
    leads = pd.read_csv(OLIST / "olist_marketing_qualified_leads_dataset.csv", dtype=str)
    deals = pd.read_csv(OLIST / "olist_closed_deals_dataset.csv", dtype=str)
    leads["origin"] = leads.origin.fillna("(none)")
    leads["month"] = pd.to_datetime(leads.first_contact_date).dt.to_period("M").dt.start_time
    leads["won"] = leads.mql_id.isin(set(deals.mql_id))
    return leads


def _query(home, sql):
    import duckdb

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


def test_leads_per_origin_per_month_equal_the_csv(olist_run, olist_csv):
    home, _ = olist_run
    mart = _query(
        home,
        "select lead_month, original_source, sum(leads) as leads from marts.lead_funnel "
        "where source_instance = 'olist' group by 1, 2",
    )
    mart["lead_month"] = pd.to_datetime(mart.lead_month)
    got = mart.set_index(["lead_month", "original_source"]).leads.sort_index()
    expected = olist_csv.groupby(["month", "origin"]).size().sort_index()
    assert got.sum() == expected.sum() == 8000
    assert got.to_dict() == {k: v for k, v in expected.items()}


def test_lead_to_won_conversion_per_origin_equals_the_csv(olist_run, olist_csv):
    home, _ = olist_run
    mart = _query(
        home,
        "select original_source, sum(leads) as leads, sum(customers) as won, "
        "sum(customers) / sum(leads) as rate from marts.lead_funnel "
        "where source_instance = 'olist' group by 1",
    ).set_index("original_source")
    expected = olist_csv.groupby("origin").won.agg(["size", "sum", "mean"])
    assert mart.won.sum() == 842
    for origin, row in expected.iterrows():
        assert mart.leads[origin] == row["size"]
        assert mart.won[origin] == row["sum"], origin
        assert mart.rate[origin] == pytest.approx(row["mean"])


def test_the_deal_won_before_first_contact_is_flagged_and_still_counted(olist_run, olist_csv):
    home, summary = olist_run
    flagged = _query(
        home,
        "select contact_id from intermediate.int_contacts "
        "where source_instance = 'olist' and became_customer_at < became_lead_at",
    )
    assert len(flagged) == 1
    warning = [line for line in summary.splitlines() if "int_contacts" in line]
    assert warning and warning[0].strip().startswith("WARN")
    assert olist_csv.set_index("mql_id").won[flagged.contact_id[0]]


def test_olist_won_deals_reach_the_deal_marts(olist_run):
    home, _ = olist_run
    deals = pd.read_csv(OLIST / "olist_closed_deals_dataset.csv", dtype=str)
    mart = _query(
        home,
        "select deal_id, outcome, closed_at, owner_at_close_key from marts.deals "
        "where source_instance = 'olist'",
    ).set_index("deal_id")
    assert len(mart) == len(deals) == 842
    assert set(mart.outcome) == {"won"}
    deals = deals.set_index("mql_id").loc[mart.index]  # the mart's rows come in any order
    assert (mart.closed_at == pd.to_datetime(deals.won_date)).all()
    assert (mart.owner_at_close_key == "csv:olist:" + deals.sr_id).all()
    won = _query(
        home,
        "select sum(won_deals) as won from marts.win_rates where owner_at_close_key like 'csv:%'",
    )
    assert won.won[0] == 842


def test_olist_deals_are_credited_to_their_leads_origin_alike_by_every_model(olist_run, olist_csv):
    """One touch per lead (its origin, at first contact): every model gives it the whole
    deal, for pipeline and revenue alike. A lead without an origin, or the deal won before
    its lead's first contact, has no touch before either conversion: the no-touch bucket."""
    home, _ = olist_run
    credits = _query(
        home,
        "select deal_key, conversion, model, channel, source_value, weight "
        "from marts.attribution_credits where deal_key like 'csv:olist:%'",
    )
    deals = pd.read_csv(OLIST / "olist_closed_deals_dataset.csv", dtype=str).set_index("mql_id")
    leads = olist_csv.set_index("mql_id").loc[deals.index]
    touched = (leads.origin != "(none)") & (
        pd.to_datetime(leads.first_contact_date) <= pd.to_datetime(deals.won_date)
    )
    expected = leads.origin.where(touched, None)
    assert (~touched).sum() >= 2  # lead sources missing, plus the deal won before contact

    assert set(credits.model) == {
        "first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "full_path",
        "time_decay", "markov", "shapley",
    }  # fmt: skip
    assert (credits.weight == 1).all()
    assert len(credits) == len(deals) * 2 * 9  # one row per deal, conversion and model
    rule_based = credits[~credits.model.isin(["markov", "shapley"])]
    agree = rule_based.groupby(["deal_key", "conversion"]).source_value.nunique(dropna=False)
    assert (agree == 1).all()
    got = rule_based.drop_duplicates(["deal_key", "conversion"]).copy()
    got["mql_id"] = got.deal_key.str.removeprefix("csv:olist:")
    for conversion, rows in got.groupby("conversion"):
        by_deal = rows.set_index("mql_id")
        assert by_deal.source_value.to_dict() == expected.to_dict(), conversion
        no_touch = set(by_deal.index[by_deal.channel == "no_touch"])
        assert no_touch == set(expected.index[expected.isna()]), conversion
