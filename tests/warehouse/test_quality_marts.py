"""The data-quality scorecard counts the simulated world's hygiene problems exactly."""

from __future__ import annotations

import pandas as pd
import pytest
from ground_truth import naive_utc, reopens_per_deal

DUPLICATE_WINDOW = pd.Timedelta(days=14)


@pytest.fixture(scope="module")
def scorecard(pipeline_run) -> pd.DataFrame:
    return pipeline_run.arrow("select * from marts.data_quality_scorecard").to_pandas()


@pytest.fixture(scope="module")
def open_truth(pipeline_run, metric_deals) -> pd.DataFrame:
    """The world's open deals, keyed like the marts."""
    portal = pipeline_run.query("select any_value(source_instance) from marts.deals")[0][0]
    deals = metric_deals[metric_deals.outcome == "open"].copy()
    deals["owner_key"] = "hubspot:" + portal + ":" + deals.owner_id
    deals["created_at"] = naive_utc(deals.created_at)
    reopens = reopens_per_deal(pipeline_run.truth("truth_stage_visits").to_pandas())
    reopens = reopens.reindex(deals.deal_id, fill_value=0).to_numpy()
    deals["has_regressed"] = (deals.n_regressions + reopens) > 0
    return deals


def _suspected_duplicates(deals: pd.DataFrame) -> set[str]:
    """Open deals with another open deal of the same company and pipeline created within
    the window, by brute force over each company's deals."""
    flagged = set()
    for _, group in deals.groupby(["company_id", "pipeline_id"]):
        rows = list(group.itertuples())
        for this in rows:
            if any(
                other.deal_id != this.deal_id
                and abs(other.created_at - this.created_at) <= DUPLICATE_WINDOW
                for other in rows
            ):
                flagged.add(this.deal_id)
    return flagged


def test_overall_counts_match_the_world(scorecard, open_truth):
    overall = scorecard[scorecard.scope == "all"].iloc[0]
    assert overall.open_deals == len(open_truth)
    assert overall.regressed == open_truth.has_regressed.sum() > 0
    duplicates = _suspected_duplicates(open_truth)
    assert overall.suspected_duplicates == len(duplicates) > 0
    assert overall.missing_owner == open_truth.owner_id.isna().sum()
    assert overall.missing_amount == open_truth.amount.isna().sum()


def test_owner_rows_match_the_world_and_roll_up(scorecard, open_truth):
    # An owner selling in both pipelines has a row in each.
    owners = scorecard[scorecard.scope == "owner"].groupby("owner_key").sum(numeric_only=True)
    truth = open_truth.groupby("owner_key").agg(
        open_deals=("deal_id", "size"), regressed=("has_regressed", "sum")
    )
    assert owners.open_deals.sort_index().to_dict() == truth.open_deals.sort_index().to_dict()
    assert owners.regressed.sort_index().to_dict() == truth.regressed.sort_index().to_dict()
    counts = ["open_deals", "missing_amount", "past_close_date", "stale", "idle", "regressed"]
    for finer, coarser in (("owner", "team"), ("team", "pipeline"), ("pipeline", "all")):
        assert (
            scorecard[scorecard.scope == finer][counts].sum()
            == scorecard[scorecard.scope == coarser][counts].sum()
        ).all(), (finer, coarser)


def test_follow_up_reasons_are_counted_once_per_deal(pipeline_run, scorecard):
    stale, past, idle = pipeline_run.query(
        """select count(*) filter (where is_stale), count(*) filter (where is_past_close_date),
        count(*) filter (where is_idle) from marts.deals_needing_follow_up"""
    )[0]
    overall = scorecard[scorecard.scope == "all"].iloc[0]
    assert (overall.stale, overall.past_close_date, overall.idle) == (stale, past, idle)
    assert overall.deals_with_issues >= max(stale, past, idle)
    assert overall.hygiene_score == pytest.approx(
        1 - overall.deals_with_issues / overall.open_deals
    )
