"""The instance's event log (dagster.yaml): Dagster's SQLite files, opened once per file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log import SqliteEventLogStorage
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ingestion.settings import PROJECT_ROOT
from orchestration.event_log_storage import OPEN_DATABASES, PooledSqliteEventLogStorage


@dg.op
def extract() -> int:
    return 3


@dg.op
def transform(rows: int) -> int:
    return rows * 2


@dg.job
def small_job() -> None:
    transform(extract())


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").symlink_to(PROJECT_ROOT / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        yield instance


def test_a_run_opens_its_event_log_once_and_stays_readable_by_dagsters_own_class(instance):
    opened: list[str] = []

    def record(dbapi_connection, _record) -> None:
        # The main database's file: the run's own log, the index, or the run storage.
        opened.append(dbapi_connection.execute("pragma database_list").fetchone()[2])

    event.listen(Engine, "connect", record)
    try:
        result = small_job.execute_in_process(instance=instance)
    finally:
        event.remove(Engine, "connect", record)

    storage = instance.event_log_storage
    assert isinstance(storage, PooledSqliteEventLogStorage)
    events_dir = Path(instance.root_directory) / "history" / "runs"
    assert Path(storage._base_dir) == events_dir
    logs = instance.all_logs(result.run_id)
    assert len(logs) > 15
    opens = Counter(Path(path).name for path in opened if Path(path).parent == events_dir)
    # Dagster's own class opens a connection per event stored (seventeen here, thousands in
    # the main job); this one opens each file once, twice while it creates the tables.
    assert f"{result.run_id}.db" in opens
    assert set(opens) <= {f"{result.run_id}.db", "index.db"}
    assert max(opens.values()) <= 2

    plain = SqliteEventLogStorage(str(events_dir))
    assert [entry.message for entry in plain.get_logs_for_run(result.run_id)] == [
        entry.message for entry in logs
    ]


def test_the_ui_browsing_many_runs_keeps_a_bounded_number_of_files_open(instance):
    run_ids = [small_job.execute_in_process(instance=instance).run_id for _ in range(10)]
    storage = instance.event_log_storage
    for run_id in run_ids:
        assert storage.get_logs_for_run(run_id)
    assert len(storage._engines) == OPEN_DATABASES
    storage.dispose()
    assert not storage._engines


def test_an_instance_opened_by_its_folder_reads_its_own_runs(instance, tmp_path, monkeypatch):
    """Not $DAGSTER_HOME's: a test or a script may open a home other than the current one."""
    run_id = small_job.execute_in_process(instance=instance).run_id
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(elsewhere))
    with dg.DagsterInstance.from_config(instance.root_directory) as reopened:
        assert [run.run_id for run in reopened.get_runs()] == [run_id]
        assert len(reopened.all_logs(run_id)) == len(instance.all_logs(run_id))
    assert not (elsewhere / "history").exists()
