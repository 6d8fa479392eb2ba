"""The Monte Carlo simulations build incrementally by as-of date: a date is drawn again only
when the fingerprint of its inputs changed, and a date that left the forecast is deleted.

On a copy of the session's warehouse three as-of dates are tampered with before the model
is built again as of the same day: one date's results are altered but its fingerprint kept
(it must be left alone, altered: proof that it was not drawn again), one date's
fingerprint is made stale (it must be drawn again, equal to the session's rows), and a
date long out of the forecast is added (it must be gone). A second build with nothing
changed since must leave every row as the first left it."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date

import duckdb
import pandas as pd
import pytest
from background_runs import follow_up, follow_up_result
from dbt_commands import run_dbt

TABLE = "intermediate.int_forecast_simulations"
ALTERED_P50 = -1.0
GONE = date(2000, 1, 31)


def _rows(con: duckdb.DuckDBPyConnection, as_of_date: date) -> list[tuple]:
    """The date's rows, each ending with its P50 and its fingerprint."""
    return con.execute(
        f"select * exclude (p50_amount, input_fingerprint), p50_amount, input_fingerprint "
        f"from {TABLE} where as_of_date = ? order by all",
        [as_of_date],
    ).fetchall()


def _dates(con: duckdb.DuckDBPyConnection) -> list[date]:
    sql = f"select distinct as_of_date from {TABLE} order by 1"
    return [day for (day,) in con.execute(sql).fetchall()]


@follow_up("simulation_fingerprints")
def _rebuild_after_tampering(pipeline_run) -> dict:
    folder = pipeline_run.settings.home.parent / "simulation_fingerprints"
    folder.mkdir()
    warehouse = folder / "warehouse.duckdb"
    shutil.copy(pipeline_run.settings.warehouse_path, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        dates = _dates(con)
        altered, stale = dates[0], dates[1]
        before = {"altered": _rows(con, altered), "stale": _rows(con, stale)}
        con.execute(
            f"update {TABLE} set p50_amount = ? where as_of_date = ?", [ALTERED_P50, altered]
        )
        con.execute(f"update {TABLE} set input_fingerprint = 'stale' where as_of_date = ?", [stale])
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
            "altered": _rows(con, altered),
            "stale": _rows(con, stale),
            "dates_after": _dates(con),
        }


@pytest.fixture(scope="module")
def rebuilt(pipeline_run) -> dict:
    return follow_up_result("simulation_fingerprints", pipeline_run)


def test_the_session_simulated_a_backtest_and_the_current_date(rebuilt, pipeline_run):
    assert len(rebuilt["dates"]) >= 3
    assert rebuilt["dates"][-1] == pipeline_run.as_of
    assert all(len({row[-1] for row in rows}) == 1 for rows in rebuilt["before"].values())


def test_a_date_whose_inputs_did_not_change_is_not_drawn_again(rebuilt):
    assert {row[-2] for row in rebuilt["altered"]} == {ALTERED_P50}
    without_p50 = [row[:-2] + row[-1:] for row in rebuilt["altered"]]
    assert without_p50 == [row[:-2] + row[-1:] for row in rebuilt["before"]["altered"]]


def test_a_date_whose_fingerprint_changed_is_drawn_again_as_before(rebuilt):
    assert rebuilt["stale"] == rebuilt["before"]["stale"]


def test_a_date_out_of_the_forecast_is_deleted(rebuilt):
    assert GONE not in rebuilt["dates_after"]
    assert rebuilt["dates_after"] == rebuilt["dates"]


def test_the_fingerprint_sees_the_rows_not_how_they_were_read(simulations_model):
    fingerprint = simulations_model.input_fingerprint
    read = pd.DataFrame(
        {
            "as_of_date": [date(2025, 6, 30)] * 3,
            "deal_key": ["hubspot:1:7", "hubspot:1:8", "hubspot:1:9"],
            "period_number": pd.array([1, 2, 1], dtype="int32"),
            "win_probability": [0.25, 0.5, 0.125],
        }
    )
    read_otherwise = read.iloc[[2, 0, 1]].astype(
        {"as_of_date": "datetime64[ms]", "deal_key": "category", "period_number": "int64"}
    )
    assert fingerprint(read_otherwise, 1000, 42) == fingerprint(read, 1000, 42)
    noise = read.assign(win_probability=read.win_probability + 1e-13)
    assert fingerprint(noise, 1000, 42) == fingerprint(read, 1000, 42)
    changed = read.assign(win_probability=[0.25, 0.5, 0.126])
    assert fingerprint(changed, 1000, 42) != fingerprint(read, 1000, 42)
    assert fingerprint(read.iloc[:2], 1000, 42) != fingerprint(read, 1000, 42)
    assert fingerprint(read, 2000, 42) != fingerprint(read, 1000, 42)
    assert fingerprint(read, 1000, 43) != fingerprint(read, 1000, 42)


def test_a_build_with_nothing_changed_changes_nothing(rebuilt):
    first, again = rebuilt["builds"]
    assert again == first
    assert len(first) > 0
