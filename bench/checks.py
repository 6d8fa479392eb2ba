"""Benchmark the Great Expectations checks against the run they guard.

For each size, bench/run.py's phases build a warehouse (generate, raw load, dbt build);
then every suite (raw deals of each source, marts.deals, marts.deal_stage_visits) runs in
a child process of its own, as the check steps run them: GX imported, each table read
read-only in chunks, validated, and the Data Docs built. Wall time and peak memory (max
RSS, from wait4) go to bench/checks.json with the time per suite, and the checks' time as
a share of the run's (raw load + dbt build):

    .venv/bin/python bench/checks.py --sizes 10000 100000 1000000 --out bench/checks.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from run import PYTHON, ROOT, bench_size, measure, write_figures

RUN_PHASES = ("load_raw", "dbt_build")


def checks_phase(warehouse: Path, as_of: date, out: Path) -> None:
    """Every suite on ``warehouse``, as the check steps run them (the measured child)."""
    started = time.monotonic()
    from ingestion.settings import load_settings
    from ingestion.warehouse import connect
    from orchestration.quality.data_docs import open_context, publish
    from orchestration.quality.runner import validate_suite
    from orchestration.quality.suites import SUITES, run_parameters

    imported = time.monotonic() - started
    settings = load_settings(home=warehouse.parent, warehouse=warehouse, as_of=as_of)
    params = run_parameters(as_of, settings.reporting_timezone)
    context = open_context(settings.data_docs_dir)
    with connect(settings, read_only=True) as con:
        outcomes = [validate_suite(con, context, suite, params) for suite in SUITES]
    docs_started = time.monotonic()
    publish(context, settings.data_docs_dir, outcomes, "bench")
    figures = {
        "import_seconds": round(imported, 2),
        "data_docs_seconds": round(time.monotonic() - docs_started, 2),
        "suites": [
            {
                "suite": o.suite.name,
                "rows": o.rows,
                "chunks": o.chunks,
                "seconds": round(o.seconds, 2),
                "failed": [f"{r.rule.severity.name} {r.rule.description}" for r in o.failed()],
            }
            for o in outcomes
        ],
    }
    out.write_text(json.dumps(figures, indent=2))


def bench_checks(deals: int, workdir: Path) -> dict:
    phases = bench_size(deals, workdir)
    from ingestion.simulator import load_manifest

    as_of = datetime.fromisoformat(load_manifest(workdir / "world")["end_date"]).date().isoformat()
    figures = workdir / "checks.json"
    command = [PYTHON, __file__, "_checks", str(workdir / "warehouse.duckdb"), as_of, str(figures)]
    checks = measure(command)
    run_seconds = sum(p["wall_seconds"] for p in phases if p["phase"] in RUN_PHASES)
    result = {
        "deals": deals,
        **checks,
        "run_seconds": round(run_seconds, 2),
        "share_of_run": round(checks["wall_seconds"] / run_seconds, 3),
        **json.loads(figures.read_text()),
        "run_phases": phases,
    }
    print({k: v for k, v in result.items() if k not in ("suites", "run_phases")}, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    child = commands.add_parser("_checks")
    child.add_argument("warehouse", type=Path)
    child.add_argument("as_of", type=date.fromisoformat)
    child.add_argument("out", type=Path)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "checks.json")
    args = parser.parse_args()
    if args.command == "_checks":
        checks_phase(args.warehouse, args.as_of, args.out)
        return

    results = []
    for deals in args.sizes:
        workdir = Path(tempfile.mkdtemp(prefix=f"fh-bench-checks-{deals}-"))
        try:
            results.append(bench_checks(deals, workdir))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    write_figures(args.out, results)


if __name__ == "__main__":
    main()
