"""Win probabilities against the simulator's truth, and the curves against lifelines."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import AalenJohansenFitter, KaplanMeierFitter

MIN_RESOLVED = 200


def test_historical_win_rates_lie_within_three_standard_errors_of_the_truth(forecast_run):
    """Every historical estimate (the run's as-of date and each backtest's) learned from at
    least 200 resolved deals is within 3 binomial standard errors of the generating
    chain's exact win probability of its pipeline and stage."""
    truth = forecast_run.truth("truth_stage_win_probabilities").to_pandas()
    estimates = forecast_run.arrow(
        "select as_of_date, pipeline_id, canonical_stage, resolved_deals, win_rate "
        "from intermediate.int_stage_historical_win_rates"
    ).to_pandas()
    compared = estimates[estimates.resolved_deals >= MIN_RESOLVED].merge(
        truth, on=["pipeline_id", "canonical_stage"], validate="many_to_one"
    )
    p = compared.win_probability
    compared["z"] = (compared.win_rate - p) / np.sqrt(p * (1 - p) / compared.resolved_deals)
    current = compared[compared.as_of_date == compared.as_of_date.max()]
    assert len(current) == len(truth), "every pipeline and stage resolves 200 deals by the end"
    assert len(compared) >= 100
    outside = compared[compared.z.abs() > 3]
    assert outside.empty, outside.to_string()


def test_deal_win_probabilities_carry_the_historical_rate_of_their_stage(forecast_run):
    rows = forecast_run.query(
        "select count(*) from marts.deal_win_probabilities as d "
        "inner join intermediate.int_stage_historical_win_rates as h "
        "on d.as_of_date = h.as_of_date and d.pipeline_id = h.pipeline_id "
        "and d.canonical_stage = h.canonical_stage "
        "where d.historical_probability_source = 'history' "
        "and d.historical_win_probability <> h.win_rate"
    )
    assert rows == [(0,)]
    (open_now,) = forecast_run.query(
        "select count(*) from marts.deal_win_probabilities "
        "where is_current and historical_probability_source = 'history'"
    )[0]
    assert open_now > 1000


@pytest.fixture(scope="module")
def landmark_clocks(forecast_run, curves_model) -> pd.DataFrame:
    """The stage clocks the run's as-of date learns from, as the curve model reads them."""
    clocks = forecast_run.arrow(
        "select * from intermediate.int_forecast_close_clocks where start_point <> 'created'"
    ).to_pandas()
    as_of_at = pd.Timestamp(forecast_run.as_of) + pd.Timedelta(days=1)
    return curves_model.clocks_known_at(clocks, as_of_at, landmark_months=12)


def test_aalen_johansen_matches_lifelines(landmark_clocks, curves_model):
    """The model's estimator equals lifelines' Aalen-Johansen cumulative incidences and
    Kaplan-Meier survival on the warehouse's own clocks (won, lost, censored)."""
    checked = 0
    for _, group in landmark_clocks.groupby(["pipeline_id", "start_point"]):
        durations, outcomes = group.duration.to_numpy(), group.outcome.to_numpy()
        times, won, lost = curves_model.aalen_johansen(durations, outcomes)
        for outcome, ours in ((curves_model.WON, won), (curves_model.LOST, lost)):
            fitter = AalenJohansenFitter(calculate_variance=False, seed=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitter.fit(durations, outcomes, event_of_interest=outcome)
            theirs = fitter.cumulative_density_.iloc[:, 0]
            at = np.searchsorted(times, theirs.index.to_numpy(), side="right") - 1
            expected = np.where(at >= 0, ours[np.maximum(at, 0)], 0.0)
            np.testing.assert_allclose(theirs.to_numpy(), expected, atol=1e-6)
        km = KaplanMeierFitter().fit(durations, outcomes != curves_model.CENSORED)
        at = np.searchsorted(times, km.survival_function_.index.to_numpy(), side="right") - 1
        survival = np.where(at >= 0, (1.0 - won - lost)[np.maximum(at, 0)], 1.0)
        np.testing.assert_allclose(km.survival_function_.iloc[:, 0], survival, atol=1e-9)
        checked += 1
    assert checked == 10


def test_time_aware_probabilities_are_calibrated_in_the_late_backtests(forecast_run):
    """Summed over the open deals of the last six backtests, the time-aware chances of
    winning next month are within 15% of the number of deals actually won then."""
    expected, won = forecast_run.query(
        "with next_months as (select * from intermediate.int_forecast_periods "
        "where not is_current and period_number = 1), "
        "recent as (select as_of_date from next_months order by as_of_date desc limit 6) "
        "select sum(p.win_probability), "
        "count(case when o.is_won and o.closed_at < m.ends_at then 1 end) "
        "from intermediate.int_deal_period_win_probabilities as p "
        "inner join next_months as m on p.as_of_date = m.as_of_date "
        "inner join recent on p.as_of_date = recent.as_of_date "
        "inner join intermediate.int_forecast_deal_outcomes as o "
        "on p.as_of_date = o.as_of_date and p.deal_key = o.deal_key "
        "where p.period_number = 1"
    )[0]
    assert won > 500
    assert 0.85 <= expected / won <= 1.15, (expected, won)
