"""The target marts against the simulator's sales plan and its true bookings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ground_truth import month_start, naive_utc

from ingestion.simulator.targets import TARGETS_FILE, targets_export_dir


@pytest.fixture(scope="module")
def plan(pipeline_run) -> pd.DataFrame:
    """The targets export the simulator wrote for its world (what the demo landed)."""
    path = targets_export_dir(pipeline_run.world_dir) / TARGETS_FILE
    return pd.read_csv(path, dtype={"pipeline": str, "team": str, "owner": str})


@pytest.fixture(scope="module")
def monthly_attainment(pipeline_run) -> pd.DataFrame:
    frame = pipeline_run.arrow(
        "select period, pipeline_id, target_level, coalesce(team_name, '') as team_name, "
        "coalesce(split_part(owner_key, ':', 3), '') as owner_id, target_amount_reporting, "
        "won_deals_to_date, won_amount_to_date_reporting, attainment, target_source "
        "from marts.target_attainment where period_type = 'fiscal_month'"
    ).to_pandas()
    return frame


def true_bookings(pipeline_run, metric_deals: pd.DataFrame) -> pd.DataFrame:
    """Won deals with their USD amount at the close date's rate, close month and the owner
    at close's id and team: the truth the marts' crediting must reproduce."""
    rates = pipeline_run.truth("fx_rates").to_pandas().set_index(["date", "currency"])
    owners = pipeline_run.truth("owners").to_pandas().set_index("id")
    won = metric_deals[metric_deals.outcome == "won"].copy()
    close_dates = naive_utc(won.closed_at).dt.date
    won["usd"] = won.amount * [
        rates.usd_per_unit[(day, currency)]
        for day, currency in zip(close_dates, won.currency, strict=True)
    ]
    won["period"] = month_start(won.closed_at).map(lambda day: day.strftime("%Y-%m"))
    won["team"] = owners.team_name.reindex(won.owner_at_close_id).to_numpy()
    return won


def test_attainment_is_the_plan_against_the_true_bookings_of_the_owner_at_close(
    pipeline_run, plan, monthly_attainment, metric_deals
):
    """Every month of the plan is in the mart with its target, and its bookings to date are
    the simulator's won deals of that month and pipeline, credited to the owner at close
    (a team's target: to owners of that team), each at its close date's rate."""
    owners = pipeline_run.truth("owners").to_pandas()
    owner_ids = dict(zip(owners.email, owners.id, strict=True))
    expected = plan.assign(
        target_level=np.where(plan.owner.isna(), "team", "owner"),
        owner_id=plan.owner.map(owner_ids).fillna(""),
        team_name=plan.team.fillna(""),
    )
    won = true_bookings(pipeline_run, metric_deals)
    by_owner = won.groupby(["period", "pipeline_id", "owner_at_close_id"]).usd.agg(["sum", "size"])
    by_team = won.groupby(["period", "pipeline_id", "team"]).usd.agg(["sum", "size"])
    booked = [
        by_owner.reindex([(r.period, r.pipeline, r.owner_id)]).iloc[0]
        if r.target_level == "owner"
        else by_team.reindex([(r.period, r.pipeline, r.team_name)]).iloc[0]
        for r in expected.itertuples()
    ]
    expected["won"] = [b["sum"] if b["size"] == b["size"] else 0.0 for b in booked]
    expected["deals"] = [int(b["size"]) if b["size"] == b["size"] else 0 for b in booked]

    keys = ["period", "pipeline_id", "target_level", "team_name", "owner_id"]
    mart = monthly_attainment[monthly_attainment.target_source == "export"].copy()
    # An owner's team comes from the CRM; the plan names only the owner.
    mart.loc[mart.target_level == "owner", "team_name"] = ""
    expected = expected.rename(columns={"pipeline": "pipeline_id"})
    expected.loc[expected.target_level == "owner", "team_name"] = ""
    merged = expected.merge(mart, on=keys, how="outer", validate="one_to_one", indicator=True)
    assert (merged._merge == "both").all(), merged[merged._merge != "both"].head().to_string()
    assert len(merged) == len(plan) > 1000
    assert np.allclose(merged.target_amount_reporting, merged.bookings_target)
    assert (merged.won_deals_to_date == merged.deals).all()
    assert np.allclose(merged.won_amount_to_date_reporting, merged.won, atol=0.01)
    planned = merged.bookings_target > 0
    assert np.allclose(merged.attainment[planned], (merged.won / merged.bookings_target)[planned])
    assert merged.attainment[~planned].isna().all()
    # The plan is met overall within its stretch: bookings are 70-110% of the targets.
    past = merged[merged.period <= str(pipeline_run.as_of)[:7]]
    assert 0.7 <= past.won.sum() / past.bookings_target.sum() <= 1.1


def test_quarters_sum_their_months_and_project_with_the_quarters_own_draws(pipeline_run):
    """A quarter summed from its months has their target and bookings; a quarter still to
    come is projected from quantiles of summed draws, which differ from summed quantiles."""
    quarters = pipeline_run.query(
        """select count(*), count(*) filter (where abs(q.target_amount_reporting - m.target) > 1e-6
                or abs(q.won_amount_to_date_reporting - m.won) > 1e-6)
        from marts.target_attainment as q
        inner join (
            select pipeline_id, target_level, team_name, owner_key, fiscal_year, fiscal_quarter,
                sum(target_amount_reporting) as target, sum(won_amount_to_date_reporting) as won
            from marts.target_attainment where period_type = 'fiscal_month'
            group by all
        ) as m using (pipeline_id, target_level, team_name, owner_key, fiscal_year, fiscal_quarter)
        where q.target_source = 'sum of months'"""
    )
    assert quarters[0][0] > 100 and quarters[0][1] == 0
    (future, summed_p10, quarter_p10) = pipeline_run.query(
        """select count(*), sum(m.p10), sum(q.forecast_p10_amount_reporting)
        from marts.target_attainment as q
        inner join (
            select target_level, pipeline_id, team_name, owner_key, fiscal_year, fiscal_quarter,
                sum(forecast_p10_amount_reporting) as p10
            from marts.target_attainment where period_type = 'fiscal_month'
            group by all
        ) as m using (pipeline_id, target_level, team_name, owner_key, fiscal_year, fiscal_quarter)
        where q.period_type = 'fiscal_quarter' and q.period_status = 'future'"""
    )[0]
    assert future > 10
    assert quarter_p10 > summed_p10


def test_coverage_and_generation_reconcile(pipeline_run):
    """Coverage is open pipeline over the target left; channels add up to the created total."""
    bad_coverage = pipeline_run.query(
        """select count(*) from marts.pipeline_coverage
        where remaining_target_reporting > 0
            and abs(coverage - open_pipeline_due_reporting / remaining_target_reporting) > 1e-9"""
    )[0][0]
    assert bad_coverage == 0
    rows, bad_totals = pipeline_run.query(
        """select count(*), count(*) filter (where abs(total - created) > 1e-6
                or abs(attained - contributions) > 1e-9)
        from (
            select target_key, max(created_total_amount_reporting) as total,
                sum(created_amount_reporting) as created,
                max(pipeline_target_attainment) as attained,
                sum(contribution_to_target) as contributions
            from marts.pipeline_generation group by target_key
        )"""
    )[0]
    assert rows > 1000 and bad_totals == 0
