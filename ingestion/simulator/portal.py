"""The HubSpot portal's fixed furniture: sales teams, owners, pipeline configuration, FX rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pyarrow as pa

from ingestion.simulator.config import DAY, WorldConfig, stream
from ingestion.simulator.io import choose, int_strings, iso_strings, make_table
from ingestion.simulator.names import FIRST_NAMES, LAST_NAMES
from ingestion.simulator.pipelines import PIPELINES, WON

CURRENCIES = ("USD", "EUR", "GBP")
USD_PER_UNIT = np.array([1.0, 1.08, 1.27])  # long-run means the FX walk reverts to

# (team name, currency index). The first three cover every currency and are always used.
TEAMS = (
    ("North America Enterprise", 0),
    ("EMEA Enterprise", 1),
    ("UK&I Enterprise", 2),
    ("North America Mid-Market", 0),
    ("DACH Mid-Market", 1),
    ("UK&I Mid-Market", 2),
    ("Nordics & Benelux", 1),
    ("APAC", 0),
)
TEAM_ID_BASE = 4_100_000
OWNER_ID_BASE = 61_000_000
USER_ID_BASE = 9_200_000
OWNER_DOMAIN = "funnelhouse.example"
NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Owners:
    """Sales reps as parallel arrays, by owner index."""

    ids: np.ndarray
    user_ids: np.ndarray
    team: np.ndarray  # index into team_names
    team_names: tuple[str, ...]
    team_ids: np.ndarray
    team_currency: np.ndarray  # index into CURRENCIES, per team
    hired_ms: np.ndarray
    left_ms: np.ndarray  # NEVER for owners still with the company
    # Per team, the owners who are there for the whole world (padded with -1): open deals
    # are handed to them when a rep leaves or a deal is reassigned.
    stayers: np.ndarray
    n_stayers: np.ndarray

    def active(self, owner: np.ndarray, t_ms: np.ndarray) -> np.ndarray:
        return (self.hired_ms[owner] <= t_ms) & (t_ms < self.left_ms[owner])


def n_owners(config: WorldConfig) -> int:
    return int(np.clip(config.n_deals // 60, 8, 600))


def make_owners(config: WorldConfig) -> Owners:
    """Owners in 4-8 teams; a few leave during the world (their deals get reassigned)."""
    rng = stream(config.seed, "owners")
    n = n_owners(config)
    n_teams = int(rng.integers(4, min(len(TEAMS), n // 2) + 1))  # two stayers per team fit
    extra = rng.permutation(np.arange(3, len(TEAMS)))[: n_teams - 3]
    team_rows = np.sort(np.concatenate([np.arange(3), extra]))
    # Two stayers per team first, so every team can always take over deals.
    team = np.concatenate(
        [np.repeat(np.arange(n_teams), 2), rng.integers(0, n_teams, n - 2 * n_teams)]
    )
    stayer = np.arange(n) < 2 * n_teams
    span = config.limit_ms - config.start_ms
    hired_late = ~stayer & (rng.random(n) < 0.2)
    hired = np.where(
        hired_late,
        config.start_ms + (rng.random(n) * 0.8 * span).astype(np.int64),
        config.start_ms - rng.integers(30, 900, n) * DAY,
    )
    leaves = ~stayer & (rng.random(n) < 0.08)
    left_at = (
        np.maximum(hired, config.start_ms) + 60 * DAY + (rng.random(n) * span).astype(np.int64)
    )
    left = np.where(leaves & (left_at < config.limit_ms), left_at, NEVER)
    stays = np.flatnonzero((left == NEVER) & (hired <= config.start_ms))
    by_team = [stays[team[stays] == t] for t in range(n_teams)]
    stayers = np.full((n_teams, max(len(b) for b in by_team)), -1)
    for t, members in enumerate(by_team):
        stayers[t, : len(members)] = members
    return Owners(
        ids=OWNER_ID_BASE + np.arange(n, dtype=np.int64),
        user_ids=USER_ID_BASE + np.arange(n, dtype=np.int64),
        team=team,
        team_names=tuple(TEAMS[r][0] for r in team_rows),
        team_ids=TEAM_ID_BASE + team_rows.astype(np.int64),
        team_currency=np.array([TEAMS[r][1] for r in team_rows]),
        hired_ms=hired,
        left_ms=left,
        stayers=stayers,
        n_stayers=np.array([len(b) for b in by_team]),
    )


def owners_table(owners: Owners) -> pa.Table:
    n = len(owners.ids)
    # Names follow a fixed permutation of the owner index, so they never repeat.
    code = (np.arange(n) * 7919 + 13) % (len(FIRST_NAMES) * len(LAST_NAMES))
    first = code // len(LAST_NAMES)
    last = code % len(LAST_NAMES)
    first_s = choose(FIRST_NAMES, first)
    last_s = choose(LAST_NAMES, last)
    emails = pa.compute.binary_join_element_wise(
        pa.compute.binary_join_element_wise(first_s, last_s, "."), OWNER_DOMAIN, "@"
    )
    archived = owners.left_ms != NEVER
    return make_table(
        "owners",
        {
            "id": int_strings(owners.ids),
            "email": emails,
            "first_name": pa.compute.utf8_capitalize(first_s),
            "last_name": pa.compute.utf8_capitalize(last_s),
            "user_id": int_strings(owners.user_ids),
            "team_id": int_strings(owners.team_ids[owners.team]),
            "team_name": choose(owners.team_names, owners.team),
            "archived": archived,
            "created_at": iso_strings(owners.hired_ms),
            "updated_at": iso_strings(np.where(archived, owners.left_ms, owners.hired_ms)),
        },
    )


def pipeline_stages_table() -> pa.Table:
    rows = [
        (
            p.id,
            p.label,
            p.display_order,
            p.stage_ids[s],
            p.stage_labels[s],
            s,
            p.probabilities[s],
            s >= WON,
        )
        for p in PIPELINES
        for s in range(len(p.stage_ids))
    ]
    cols = list(zip(*rows, strict=True))
    return make_table(
        "pipeline_stages",
        {
            "pipeline_id": pa.array(cols[0], pa.string()),
            "pipeline_label": pa.array(cols[1], pa.string()),
            "pipeline_display_order": pa.array(cols[2], pa.int32()),
            "stage_id": pa.array(cols[3], pa.string()),
            "stage_label": pa.array(cols[4], pa.string()),
            "stage_display_order": pa.array(cols[5], pa.int32()),
            "is_closed": pa.array(["true" if c else "false" for c in cols[7]], pa.string()),
            "probability": pa.array(cols[6], pa.string()),
            "archived": pa.array([False] * len(rows), pa.bool_()),
        },
    )


def fx_table(config: WorldConfig) -> pa.Table:
    """Daily USD per unit: USD fixed at 1, EUR and GBP mean-reverting walks around their means."""
    rng = stream(config.seed, "fx")
    n = config.n_days
    rates = np.ones((n, len(CURRENCIES)))
    for c in range(1, len(CURRENCIES)):
        target = np.log(USD_PER_UNIT[c])
        shocks = rng.normal(0.0, 0.004, n)
        log_rate = np.empty(n)
        log_rate[0] = target + rng.normal(0.0, 0.01)
        for d in range(1, n):  # a loop over days (hundreds), not over entities
            log_rate[d] = log_rate[d - 1] + 0.03 * (target - log_rate[d - 1]) + shocks[d]
        rates[:, c] = np.round(np.exp(log_rate), 6)
    dates = [config.start_date + timedelta(days=d) for d in range(n)]
    return make_table(
        "fx_rates",
        {
            "date": pa.array(np.repeat(np.array(dates, dtype="datetime64[D]"), len(CURRENCIES))),
            "currency": pa.array(list(CURRENCIES) * n, pa.string()),
            "usd_per_unit": rates.reshape(-1),
        },
    )
