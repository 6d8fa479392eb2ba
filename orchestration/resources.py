"""Dagster resources: the run's settings and the dbt CLI, read at run time, never at import."""

import importlib.metadata
from datetime import date
from functools import cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging.version import Version

from ingestion.settings import DBT_PROJECT_DIR, Settings, load_settings
from orchestration.dbt_manifest import dbt_executable, environment_dbt


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


class EnvironmentDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI, told the version of this environment's dbt Core.

    dagster-dbt asks `dbt --version` once per run (to tell dbt Core from the Fusion engine),
    which loads every adapter and asks the package index for the latest release: about five
    seconds of each run. When the executable is this environment's, its version is the
    installed package's."""

    @cached_property
    def _cli_version(self) -> Version:
        if Path(self.dbt_executable) == environment_dbt():
            return Version(importlib.metadata.version("dbt-core"))
        return DbtCliResource._cli_version.func(self)


def dbt_resource() -> DbtCliResource:
    return EnvironmentDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
    )
