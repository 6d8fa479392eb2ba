"""The uniqueness tests find a duplicate: dbt's own `unique`, and the project's
`unique_combination_of_columns`, which on DuckDB groups hashes first
(macros/generic_tests/unique_combination_of_columns.sql). The main job's tests never fail
on clean data, so this shows they can.

On a copy of the session's warehouse one row of deal_state_history is repeated, as a
follow-up of the session's run; `dbt test` on that model must fail its two uniqueness
tests, one duplicate each, and pass the rest."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace

import duckdb
import pytest
from background_runs import follow_up, follow_up_result
from dbt_commands import run_dbt

TABLE = "marts.deal_state_history"
UNIQUE_KEY = "unique_deal_state_history_deal_state_key"
UNIQUE_COMBINATION = "unique_combination_of_columns_deal_state_history_deal_key__state_number"


@follow_up("duplicated_deal_state", runs=0.25)
def _test_a_duplicated_state(pipeline_run) -> tuple[subprocess.CompletedProcess, str, dict]:
    """The repeated state's key, and each test's status, failures and compiled SQL."""
    folder = pipeline_run.settings.home.parent / "duplicated_deal_state"
    folder.mkdir()
    warehouse = folder / "warehouse.duckdb"
    shutil.copy(pipeline_run.settings.warehouse_path, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        (key,) = con.execute(f"select min(deal_state_key) from {TABLE}").fetchone()
        con.execute(f"insert into {TABLE} select * from {TABLE} where deal_state_key = ?", [key])
    settings = replace(pipeline_run.settings, warehouse=warehouse)
    target = folder / "target"
    selection = "deal_state_history,test_type:data"
    done = run_dbt(settings, pipeline_run.as_of, target, "test", "--select", selection)
    results = json.loads((target / "run_results.json").read_text())["results"]
    tests = {
        r["unique_id"].split(".")[2]: (r["status"], r["failures"], r["compiled_code"])
        for r in results
        if r["unique_id"].startswith("test.")
    }
    return done, key, tests


@pytest.fixture(scope="module")
def duplicated_deal_state(pipeline_run) -> tuple[subprocess.CompletedProcess, str, dict]:
    return follow_up_result("duplicated_deal_state", pipeline_run)


def test_both_uniqueness_tests_find_the_one_duplicate(duplicated_deal_state):
    done, key, tests = duplicated_deal_state
    assert done.returncode != 0
    assert key.startswith("hubspot:")
    assert tests[UNIQUE_KEY][:2] == ("fail", 1)
    assert tests[UNIQUE_COMBINATION][:2] == ("fail", 1)


def test_the_combination_test_ran_its_duckdb_form(duplicated_deal_state):
    _, _, tests = duplicated_deal_state
    assert "repeated_hashes" in tests[UNIQUE_COMBINATION][2]
    assert "repeated_hashes" not in tests[UNIQUE_KEY][2]


def test_the_other_tests_of_the_model_pass(duplicated_deal_state):
    _, _, tests = duplicated_deal_state
    others = {name: status for name, (status, _, _) in tests.items()}
    del others[UNIQUE_KEY], others[UNIQUE_COMBINATION]
    assert len(others) >= 5
    assert set(others.values()) == {"pass"}
