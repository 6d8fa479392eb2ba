"""The main job, its daily schedule (off by default: a team turns it on when ready), the
job that lands newly dropped CSV exports, and the one that backfills daily snapshots."""

from datetime import date, datetime, timedelta

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster._utils.schedules import is_valid_cron_string

from ingestion.settings import Settings, SettingsError
from orchestration.assets.csv_exports import csv_exports_raw
from orchestration.assets.quality_checks import raw_deal_checks
from orchestration.assets.serving import SERVING_COPY_KEY
from orchestration.run_guard import unfinished_forget

MAIN_JOB_NAME = "main"

main_job = dg.define_asset_job(
    MAIN_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Ingest every source, build and test the dbt project, run every check.",
)

TRANSFORM_JOB_NAME = "transform"

transform_job = dg.define_asset_job(
    TRANSFORM_JOB_NAME,
    # The raw tables' blocking checks come along: bad raw rows must not reach the marts
    # just because no source was read.
    selection=(dg.AssetSelection.all() - dg.AssetSelection.groups("ingestion"))
    | dg.AssetSelection.checks(raw_deal_checks),
    description="Check the raw tables as they are, then rebuild and test everything after "
    "them, reading no source.",
)

csv_exports_job = dg.define_asset_job(
    "csv_exports",
    selection=dg.AssetSelection.assets(csv_exports_raw).downstream(),
    description="Land new CSV exports, then rebuild and test what reads them.",
)

DAILY_SNAPSHOTS_JOB_NAME = "daily_snapshots"
# By key, not by the dbt assets' definition: importing that builds the asset graph from
# the dbt manifest, which callers of this module may not have parsed yet.
DAILY_SNAPSHOTS_KEY = dg.AssetKey(["marts", "pipeline_daily_snapshots"])

daily_snapshots_job = dg.define_asset_job(
    DAILY_SNAPSHOTS_JOB_NAME,
    # Published with it: BI tools read the serving copy, not the warehouse.
    selection=dg.AssetSelection.assets(DAILY_SNAPSHOTS_KEY)
    | dg.AssetSelection.assets(SERVING_COPY_KEY),
    description="Rebuild pipeline_daily_snapshots for a range of days (one run, one dbt "
    "invocation), then publish the marts.",
)


def partition_range_tags(first: date, last: date) -> dict[str, str]:
    """Tags that make a run cover the days first..last of a daily-partitioned asset, as a
    single-run backfill launched from the UI does."""
    return {
        ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
    }


def as_of_run_config(as_of: str) -> dict:
    """Run config that sets the run's logical date."""
    return {"resources": {"settings": {"config": {"as_of": as_of}}}}


def last_complete_day(moment: datetime) -> date:
    """The logical date of a run started at ``moment``: yesterday, the last whole day."""
    return moment.date() - timedelta(days=1)


def daily_main_schedule(settings: Settings) -> dg.ScheduleDefinition:
    """The main job every day at ``schedule_cron`` in ``schedule_timezone``.

    A schedule's cron is part of the definitions, so it is read when they load.
    """
    if not is_valid_cron_string(settings.schedule_cron):
        raise SettingsError(
            f"schedule_cron {settings.schedule_cron!r} is not a valid cron expression "
            "(for example '0 5 * * *', every day at 05:00)"
        )

    @dg.schedule(
        name="daily_main",
        job=main_job,
        cron_schedule=settings.schedule_cron,
        execution_timezone=settings.schedule_timezone,
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    def daily_main(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        """Rebuild with the last complete day as the as-of date; skip the tick while a
        forget has not finished."""
        tick = context.scheduled_execution_time
        if tick is None:
            raise dg.DagsterInvariantViolationError("daily_main runs only on schedule ticks")
        unfinished = unfinished_forget(settings)
        if unfinished:
            return dg.SkipReason(unfinished)
        as_of = last_complete_day(tick).isoformat()
        return dg.RunRequest(
            run_key=as_of, run_config=as_of_run_config(as_of), tags={"as_of": as_of}
        )

    return daily_main
