"""Benchmark the CRM connectors: a full sync of a simulated world through each simulated API.

Each (connector, size) runs in its own process: the simulated API on a loopback thread and
the connector syncing into a fresh DuckDB file. Figures (wall time, requests, retries, raw
rows landed, rows per second, peak RSS of the process, server included) are written to a
JSON file:

    .venv/bin/python bench/connectors.py --sizes 10000 100000 --out bench/connectors.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from run import write_figures

ROOT = Path(__file__).resolve().parent.parent
CONNECTORS = ("hubspot", "salesforce", "pipedrive")


def sync_once(connector: str, world: Path, warehouse: Path) -> dict:
    """One full sync in this process (run as a child by ``main``)."""
    from ingestion.hubspot.landing import land_hubspot_demo
    from ingestion.pipedrive.landing import land_pipedrive_demo
    from ingestion.salesforce.landing import land_salesforce_demo
    from ingestion.settings import load_settings
    from ingestion.warehouse import connect

    land = {
        "hubspot": land_hubspot_demo,
        "salesforce": land_salesforce_demo,
        "pipedrive": land_pipedrive_demo,
    }[connector]
    settings = load_settings(home=warehouse.parent, warehouse=warehouse)
    started = time.monotonic()
    with connect(settings) as con:
        stats = land(
            con,
            world,
            load_id="bench",
            loaded_at=datetime.now(UTC),
            work_dir=settings.temp_directory,
        )
    wall = time.monotonic() - started
    rows = sum(s.rows_read for s in stats.values())
    return {
        "wall_seconds": round(wall, 2),
        "requests": sum(s.requests for s in stats.values()),
        "retries": sum(s.retries for s in stats.values()),
        "rows": rows,
        "rows_per_second": round(rows / wall),
    }


def measure(connector: str, world: Path, workdir: Path) -> dict:
    command = [sys.executable, __file__, "_sync", connector, str(world), str(workdir / "w.duckdb")]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark sync failed: {' '.join(command)}")
    return {
        **json.loads(out.strip().splitlines()[-1]),
        "peak_rss_mib": round(usage.ru_maxrss / 1024),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_sync":
        connector, world, warehouse = sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
        print(json.dumps(sync_once(connector, world, warehouse)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--connectors", nargs="*", default=list(CONNECTORS))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "connectors.json")
    args = parser.parse_args()

    from ingestion.simulator import WorldConfig, generate_world

    results = []
    for deals in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"fh-connectors-{deals}-") as tmp:
            world = Path(tmp) / "world"
            generate_world(WorldConfig(seed=1, n_deals=deals), world)
            for connector in args.connectors:
                workdir = Path(tmp) / connector
                workdir.mkdir()
                result = {
                    "connector": connector,
                    "deals": deals,
                    **measure(connector, world, workdir),
                }
                print(result, flush=True)
                results.append(result)
    write_figures(args.out, results, key=("connector", "deals"))


if __name__ == "__main__":
    main()
