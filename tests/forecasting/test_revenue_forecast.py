"""Revenue forecasts: Monte Carlo against the analytic expectation, seeds, and bad input."""

from __future__ import annotations

import shutil
from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd
import pytest
from dbt_commands import run_dbt

CELL = ["period_number", "aggregation_level", "pipeline_id", "team_name", "owner_key"]
LEVEL_KEYS = {
    "owner": ["pipeline_id", "team_name", "owner_key"],
    "team": ["pipeline_id", "team_name"],
    "pipeline": ["pipeline_id"],
    "total": [],
}


@pytest.fixture(scope="module")
def deal_periods(forecast_run) -> pd.DataFrame:
    """The run's own as-of date's time-aware chances, one row per open deal and month."""
    return forecast_run.arrow(
        "select * from intermediate.int_deal_period_win_probabilities "
        f"where as_of_date = '{forecast_run.as_of}'"
    ).to_pandas()


def current_forecast(run, methods: tuple[str, ...]) -> pd.DataFrame:
    listed = ", ".join(f"'{m}'" for m in methods)
    return run.arrow(
        f"select * from marts.revenue_forecast where is_current and method in ({listed})"
    ).to_pandas()


def draw_variance(deal_periods: pd.DataFrame) -> pd.DataFrame:
    """Variance of one draw's revenue per cell: each deal is won in a month or not."""
    p, amount = deal_periods.win_probability, deal_periods.amount_reporting
    deals = deal_periods.assign(variance=p * (1 - p) * amount**2)
    frames = []
    for level, keys in LEVEL_KEYS.items():
        summed = deals.groupby(["period_number", *keys]).variance.sum().reset_index()
        frames.append(summed.assign(aggregation_level=level))
    return pd.concat(frames).reindex(columns=[*CELL, "variance"])


def test_monte_carlo_mean_matches_the_analytic_expectation(forecast_run, deal_periods):
    """At every grain and month, the mean of the draws is within its standard error
    (sd of one draw / sqrt(draws)) of sum(probability x amount), which SQL computes
    independently as the time_aware method: about 68% of cells within 1 SE, none beyond 4,
    and the pipeline and total cells within 3."""
    forecasts = current_forecast(forecast_run, ("monte_carlo", "time_aware"))
    wide = forecasts.pivot_table(
        index=CELL, columns="method", values="forecast_amount_reporting", dropna=False
    )
    wide = wide.dropna(how="all").fillna(0.0).reset_index()
    cells = wide.merge(draw_variance(deal_periods), on=CELL, how="left", validate="one_to_one")
    simulations = forecasts.simulations.dropna().unique()
    assert list(simulations) == [1000]
    cells = cells[cells.variance > 0]
    z = (cells.monte_carlo - cells.time_aware) / np.sqrt(cells.variance / simulations[0])
    assert len(cells) > 1000
    assert 0.6 <= (z.abs() <= 1).mean() <= 0.76, (z.abs() <= 1).mean()
    assert z.abs().max() < 4
    top = cells.aggregation_level.isin(["pipeline", "total"]).to_numpy()
    assert (z[top].abs() < 3).all(), cells[top].assign(z=z[top]).to_string()


def test_every_grain_sums_the_same_draws(forecast_run):
    """Means add up across grains exactly (to rounding), as they do only when each grain's
    draw is the sum of its owner cells' draws; quantiles do not add up."""
    mc = current_forecast(forecast_run, ("monte_carlo",))
    for level, parent in (("owner", "team"), ("team", "pipeline"), ("pipeline", "total")):
        keys = ["period_number", *LEVEL_KEYS[parent]]
        child_sum = mc[mc.aggregation_level == level].groupby(keys).forecast_amount_reporting.sum()
        parents = mc[mc.aggregation_level == parent].set_index(keys).forecast_amount_reporting
        pd.testing.assert_series_equal(
            child_sum.sort_index(), parents.sort_index(), check_names=False, rtol=1e-9
        )
    totals = mc[mc.aggregation_level == "total"].set_index("period_number")
    pipelines = mc[mc.aggregation_level == "pipeline"].groupby("period_number")
    assert (pipelines.p10_amount_reporting.sum() < totals.p10_amount_reporting).all()


