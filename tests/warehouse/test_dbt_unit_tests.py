"""dbt's unit tests, which the main job leaves out (their inputs are fixed rows: they test
the project's SQL, not the data): every one of them runs here, once, and passes.

They need the relations they read to exist, for their column types, so they run on a
copy of the session's warehouse (dbt may create temporary tables there), as a follow-up
of the session's run, beside the tests reading it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace

import pytest
from background_runs import follow_up, follow_up_result
from dbt_commands import run_dbt


@follow_up("dbt_unit_tests")
def _run_the_unit_tests(pipeline_run) -> tuple[subprocess.CompletedProcess, dict]:
    """`dbt test --select test_type:unit` on a copy of the session's warehouse, and the
    unit tests the project defines."""
    folder = pipeline_run.settings.home.parent / "unit_tests"
    folder.mkdir()
    warehouse = folder / "warehouse.duckdb"
    shutil.copy(pipeline_run.settings.warehouse_path, warehouse)
    settings = replace(pipeline_run.settings, warehouse=warehouse)
    target = folder / "target"
    done = run_dbt(settings, pipeline_run.as_of, target, "test", "--select", "test_type:unit")
    defined = json.loads((target / "manifest.json").read_text())["unit_tests"]
    return done, defined


@pytest.fixture(scope="module")
def dbt_unit_tests(pipeline_run) -> tuple[subprocess.CompletedProcess, dict]:
    return follow_up_result("dbt_unit_tests", pipeline_run)


def test_every_dbt_unit_test_passes(dbt_unit_tests):
    done, defined = dbt_unit_tests
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    summary = re.search(r"PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)", done.stdout)
    assert summary is not None, done.stdout[-2000:]
    assert tuple(map(int, summary.groups())) == (len(defined), 0, 0, 0)
    assert len(defined) > 30
