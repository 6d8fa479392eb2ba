"""Benchmark a full `dbt build` on a copy of a built warehouse, per node of interest.

The warehouse (one `bench/run.py` built, with its raw tables) is copied into a temporary
directory, so the original is never touched, and `dbt build` of the whole project runs on
the copy in a child process: its wall time and peak RSS (as bench/run.py measures phases),
and the seconds of every forecasting and attribution node and of the five slowest others
from run_results.json. ``--checkout`` builds another checkout's project with its own
virtualenv (the main branch's worktree, for a before figure on the same machine and load):

    .venv/bin/python bench/dbt_nodes.py --warehouse W/warehouse.duckdb --deals 100000
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# bench/ holds scripts, not a package: reuse run.py's measuring beside this file.
from run import ROOT, measure, write_figures

AREAS = ("forecasting", "attribution")


def build_command(checkout: Path, warehouse: Path, as_of: date, target: Path) -> list[str]:
    """`dbt build` of ``checkout``'s project with its own dbt and the settings' vars."""
    from ingestion.settings import load_settings

    settings = load_settings(home=warehouse.parent, warehouse=warehouse)
    project = str(checkout / "dbt_project")
    return [
        str(checkout / ".venv" / "bin" / "dbt"),
        *("build", "--quiet", "--project-dir", project, "--profiles-dir", project),
        *("--target-path", str(target), "--log-path", str(target / "logs")),
        *("--vars", json.dumps(settings.dbt_vars(as_of))),
    ]


def node_seconds(target: Path) -> dict[str, float]:
    """Seconds per forecasting or attribution node (the models of those folders and the
    tests on them), and of the five slowest other nodes."""
    manifest = json.loads((target / "manifest.json").read_text())
    ours = {
        node_id
        for node_id, node in manifest["nodes"].items()
        if any(f"/{area}/" in node["original_file_path"] for area in AREAS)
    }
    ours |= {
        node_id
        for node_id, node in manifest["nodes"].items()
        if set(node.get("depends_on", {}).get("nodes", [])) & ours and node_id.startswith("test.")
    }
    results = json.loads((target / "run_results.json").read_text())["results"]
    timed = {result["unique_id"]: round(result["execution_time"], 2) for result in results}
    others = sorted((seconds, node) for node, seconds in timed.items() if node not in ours)[-5:]
    return {
        **{node: seconds for node, seconds in timed.items() if node in ours},
        **{node: seconds for seconds, node in others},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--deals", type=int, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 12, 31))
    parser.add_argument("--checkout", type=Path, default=ROOT)
    parser.add_argument("--label", default="this checkout")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "dbt_nodes.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fh-bench-nodes-") as workdir:
        warehouse = Path(workdir) / "warehouse.duckdb"
        shutil.copyfile(args.warehouse, warehouse)
        target = Path(workdir) / "dbt_target"
        process = measure(build_command(args.checkout.resolve(), warehouse, args.as_of, target))
        nodes = node_seconds(target)
    commit = subprocess.run(
        ["git", "-C", str(args.checkout), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    result = {"deals": args.deals, "label": args.label, "commit": commit, **process}
    print(result, flush=True)
    write_figures(args.out, [{**result, "nodes": nodes}], key=("deals", "label"))


if __name__ == "__main__":
    main()
