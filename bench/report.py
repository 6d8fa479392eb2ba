"""Benchmark publishing the serving copy and building the HTML report at several sizes.

Each size's warehouse is built as bench/run.py builds it (generate, raw load, dbt build);
then publishing (the marts to the serving DuckDB file and Parquet) and the report (read
from the serving copy) each run in their own process, so wall time and peak memory (max
RSS, from wait4) are theirs alone:

    .venv/bin/python bench/report.py --sizes 10000 100000 1000000 --out bench/report.json
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from run import PYTHON, ROOT, bench_size, measure, write_figures


def _settings(workdir: Path):
    from ingestion.settings import load_settings

    return load_settings(home=workdir, warehouse=workdir / "warehouse.duckdb")


def _as_of(workdir: Path):
    from ingestion.simulator import load_manifest

    return datetime.fromisoformat(load_manifest(workdir / "world")["end_date"]).date()


def publish_phase(workdir: Path) -> None:
    from orchestration.dbt_manifest import MANIFEST_PATH
    from orchestration.serving import personal_columns, publish

    publication = publish(_settings(workdir), _as_of(workdir), personal_columns(MANIFEST_PATH))
    print(f"published {publication.version}: {sum(m.rows for m in publication.marts):,} rows")


def report_phase(workdir: Path) -> None:
    from orchestration.report import build_report

    report = build_report(_settings(workdir))
    print(f"report {report.path}: {report.charts} charts")


def _size_mib(path: Path) -> float:
    files = path.rglob("*") if path.is_dir() else [path]
    return round(sum(f.stat().st_size for f in files if f.is_file()) / 2**20, 1)


def bench(deals: int, workdir: Path, activity_rate: float) -> list[dict]:
    results = bench_size(deals, workdir, activity_rate)
    settings = _settings(workdir)
    outputs = {
        "publish_serving": [settings.serving_path, settings.serving_parquet_dir],
        "build_report": [settings.report_path],
    }
    for phase, paths in outputs.items():
        command = [PYTHON, __file__, f"_{phase}", "--workdir", str(workdir)]
        result = {"deals": deals, "phase": phase, **measure(command)}
        result["output_mib"] = round(sum(_size_mib(path) for path in paths), 1)
        results.append(result)
        print(result, flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("phase", nargs="?", choices=["_publish_serving", "_build_report"])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "report.json")
    parser.add_argument(
        "--activity-rate", type=float, default=1.0, help="x the usual activities per deal"
    )
    args = parser.parse_args()
    if args.phase == "_publish_serving":
        publish_phase(args.workdir)
        return
    if args.phase == "_build_report":
        report_phase(args.workdir)
        return

    results = []
    for deals in args.sizes:
        workdir = Path(tempfile.mkdtemp(prefix=f"fh-bench-report-{deals}-"))
        try:
            results += bench(deals, workdir, args.activity_rate)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    write_figures(args.out, results)


if __name__ == "__main__":
    main()
