"""Contacts of one deal chunk: their funnel dates, companies, names, merges.

Three kinds of people: every deal's primary contact (who walked the funnel lead -> MQL ->
SQL -> opportunity, the opportunity being the deal's creation), 0-2 secondary contacts sales
added to the deal, and leads from the same funnel who never became a deal. Channel drives
conversion: primary contacts' channels follow lead mix x P(opportunity | channel), the
stalled leads' channels lead mix x (1 - P(opportunity | channel)), as if both came from one
lead population.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.simulator.channels import (
    LEAD_MIX,
    OUTBOUND,
    P_LEAD_TO_OPP,
    P_MQL,
    P_OPP,
    P_SQL,
    SKIPS_MQL,
)
from ingestion.simulator.config import (
    DAY,
    HOUR,
    NULL_MS,
    WorldConfig,
    company_block,
    growth_times,
    stream,
)
from ingestion.simulator.deals import DealChunk
from ingestion.simulator.io import choose, int_strings, iso_strings, make_table
from ingestion.simulator.names import FIRST_NAMES, FREEMAIL, LAST_NAMES, company_names

CONTACT_ID_BASE = 100_000
CONTACT_BLOCK = 1_000_000  # contact ids of chunk k start at base + k * block
COMPANY_ID_BASE = 5_100_000_000
PRIMARY, SECONDARY, STALLED = range(3)
SECONDARY_COUNT_MIX = np.array([0.5, 0.38, 0.12])  # 0, 1 or 2 extra contacts per deal
# Stalled leads per deal, as if primaries and stalled leads came from one lead population.
STALLED_PER_DEAL = float((LEAD_MIX * (1 - P_LEAD_TO_OPP)).sum() / (LEAD_MIX * P_LEAD_TO_OPP).sum())
NO_COMPANY_SHARE = 0.2  # stalled leads with a freemail address and no company
MERGED_SHARE = 0.01
ARCHIVED_SHARE = 0.005
# Median days between funnel steps: lead -> MQL, MQL -> SQL, SQL -> opportunity.
FUNNEL_GAP_DAYS = np.array([6.0, 5.0, 3.0])
LIFECYCLE = ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")


@dataclass(frozen=True)
class People:
    """A chunk's contacts by local index: primaries (one per deal, in deal order) first."""

    chunk: int
    ids: np.ndarray
    kind: np.ndarray
    deal: np.ndarray  # local deal index, -1 for stalled leads
    company: np.ndarray  # global company index, -1 for none
    channel: np.ndarray
    stages: np.ndarray  # (5, n): lead, MQL, SQL, opportunity, customer times or NULL_MS
    journey_end: np.ndarray  # touches of this person happen before this time
    merged_into: np.ndarray  # local index of the surviving contact, -1
    merged_at: np.ndarray
    archived: np.ndarray
    first_name: np.ndarray  # indices into FIRST_NAMES / LAST_NAMES
    last_name: np.ndarray
    first_secondary: np.ndarray  # per deal: local index of its first secondary contact
    n_secondary: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ids)


def make_people(config: WorldConfig, d: DealChunk) -> People:
    rng = stream(config.seed, "contacts", d.chunk)
    n_sec = rng.choice(3, size=d.n, p=SECONDARY_COUNT_MIX)
    n_stalled = round(d.n * STALLED_PER_DEAL)
    sec_deal = np.repeat(np.arange(d.n), n_sec)
    kind = np.concatenate(
        [np.full(d.n, PRIMARY), np.full(sec_deal.size, SECONDARY), np.full(n_stalled, STALLED)]
    )
    deal = np.concatenate([np.arange(d.n), sec_deal, np.full(n_stalled, -1)])
    n = kind.size
    stages = np.full((5, n), NULL_MS, dtype=np.int64)
    journey_end = np.empty(n, dtype=np.int64)

    primary_mix = LEAD_MIX * P_LEAD_TO_OPP
    stalled_mix = LEAD_MIX * (1 - P_LEAD_TO_OPP)
    channel = np.concatenate(
        [
            rng.choice(len(LEAD_MIX), size=d.n, p=primary_mix / primary_mix.sum()),
            np.full(sec_deal.size, OUTBOUND),  # added by sales
            rng.choice(len(LEAD_MIX), size=n_stalled, p=stalled_mix / stalled_mix.sum()),
        ]
    )
    gaps = (FUNNEL_GAP_DAYS[:, None] * np.exp(0.8 * rng.standard_normal((3, n))) * DAY).astype(
        np.int64
    )
    gaps[0, SKIPS_MQL[channel]] = 0

    prim = np.arange(d.n)
    _primary_funnel(config, d, stages, journey_end, channel[prim], gaps[:, prim])
    sec = np.arange(d.n, d.n + sec_deal.size)
    window = np.minimum(30 * DAY, d.life_end[sec_deal] - d.created[sec_deal])
    added = d.created[sec_deal] + (rng.random(sec.size) * window).astype(np.int64)
    stages[0, sec] = added
    won = d.first_won_at[sec_deal]
    stages[4, sec] = np.where((won != NULL_MS) & (won > added), won, NULL_MS)
    journey_end[sec] = d.life_end[sec_deal]
    stalled = np.arange(d.n + sec_deal.size, n)
    _stalled_funnel(rng, config, stages, journey_end, stalled, channel[stalled], gaps[:, stalled])

    first, count = company_block(config, d.chunk)
    company = np.concatenate(
        [
            d.company,
            d.company[sec_deal],
            np.where(
                rng.random(n_stalled) < NO_COMPANY_SHARE,
                -1,
                first + rng.integers(0, count, n_stalled),
            ),
        ]
    )
    first_name, last_name = _names(rng, company)
    merged_into, merged_at, archived = _merges(rng, config, kind, stages[0])
    first_sec = np.full(d.n, -1, dtype=np.int64)
    first_sec[n_sec > 0] = d.n + (np.cumsum(n_sec) - n_sec)[n_sec > 0]
    return People(
        chunk=d.chunk,
        ids=CONTACT_ID_BASE + d.chunk * CONTACT_BLOCK + np.arange(n, dtype=np.int64),
        kind=kind,
        deal=deal,
        company=company,
        channel=channel,
        stages=stages,
        journey_end=journey_end,
        merged_into=merged_into,
        merged_at=merged_at,
        archived=archived,
        first_name=first_name,
        last_name=last_name,
        first_secondary=first_sec,
        n_secondary=n_sec,
    )


