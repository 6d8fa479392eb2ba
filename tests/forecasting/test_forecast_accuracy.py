"""Backtests: the Monte Carlo ranges hold the actual outcome about as often as they claim."""

from __future__ import annotations


def test_p10_p90_ranges_cover_the_actuals_pooled_over_the_backtests(forecast_run):
    """Over every backtest's pipeline x team cells, the next month's actual revenue lies
    within the P10-P90 range in between 65% and 95% of the cells (80% if exact)."""
    rows = forecast_run.query(
        "select sum(team_cells), sum(cells_within_p10_p90), count(distinct as_of_date) "
        "from marts.forecast_accuracy where method = 'monte_carlo'"
    )
    cells, within, backtests = rows[0]
    assert backtests == 12
    assert cells >= 60
    assert 0.65 <= within / cells <= 0.95, (within, cells)


def test_every_method_is_scored_and_a_best_method_named_per_pipeline(forecast_run):
    rows = forecast_run.query(
        "select pipeline_id, method, count(*), min(backtest_wape), min(best_method), "
        "sum(actual_amount_reporting) from marts.forecast_accuracy group by 1, 2 order by 1, 2"
    )
    methods = {method for _, method, *_ in rows}
    assert methods == {"weighted", "historical", "time_aware", "commit", "best_case", "monte_carlo"}
    for pipeline in {p for p, *_ in rows}:
        mine = [r for r in rows if r[0] == pipeline]
        assert all(count == 12 and actual > 0 for _, _, count, _, _, actual in mine)
        best = min(mine, key=lambda r: (r[3], r[1]))
        assert {r[4] for r in mine} == {best[1]}
