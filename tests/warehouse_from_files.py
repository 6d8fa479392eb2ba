"""A simulated world's warehouse without the main job: the world generated in a home, its
files landed raw as the demo's loader lands them, and dbt building only the models selected
(with everything they are built from; seeds and models, no tests).

For tests that need the marts of a world larger than the session's and nothing else of a
run (its HTTP sync, checks, report and Dagster bookkeeping cost more than its dbt build):
`BackgroundRun(..., select=...)` runs this file as its child process.

    python tests/warehouse_from_files.py --home H --deals N --seed S --select "+model"
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from dbt_commands import run_dbt

from ingestion.demo import ensure_demo_world, land_demo_world, resolve_as_of
from ingestion.settings import load_settings
from ingestion.warehouse import connect


def build(home: Path, deals: int, seed: int, select: str) -> int:
    """Generate, land and build; returns dbt's exit code (its output on stderr if it
    failed: the progress log, whose end the failing fixture quotes)."""
    settings = load_settings(home=home, demo_deals=deals, demo_seed=seed)

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    world = ensure_demo_world(settings, progress)
    with connect(settings) as con:
        land_demo_world(con, world, load_id="world", loaded_at=datetime.now(UTC), progress=progress)
    selection = ["--select", select, "--resource-type", "model", "--resource-type", "seed"]
    done = run_dbt(settings, resolve_as_of(settings), home / "dbt_target", "build", *selection)
    print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "")
    if done.returncode != 0:
        print(done.stdout + done.stderr, file=sys.stderr)
    return done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--deals", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--select", required=True)
    args = parser.parse_args()
    return build(args.home, args.deals, args.seed, args.select)


if __name__ == "__main__":
    sys.exit(main())