def _primary_funnel(
    config: WorldConfig,
    d: DealChunk,
    stages: np.ndarray,
    journey_end: np.ndarray,
    channel: np.ndarray,
    gaps: np.ndarray,
) -> None:
    """Back-date lead, MQL and SQL from the deal's creation; squeeze them after the start."""
    opp = d.created
    total = gaps.sum(axis=0)
    scale = np.minimum(1.0, (opp - config.start_ms) / np.maximum(total, 1))
    g = (gaps * scale).astype(np.int64)
    sql = opp - g[2]
    mql = sql - g[1]
    lead = np.maximum(mql - g[0], config.start_ms)
    p = np.arange(d.n)
    stages[0, p] = lead
    stages[1, p] = np.where(SKIPS_MQL[channel], NULL_MS, mql)
    stages[2, p] = sql
    stages[3, p] = opp
    stages[4, p] = d.first_won_at
    journey_end[p] = d.life_end


def _stalled_funnel(
    rng: np.random.Generator,
    config: WorldConfig,
    stages: np.ndarray,
    journey_end: np.ndarray,
    idx: np.ndarray,
    channel: np.ndarray,
    gaps: np.ndarray,
) -> None:
    """Leads that never reach a deal: how far they get, given that they stop short of one."""
    m = np.where(SKIPS_MQL[channel], 1.0, P_MQL[channel])
    s, o = P_SQL[channel], P_OPP[channel]
    reach_mql = rng.random(idx.size) < m * (1 - s * o) / (1 - m * s * o)
    reach_sql = reach_mql & (rng.random(idx.size) < s * (1 - o) / (1 - s * o))
    lead = growth_times(rng, idx.size, config.start_ms, config.limit_ms)
    mql = lead + gaps[0]
    sql = mql + gaps[1]
    reach_mql &= mql <= config.limit_ms
    reach_sql &= reach_mql & (sql <= config.limit_ms)
    stages[0, idx] = lead
    stages[1, idx] = np.where(reach_mql & ~SKIPS_MQL[channel], mql, NULL_MS)
    stages[2, idx] = np.where(reach_sql, sql, NULL_MS)
    last = np.where(reach_sql, sql, np.where(reach_mql, mql, lead))
    journey_end[idx] = np.minimum(last + 45 * DAY, config.limit_ms)