def test_the_same_seed_gives_the_same_draws(forecast_run, deal_periods, simulations_model):
    """The warehouse's draws are reproduced exactly from the same seed, whatever the chunk
    size; another seed gives other draws."""
    stored = forecast_run.arrow(
        "select * from intermediate.int_forecast_simulations "
        f"where as_of_date = '{forecast_run.as_of}'"
    ).to_pandas()
    again = simulations_model.simulate_forecasts(deal_periods, 1000, 42)
    order = ["period_type", "period_number", "aggregation_level", "pipeline_id", "team_name"]
    order.append("owner_key")

    def arranged(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.sort_values(order, na_position="first").reset_index(drop=True)
        return frame[stored.columns.drop(["as_of_date", "input_fingerprint"])].astype(
            {"deals": "int64"}
        )

    pd.testing.assert_frame_equal(arranged(again), arranged(stored), check_exact=True)

    simulations_model.CHUNK_ELEMENTS = 50_000
    try:
        small_chunks = simulations_model.simulate_forecasts(deal_periods, 1000, 42)
    finally:
        simulations_model.CHUNK_ELEMENTS = 2_000_000
    pd.testing.assert_frame_equal(arranged(small_chunks), arranged(stored), check_exact=True)

    other = arranged(simulations_model.simulate_forecasts(deal_periods, 1000, 43))
    total = other.aggregation_level == "total"
    assert not np.allclose(other.p50_amount[total], arranged(stored).p50_amount[total])


def test_new_deals_are_a_separate_line_at_pipeline_and_total_grain(forecast_run):
    rows = forecast_run.query(
        "select aggregation_level, count(*), min(forecast_amount_reporting) "
        "from marts.revenue_forecast where is_current and method = 'new_deals' "
        "group by 1 order by 1"
    )
    assert [(level, count) for level, count, _ in rows] == [("pipeline", 6), ("total", 3)]
    assert all(smallest > 0 for _, _, smallest in rows)


# --- bad input -------------------------------------------------------------------------

TOTALS = (
    "select method, deals, forecast_amount_reporting as amount from marts.revenue_forecast "
    "where is_current and aggregation_level = 'total' and period_number = 1 "
    "and method in ('weighted', 'time_aware')"
)
BROKEN = {
    "no amount": "amount = null",
    "no close date": "close_date = null",
    # The state keeps the canonical stage it was built with (never null in the table);
    # the stage mapping no longer knows its stage id.
    "unmapped stage": "stage_id = 'not-in-the-mapping'",
}


@pytest.fixture(scope="module")
def broken_run(forecast_run, tmp_path_factory):
    """A copy of the warehouse in which three open deals lose their amount, their close
    date and their stage's mapping, with the forecasts rebuilt on it by dbt. The three
    changed state last in the as-of month, so no earlier as-of date (and no curve learned
    from one) sees the damage: only the run's own forecast may change."""
    folder = tmp_path_factory.mktemp("broken")
    warehouse = folder / "warehouse.duckdb"
    shutil.copy(forecast_run.settings.warehouse_path, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        victims = [
            key
            for (key,) in con.execute(
                "select d.deal_key from marts.deal_win_probabilities as d "
                "inner join marts.deal_state_history as s on d.deal_key = s.deal_key "
                "where d.is_current and d.win_probability_this_period > 0 "
                "and d.close_date >= d.this_period_start_date "
                "and d.close_date < d.this_period_start_date + interval 1 month "
                "and s.is_current and s.valid_from >= date_trunc('month', d.as_of_date) "
                "order by d.deal_key limit 3"
            ).fetchall()
        ]
        for key, change in zip(victims, BROKEN.values(), strict=True):
            con.execute(
                f"update marts.deal_state_history set {change} where deal_key = ? and is_current",
                [key],
            )
    settings = replace(forecast_run.settings, warehouse=warehouse, duckdb_temp_directory=folder)
    completed = run_dbt(
        settings, forecast_run.as_of, folder / "target", "run", "-s", "int_forecast_open_deals+"
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    return warehouse, dict(zip(victims, BROKEN, strict=True))


def test_bad_input_is_listed_with_its_reason_and_left_out_of_every_sum(forecast_run, broken_run):
    warehouse, reasons = broken_run
    assert len(reasons) == 3
    keys = list(reasons)
    query = (
        "select deal_key, exclusion_reason, is_excluded_from_forecast, crm_probability, "
        "win_probability_this_period from marts.deal_win_probabilities "
        "where is_current and deal_key in (?, ?, ?) order by deal_key"
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        listed = con.execute(query, keys).fetchall()
        broken_totals = con.execute(TOTALS).df().set_index("method")
    assert [(key, reason) for key, reason, *_ in listed] == [
        (key, f"{reasons[key]};") for key in keys
    ]
    assert all(excluded and crm is None and p is None for _, _, excluded, crm, p in listed)

    # Each sum lost exactly what the three deals had contributed before they broke.
    before = forecast_run.arrow(
        "select deal_key, crm_probability * amount_reporting as weighted, "
        "win_probability_this_period * amount_reporting as time_aware "
        f"from marts.deal_win_probabilities where is_current and deal_key in {tuple(keys)}"
    ).to_pandas()
    totals = forecast_run.arrow(TOTALS).to_pandas().set_index("method")
    for method in ("weighted", "time_aware"):
        lost = totals.loc[method, "amount"] - broken_totals.loc[method, "amount"]
        assert lost == pytest.approx(before[method].sum(), rel=1e-9)
        assert totals.loc[method, "deals"] - broken_totals.loc[method, "deals"] == 3
