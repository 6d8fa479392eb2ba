"""Deal lives: creation, owner, amount, deletion, merges and the stage path of one chunk.

Everything is vectorised over the chunk; the only Python loop walks the transition steps,
all deals still moving at once. A deal's simulation stops at its horizon: the world's
limit, its deletion, or its merge into another deal. Deals of a chunk are ordered by
creation time, so deal ids grow with createdate inside a chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestion.simulator.config import (
    DAY,
    HOUR,
    NULL_MS,
    WorldConfig,
    company_block,
    growth_times,
    stream,
)
from ingestion.simulator.pipelines import (
    ABSORB,
    ATTENTION_DWELL_FACTOR,
    ATTENTION_SHARES,
    DWELL_SIGMA,
    N_OPEN,
    PIPELINES,
    REOPEN_DELAY_DAYS,
    WON,
    cumulative_transitions,
)
from ingestion.simulator.portal import USD_PER_UNIT, Owners

DEAL_ID_BASE = 12_000_000_000
DELETED_SHARE = 0.01
MERGED_SHARE = 0.005
OTHER_CURRENCY_SHARE = 0.08  # deals not in their owner's team currency
MIN_DWELL = HOUR  # keeps a deal's stage changes at least an hour apart

_CUM = cumulative_transitions()
# Median dwell in days by (pipeline, attention, stage); closed stages hold the reopen delay.
_DWELL = np.array(
    [
        [list(np.array(p.dwell_days) * f) + [REOPEN_DELAY_DAYS] * 2 for f in ATTENTION_DWELL_FACTOR]
        for p in PIPELINES
    ]
)


@dataclass(frozen=True)
class DealChunk:
    """A chunk's deals (by local index) and their stage visits (sorted by deal, time)."""

    chunk: int
    ids: np.ndarray
    pipeline: np.ndarray
    attention: np.ndarray
    pace: np.ndarray  # per-deal tempo: multiplies dwell times, divides activity rates
    start_stage: np.ndarray
    created: np.ndarray
    horizon: np.ndarray
    deleted: np.ndarray
    merged_into: np.ndarray  # local index of the surviving deal, or -1
    company: np.ndarray  # global company index
    owner: np.ndarray  # owner index at creation
    currency: np.ndarray
    amount0: np.ndarray
    v_deal: np.ndarray
    v_stage: np.ndarray
    v_entered: np.ndarray
    v_exited: np.ndarray  # NULL_MS for the last visit
    final_stage: np.ndarray
    closed_at: np.ndarray  # NULL_MS while open
    first_won_at: np.ndarray  # NULL_MS if never won
    life_end: np.ndarray  # closed_at, or the horizon while open
    n_regressions: np.ndarray
    n_skips: np.ndarray
    # Open periods: from creation or a reopen until the next close or the horizon.
    p_deal: np.ndarray
    p_start: np.ndarray
    p_end: np.ndarray
    p_closes: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ids)


def simulate_deals(config: WorldConfig, owners: Owners, chunk: int) -> DealChunk:
    rng = stream(config.seed, "deals", chunk)
    lo, hi = config.chunk_bounds(chunk)
    n = hi - lo
    created = np.sort(growth_times(rng, n, config.start_ms, config.limit_ms - HOUR))
    pipeline = (rng.random(n) < PIPELINES[1].share).astype(np.int64)
    attention = rng.choice(len(ATTENTION_SHARES), size=n, p=ATTENTION_SHARES)
    pace = rng.lognormal(0.0, 0.3, n)
    start_stage = np.empty(n, dtype=np.int64)
    for p, pipe in enumerate(PIPELINES):
        mine = pipeline == p
        start_stage[mine] = rng.choice(N_OPEN, size=int(mine.sum()), p=pipe.start_probs)
    owner = _owners_at(rng, owners, created)
    currency = owners.team_currency[owners.team[owner]]
    other = rng.random(n) < OTHER_CURRENCY_SHARE
    currency = np.where(other, rng.integers(0, len(USD_PER_UNIT), n), currency)
    medians = np.array([p.amount_median_usd for p in PIPELINES])[pipeline]
    sigmas = np.array([p.amount_sigma for p in PIPELINES])[pipeline]
    usd = medians * np.exp(sigmas * rng.standard_normal(n))
    amount0 = np.round(np.maximum(usd, 500.0) / USD_PER_UNIT[currency], 2)

    deleted = rng.random(n) < DELETED_SHARE
    horizon = np.full(n, config.limit_ms, dtype=np.int64)
    frac = rng.uniform(0.02, 1.0, n)
    horizon[deleted] = created[deleted] + (
        frac[deleted] * (config.limit_ms - created[deleted])
    ).astype(np.int64)
    merged_into = _merges(rng, config, pipeline, created, deleted, horizon)

    v_deal, v_stage, v_entered = _walk(
        rng, pipeline, attention, pace, start_stage, created, horizon
    )
    company = _companies(
        rng, config, chunk, pipeline, created, merged_into, v_deal, v_stage, v_entered
    )
    return DealChunk(
        chunk=chunk,
        ids=DEAL_ID_BASE + lo + np.arange(n, dtype=np.int64),
        pipeline=pipeline,
        attention=attention,
        pace=pace,
        start_stage=start_stage,
        created=created,
        horizon=horizon,
        deleted=deleted,
        merged_into=merged_into,
        company=company,
        owner=owner,
        currency=currency,
        amount0=amount0,
        **_derive(v_deal, v_stage, v_entered, horizon),
    )


