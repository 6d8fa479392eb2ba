"""The one Dagster entry point: `dagster dev -m orchestration.definitions` (or `dg dev`)."""

from __future__ import annotations

import dagster as dg

from ingestion.settings import load_settings
from orchestration.alerts import alert_on_run_failure
from orchestration.assets.crm_apis import pipedrive_raw, salesforce_raw
from orchestration.assets.csv_exports import csv_exports_raw
from orchestration.assets.dbt import funnelhouse_dbt, pipeline_daily_snapshots_dbt
from orchestration.assets.dbt_docs import build_dbt_docs
from orchestration.assets.fx import fx_rates_raw
from orchestration.assets.hubspot import hubspot_raw
from orchestration.assets.marketing import ad_spend_raw, web_events_raw
from orchestration.assets.quality_checks import QUALITY_CHECKS
from orchestration.assets.report import html_report
from orchestration.assets.serving import build_serving_copy, mart_keys
from orchestration.jobs import (
    csv_exports_job,
    daily_main_schedule,
    daily_snapshots_job,
    main_job,
    transform_job,
)
from orchestration.resources import SettingsResource, dbt_resource
from orchestration.sensors import new_csv_exports

# Everything that writes the warehouse; the serving copy and the docs follow its marts.
WAREHOUSE_ASSETS = [
    hubspot_raw,
    salesforce_raw,
    pipedrive_raw,
    fx_rates_raw,
    csv_exports_raw,
    ad_spend_raw,
    web_events_raw,
    funnelhouse_dbt,
    pipeline_daily_snapshots_dbt,
]
MARTS = mart_keys(WAREHOUSE_ASSETS)

defs = dg.Definitions(
    assets=[*WAREHOUSE_ASSETS, build_serving_copy(MARTS), html_report, build_dbt_docs(MARTS)],
    asset_checks=QUALITY_CHECKS,
    jobs=[main_job, transform_job, csv_exports_job, daily_snapshots_job],
    schedules=[daily_main_schedule(load_settings())],
    sensors=[new_csv_exports, alert_on_run_failure],
    resources={"settings": SettingsResource(), "dbt": dbt_resource()},
)
