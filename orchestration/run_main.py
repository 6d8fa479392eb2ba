"""Executing the main job in-process (so its checks apply) and summarising the run."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg
from dagster._utils.error import SerializableErrorInfo

from ingestion.settings import Settings
from ingestion.warehouse import WarehouseError, connect
from orchestration.jobs import MAIN_JOB_NAME, as_of_run_config
from orchestration.run_guard import guarded_run

# Step keys of the main job -> the phase names the summary shows.
PHASES = {
    "hubspot_raw": "load (raw_hubspot)",
    "raw_fx__rates": "load (raw_fx)",
    "csv_exports_raw": "load (raw_csv)",
    "salesforce_raw": "load (raw_salesforce)",
    "pipedrive_raw": "load (raw_pipedrive)",
    "ad_spend_raw": "load (raw_google_ads, raw_meta_ads)",
    "raw_web_events__events": "load (raw_web_events)",
    "raw_deal_expectations": "check (raw deals, Great Expectations)",
    "funnelhouse_dbt": "transform + test (dbt)",
    "pipeline_daily_snapshots_dbt": "transform + test (daily snapshots)",
    "mart_expectations": "check (marts, Great Expectations)",
    "serving__serving_copy": "publish (serving copy)",
    "serving__html_report": "report (HTML)",
    "serving__dbt_docs": "docs (dbt lineage)",
}


# Check metadata that explains a failure, and what is bookkeeping.
DETAIL_LABELS = {"dagster_dbt/failed_row_count": "failing rows"}
DETAIL_NOISE = {"Execution Duration", "unique_id", "invocation_id", "status", "seconds"}


def _is_noise(key: str) -> bool:
    # A GX suite's per-rule results: the UI lists them, the summary names the failed ones.
    return key in DETAIL_NOISE or key.startswith(("ERROR ", "WARN "))


@dataclass(frozen=True)
class CheckOutcome:
    asset: str
    name: str
    passed: bool
    severity: str
    detail: str = ""


@dataclass
class JobOutcome:
    success: bool
    run_id: str
    step_seconds: dict[str, float] = field(default_factory=dict)
    checks: list[CheckOutcome] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def run_log_path(settings: Settings) -> Path:
    return settings.home / "logs" / "last_run.log"


def root_cause(error: SerializableErrorInfo | None) -> str:
    """What went wrong, not Dagster's wrapper around it: the message of the first error
    in the chain raised by Funnelhouse or a library (it names the record or setting)."""
    if error is None:
        return "unknown error (see the run in the Dagster UI)"
    while error.cause is not None and error.cls_name.startswith("Dagster"):
        error = error.cause
    raised_as, _, message = error.message.strip().partition(": ")
    return message if raised_as.endswith(error.cls_name) else error.message.strip()


def run_config_for(settings: Settings, as_of: date) -> dict:
    config = as_of_run_config(as_of.isoformat())
    config["resources"]["settings"]["config"].update(
        home=str(settings.home),
        warehouse=str(settings.warehouse_path),
        demo_seed=settings.demo_seed,
        demo_deals=settings.demo_deals,
        csv_mappings=str(settings.csv_mappings) if settings.csv_mappings else None,
        salesforce_instance_url=settings.salesforce_instance_url,
        pipedrive_base_url=settings.pipedrive_base_url,
    )
    # The terminal gets Funnelhouse's own progress lines; Dagster's full log is in the UI.
    config["loggers"] = {"console": {"config": {"log_level": "CRITICAL"}}}
    return config


def execute_main_job(
    settings: Settings,
    as_of: date,
    instance: dg.DagsterInstance | None = None,
    job_name: str = MAIN_JOB_NAME,
    tags: Mapping[str, str] | None = None,
) -> JobOutcome:
    """Run the main job (or another of the project's jobs, with extra run tags) in-process
    and collect its steps, checks and failures."""
    from orchestration.definitions import defs

    job = defs.resolve_job_def(job_name)
    instance = instance or dg.DagsterInstance.get()
    # dbt's own console output goes to a log file; the terminal gets progress lines.
    log_path = run_log_path(settings)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    with (
        guarded_run(instance, settings.dagster_home) as guard_tags,
        log_path.open("w") as log,
        contextlib.redirect_stdout(log),
    ):
        result = job.execute_in_process(
            run_config=run_config_for(settings, as_of),
            instance=instance,
            raise_on_error=False,
            tags={**guard_tags, **(tags or {})},
        )
    outcome = JobOutcome(success=result.success, run_id=result.run_id)
    starts: dict[str, float] = {}
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            starts[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            phase = PHASES.get(event.step_key, event.step_key)
            outcome.step_seconds[phase] = entry.timestamp - starts.get(event.step_key, 0.0)
        if event.event_type_value == "STEP_FAILURE":
            outcome.failures.append(
                f"{event.step_key}: {root_cause(event.step_failure_data.error)}"
            )
    outcome.checks = [
        CheckOutcome(
            evaluation.asset_key.to_user_string(),
            evaluation.check_name,
            evaluation.passed,
            evaluation.severity.value,
            ", ".join(
                f"{DETAIL_LABELS.get(k, k)}: {v.value}"
                for k, v in evaluation.metadata.items()
                if not _is_noise(k)
            ),
        )
        for evaluation in result.get_asset_check_evaluations()
    ]
    return outcome


def mart_row_counts(settings: Settings) -> dict[str, int]:
    """Rows per mart table (views are computed on read, so they are not counted)."""
    with connect(settings, read_only=True) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"
        ).fetchall()
        return {
            name: con.execute(f"select count(*) from {name}").fetchone()[0] for (name,) in tables
        }


def published_outputs(settings: Settings, outcome: JobOutcome) -> list[str]:
    """Where people and BI tools read the run's results (those that exist)."""
    outputs = {
        "Report": settings.report_path,
        "Serving copy (BI tools, read-only)": settings.serving_path,
        "Parquet (a file per mart)": settings.serving_parquet_dir / "current",
        "dbt docs (lineage)": settings.docs_path,
    }
    kept = "" if outcome.success else " (the last published version)"
    return [f"{label}: {path}{kept}" for label, path in outputs.items() if path.exists()]


def summarize(
    settings: Settings, as_of: date, outcome: JobOutcome, phases: dict[str, float], total: float
) -> str:
    verdict = "finished" if outcome.success else "FAILED"
    lines = [f"Funnelhouse run {verdict} in {total:.1f} s (as of {as_of.isoformat()})", "Phases:"]
    lines += [f"  {name:<36}{seconds:8.1f} s" for name, seconds in phases.items()]
    lines.append("Marts (rows):")
    try:
        counts = mart_row_counts(settings)
    except WarehouseError as exc:
        counts = {}
        lines.append(f"  (not counted: {exc})")
    lines += [f"  {name:<36}{rows:>12,}" for name, rows in counts.items()]
    passed = [c for c in outcome.checks if c.passed]
    failed = [c for c in outcome.checks if not c.passed]
    lines.append(f"Checks: {len(passed)} passed, {len(failed)} failed")
    lines += [f"  {c.severity:<5} {c.asset} {c.name} ({c.detail})" for c in failed]
    lines += [f"Failed: {failure}" for failure in outcome.failures]
    lines.append(f"Warehouse: {settings.warehouse_path}")
    lines += published_outputs(settings, outcome)
    lines.append(f"dbt's log: {run_log_path(settings)}")
    lines.append(
        "Open the UI: funnelhouse ui (then http://127.0.0.1:3000; "
        f"run {outcome.run_id[:8]} is in its run history)"
    )
    return "\n".join(lines)
