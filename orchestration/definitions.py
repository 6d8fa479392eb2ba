"""The one Dagster entry point: `dagster dev -m orchestration.definitions` (or `dg dev`)."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.crm_apis import pipedrive_raw, salesforce_raw
from orchestration.assets.csv_exports import csv_exports_raw
from orchestration.assets.dbt import funnelhouse_dbt
from orchestration.assets.fx import fx_rates_raw
from orchestration.assets.hubspot import hubspot_raw
from orchestration.jobs import daily_main, main_job
from orchestration.resources import SettingsResource, dbt_resource

defs = dg.Definitions(
    assets=[
        hubspot_raw,
        salesforce_raw,
        pipedrive_raw,
        fx_rates_raw,
        csv_exports_raw,
        funnelhouse_dbt,
    ],
    jobs=[main_job],
    schedules=[daily_main],
    resources={"settings": SettingsResource(), "dbt": dbt_resource()},
)
