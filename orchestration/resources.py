"""Dagster resources: the run's settings and the dbt CLI, read at run time, never at import."""

from datetime import date

import dagster as dg
from dagster_dbt import DbtCliResource

from ingestion.settings import DBT_PROJECT_DIR, Settings, load_settings
from orchestration.dbt_manifest import dbt_executable


class SettingsResource(dg.ConfigurableResource):
    """Funnelhouse settings (ingestion/settings.py) with per-run overrides from run config.

    Unset fields fall back to ``FUNNELHOUSE_*`` environment variables, then to defaults.
    """

    home: str | None = None
    warehouse: str | None = None
    as_of: str | None = None
    reporting_timezone: str | None = None
    fiscal_year_start_month: int | None = None
    demo_seed: int | None = None
    demo_deals: int | None = None
    csv_mappings: str | None = None
    salesforce_instance_url: str | None = None
    pipedrive_base_url: str | None = None

    def load(self) -> Settings:
        overrides = self.model_dump()
        if overrides["as_of"]:
            overrides["as_of"] = date.fromisoformat(overrides["as_of"])
        return load_settings(**overrides)


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
    )