def _owners_at(rng: np.random.Generator, owners: Owners, t: np.ndarray) -> np.ndarray:
    """A random owner employed at each time (redraws until all are; stayers always are)."""
    owner = rng.integers(0, len(owners.ids), len(t))
    bad = np.flatnonzero(~owners.active(owner, t))
    while bad.size:
        owner[bad] = rng.integers(0, len(owners.ids), bad.size)
        bad = bad[~owners.active(owner[bad], t[bad])]
    return owner


def _merges(
    rng: np.random.Generator,
    config: WorldConfig,
    pipeline: np.ndarray,
    created: np.ndarray,
    deleted: np.ndarray,
    horizon: np.ndarray,
) -> np.ndarray:
    """Pick duplicate deals merged into an earlier deal of the same pipeline; sets horizons."""
    n = len(created)
    merged_into = np.full(n, -1, dtype=np.int64)
    loser = np.flatnonzero((rng.random(n) < MERGED_SHARE) & ~deleted)
    u = rng.random(loser.size)
    delay = rng.uniform(HOUR, 10 * DAY, loser.size).astype(np.int64)
    survivor = np.full(loser.size, -1, dtype=np.int64)
    for p in range(len(PIPELINES)):
        same = np.flatnonzero(pipeline == p)  # sorted by created, as the chunk is
        mine = pipeline[loser] == p
        earlier = np.searchsorted(same, loser[mine])
        pick = np.minimum((u[mine] * earlier).astype(np.int64), np.maximum(earlier - 1, 0))
        survivor[mine] = np.where(earlier > 0, same[pick], -1)
    is_loser = np.zeros(n, dtype=bool)
    is_loser[loser] = True
    ok = survivor >= 0
    ok[ok] = ~deleted[survivor[ok]] & ~is_loser[survivor[ok]]
    # One loser per survivor keeps hs_merged_object_ids a single id.
    first = np.unique(np.where(ok, survivor, -1), return_index=True)[1]
    keep = np.zeros(loser.size, dtype=bool)
    keep[first] = True
    keep &= ok
    merged_into[loser[keep]] = survivor[keep]
    horizon[loser[keep]] = np.minimum(created[loser[keep]] + delay[keep], config.limit_ms)
    return merged_into


