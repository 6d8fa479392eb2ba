"""What HubSpot shows of a chunk's deals: property histories and the current deal records.

History holds one row per value a property ever had (the initial value at createdate
included) for dealstage, amount, closedate, hs_forecast_category and hubspot_owner_id.
Timestamps of one deal and property are distinct by construction: stage changes are at
least an hour apart, amount edits follow a stage change by 1-50 minutes, close-date pushes
strictly increase within an open period. The current deal record equals the latest values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.simulator.config import DAY, MINUTE, NULL_MS, WorldConfig, categorical, stream
from ingestion.simulator.deals import DealChunk
from ingestion.simulator.io import cents_strings, choose, int_strings, iso_strings, make_table
from ingestion.simulator.names import company_names
from ingestion.simulator.pipelines import (
    FORECAST_CATEGORY,
    LOST,
    PIPELINES,
    PROPOSAL,
    QUALIFICATION,
)
from ingestion.simulator.portal import CURRENCIES, Owners

PROPERTIES = ("dealstage", "amount", "closedate", "hs_forecast_category", "hubspot_owner_id")
DEALSTAGE, AMOUNT, CLOSEDATE, FORECAST, OWNER = range(len(PROPERTIES))
SOURCE_TYPES = ("CRM_UI", "API", "AUTOMATION")
CRM_UI, API, AUTOMATION = range(len(SOURCE_TYPES))
SOURCE_IDS = (None, "integration:web-forms", "workflow:forecast-category", "workflow:close-date")
API_CREATED_SHARE = 0.2
REASSIGNED_SHARE = 0.04  # on top of the reassignments forced by owners leaving
LOST_REASONS = ("Price", "Competitor", "No budget", "Timing", "No decision", "Went dark")
# Neglected deals die of silence more often; worked deals lose on price and competitors.
LOST_REASON_MIX = np.array(
    [
        [0.10, 0.10, 0.12, 0.13, 0.20, 0.35],
        [0.22, 0.20, 0.15, 0.15, 0.15, 0.13],
        [0.30, 0.30, 0.15, 0.12, 0.08, 0.05],
    ]
)
JUNK_AMOUNTS = ("1.200,50 EUR", "n/a", "TBD", "€ 15.000", "12k")
JUNK_DATES = ("31/02/2024", "2024-13-45T25:61:00Z", "yesterday", "00/00/0000")

_STAGE_IDS = np.array([p.stage_ids for p in PIPELINES], dtype=object)
_FORECAST_CODE = np.array([sorted(set(FORECAST_CATEGORY)).index(c) for c in FORECAST_CATEGORY])
_FORECAST_NAMES = tuple(sorted(set(FORECAST_CATEGORY)))


@dataclass(frozen=True)
class OwnerTimeline:
    """Each deal's owner over time: the first owner, then up to two reassignments."""

    first: np.ndarray
    change_t: np.ndarray  # shape (2, n): time of each reassignment, NULL_MS if none
    change_owner: np.ndarray  # shape (2, n): the new owner

    def at(self, deal: np.ndarray, t: np.ndarray) -> np.ndarray:
        owner = self.first[deal]
        for c in range(2):
            ct = self.change_t[c, deal]
            owner = np.where((ct != NULL_MS) & (t >= ct), self.change_owner[c, deal], owner)
        return owner


@dataclass(frozen=True)
class DealFacts:
    """What later generators and the ground truth need from the deals' histories."""

    owners: OwnerTimeline
    owner_now: np.ndarray
    owner_at_close: np.ndarray  # -1 while open
    amount_now: np.ndarray
    n_close_date_pushes: np.ndarray
    malformed_field: np.ndarray  # 0 none, 1 amount, 2 createdate


@dataclass
class _Rows:
    """History rows under construction, by property."""

    deal: list[np.ndarray]
    prop: list[np.ndarray]
    ts: list[np.ndarray]
    value: list[pa.Array]
    source: list[np.ndarray]
    source_id: list[np.ndarray]
    user: list[np.ndarray]  # owner index whose user made the change, -1 for none

    def add(
        self,
        deal: np.ndarray,
        prop: int,
        ts: np.ndarray,
        value: pa.Array,
        source: np.ndarray | int,
        source_id: np.ndarray | int,
        user: np.ndarray | int,
    ) -> None:
        n = len(deal)
        self.deal.append(deal)
        self.prop.append(np.full(n, prop))
        self.ts.append(ts)
        self.value.append(value)
        self.source.append(np.broadcast_to(source, n))
        self.source_id.append(np.broadcast_to(source_id, n))
        self.user.append(np.broadcast_to(user, n))


