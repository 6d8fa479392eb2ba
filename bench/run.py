"""Benchmark the pipeline's phases on simulated worlds of several sizes.

Each phase runs in its own process, so its wall time and peak memory (max RSS, from
wait4) are its own. Figures go to a JSON file; bench/README.md shows this machine's.

    .venv/bin/python bench/run.py --sizes 10000 100000 1000000 --out bench/results.json
    .venv/bin/python bench/run.py --demo   # the default `funnelhouse run`, end to end

At every size the raw load lands the simulator's files straight into raw tables; HTTP
extraction is benchmarked separately with the connectors.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
# The sales-activity models, rebuilt on their own after the full build (with their tests).
ACTIVITY_MODELS = "int_activities deal_activity_timeline deal_engagement rep_activity"
# The deal tables, with everything they are built from (with their tests): what Fivetran's
# dbt_hubspot package builds for deals (deals, their stage visits and their history).
DEAL_TABLES = "+deals +deal_stage_visits +deal_state_history"
# As the main job builds: dbt's unit tests test the SQL, not the data, and run in the suite.
BUILD = ["build", "--quiet", "--exclude-resource-type", "unit_test"]


def measure(command: list[str], env: dict[str, str] | None = None) -> dict:
    """Run ``command``; return its wall seconds and peak RSS in MiB, failing loudly, with
    the machine's load when it started (the machine is shared: a loaded one runs slower)."""
    load = os.getloadavg()[0]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark phase failed: {' '.join(command)}")
    return {
        "wall_seconds": round(wall, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "load_at_start": round(load, 1),
    }


def write_figures(
    out: Path,
    results: list[dict],
    key: tuple[str, ...] = ("deals",),
    section: str | None = None,
    **context,
) -> None:
    """Write ``results`` to ``out`` (under ``section`` when a script writes several kinds),
    keeping earlier figures whose ``key`` (by default the size) was not measured this
    time, so one size is re-measured without the others."""
    measured_at = datetime.now(UTC).isoformat(timespec="seconds")

    def identity(result: dict) -> tuple:
        return tuple(result.get(field) for field in key)

    report = json.loads(out.read_text()) if out.exists() else {}
    previous = (report.get(section) or {}) if section else report
    measured = {identity(result) for result in results}
    kept = [r for r in previous.get("results", []) if identity(r) not in measured]
    figures = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        **context,
        "results": kept + [{**result, "measured_at": measured_at} for result in results],
    }
    if section:
        report[section] = figures
    else:
        report.update(figures)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"figures written to {out}")


def dbt_command(args: list[str], settings, as_of, target: Path) -> list[str]:
    """`dbt <args>` on the project with ``settings``' vars as of ``as_of``, its artifacts
    and logs in ``target``."""
    return [
        str(BIN / "dbt"),
        *args,
        "--project-dir",
        str(ROOT / "dbt_project"),
        "--profiles-dir",
        str(ROOT / "dbt_project"),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
        "--vars",
        json.dumps(settings.dbt_vars(as_of)),
    ]


def load_phase(world: Path, warehouse: Path) -> None:
    """The raw load, as `funnelhouse run` does it (run in a child process by ``measure``)."""
    from ingestion.demo import land_demo_world
    from ingestion.settings import load_settings
    from ingestion.warehouse import connect

    settings = load_settings(warehouse=warehouse, home=warehouse.parent)
    with connect(settings) as con:
        land_demo_world(con, world, load_id="bench", loaded_at=datetime.now(UTC), progress=print)


def bench_size(
    deals: int, workdir: Path, activity_rate: float = 1.0, memory_limit: str | None = None
) -> list[dict]:
    """Generate a world of ``deals`` (``activity_rate`` x the usual sales activities), land
    it raw, build the dbt project, then rebuild the deal tables and the sales-activity
    models alone, dbt under DuckDB's ``memory_limit`` (the settings' by default)."""
    from ingestion.settings import load_settings

    world = workdir / "world"
    warehouse = workdir / "warehouse.duckdb"
    settings = load_settings(home=workdir, warehouse=warehouse, duckdb_memory_limit=memory_limit)
    phases = {
        "generate": [
            PYTHON,
            "-m",
            "ingestion.simulator",
            "--deals",
            str(deals),
            "--seed",
            "1",
            "--out",
            str(world),
            "--activity-rate",
            str(activity_rate),
        ],
        "load_raw": [
            PYTHON,
            __file__,
            "_load",
            "--world",
            str(world),
            "--warehouse",
            str(warehouse),
        ],
    }
    results = []
    for phase, command in phases.items():
        results.append({"deals": deals, "phase": phase, **measure(command)})
        print(results[-1], flush=True)
    from ingestion.simulator import load_manifest

    manifest = load_manifest(world)
    as_of = datetime.fromisoformat(manifest["end_date"]).date()
    activities = manifest["tables"]["engagements"]["rows"]
    for result in results:
        result["activities"] = activities
    dbt = dbt_command(BUILD, settings, as_of, workdir / "dbt_target")
    builds = {
        "dbt_build": dbt,
        "dbt_build_deal_tables": [*dbt, "--select", DEAL_TABLES],
        "dbt_build_activities": [*dbt, "--select", ACTIVITY_MODELS],
    }
    for phase, command in builds.items():
        results.append(
            {"deals": deals, "activities": activities, "phase": phase, **measure(command)}
        )
        print(results[-1], flush=True)
    for result in results:
        if result["phase"].startswith("dbt_"):
            result["duckdb_memory_limit"] = settings.duckdb_memory_limit
    return results


def bench_demo(workdir: Path) -> list[dict]:
    """The README's main command on a fresh home: world generation included."""
    command = [str(BIN / "funnelhouse"), "run", "--home", str(workdir)]
    first = {"deals": 5000, "phase": "demo_run_fresh", **measure(command)}
    again = {"deals": 5000, "phase": "demo_run_again", **measure(command)}
    return [first, again]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    load = commands.add_parser("_load")
    load.add_argument("--world", type=Path, required=True)
    load.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--demo", action="store_true", help="also time the default demo run")
    parser.add_argument(
        "--activity-rate", type=float, default=1.0, help="x the usual activities per deal"
    )
    parser.add_argument(
        "--duckdb-memory-limit", help="DuckDB's memory limit for dbt (default: the settings')"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()
    if args.command == "_load":
        load_phase(args.world, args.warehouse)
        return

    results = []
    if args.demo:
        with tempfile.TemporaryDirectory(prefix="fh-bench-demo-") as workdir:
            results += bench_demo(Path(workdir))
    for deals in args.sizes:
        workdir = Path(tempfile.mkdtemp(prefix=f"fh-bench-{deals}-"))
        try:
            results += bench_size(deals, workdir, args.activity_rate, args.duckdb_memory_limit)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    write_figures(args.out, results, key=("deals", "phase", "duckdb_memory_limit"))


if __name__ == "__main__":
    main()
