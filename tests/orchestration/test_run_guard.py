"""A run a killed process abandoned is closed by the next run, and two runs never share a
home: the second is refused with a message naming the first."""

from __future__ import annotations

import os

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun

from orchestration.run_guard import RUN_GUARD_TAG, RunInProgressError, guarded_run

POOL = "duckdb_warehouse"


@pytest.fixture
def instance(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        yield instance


def _started_run(instance: dg.DagsterInstance, tags: dict[str, str]) -> str:
    run = instance.add_run(
        DagsterRun(job_name="main", status=dg.DagsterRunStatus.STARTED, tags=tags)
    )
    instance.event_log_storage.set_concurrency_slots(POOL, 1)
    claim = instance.event_log_storage.claim_concurrency_slot(POOL, run.run_id, "dbt")
    assert claim.is_claimed
    return run.run_id


def test_the_next_run_closes_a_run_whose_process_died_and_frees_its_slot(instance, tmp_path):
    abandoned = _started_run(instance, {RUN_GUARD_TAG: "1"})
    with guarded_run(instance, tmp_path) as tags:
        assert tags == {RUN_GUARD_TAG: "1"}
        assert instance.get_run_by_id(abandoned).status == dg.DagsterRunStatus.FAILURE
        assert instance.event_log_storage.get_concurrency_info(POOL).active_slot_count == 0


def test_runs_the_ui_launched_are_left_to_dagster(instance, tmp_path):
    theirs = _started_run(instance, {})
    with guarded_run(instance, tmp_path):
        assert instance.get_run_by_id(theirs).status == dg.DagsterRunStatus.STARTED
        assert instance.event_log_storage.get_concurrency_info(POOL).active_slot_count == 1


def test_a_second_run_on_the_same_home_is_refused_naming_the_first(instance, tmp_path):
    refused = pytest.raises(RunInProgressError, match=f"process {os.getpid()}.*wait for it")
    with guarded_run(instance, tmp_path), refused, guarded_run(instance, tmp_path):
        pass
    with guarded_run(instance, tmp_path):  # released once the first finished
        pass
