"""Ground-truth frames shared by the warehouse tests."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def truth_deals(pipeline_run) -> pd.DataFrame:
    return pipeline_run.truth("truth_deals").to_pandas()


@pytest.fixture(scope="module")
def listed_deals(truth_deals) -> pd.DataFrame:
    """Deals the CRM still lists: merge losers are gone from its API."""
    return truth_deals[truth_deals.merged_into_deal_id.isna()]


@pytest.fixture(scope="module")
def metric_deals(listed_deals) -> pd.DataFrame:
    """The deals metrics count: listed, well-formed (not quarantined) and not deleted."""
    return listed_deals[~listed_deals.is_malformed & ~listed_deals.is_deleted]


@pytest.fixture(scope="module")
def truth_visits(pipeline_run, metric_deals) -> pd.DataFrame:
    visits = pipeline_run.truth("truth_stage_visits").to_pandas()
    visits = visits[visits.deal_id.isin(set(metric_deals.deal_id))]
    return visits.sort_values(["deal_id", "visit_number"]).reset_index(drop=True)
