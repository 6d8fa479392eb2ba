"""The Monte Carlo simulations build incrementally by as-of date: a date is drawn again only
when the fingerprint of its inputs changed, and a date that left the forecast is deleted.

On a copy of the session's warehouse four as-of dates are tampered with before the model
is built again as of the same day: one date's results are altered, its fingerprint kept
and its deal periods' probabilities moved by their last bit (it must be left alone,
altered: proof that it was not drawn again, and that such noise is no change), one
date's fingerprint is made stale (it must be drawn again, equal to the session's rows),
one date's deal period gets another probability (its fingerprint must change, and the
date be drawn again), and a date long out of the forecast is added (it must be gone). A
second build with nothing changed since must leave every row as the first left it."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date

import duckdb
import pytest
from background_runs import follow_up, follow_up_result
from dbt_commands import run_dbt

TABLE = "intermediate.int_forecast_simulations"
PERIODS = "intermediate.int_deal_period_win_probabilities"
FINGERPRINTS = "intermediate.int_deal_period_fingerprints"
ALTERED_P50 = -1.0
GONE = date(2000, 1, 31)
NAMES = ("altered", "stale", "changed")  # what is done to the first three dates


def _rows(con: duckdb.DuckDBPyConnection, as_of_date: date) -> list[tuple]:
    """The date's rows, each ending with its P50 and its fingerprint."""
    return con.execute(
        f"select * exclude (p50_amount, input_fingerprint), p50_amount, input_fingerprint "
        f"from {TABLE} where as_of_date = ? order by all",
        [as_of_date],
    ).fetchall()


def _hashes(con: duckdb.DuckDBPyConnection) -> dict[date, str]:
    """Each as-of date's hash of its deal periods, as the simulations compare them."""
    return dict(con.execute(f"select as_of_date, rows_hash from {FINGERPRINTS}").fetchall())


def _dates(con: duckdb.DuckDBPyConnection) -> list[date]:
    sql = f"select distinct as_of_date from {TABLE} order by 1"
    return [day for (day,) in con.execute(sql).fetchall()]


@follow_up("simulation_fingerprints", runs=0.2)
def _rebuild_after_tampering(pipeline_run) -> dict:
    folder = pipeline_run.settings.home.parent / "simulation_fingerprints"
    folder.mkdir()
    warehouse = folder / "warehouse.duckdb"
    shutil.copy(pipeline_run.settings.warehouse_path, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        dates = _dates(con)
        altered, stale, changed = dates[0], dates[1], dates[2]
        before = {name: _rows(con, day) for name, day in zip(NAMES, dates, strict=False)}
        hashes_before = _hashes(con)
        con.execute(
            f"update {TABLE} set p50_amount = ? where as_of_date = ?", [ALTERED_P50, altered]
        )
        con.execute(
            f"update {PERIODS} set win_probability = nextafter(win_probability, 2) "
            "where as_of_date = ?",
            [altered],
        )
        con.execute(f"update {TABLE} set input_fingerprint = 'stale' where as_of_date = ?", [stale])
        con.execute(
            f"update {PERIODS} set win_probability = win_probability / 2 where as_of_date = ? "
            f"and deal_key = (select min(deal_key) from {PERIODS} where as_of_date = ?)",
            [changed, changed],
        )
        hashes_tampered = _hashes(con)
        con.execute(
            f"insert into {TABLE} select * replace (cast(? as date) as as_of_date) from {TABLE} "
            "where as_of_date = ?",
            [GONE, stale],
        )
    settings = replace(pipeline_run.settings, warehouse=warehouse)
    builds, target = [], folder / "target"  # one target: the second build parses partially
    for _ in range(2):
        done = run_dbt(settings, pipeline_run.as_of, target, "run", "-s", TABLE.split(".")[1])
        assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
        with duckdb.connect(str(warehouse), read_only=True) as con:
            builds.append(con.execute(f"select * from {TABLE} order by all").fetchall())
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            "builds": builds,
            "dates": dates,
            "before": before,
            "hashes": {"before": hashes_before, "tampered": hashes_tampered},
            **{name: _rows(con, day) for name, day in zip(NAMES, dates, strict=False)},
            "dates_after": _dates(con),
        }


@pytest.fixture(scope="module")
def simulation_fingerprints(pipeline_run) -> dict:
    return follow_up_result("simulation_fingerprints", pipeline_run)


def test_the_session_simulated_a_backtest_and_the_current_date(
    simulation_fingerprints, pipeline_run
):
    assert len(simulation_fingerprints["dates"]) >= 3
    assert simulation_fingerprints["dates"][-1] == pipeline_run.as_of
    assert all(
        len({row[-1] for row in rows}) == 1 for rows in simulation_fingerprints["before"].values()
    )


def test_a_date_whose_inputs_did_not_change_is_not_drawn_again(simulation_fingerprints):
    assert {row[-2] for row in simulation_fingerprints["altered"]} == {ALTERED_P50}
    without_p50 = [row[:-2] + row[-1:] for row in simulation_fingerprints["altered"]]
    assert without_p50 == [
        row[:-2] + row[-1:] for row in simulation_fingerprints["before"]["altered"]
    ]


def test_a_date_whose_fingerprint_changed_is_drawn_again_as_before(simulation_fingerprints):
    assert simulation_fingerprints["stale"] == simulation_fingerprints["before"]["stale"]


def test_a_date_out_of_the_forecast_is_deleted(simulation_fingerprints):
    assert GONE not in simulation_fingerprints["dates_after"]
    assert simulation_fingerprints["dates_after"] == simulation_fingerprints["dates"]


def test_the_last_bits_of_a_probability_are_no_change(simulation_fingerprints):
    altered = simulation_fingerprints["dates"][0]
    assert (
        simulation_fingerprints["hashes"]["tampered"][altered]
        == simulation_fingerprints["hashes"]["before"][altered]
    )


def test_another_probability_is_a_change_and_is_drawn_again(simulation_fingerprints):
    changed = simulation_fingerprints["dates"][2]
    assert (
        simulation_fingerprints["hashes"]["tampered"][changed]
        != simulation_fingerprints["hashes"]["before"][changed]
    )
    fingerprints = {row[-1] for row in simulation_fingerprints["changed"]}
    assert len(fingerprints) == 1
    assert fingerprints != {row[-1] for row in simulation_fingerprints["before"]["changed"]}
    unchanged = {day for day in simulation_fingerprints["dates"] if day != changed}
    assert {day: simulation_fingerprints["hashes"]["tampered"][day] for day in unchanged} == {
        day: simulation_fingerprints["hashes"]["before"][day] for day in unchanged
    }


def test_a_build_with_nothing_changed_changes_nothing(simulation_fingerprints):
    first, again = simulation_fingerprints["builds"]
    assert again == first
    assert len(first) > 0
