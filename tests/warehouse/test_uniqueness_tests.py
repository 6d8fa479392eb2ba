"""The data tests of an incremental table read only what they have not passed on, and
still find what is wrong in it (macros/tests_on_new_rows.sql).

On a copy of the session's warehouse, deal_state_history (incremental, each row stamped
with the start of the run that wrote it) gets a copy of one of its states stamped as a
later run's (a new row whose keys an old row holds), and, behind dbt's back, an old state
loses its canonical stage. `dbt test` on the model, in turn:

1. fails both uniqueness tests, one duplicate each: a new key is checked against every row
   (dbt's own `unique`, and the project's `unique_combination_of_columns`, which on DuckDB
   groups hashes first, macros/generic_tests/unique_combination_of_columns.sql); the old
   state is not read again, so its null passes;
2. fails them again: a failed test reads from its last pass, not from the failed run;
3. with the not_null test's pass forgotten (as the bookkeeping forgets a changed test):
   finds the null too, reading every row;
4. with both repaired: passes every test, and records the passes."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from background_runs import follow_up, follow_up_result
from dbt_commands import run_dbt

TABLE = "marts.deal_state_history"
UNIQUE_KEY = "unique_deal_state_history_deal_state_key"
UNIQUE_COMBINATION = "unique_combination_of_columns_deal_state_history_deal_key__state_number"
NOT_NULL_STAGE = "not_null_deal_state_history_canonical_stage"
PASSES = "dbt_bookkeeping.passed_data_tests"
TESTED = "deal_state_history,test_type:data"


def _test_results(target: Path) -> dict[str, tuple]:
    """Each data test's status, failures and compiled SQL."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[2]: (r["status"], r["failures"], r["compiled_code"])
        for r in results
        if r["unique_id"].startswith("test.")
    }


@follow_up("tested_deal_states", runs=0.5)
def _test_deal_states_four_times(pipeline_run) -> dict:
    """The duplicated and nulled states' keys, each `dbt test`'s return code and results,
    and the passes recorded before and after."""
    folder = pipeline_run.settings.home.parent / "tested_deal_states"
    folder.mkdir()
    warehouse = folder / "warehouse.duckdb"
    shutil.copy(pipeline_run.settings.warehouse_path, warehouse)
    settings = replace(pipeline_run.settings, warehouse=warehouse)

    def passes() -> dict[str, object]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(f"select unique_id, passed_through from {PASSES}").fetchall()
        return {unique_id.split(".")[2]: passed for unique_id, passed in rows}

    def dbt_test(step: str) -> tuple[int, dict]:
        target = folder / step
        done = run_dbt(settings, pipeline_run.as_of, target, "test", "--select", TESTED)
        return done.returncode, _test_results(target)

    found = {"passes_before": passes()}
    later_run = datetime.now(UTC).replace(tzinfo=None)  # `_built_at` is UTC, as dbt's clock
    with duckdb.connect(str(warehouse)) as con:
        duplicated, nulled, stage = con.execute(
            f"select min(deal_state_key), max(deal_state_key), "
            f"arg_max(canonical_stage, deal_state_key) from {TABLE}"
        ).fetchone()
        con.execute(
            f"insert into {TABLE} select * replace (? as _built_at) "
            f"from {TABLE} where deal_state_key = ?",
            [later_run, duplicated],
        )
        con.execute(f"update {TABLE} set canonical_stage = null where deal_state_key = ?", [nulled])
    found["duplicated"], found["nulled"] = duplicated, nulled
    found["first"] = dbt_test("first")
    found["again"] = dbt_test("again")
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"delete from {PASSES} where unique_id like ?", [f"%.{NOT_NULL_STAGE}.%"])
    found["forgotten"] = dbt_test("forgotten")
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"delete from {TABLE} where _built_at = ?", [later_run])
        con.execute(
            f"update {TABLE} set canonical_stage = ? where deal_state_key = ?", [stage, nulled]
        )
    found["repaired"] = dbt_test("repaired")
    found["passes_after"] = passes()
    return found


@pytest.fixture(scope="module")
def tested_deal_states(pipeline_run) -> dict:
    return follow_up_result("tested_deal_states", pipeline_run)


def test_the_session_run_recorded_every_test_of_the_model_as_passed(tested_deal_states):
    passed = tested_deal_states["passes_before"]
    assert {UNIQUE_KEY, UNIQUE_COMBINATION, NOT_NULL_STAGE} <= passed.keys()


def test_a_new_row_holding_an_old_key_fails_both_uniqueness_tests(tested_deal_states):
    returncode, tests = tested_deal_states["first"]
    assert returncode != 0
    assert tested_deal_states["duplicated"].startswith("hubspot:")
    assert tests[UNIQUE_KEY][:2] == ("fail", 1)
    assert tests[UNIQUE_COMBINATION][:2] == ("fail", 1)
    assert "repeated_hashes" in tests[UNIQUE_COMBINATION][2]
    assert "repeated_hashes" not in tests[UNIQUE_KEY][2]


def test_rows_that_passed_are_not_read_again(tested_deal_states):
    _, tests = tested_deal_states["first"]
    assert tests[NOT_NULL_STAGE][:2] == ("pass", 0)
    for name in (UNIQUE_KEY, UNIQUE_COMBINATION, NOT_NULL_STAGE):
        assert "_built_at > cast(" in tests[name][2], name


def test_a_failed_test_fails_again_until_repaired(tested_deal_states):
    returncode, tests = tested_deal_states["again"]
    assert returncode != 0
    assert tests[UNIQUE_KEY][:2] == ("fail", 1)
    assert tests[UNIQUE_COMBINATION][:2] == ("fail", 1)


def test_a_test_without_a_recorded_pass_reads_every_row(tested_deal_states):
    _, tests = tested_deal_states["forgotten"]
    assert tests[NOT_NULL_STAGE][:2] == ("fail", 1)
    assert "_built_at" not in tests[NOT_NULL_STAGE][2]


def test_repaired_rows_pass_every_test_and_move_the_passes_on(tested_deal_states):
    returncode, tests = tested_deal_states["repaired"]
    assert returncode == 0
    assert len(tests) >= 7
    assert {status for status, _, _ in tests.values()} == {"pass"}
    before, after = tested_deal_states["passes_before"], tested_deal_states["passes_after"]
    assert all(after[name] > before[name] for name in tests)
