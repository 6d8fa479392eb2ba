"""Sensors: land CSV exports as they are dropped into their folders, each file once.

A file is identified by its path, size and modification time: a new file or a rewritten
one starts one run of the csv_exports job, and the same file seen again starts nothing.
Dagster keeps every run key it has started, so even a reset cursor never loads a file
twice (and the raw loader keeps versions, so a reload would add no rows anyway).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from ingestion.csv_exports import CsvExportError, load_mapping, mapping_files
from ingestion.settings import load_settings
from orchestration.jobs import as_of_run_config, csv_exports_job, last_complete_day

SENSOR_INTERVAL_SECONDS = 60


def export_file_signatures(mappings: Path) -> tuple[dict[str, str], list[str]]:
    """{file path: "size:mtime_ns"} of every file the mappings match, and the problems
    (a broken mapping, a glob matching nothing yet) that kept files from being listed."""
    signatures: dict[str, str] = {}
    problems = []
    for mapping_path in mapping_files(mappings):
        try:
            files = load_mapping(mapping_path).find_files()
        except CsvExportError as exc:
            problems.append(str(exc))
            continue
        for file in files:
            stat = file.stat()
            signatures[str(file)] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return signatures, problems


@dg.sensor(
    name="new_csv_exports",
    job=csv_exports_job,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Starts the csv_exports job once for each new or rewritten export file.",
)
def new_csv_exports(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    settings = load_settings()
    if settings.csv_mappings is None:
        return dg.SkipReason("no CSV exports configured (set FUNNELHOUSE_CSV_MAPPINGS)")
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    current, problems = export_file_signatures(settings.csv_mappings)
    for problem in problems:
        context.log.warning(problem)
    new = {path: sig for path, sig in current.items() if seen.get(path) != sig}
    if not new:
        return dg.SkipReason(f"no new export files among {len(current)} seen")
    run_key = hashlib.sha256(json.dumps(sorted(new.items())).encode()).hexdigest()[:16]
    as_of = settings.as_of or last_complete_day(datetime.now(UTC))
    request = dg.RunRequest(
        run_key=f"csv-{run_key}",
        run_config=as_of_run_config(as_of.isoformat()),
        tags={"as_of": as_of.isoformat(), "csv_files": str(len(new))},
    )
    return dg.SensorResult(run_requests=[request], cursor=json.dumps({**seen, **new}))