def build_history(
    config: WorldConfig, owners: Owners, d: DealChunk
) -> tuple[pa.Table, pa.Table, DealFacts]:
    """(hubspot deals, deal_property_history, facts) of one chunk."""
    rng = stream(config.seed, "deal_history", d.chunk)
    timeline = _reassignments(rng, owners, d)
    owner_at = timeline.at
    n = d.n
    all_deals = np.arange(n)
    api = rng.random(n) < API_CREATED_SHARE
    create_src = np.where(api, API, CRM_UI)
    create_src_id = np.where(api, 1, 0)
    create_user = np.where(api, -1, d.owner)
    rows = _Rows([], [], [], [], [], [], [])

    # dealstage: one row per visit.
    first_visit = np.ones(len(d.v_deal), dtype=bool)
    first_visit[1:] = d.v_deal[1:] != d.v_deal[:-1]
    stage_ids = pa.array(_STAGE_IDS[d.pipeline[d.v_deal], d.v_stage], pa.string())
    vd = d.v_deal
    rows.add(
        vd,
        DEALSTAGE,
        d.v_entered,
        stage_ids,
        np.where(first_visit, create_src[vd], CRM_UI),
        np.where(first_visit, create_src_id[vd], 0),
        np.where(first_visit, create_user[vd], owner_at(vd, d.v_entered)),
    )

    e_deal, e_ts, e_amount = _amount_edits(rng, d, first_visit)
    amount_now = d.amount0.copy()
    latest = _last_of_runs(e_deal)
    amount_now[e_deal[latest]] = e_amount[latest]
    rows.add(
        all_deals,
        AMOUNT,
        d.created,
        cents_strings(d.amount0),
        create_src,
        create_src_id,
        create_user,
    )
    rows.add(e_deal, AMOUNT, e_ts, cents_strings(e_amount), CRM_UI, 0, owner_at(e_deal, e_ts))

    cd_deal, cd_ts, cd_value, cd_kind = _close_dates(rng, d)
    kind_src = np.array([CRM_UI, AUTOMATION, CRM_UI])[cd_kind]  # set/reopen, close, push
    initial = cd_ts == d.created[cd_deal]
    rows.add(
        cd_deal,
        CLOSEDATE,
        cd_ts,
        iso_strings(cd_value),
        np.where(initial, create_src[cd_deal], kind_src),
        np.where(initial, create_src_id[cd_deal], np.where(cd_kind == 1, 3, 0)),
        np.where(
            initial, create_user[cd_deal], np.where(cd_kind == 1, -1, owner_at(cd_deal, cd_ts))
        ),
    )
    order = np.lexsort((cd_ts, cd_deal))
    cd_deal, cd_value = cd_deal[order], cd_value[order]
    moved_later = np.zeros(cd_deal.size, dtype=bool)
    moved_later[1:] = (cd_deal[1:] == cd_deal[:-1]) & (cd_value[1:] > cd_value[:-1])
    n_pushes = np.bincount(cd_deal[moved_later], minlength=n)
    closedate_now = np.zeros(n, dtype=np.int64)
    latest = _last_of_runs(cd_deal)
    closedate_now[cd_deal[latest]] = cd_value[latest]

    fc = _FORECAST_CODE[d.v_stage]
    fc_change = first_visit.copy()
    fc_change[1:] |= fc[1:] != fc[:-1]
    rows.add(
        d.v_deal[fc_change],
        FORECAST,
        d.v_entered[fc_change],
        choose(_FORECAST_NAMES, fc[fc_change]),
        AUTOMATION,
        2,
        -1,
    )

    owner_ids = owners.ids
    rows.add(
        all_deals,
        OWNER,
        d.created,
        int_strings(owner_ids[d.owner]),
        create_src,
        create_src_id,
        create_user,
    )
    for c in range(2):
        moved = np.flatnonzero(timeline.change_t[c] != NULL_MS)
        new = timeline.change_owner[c, moved]
        t_moved = timeline.change_t[c, moved]
        rows.add(moved, OWNER, t_moved, int_strings(owner_ids[new]), CRM_UI, 0, new)

    deal = np.concatenate(rows.deal)
    ts = np.concatenate(rows.ts)
    last_modified = np.full(n, NULL_MS, dtype=np.int64)
    np.maximum.at(last_modified, deal, ts)
    owner_now = owner_at(all_deals, np.full(n, np.iinfo(np.int64).max))
    closed = d.closed_at != NULL_MS
    owner_at_close = np.where(closed, owner_at(all_deals, d.closed_at), -1)
    listed = d.merged_into < 0
    malformed_field = _malformed(config, d, listed)

    user = np.concatenate(rows.user)
    history = make_table(
        "deal_property_history",
        {
            "deal_id": int_strings(d.ids[deal]),
            "property": choose(PROPERTIES, np.concatenate(rows.prop)),
            "value": pa.concat_arrays(rows.value),
            "timestamp": iso_strings(ts),
            "source_type": choose(SOURCE_TYPES, np.concatenate(rows.source)),
            "source_id": choose(SOURCE_IDS, np.concatenate(rows.source_id)),
            "updated_by_user_id": int_strings(owners.user_ids[user], mask=user < 0),
        },
    )
    # HubSpot's order is not guaranteed; merged-away deals are gone from the API.
    keep = np.flatnonzero(listed[deal])
    history = history.take(rng.permutation(keep))

    deals_table = _deals_table(
        rng, d, owners, amount_now, closedate_now, last_modified, owner_now, malformed_field
    )
    facts = DealFacts(
        owners=timeline,
        owner_now=owner_now,
        owner_at_close=owner_at_close,
        amount_now=amount_now,
        n_close_date_pushes=n_pushes.astype(np.int32),
        malformed_field=malformed_field,
    )
    return deals_table, history, facts


