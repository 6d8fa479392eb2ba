"""Sales activities logged on a chunk's deals: calls, emails, meetings, notes, tasks.

Activities happen only while a deal is open (between creation or a reopen and the next
close, or the deal's horizon), at a weekly rate set by the deal's attention class and
tempo, so worked deals show many activities and neglected ones few. Each is owned by the
deal's owner at that moment. Open deals at the end may carry not-yet-done tasks and
meetings. Activities of a merged-away deal move to the surviving deal, as in HubSpot.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ingestion.simulator.config import DAY, MINUTE, NULL_MS, WorldConfig, stream
from ingestion.simulator.deals import DealChunk
from ingestion.simulator.history import DealFacts
from ingestion.simulator.io import choose, int_strings, iso_strings, make_table
from ingestion.simulator.people import People
from ingestion.simulator.portal import Owners

ENGAGEMENT_ID_BASE = 40_000_000_000
ENGAGEMENT_BLOCK = 10_000_000  # engagement ids of chunk k start at base + k * block
RATE_PER_WEEK = np.array([0.5, 1.6, 3.5])  # by attention class
MAX_PER_PERIOD = 150  # bounds memory per chunk whatever the tempo
TYPES = ("CALL", "EMAIL", "MEETING", "NOTE", "TASK")
CALL, EMAIL, MEETING, NOTE, TASK = range(len(TYPES))
TYPE_MIX = np.array([0.30, 0.35, 0.12, 0.10, 0.13])
STATUSES = ("COMPLETED", "NO_ANSWER", "BUSY", "SENT", "NO_SHOW", "SCHEDULED", "NOT_STARTED")
COMPLETED, NO_ANSWER, BUSY, SENT, NO_SHOW, SCHEDULED, NOT_STARTED = range(len(STATUSES))
RECENT = 10 * DAY  # activities this close to the end may not be done yet
OPEN_TASK_SHARE = 0.4  # open deals at the end with a task still to do


def make_engagements(
    config: WorldConfig, owners: Owners, d: DealChunk, facts: DealFacts, people: People
) -> tuple[pa.Table, np.ndarray]:
    """(engagements table, number of activities listed per deal)."""
    rng = stream(config.seed, "engagements", d.chunk)
    length = d.p_end - d.p_start
    rate = config.activity_rate * RATE_PER_WEEK[d.attention[d.p_deal]] / d.pace[d.p_deal]
    count = np.minimum(rng.poisson(rate * length / (7 * DAY)), MAX_PER_PERIOD)
    period = np.repeat(np.arange(d.p_deal.size), count)
    deal = d.p_deal[period]
    t = d.p_start[period] + (rng.random(period.size) * length[period]).astype(np.int64)
    kind = rng.choice(len(TYPES), size=period.size, p=TYPE_MIX)

    open_at_end = (d.closed_at == NULL_MS) & (d.horizon == config.limit_ms)
    todo = np.flatnonzero(open_at_end & (rng.random(d.n) < OPEN_TASK_SHARE))
    last_start = np.full(d.n, NULL_MS, dtype=np.int64)
    np.maximum.at(last_start, d.p_deal, d.p_start)
    lo = np.maximum(last_start[todo], config.limit_ms - 14 * DAY)
    deal = np.concatenate([deal, todo])
    t = np.concatenate([t, lo + (rng.random(todo.size) * (config.limit_ms - lo)).astype(np.int64)])
    kind = np.concatenate([kind, np.full(todo.size, TASK)])
    is_todo = np.arange(t.size) >= t.size - todo.size
    order = np.argsort(t, kind="stable")
    deal, t, kind, is_todo = deal[order], t[order], kind[order], is_todo[order]
    n = t.size

    u = rng.random((3, n))
    status = np.full(n, COMPLETED)
    status[(kind == CALL) & (u[0] < 0.25)] = NO_ANSWER
    status[(kind == CALL) & (u[0] >= 0.25) & (u[0] < 0.35)] = BUSY
    status[kind == EMAIL] = SENT
    status[(kind == MEETING) & (u[0] < 0.12)] = NO_SHOW
    pending = open_at_end[deal] & (t > config.limit_ms - RECENT)
    status[pending & (kind == TASK)] = NOT_STARTED
    status[pending & (kind == MEETING)] = SCHEDULED
    status[is_todo] = NOT_STARTED
    talk = np.exp(np.log(4 * MINUTE) + 0.7 * rng.standard_normal(n))
    duration = np.where(status == COMPLETED, talk, (u[1] * 30_000))
    duration = np.where(kind == MEETING, (1 + (u[1] * 4).astype(np.int64)) * 15 * MINUTE, duration)
    has_duration = (kind == CALL) | (kind == MEETING)

    # Most activities involve the primary contact, the rest one of the secondary contacts.
    secondary = (u[2] < 0.25) & (people.n_secondary[deal] > 0)
    pick = people.first_secondary[deal] + (u[1] * people.n_secondary[deal]).astype(np.int64)
    contact = np.where(secondary, pick, deal)  # primaries have local index = deal index
    owner = facts.owners.at(deal, t)
    listed_deal = np.where(d.merged_into[deal] >= 0, d.merged_into[deal], deal)
    table = make_table(
        "engagements",
        {
            "id": int_strings(ENGAGEMENT_ID_BASE + d.chunk * ENGAGEMENT_BLOCK + np.arange(n)),
            "type": choose(TYPES, kind),
            "timestamp": iso_strings(t),
            "owner_id": int_strings(owners.ids[owner]),
            "deal_id": int_strings(d.ids[listed_deal]),
            "contact_id": int_strings(people.ids[contact]),
            "status": choose(STATUSES, status, mask=kind == NOTE),
            "duration_ms": int_strings(duration.astype(np.int64), mask=~has_duration),
        },
    )
    return table, np.bincount(listed_deal, minlength=d.n).astype(np.int32)
