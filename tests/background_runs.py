"""Runs the suite does beside its own work: worlds in processes of their own, and follow-ups
of the session's run.

Each `funnelhouse run` takes minutes, and most of it is single-threaded (dbt's Jinja,
Dagster's bookkeeping), so the tests that need no run can use the other core meanwhile.
Once collection shows which tests need one of these worlds (the session's own included),
its run starts as a child process, those tests are put last, and the fixture that needs
a world only waits for it. Each child parses the dbt project into a target folder of its
own (DBT_TARGET_PATH), so no two processes ever write the same manifest.

Follow-ups are work that needs the session's finished run but must not touch its home (a
second run, a kill, a forget): each works on a copy of that home, in a thread that starts
the moment the session's run ends and mostly waits on `funnelhouse` child processes, while
the tests reading the session's warehouse go on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Lines of a failed run's progress log quoted in the failure.
LOG_TAIL_LINES = 40
TESTS = Path(__file__).parent
WAREHOUSE_FROM_FILES = TESTS / "warehouse_from_files.py"


@dataclass
class BackgroundRun:
    """`funnelhouse run` on a world of `deals` and `seed` as a child process, in a home of
    its own, with `env` added; `prepare(home)` lays out its inputs and returns the extra
    arguments that point at them. With `select`, no run: the world's files are landed raw
    and dbt builds only those models (warehouse_from_files.py)."""

    name: str
    deals: int
    seed: int
    env: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[Path], list[str]] | None = None
    extra_args: list[str] = field(default_factory=list)
    select: str | None = None
    home: Path | None = None
    process: subprocess.Popen | None = None

    @property
    def cli_args(self) -> list[str]:
        assert self.home is not None
        return [
            "run",
            "--home",
            str(self.home),
            "--deals",
            str(self.deals),
            "--seed",
            str(self.seed),
            *self.extra_args,
        ]

    @property
    def command(self) -> list[str]:
        if self.select is None:
            return [sys.executable, "-m", "orchestration.cli", *self.cli_args]
        # -P: the script's folder (tests/) must not come first on the path, where its
        # tests/ingestion/ would hide the project's ingestion package (see _child_env).
        script = [sys.executable, "-P", str(WAREHOUSE_FROM_FILES)]
        return [*script, *self.cli_args[1:], "--select", self.select]

    def _child_env(self) -> dict[str, str]:
        env = {**own_dbt_target(self.home), **self.env}
        if self.select is not None:  # the path pytest's `pythonpath` gives the tests
            env["PYTHONPATH"] = os.pathsep.join(map(str, (TESTS.parent, TESTS)))
        return env

    def start(self) -> None:
        if self.process is not None:
            return
        # The home sits in a folder of its own, so copies made beside it (PipelineRun.copy)
        # are this session's alone and go when it goes.
        self.home = Path(tempfile.mkdtemp(prefix=f"funnelhouse-{self.name}-")) / "home"
        self.home.mkdir()
        if self.prepare is not None:
            self.extra_args = self.prepare(self.home)
        self.process = subprocess.Popen(
            self.command,
            stdout=(self.home / "summary.txt").open("w"),
            stderr=(self.home / "progress.log").open("w"),
            env=self._child_env(),
        )

    def wait(self) -> str:
        """The run's summary, once it has finished; fails with its log's end if it failed."""
        self.start()
        code = self.process.wait()
        summary = (self.home / "summary.txt").read_text()
        if code != 0:
            log = (self.home / "progress.log").read_text().splitlines()[-LOG_TAIL_LINES:]
            raise AssertionError(
                f"{self.name}: `{' '.join(self.command)}` exited {code}\n"
                + summary
                + "\n".join(log)
            )
        return summary

    def stop(self) -> None:
        """Kill the run if still going (an interrupted session) and remove its home."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.home is not None:
            shutil.rmtree(self.home.parent, ignore_errors=True)


FollowUp = Callable[[Any], Any]  # the session's PipelineRun -> what the tests check
FOLLOW_UPS: dict[str, FollowUp] = {}
# Each follow-up's rough cost in `funnelhouse` runs of the session's world: the costliest
# start first, so the suite never ends waiting on a long one that started last.
FOLLOW_UP_RUNS: dict[str, float] = {}
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="follow-up")
_started: dict[str, Future] = {}
_starting = threading.Lock()


def follow_up(fixture_name: str, runs: float = 1) -> Callable[[FollowUp], FollowUp]:
    """Register work on the session's run, started as soon as that run ends when a
    selected test uses ``fixture_name``; the fixture gets its result. The fixture must
    carry that name: by it the work starts early and the tests waiting for it run last
    (a fixture of another name waits for work started only when it asks, while tests
    that could run meanwhile queue behind it). ``runs``: what the work costs in
    `funnelhouse` runs (see FOLLOW_UP_RUNS); a few dbt builds of some models cost a
    fraction of one."""

    def register(work: FollowUp) -> FollowUp:
        FOLLOW_UPS[fixture_name] = work
        FOLLOW_UP_RUNS[fixture_name] = runs
        return work

    return register


def start_follow_ups(session_run: Any, fixture_names: set[str]) -> None:
    with _starting:
        for name in sorted(fixture_names & FOLLOW_UPS.keys(), key=_costliest_first):
            if name not in _started:
                _started[name] = _pool.submit(FOLLOW_UPS[name], session_run)


def start_follow_ups_when_done(finished: Callable[[], Any], fixture_names: set[str]) -> None:
    """Start the follow-ups the moment the session's run ends (``finished`` waits for it
    and returns it), in a thread of their own, rather than when the first test reading
    that run comes up: the tests before it need no run, and the follow-ups' runs are the
    suite's longest path. A failed run starts nothing: its fixture reports the failure."""

    def start() -> None:
        try:
            session_run = finished()
        except AssertionError:
            return
        start_follow_ups(session_run, fixture_names)

    threading.Thread(target=start, name="follow-up-starter", daemon=True).start()


def _costliest_first(name: str) -> tuple[float, str]:
    return -FOLLOW_UP_RUNS[name], name


def follow_up_result(fixture_name: str, session_run: Any) -> Any:
    """The follow-up's result, once done (re-raising its failure)."""
    start_follow_ups(session_run, {fixture_name})
    return _started[fixture_name].result()


def stop_follow_ups() -> None:
    """Drop follow-ups not started yet (an interrupted session); running ones end on
    their own, each bounded by its children's timeouts."""
    _pool.shutdown(wait=False, cancel_futures=True)


def own_dbt_target(home: Path) -> dict[str, str]:
    """The environment for a child `funnelhouse` on ``home`` that parses dbt into a target
    folder of its own, so it never writes a manifest another process reads."""
    return {**os.environ, "DBT_TARGET_PATH": str(home / "dbt_target")}


def run_funnelhouse(args: list[str], home: Path, timeout: float = 900) -> tuple[int, str]:
    """`funnelhouse <args>` on ``home`` as a child process: its exit code and summary."""
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        capture_output=True,
        text=True,
        env=own_dbt_target(home),
        timeout=timeout,
    )
    summary = done.stdout
    if done.returncode != 0:  # what went wrong is at the end of the progress log
        summary += "\n".join(done.stderr.splitlines()[-LOG_TAIL_LINES:])
    return done.returncode, summary
