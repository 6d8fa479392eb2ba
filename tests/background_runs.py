"""Worlds the suite runs end to end in processes of their own, beside the session's run.

Each `funnelhouse run` takes minutes, and most of it is single-threaded (dbt's Jinja,
Dagster's bookkeeping): the machine's second core sits idle while the session's own run
goes on. So once collection shows which tests need one of these worlds, its run starts
as a child process, and the fixture that needs it only waits for it. Each child parses
the dbt project into a target folder of its own (DBT_TARGET_PATH), so no two processes
ever write the same manifest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Lines of a failed run's progress log quoted in the failure.
LOG_TAIL_LINES = 40


@dataclass
class BackgroundRun:
    """`funnelhouse run` on a world of `deals` and `seed` as a child process, in a home of
    its own, with `env` added; `prepare(home)` lays out its inputs and returns the extra
    arguments that point at them."""

    name: str
    deals: int
    seed: int
    env: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[Path], list[str]] | None = None
    extra_args: list[str] = field(default_factory=list)
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

    def start(self) -> None:
        if self.process is not None:
            return
        self.home = Path(tempfile.mkdtemp(prefix=f"funnelhouse-{self.name}-"))
        if self.prepare is not None:
            self.extra_args = self.prepare(self.home)
        env = {**os.environ, **self.env, "DBT_TARGET_PATH": str(self.home / "dbt_target")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", *self.cli_args],
            stdout=(self.home / "summary.txt").open("w"),
            stderr=(self.home / "progress.log").open("w"),
            env=env,
        )

    def wait(self) -> str:
        """The run's summary, once it has finished; fails with its log's end if it failed."""
        self.start()
        code = self.process.wait()
        summary = (self.home / "summary.txt").read_text()
        if code != 0:
            log = (self.home / "progress.log").read_text().splitlines()[-LOG_TAIL_LINES:]
            raise AssertionError(
                f"{self.name}: `funnelhouse {' '.join(self.cli_args)}` exited {code}\n"
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
            shutil.rmtree(self.home, ignore_errors=True)