def _amount_edits(
    rng: np.random.Generator, d: DealChunk, first_visit: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Amount edits (deal, time, new amount), sorted by deal and time.

    Reps scope a deal up when it qualifies and discount it at the proposal, a few minutes
    after moving the stage, on some of those stage changes.
    """
    edit = ~first_visit & np.isin(d.v_stage, [QUALIFICATION, PROPOSAL])
    edit &= rng.random(len(d.v_deal)) < 0.3
    deal = d.v_deal[edit]
    ts = d.v_entered[edit] + rng.integers(MINUTE, 50 * MINUTE, deal.size)
    drift = np.where(d.v_stage[edit] == QUALIFICATION, 0.06, -0.07)
    cum = np.cumsum(drift + 0.2 * rng.standard_normal(deal.size))
    # Per-deal running product of the factors: subtract the cumulative sum before each run.
    starts = np.flatnonzero(np.r_[True, deal[1:] != deal[:-1]]) if deal.size else deal
    before = np.repeat(np.r_[0.0, cum][starts], np.diff(np.r_[starts, deal.size]))
    amount = np.maximum(np.round(d.amount0[deal] * np.exp(cum - before), 2), 100.0)
    return deal, ts, amount


def _stayer(owners: Owners, team: np.ndarray, u: np.ndarray, avoid: np.ndarray) -> np.ndarray:
    """A stayer of the team other than `avoid` (every team has at least two stayers)."""
    count = owners.n_stayers[team]
    slot = np.minimum((u * count).astype(np.int64), count - 1)
    pick = owners.stayers[team, slot]
    return np.where(pick == avoid, owners.stayers[team, (slot + 1) % count], pick)


def _reassignments(rng: np.random.Generator, owners: Owners, d: DealChunk) -> OwnerTimeline:
    """Owner changes: the rep left while the deal was open, or a manager reassigned it."""
    n = d.n
    life = d.life_end - d.created
    left = owners.left_ms[d.owner]
    leave = (left > d.created) & (left < d.life_end)
    room = np.where(leave, (d.life_end - left) // 2, 0)
    t_leave = left + np.minimum(rng.integers(0, 3 * DAY, n), room)
    rand = (rng.random(n) < REASSIGNED_SHARE) & (life > 2 * DAY)
    t_rand = d.created + (rng.uniform(0.1, 0.9, n) * life).astype(np.int64)
    u1, u2 = rng.random(n), rng.random(n)
    team = owners.team[d.owner]
    first = np.where(leave & (~rand | (t_leave < t_rand)), t_leave, np.where(rand, t_rand, NULL_MS))
    two = leave & rand & (t_leave < t_rand)
    second = np.where(two, np.maximum(t_rand, t_leave + 1), NULL_MS)
    new1 = _stayer(owners, team, u1, d.owner)
    new2 = _stayer(owners, team, u2, new1)
    return OwnerTimeline(d.owner, np.stack([first, second]), np.stack([new1, new2]))


def _close_dates(rng: np.random.Generator, d: DealChunk) -> tuple[np.ndarray, ...]:
    """closedate rows: (deal, timestamp, value, kind 0=set at open, 1=set at close, 2=push).

    Each open period starts with an expected close date (midnight UTC, as HubSpot's date
    picker stores it); when that date passes without a close the rep pushes it later; a
    close sets it to the moment of closing.
    """
    n_p = d.p_deal.size
    first_period = d.p_start == d.created[d.p_deal]
    median = np.where(first_period, 35.0, 21.0)
    guess = d.p_start + (median * np.exp(0.6 * rng.standard_normal(n_p)) * DAY).astype(np.int64)
    expected = np.maximum(_midnight(guess), _midnight(d.p_start) + DAY)
    deal, ts, value, kind = [d.p_deal], [d.p_start], [expected], [np.zeros(n_p, np.int64)]
    pending, current = np.arange(n_p), expected.copy()
    while pending.size:
        noticed = current[pending] + rng.integers(0, 5 * DAY, pending.size)
        later = rng.lognormal(np.log(21.0), 0.7, pending.size)
        ok = noticed < d.p_end[pending]
        pending, noticed = pending[ok], noticed[ok]
        current[pending] = _midnight(noticed + (later[ok] * DAY).astype(np.int64)) + DAY
        deal.append(d.p_deal[pending])
        ts.append(noticed)
        value.append(current[pending])
        kind.append(np.full(pending.size, 2))
    closes = np.flatnonzero(d.p_closes)
    deal.append(d.p_deal[closes])
    ts.append(d.p_end[closes])
    value.append(d.p_end[closes])
    kind.append(np.ones(closes.size, np.int64))
    return tuple(np.concatenate(x) for x in (deal, ts, value, kind))


def _midnight(ms: np.ndarray) -> np.ndarray:
    return ms - ms % DAY


def _malformed(config: WorldConfig, d: DealChunk, listed: np.ndarray) -> np.ndarray:
    """Which listed deals carry a defect (0 none, 1 amount, 2 createdate).

    Its own stream, so the malformed rate never changes anything but these fields. Chunk 0
    always has one when the world is big enough for a malformed record to be expected.
    """
    rng = stream(config.seed, "malformed", d.chunk)
    candidates = np.flatnonzero(listed)
    count = int(np.floor(config.malformed_rate * candidates.size + rng.random()))
    if d.chunk == 0 and config.n_deals >= 500 and config.malformed_rate > 0:
        count = max(count, 1)
    count = min(count, candidates.size)
    chosen = rng.choice(candidates, size=count, replace=False)
    field = np.zeros(d.n, dtype=np.int64)
    field[chosen] = np.where(rng.random(count) < 0.6, 1, 2)
    return field


def _deals_table(
    rng: np.random.Generator,
    d: DealChunk,
    owners: Owners,
    amount_now: np.ndarray,
    closedate_now: np.ndarray,
    last_modified: np.ndarray,
    owner_now: np.ndarray,
    malformed_field: np.ndarray,
) -> pa.Table:
    n = d.n
    lost = d.final_stage == LOST
    reason_pick = categorical(rng, LOST_REASON_MIX[d.attention])
    junk = rng.integers(0, 1 << 30, n)
    amount = cents_strings(amount_now)
    amount = pc.if_else(
        pa.array(malformed_field == 1), choose(JUNK_AMOUNTS, junk % len(JUNK_AMOUNTS)), amount
    )
    createdate = pc.if_else(
        pa.array(malformed_field == 2),
        choose(JUNK_DATES, junk % len(JUNK_DATES)),
        iso_strings(d.created),
    )
    merged_from = np.full(n, -1, dtype=np.int64)
    losers = np.flatnonzero(d.merged_into >= 0)
    merged_from[d.merged_into[losers]] = d.ids[losers]
    archived_at = np.where(d.deleted, np.maximum(d.horizon, last_modified) + MINUTE, NULL_MS)
    name, _ = company_names(d.company)
    suffix = choose(tuple(p.deal_suffix for p in PIPELINES), d.pipeline)
    table = make_table(
        "deals",
        {
            "id": int_strings(d.ids),
            "dealname": pc.binary_join_element_wise(name, suffix, " - "),
            "amount": amount,
            "deal_currency_code": choose(CURRENCIES, d.currency),
            "pipeline": choose(tuple(p.id for p in PIPELINES), d.pipeline),
            "dealstage": pa.array(_STAGE_IDS[d.pipeline, d.final_stage], pa.string()),
            "closedate": iso_strings(closedate_now),
            "createdate": createdate,
            "hs_lastmodifieddate": iso_strings(last_modified),
            "hubspot_owner_id": int_strings(owners.ids[owner_now]),
            "hs_forecast_category": choose(FORECAST_CATEGORY, d.final_stage),
            "closed_lost_reason": choose(LOST_REASONS, reason_pick, mask=~lost),
            "hs_merged_object_ids": int_strings(merged_from, mask=merged_from < 0),
            "archived": d.deleted,
            "archived_at": iso_strings(archived_at),
        },
    )
    return table.filter(pa.array(d.merged_into < 0))


def _last_of_runs(keys: np.ndarray) -> np.ndarray:
    """Mask of the last element of each run of equal keys (keys sorted)."""
    last = np.ones(keys.size, dtype=bool)
    last[:-1] = keys[1:] != keys[:-1]
    return last
