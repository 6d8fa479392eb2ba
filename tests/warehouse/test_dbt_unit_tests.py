"""dbt's unit tests, which the main job leaves out (their inputs are fixed rows: they test
the project's SQL, not the data): every one of them runs here, once, and passes.

They need the relations they read to exist, for their column types, so they run on a
copy of the session's warehouse (dbt may create temporary tables there), as a follow-up
of the session's run, beside the tests reading it."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace

import pytest
from background_runs import follow_up, follow_up_result
from dbt_commands import run_dbt


@follow_up("dbt_unit_tests", runs=0.35)
def _run_the_unit_tests(pipeline_run) -> tuple[subprocess.CompletedProcess, dict, dict]:
    """`dbt test --select test_type:unit` on a copy of the session's warehouse, the unit
    tests the project defines, and each one's status in the run."""
    folder = pipeline_run.settings.home.parent / "unit_tests"
    folder.mkdir()
    warehouse = folder / "warehouse.duckdb"
    shutil.copy(pipeline_run.settings.warehouse_path, warehouse)
    settings = replace(pipeline_run.settings, warehouse=warehouse)
    target = folder / "target"
    done = run_dbt(settings, pipeline_run.as_of, target, "test", "--select", "test_type:unit")
    defined = json.loads((target / "manifest.json").read_text())["unit_tests"]
    results = json.loads((target / "run_results.json").read_text())["results"]
    # The project's on-run-start and on-run-end hooks are results too.
    statuses = {r["unique_id"]: r["status"] for r in results if r["unique_id"] in defined}
    return done, defined, statuses


@pytest.fixture(scope="module")
def dbt_unit_tests(pipeline_run) -> tuple[subprocess.CompletedProcess, dict, dict]:
    return follow_up_result("dbt_unit_tests", pipeline_run)


def test_every_dbt_unit_test_passes(dbt_unit_tests):
    done, defined, statuses = dbt_unit_tests
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    assert statuses == dict.fromkeys(defined, "pass")
    assert len(defined) > 30