def _names(rng: np.random.Generator, company: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Name indices, unique within each company so first.last@domain emails never clash."""
    combos = len(FIRST_NAMES) * len(LAST_NAMES)
    code = rng.integers(0, combos, company.size)
    order = np.argsort(company, kind="stable")
    sorted_company = company[order]
    starts = np.flatnonzero(np.r_[True, sorted_company[1:] != sorted_company[:-1]])
    rank = np.arange(company.size) - np.repeat(starts, np.diff(np.r_[starts, company.size]))
    in_company = np.empty(company.size, dtype=np.int64)
    in_company[order] = (rank * 7919 + sorted_company * 31) % combos
    code = np.where(company >= 0, in_company, code)
    return code // len(LAST_NAMES), code % len(LAST_NAMES)


def _merges(
    rng: np.random.Generator, config: WorldConfig, kind: np.ndarray, lead: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Duplicate stalled leads merged into another contact; a few stalled leads archived."""
    n = kind.size
    stalled = np.flatnonzero(kind == STALLED)
    archived = np.zeros(n, dtype=bool)
    archived[stalled[rng.random(stalled.size) < ARCHIVED_SHARE]] = True
    loser = stalled[
        (rng.random(stalled.size) < MERGED_SHARE * n / max(stalled.size, 1)) & ~archived[stalled]
    ]
    survivor = rng.integers(0, n, loser.size)
    delay = rng.uniform(HOUR, 20 * DAY, loser.size).astype(np.int64)
    is_loser = np.zeros(n, dtype=bool)
    is_loser[loser] = True
    ok = ~is_loser[survivor] & ~archived[survivor]
    first = np.unique(np.where(ok, survivor, -1), return_index=True)[1]
    keep = np.zeros(loser.size, dtype=bool)
    keep[first] = True
    keep &= ok
    merged_into = np.full(n, -1, dtype=np.int64)
    merged_at = np.full(n, NULL_MS, dtype=np.int64)
    loser, survivor = loser[keep], survivor[keep]
    merged_into[loser] = survivor
    merged_at[loser] = np.minimum(
        np.maximum(lead[loser], lead[survivor]) + delay[keep], config.limit_ms
    )
    return merged_into, merged_at, archived


def lifecycle_stage(stages: np.ndarray) -> np.ndarray:
    """Index of the latest lifecycle stage reached (they are reached in order)."""
    reached = stages != NULL_MS
    return reached.shape[0] - 1 - np.argmax(reached[::-1], axis=0)


def contacts_table(people: People, sources: dict[str, pa.Array]) -> pa.Table:
    """hubspot/contacts: surviving contacts; sources holds the touch-derived source fields."""
    p = people
    first = choose(FIRST_NAMES, p.first_name)
    last = choose(LAST_NAMES, p.last_name)
    local = pc.binary_join_element_wise(first, last, ".")
    _, domain = company_names(np.maximum(p.company, 0))
    # Without a company the address is a freemail one; the id keeps it unique.
    freemail = choose(FREEMAIL, p.ids % len(FREEMAIL))
    personal = pc.binary_join_element_wise(local, int_strings(p.ids), ".")
    email = pc.if_else(
        pa.array(p.company >= 0),
        pc.binary_join_element_wise(local, domain, "@"),
        pc.binary_join_element_wise(personal, freemail, "@"),
    )
    duplicate = p.merged_into >= 0
    merged_from = np.full(p.n, -1, dtype=np.int64)
    losers = np.flatnonzero(duplicate)
    merged_from[p.merged_into[losers]] = p.ids[losers]
    last_modified = np.max(p.stages, axis=0)
    merged_at_survivor = np.full(p.n, NULL_MS, dtype=np.int64)
    merged_at_survivor[p.merged_into[losers]] = p.merged_at[losers]
    last_modified = np.maximum(last_modified, merged_at_survivor)
    table = make_table(
        "contacts",
        {
            "id": int_strings(p.ids),
            "email": email,
            "firstname": pc.utf8_capitalize(first),
            "lastname": pc.utf8_capitalize(last),
            "lifecyclestage": choose(LIFECYCLE, lifecycle_stage(p.stages)),
            "createdate": iso_strings(p.stages[0]),
            "lastmodifieddate": iso_strings(last_modified),
            "hs_lifecyclestage_lead_date": iso_strings(p.stages[0]),
            "hs_lifecyclestage_marketingqualifiedlead_date": iso_strings(p.stages[1]),
            "hs_lifecyclestage_salesqualifiedlead_date": iso_strings(p.stages[2]),
            "hs_lifecyclestage_opportunity_date": iso_strings(p.stages[3]),
            "hs_lifecyclestage_customer_date": iso_strings(p.stages[4]),
            "hs_analytics_source": sources["source"],
            "hs_analytics_source_data_1": sources["data_1"],
            "hs_analytics_source_data_2": sources["data_2"],
            "hs_latest_source": sources["latest"],
            "associatedcompanyid": int_strings(COMPANY_ID_BASE + p.company, mask=p.company < 0),
            "hs_merged_object_ids": int_strings(merged_from, mask=merged_from < 0),
            "archived": p.archived,
        },
    )
    return table.filter(pa.array(~duplicate))


def deal_contacts_table(d: DealChunk, people: People) -> pa.Table:
    """Deal -> contact associations (type 3); a merged-away deal's contacts go to its survivor."""
    with_deal = np.flatnonzero(people.deal >= 0)
    deal = people.deal[with_deal]
    deal = np.where(d.merged_into[deal] >= 0, d.merged_into[deal], deal)
    order = np.argsort(deal, kind="stable")
    return make_table(
        "deal_contacts",
        {
            "deal_id": int_strings(d.ids[deal[order]]),
            "contact_id": int_strings(people.ids[with_deal[order]]),
            "association_type_id": pa.array(np.full(with_deal.size, 3, dtype=np.int32)),
        },
    )


def deal_companies_table(d: DealChunk) -> pa.Table:
    """Deal -> company associations (type 5) of the deals the API still lists."""
    listed = np.flatnonzero(d.merged_into < 0)
    return make_table(
        "deal_companies",
        {
            "deal_id": int_strings(d.ids[listed]),
            "company_id": int_strings(COMPANY_ID_BASE + d.company[listed]),
            "association_type_id": pa.array(np.full(listed.size, 5, dtype=np.int32)),
        },
    )
