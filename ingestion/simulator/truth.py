"""Ground truth: what really happened, for tests to check the warehouse against.

truth_deals lists every deal ever created, merged-away ones included (merged_into_deal_id
set); counts are defined as the generator made them: n_stage_changes = visits - 1,
n_regressions = moves from an open stage to an earlier open stage, n_skips = forward moves
over at least one open stage (demo_trial -> closed_won included; moves to closed_lost and
reopens are neither), n_close_date_pushes = closedate history changes to a later value,
n_activities = engagements listed on the deal (a merged-away deal's moved to its survivor).
truth_stage_visits keeps deleted and merged-away deals' visits up to their deletion or
merge; their last visit has exited_at null like any visit still running at the end.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ingestion.simulator.deals import DealChunk
from ingestion.simulator.history import DealFacts
from ingestion.simulator.io import choose, int_strings, make_table, ts_array
from ingestion.simulator.people import COMPANY_ID_BASE, People
from ingestion.simulator.pipelines import LOST, PIPELINES, WON, win_probabilities
from ingestion.simulator.portal import CURRENCIES, Owners
from ingestion.simulator.schema import CANONICAL_STAGES, CHANNELS

_PIPELINE_IDS = tuple(p.id for p in PIPELINES)
_STAGE_IDS = np.array([p.stage_ids for p in PIPELINES], dtype=object)
MALFORMED_FIELDS = (None, "amount", "createdate")


def truth_deals_table(
    d: DealChunk, facts: DealFacts, owners: Owners, people: People, n_activities: np.ndarray
) -> pa.Table:
    outcome = np.where(d.final_stage == WON, 1, np.where(d.final_stage == LOST, 2, 0))
    merged = d.merged_into >= 0
    closed = facts.owner_at_close >= 0
    n_visits = np.bincount(d.v_deal, minlength=d.n)
    return make_table(
        "truth_deals",
        {
            "deal_id": int_strings(d.ids),
            "pipeline_id": choose(_PIPELINE_IDS, d.pipeline),
            "company_id": int_strings(COMPANY_ID_BASE + d.company),
            "primary_contact_id": int_strings(people.ids[: d.n]),
            "created_at": ts_array(d.created),
            "amount": facts.amount_now,
            "amount_at_creation": d.amount0,
            "currency": choose(CURRENCIES, d.currency),
            "owner_id": int_strings(owners.ids[facts.owner_now]),
            "owner_at_close_id": int_strings(
                owners.ids[np.maximum(facts.owner_at_close, 0)], mask=~closed
            ),
            "source_channel": choose(CHANNELS, people.channel[: d.n]),
            "final_stage": choose(CANONICAL_STAGES, d.final_stage),
            "outcome": choose(("open", "won", "lost"), outcome),
            "closed_at": ts_array(d.closed_at),
            "is_deleted": d.deleted,
            "merged_into_deal_id": int_strings(d.ids[np.maximum(d.merged_into, 0)], mask=~merged),
            "is_malformed": facts.malformed_field > 0,
            "malformed_field": choose(
                MALFORMED_FIELDS, facts.malformed_field, mask=facts.malformed_field == 0
            ),
            "n_stage_changes": (n_visits - 1).astype(np.int32),
            "n_regressions": d.n_regressions.astype(np.int32),
            "n_skips": d.n_skips.astype(np.int32),
            "n_close_date_pushes": facts.n_close_date_pushes,
            "n_activities": n_activities,
        },
    )


def truth_stage_visits_table(d: DealChunk) -> pa.Table:
    first = np.ones(d.v_deal.size, dtype=bool)
    first[1:] = d.v_deal[1:] != d.v_deal[:-1]
    starts = np.flatnonzero(first)
    visit_number = (
        np.arange(d.v_deal.size) - np.repeat(starts, np.diff(np.r_[starts, d.v_deal.size])) + 1
    )
    return make_table(
        "truth_stage_visits",
        {
            "deal_id": int_strings(d.ids[d.v_deal]),
            "visit_number": visit_number.astype(np.int32),
            "pipeline_id": choose(_PIPELINE_IDS, d.pipeline[d.v_deal]),
            "stage_id": pa.array(_STAGE_IDS[d.pipeline[d.v_deal], d.v_stage], pa.string()),
            "canonical_stage": choose(CANONICAL_STAGES, d.v_stage),
            "entered_at": ts_array(d.v_entered),
            "exited_at": ts_array(d.v_exited),
        },
    )


def truth_contacts_table(people: People) -> pa.Table:
    p = people
    merged = p.merged_into >= 0
    return make_table(
        "truth_contacts",
        {
            "contact_id": int_strings(p.ids),
            "original_channel": choose(CHANNELS, p.channel),
            "lead_at": ts_array(p.stages[0]),
            "mql_at": ts_array(p.stages[1]),
            "sql_at": ts_array(p.stages[2]),
            "opportunity_at": ts_array(p.stages[3]),
            "customer_at": ts_array(p.stages[4]),
            "merged_into_contact_id": int_strings(
                p.ids[np.maximum(p.merged_into, 0)], mask=~merged
            ),
            "is_deleted": p.archived,
        },
    )


def win_probabilities_table() -> pa.Table:
    pipeline, stage, prob = [], [], []
    for p in PIPELINES:
        for s, value in enumerate(win_probabilities(p)):
            pipeline.append(p.id)
            stage.append(CANONICAL_STAGES[s])
            prob.append(value)
    return make_table(
        "truth_stage_win_probabilities",
        {
            "pipeline_id": pa.array(pipeline, pa.string()),
            "canonical_stage": pa.array(stage, pa.string()),
            "win_probability": pa.array(prob, pa.float64()),
        },
    )
