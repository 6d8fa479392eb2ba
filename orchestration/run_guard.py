"""One in-process job run per Funnelhouse home at a time, no run left waiting on one
that a killed process abandoned, and none building while a forget is unfinished.

A run's steps take the warehouse pool's single slot in the Dagster instance. A process
killed mid-run (SIGKILL, out of memory, a reboot) never gives that slot back, and its run
stays STARTED: every later run would wait for the slot forever, silently. So each run
holds an OS lock on a file in the instance folder for as long as it runs. Whoever takes
that lock knows that no run it tagged is still alive, marks those left STARTED as failed
and frees their slots. The kernel drops the lock when its process dies, however it dies.

Nor does a run build on a warehouse whose forget has not finished (ingestion.pending_forgets),
however it is started: `funnelhouse run` refuses before it starts, the daily schedule skips
its tick, and the dbt step of a run launched from the UI fails with the same reason. Only
the forget's own rebuild, tagged FINISHING_FORGET_TAG, builds then.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from ingestion.pending_forgets import ForgetPendingError, refuse_while_forget_pending
from ingestion.settings import Settings
from ingestion.warehouse import WarehouseError, WarehouseLockedError, connect

LOGGER = logging.getLogger("funnelhouse")

# Runs started through `execute_main_job` carry this tag; runs the UI launches do not
# (their run monitoring is Dagster's daemon's business).
RUN_GUARD_TAG = "funnelhouse/run_guard"
FINISHING_FORGET_TAG = "funnelhouse/finishing_forget"
UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


class RunInProgressError(WarehouseError):
    """Another Funnelhouse process is running a job on the same home (and warehouse)."""


@contextlib.contextmanager
def guarded_run(instance: dg.DagsterInstance, dagster_home: Path) -> Iterator[dict[str, str]]:
    """Hold the home's run lock; yields the tags the run must carry."""
    lock_path = dagster_home / "run.lock"
    with lock_path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise RunInProgressError(
                f"another Funnelhouse run (process {holder}) is using {dagster_home.parent}; "
                "wait for it to finish, or stop that process and run again"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        close_abandoned_runs(instance)
        try:
            yield {RUN_GUARD_TAG: "1"}
        finally:
            lock.truncate(0)


def close_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed, and free the pool slots of, the tagged runs still unfinished: called
    with the lock held, so their processes are gone. Returns their run ids."""
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=UNFINISHED, tags={RUN_GUARD_TAG: "1"}))
    for run in runs:
        instance.report_run_failed(
            run,
            message="The process running it ended before the run finished (killed or "
            "crashed); marked failed when the next run started.",
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        LOGGER.info(
            "job: run %s was left unfinished by a process that ended (killed or crashed): "
            "marked failed, its warehouse slot freed",
            run.run_id[:8],
        )
    return [run.run_id for run in runs]


def unfinished_forget(settings: Settings) -> str | None:
    """Why no run may build on the warehouse now: a forget has not finished. None when
    none is pending, and when the warehouse is absent or another process writes it (a run
    then meets that lock itself, as any run does)."""
    if not settings.warehouse_path.exists():
        return None
    try:
        with connect(settings, read_only=True) as con:
            refuse_while_forget_pending(con)
    except ForgetPendingError as exc:
        return str(exc)
    except WarehouseLockedError:
        pass
    return None
