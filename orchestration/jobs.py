"""The main job and its daily schedule (off by default: a team turns it on when ready)."""

from datetime import timedelta

import dagster as dg

MAIN_JOB_NAME = "main"

main_job = dg.define_asset_job(
    MAIN_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Ingest every source, build and test the dbt project, run every check.",
)


def as_of_run_config(as_of: str) -> dict:
    """Run config that sets the run's logical date."""
    return {"resources": {"settings": {"config": {"as_of": as_of}}}}


@dg.schedule(
    job=main_job,
    cron_schedule="0 5 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def daily_main(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Every morning, rebuild with yesterday (the last complete day) as the as-of date."""
    tick = context.scheduled_execution_time
    if tick is None:
        raise dg.DagsterInvariantViolationError("daily_main runs only on schedule ticks")
    as_of = (tick.date() - timedelta(days=1)).isoformat()
    return dg.RunRequest(run_key=as_of, run_config=as_of_run_config(as_of), tags={"as_of": as_of})