def _walk(
    rng: np.random.Generator,
    pipeline: np.ndarray,
    attention: np.ndarray,
    pace: np.ndarray,
    start_stage: np.ndarray,
    created: np.ndarray,
    horizon: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the chain for all deals at once; returns visits sorted by (deal, time)."""
    n = len(created)
    deals, stages, times = [np.arange(n)], [start_stage], [created]
    state, now = start_stage.copy(), created.copy()
    active = np.arange(n)
    while active.size:
        p, k, s = pipeline[active], attention[active], state[active]
        nxt = (rng.random(active.size)[:, None] >= _CUM[p, k, s]).sum(axis=1)
        dwell = (
            _DWELL[p, k, s] * pace[active] * np.exp(DWELL_SIGMA * rng.standard_normal(active.size))
        )
        t_next = now[active] + np.maximum((dwell * DAY).astype(np.int64), 0) + MIN_DWELL
        go = (nxt != ABSORB) & (t_next <= horizon[active])
        active = active[go]
        state[active] = nxt[go]
        now[active] = t_next[go]
        deals.append(active)
        stages.append(nxt[go])
        times.append(t_next[go])
    v_deal = np.concatenate(deals)
    order = np.argsort(v_deal, kind="stable")  # appended step by step: stable = time order
    return v_deal[order], np.concatenate(stages)[order], np.concatenate(times)[order]


def _companies(
    rng: np.random.Generator,
    config: WorldConfig,
    chunk: int,
    pipeline: np.ndarray,
    created: np.ndarray,
    merged_into: np.ndarray,
    v_deal: np.ndarray,
    v_stage: np.ndarray,
    v_entered: np.ndarray,
) -> np.ndarray:
    """New business goes to any company of the chunk; expansion to an earlier winner if any."""
    first, count = company_block(config, chunk)
    n = len(created)
    company = first + rng.integers(0, count, n)
    u = rng.random(n)
    won = np.flatnonzero((v_stage == WON) & (pipeline[v_deal] == 0) & (merged_into[v_deal] < 0))
    won_deal, at = v_deal[won], v_entered[won]
    order = np.argsort(at, kind="stable")
    won_company, at = company[won_deal[order]], at[order]
    expansion = np.flatnonzero(pipeline == 1)
    n_before = np.searchsorted(at, created[expansion])
    pick = np.minimum((u[expansion] * n_before).astype(np.int64), np.maximum(n_before - 1, 0))
    has = n_before > 0
    company[expansion[has]] = won_company[pick[has]]
    losers = np.flatnonzero(merged_into >= 0)
    company[losers] = company[merged_into[losers]]
    return company


def _derive(
    v_deal: np.ndarray, v_stage: np.ndarray, v_entered: np.ndarray, horizon: np.ndarray
) -> dict[str, np.ndarray]:
    """Per-visit exits, per-deal outcomes and counts, and open periods, from the visits."""
    n = len(horizon)
    n_visits = np.bincount(v_deal, minlength=n)
    last = np.cumsum(n_visits) - 1
    same_next = np.zeros(len(v_deal), dtype=bool)
    same_next[:-1] = v_deal[1:] == v_deal[:-1]
    v_exited = np.full(len(v_deal), NULL_MS, dtype=np.int64)
    v_exited[:-1] = np.where(same_next[:-1], v_entered[1:], NULL_MS)

    final_stage = v_stage[last]
    closed = final_stage >= WON
    closed_at = np.where(closed, v_entered[last], NULL_MS)
    first_won_at = np.full(n, NULL_MS, dtype=np.int64)
    won = np.flatnonzero(v_stage == WON)
    deal_of_won, first = np.unique(v_deal[won], return_index=True)
    first_won_at[deal_of_won] = v_entered[won[first]]

    prev, nxt, pair = v_stage[:-1], v_stage[1:], same_next[:-1]
    regress = pair & (nxt < prev) & (nxt < WON) & (prev < WON)
    skip = pair & (prev < WON) & (nxt <= WON) & (nxt > prev + 1)
    n_regressions = np.bincount(v_deal[1:][regress], minlength=n)
    n_skips = np.bincount(v_deal[1:][skip], minlength=n)

    is_open = v_stage < WON
    opens_period = is_open.copy()
    opens_period[1:] &= ~same_next[:-1] | ~is_open[:-1]
    starts = np.flatnonzero(opens_period)
    ends = np.flatnonzero(~is_open)
    still_open = np.flatnonzero(~closed)
    e_deal = np.concatenate([v_deal[ends], still_open])
    e_time = np.concatenate([v_entered[ends], horizon[still_open]])
    e_closes = np.concatenate([np.ones(ends.size, bool), np.zeros(still_open.size, bool)])
    e_order = np.lexsort((e_time, e_deal))
    return dict(
        v_deal=v_deal,
        v_stage=v_stage,
        v_entered=v_entered,
        v_exited=v_exited,
        final_stage=final_stage,
        closed_at=closed_at,
        first_won_at=first_won_at,
        life_end=np.where(closed, closed_at, horizon),
        n_regressions=n_regressions,
        n_skips=n_skips,
        p_deal=v_deal[starts],
        p_start=v_entered[starts],
        p_end=e_time[e_order],
        p_closes=e_closes[e_order],
    )
