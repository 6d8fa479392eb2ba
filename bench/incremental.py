"""Benchmark the daily run's incremental build against a full build.

Each world (a folder holding `world/` and a raw-loaded `warehouse.duckdb`, as bench/run.py
lays them out) is copied, never modified; then, each in a process of its own:

- `dbt_build_full`: `dbt build --full-refresh` as the main job builds (every model and
  data test, no unit tests; incremental models rebuilt whole) as of the world's end date;
- `land_day`: one more day of CRM changes (ingestion/simulator/next_day.py) written next to
  the world and landed by the raw loader, as a daily sync lands it;
- `dbt_build_incremental`: `dbt build` as of that day (a month's first: the worlds end on
  a year's last day);
- `land_second_day`, `dbt_build_second_day`: the same for the day after, an ordinary day.

Per build, dbt's own node timings (run_results.json) are summed by kind: the incremental
models (each listed too), the forecasting and attribution models (Python and SQL), the
other models and seeds, and the data tests; the slowest nodes are listed. With
two threads the sums exceed the wall time. Figures go to bench/incremental.json:

    .venv/bin/python bench/incremental.py --worlds W100K W1M --out bench/incremental.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

from run import BUILD, PYTHON, ROOT, dbt_command, measure, write_figures

# The forecasting and attribution models, reported apart: their speed is worked on apart.
FORECAST_AND_ATTRIBUTION = (
    "models/intermediate/forecasting/",
    "models/intermediate/attribution/",
    "models/marts/forecasting/",
    "models/marts/attribution/",
)
SLOWEST_NODES = 8
INCREMENTAL = "config.materialized:incremental"


def land_day_phase(world: Path, day_dir: Path, warehouse: Path) -> None:
    """Write the world's next day and land it (run in a child process by ``measure``)."""
    from ingestion.demo import land_demo_world
    from ingestion.settings import load_settings
    from ingestion.simulator.next_day import write_next_day
    from ingestion.warehouse import connect

    day = write_next_day(world, day_dir)
    print(
        f"{day.day}: {len(day.new_deal_ids)} new deals, {len(day.edited_deal_ids)} edited, "
        f"{len(day.deleted_deal_ids)} deleted, {len(day.merged_deal_ids)} merged, "
        f"{day.new_activities} new activities, {len(day.deleted_activity_ids)} deleted"
    )
    settings = load_settings(warehouse=warehouse, home=warehouse.parent)
    with connect(settings) as con:
        land_demo_world(con, day_dir, load_id="next-day", loaded_at=datetime.now(UTC))


def node_seconds(target: Path) -> dict:
    """dbt's execution seconds of one build, summed by kind, with the slowest nodes."""
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    results = json.loads((target / "run_results.json").read_text())["results"]
    sums = dict.fromkeys(
        ("incremental_models", "forecast_attribution", "other_nodes", "tests"), 0.0
    )
    incremental = {}
    for result in results:
        node = nodes.get(result["unique_id"], {})
        seconds = result["execution_time"]
        if result["unique_id"].startswith("test."):
            sums["tests"] += seconds
        elif node.get("config", {}).get("materialized") == "incremental":
            sums["incremental_models"] += seconds
            incremental[node["name"]] = round(seconds, 1)
        elif node.get("original_file_path", "").startswith(FORECAST_AND_ATTRIBUTION):
            sums["forecast_attribution"] += seconds
        else:
            sums["other_nodes"] += seconds
    slowest = sorted(results, key=lambda r: -r["execution_time"])[:SLOWEST_NODES]
    return {
        "node_seconds": {kind: round(total, 1) for kind, total in sums.items()},
        "incremental_model_seconds": incremental,
        "slowest_nodes": [
            [r["unique_id"].split(".")[-1], round(r["execution_time"], 1)] for r in slowest
        ],
    }


def bench(prepared: Path, workdir: Path, out: Path, prebuilt: bool) -> None:
    from ingestion.settings import load_settings
    from ingestion.simulator import load_manifest
    from ingestion.sources import ensure_every_raw_table
    from ingestion.warehouse import connect

    manifest = load_manifest(prepared / "world")
    deals = manifest["n_deals"]
    end = date.fromisoformat(manifest["end_date"])
    warehouse = workdir / "warehouse.duckdb"
    for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
        if (prepared / name).exists():
            shutil.copy(prepared / name, workdir / name)
    settings = load_settings(home=workdir, warehouse=warehouse)
    # As the main job does: a warehouse landed by an older version may lack a raw table.
    with connect(settings) as con:
        ensure_every_raw_table(con)
    day_dir = workdir / "next_day"
    land_day = [PYTHON, __file__, "_land_day", "--world", str(prepared / "world")]
    land_day += ["--day-dir", str(day_dir), "--warehouse", str(warehouse)]
    results = []

    def phase(name: str, command: list[str]) -> None:
        result = {"deals": deals, "phase": name, **measure(command)}
        if name.startswith("dbt_"):
            result.update(node_seconds(workdir / name))
        results.append(result)
        print(result, flush=True)
        # Written after every phase: a 1M run takes most of an hour on a shared machine.
        write_figures(out, results, key=("deals", "phase"))

    if prebuilt:
        # The copy was built whole by the project before these models were incremental:
        # only they and the views they read are rebuilt, in full, before the day lands.
        only = [INCREMENTAL, f"+{INCREMENTAL},config.materialized:view"]
        refresh = ["run", "--quiet", "--full-refresh", "--select", *only]
        phase(
            "dbt_run_incremental_models_full",
            dbt_command(refresh, settings, end, workdir / "dbt_run_incremental_models_full"),
        )
    else:
        full = [*BUILD, "--full-refresh"]
        phase("dbt_build_full", dbt_command(full, settings, end, workdir / "dbt_build_full"))
    phase("land_day", land_day)
    day = date.fromisoformat(json.loads((day_dir / "manifest.json").read_text())["end_date"])
    incremental = dbt_command(BUILD, settings, day, workdir / "dbt_build_incremental")
    phase("dbt_build_incremental", incremental)
    # The worlds end on a year's last day, so that day is a month's first, when what is
    # kept per month is built again for every deal; the day after it is an ordinary day.
    second_dir = workdir / "second_day"
    land_second = [PYTHON, __file__, "_land_day", "--world", str(day_dir)]
    land_second += ["--day-dir", str(second_dir), "--warehouse", str(warehouse)]
    phase("land_second_day", land_second)
    second = date.fromisoformat(json.loads((second_dir / "manifest.json").read_text())["end_date"])
    second_build = dbt_command(BUILD, settings, second, workdir / "dbt_build_second_day")
    phase("dbt_build_second_day", second_build)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("phase", nargs="?", choices=["_land_day"])
    parser.add_argument("--world", type=Path)
    parser.add_argument("--day-dir", type=Path)
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--worlds", type=Path, nargs="*", default=[])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "incremental.json")
    parser.add_argument(
        "--prebuilt",
        action="store_true",
        help="the worlds' warehouses are fully built already: skip the full build",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep each world's working folder (warehouse, dbt targets) and print its path",
    )
    args = parser.parse_args()
    if args.phase == "_land_day":
        land_day_phase(args.world, args.day_dir, args.warehouse)
        return

    for prepared in args.worlds:
        workdir = Path(tempfile.mkdtemp(prefix="fh-bench-incremental-"))
        try:
            bench(prepared, workdir, args.out, args.prebuilt)
        finally:
            if args.keep:
                print(f"kept {workdir}", flush=True)
            else:
                shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
