"""World configuration, random streams and the time frame every generator shares.

Times are int64 milliseconds since the Unix epoch (UTC) in every generator; ``NULL_MS`` marks
"never happened" so arrays stay plain numpy and vectorised code needs no object columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np

GENERATOR_VERSION = 1

# Deals are simulated in fixed-size chunks; a chunk's deals, contacts, touches and
# engagements are built together and written as one numbered part per table, so memory is
# bounded by the chunk size. It is a constant, not derived from n_deals or the machine, so a
# world's bytes never depend on where it is generated.
CHUNK_SIZE = 25_000

# One random stream per kind of entity and chunk: adding or changing one kind never shifts
# the numbers another kind draws. Values are part of the world's identity: never renumber.
STREAM_ID: dict[str, int] = {
    "owners": 1,
    "companies": 2,
    "deals": 3,
    "deal_history": 4,
    "contacts": 5,
    "touches": 6,
    "campaigns": 7,
    "ad_spend": 8,
    "engagements": 9,
    "fx": 10,
    "malformed": 11,
    "visitors": 12,
    "web_events": 13,
    "targets": 14,
    "form_submissions": 15,
}

NULL_MS = np.iinfo(np.int64).min
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# Stochastic events happen no later than one hour before the world's end, so small
# follow-up offsets (a field edited minutes after a stage change) still fit before it.
END_MARGIN = HOUR


@dataclass(frozen=True)
class WorldConfig:
    """Everything that defines a world: the same config always gives the same bytes."""

    seed: int = 42
    n_deals: int = 5000
    start_date: date = date(2024, 1, 1)
    end_date: date = date(2025, 12, 31)
    malformed_rate: float = 0.002
    # Multiplies every deal's weekly activity rate (about 12.5 activities a deal at 1.0):
    # benchmarks raise it to reach a target activity volume without more deals.
    activity_rate: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed: must be a non-negative integer, got {self.seed!r}")
        if not isinstance(self.n_deals, int) or self.n_deals < 1:
            raise ValueError(f"n_deals: must be an integer >= 1, got {self.n_deals!r}")
        if self.end_date <= self.start_date:
            raise ValueError(
                f"end_date: must be after start_date ({self.start_date}), got {self.end_date}"
            )
        if not 0.0 <= self.malformed_rate <= 1.0:
            raise ValueError(f"malformed_rate: must be within [0, 1], got {self.malformed_rate!r}")
        if not self.activity_rate > 0:
            raise ValueError(f"activity_rate: must be > 0, got {self.activity_rate!r}")

    @property
    def start_ms(self) -> int:
        """First millisecond of the world (start_date 00:00:00.000 UTC)."""
        return _date_ms(self.start_date)

    @property
    def end_ms(self) -> int:
        """The world's "as of": end_date 23:59:59.999 UTC; nothing is later."""
        return _date_ms(self.end_date) + DAY - 1

    @property
    def limit_ms(self) -> int:
        """Latest time of a stochastic event (see END_MARGIN)."""
        return self.end_ms - END_MARGIN

    @property
    def n_days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def n_chunks(self) -> int:
        return -(-self.n_deals // CHUNK_SIZE)

    def chunk_bounds(self, chunk: int) -> tuple[int, int]:
        """Global deal indices [lo, hi) of one chunk."""
        lo = chunk * CHUNK_SIZE
        return lo, min(lo + CHUNK_SIZE, self.n_deals)


def company_block(config: WorldConfig, chunk: int) -> tuple[int, int]:
    """(first global company index, count) of the companies belonging to a deal chunk.

    Companies live with the chunk whose deals use them, so merges, expansions and company
    create dates never need another chunk. About one company per two deals, at least 20.
    """
    lo, hi = config.chunk_bounds(chunk)
    return chunk * -(-CHUNK_SIZE // 2), max(20, -(-(hi - lo) // 2))


def _date_ms(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000)


def stream(seed: int, name: str, chunk: int = 0) -> np.random.Generator:
    """The random generator of one entity kind and chunk."""
    return np.random.default_rng(np.random.SeedSequence([seed, STREAM_ID[name], chunk]))


def growth_times(rng: np.random.Generator, n: int, lo_ms: int, hi_ms: int) -> np.ndarray:
    """Times in [lo, hi] with density rising linearly (x1.6 by the end): a growing business.

    The time of day follows office hours (mostly 08:00-19:00 UTC) because CRM activity
    clusters there, which downstream day/hour breakdowns should see.
    """
    growth = 0.6
    u = rng.random(n)
    x = (np.sqrt(1.0 + 2.0 * growth * u * (1.0 + growth / 2.0)) - 1.0) / growth
    first_day = lo_ms - lo_ms % DAY
    n_days = (hi_ms - first_day) // DAY + 1
    day = np.minimum((x * n_days).astype(np.int64), n_days - 1)
    hour = np.clip(rng.normal(13.5, 2.6, n), 6.0, 21.5)
    jitter = rng.integers(0, MINUTE, n)  # no two clipped times share the same millisecond
    t = first_day + day * DAY + (hour * HOUR).astype(np.int64) + jitter
    return np.clip(t, lo_ms, hi_ms)


def categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of an (n, k) matrix of probabilities (rows differ, so no rng.choice)."""
    u = rng.random(len(probs))
    return np.minimum((u[:, None] >= probs.cumsum(axis=1)).sum(axis=1), probs.shape[1] - 1)
