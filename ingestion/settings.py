"""Funnelhouse's settings: the one place every run-time knob is read.

Values come from ``FUNNELHOUSE_*`` environment variables, then from explicit
overrides (command-line options); defaults make the embedded demo work with no
configuration. Nothing here reads the wall clock: ``as_of`` is the run's logical
date, and the demo uses its world's end date.
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

ENV_PREFIX = "FUNNELHOUSE_"


class SettingsError(ValueError):
    """A setting has a value Funnelhouse cannot use; the message names it."""


def _default_home() -> Path:
    return PROJECT_ROOT / ".funnelhouse"


@dataclass(frozen=True)
class Settings:
    """Run-time settings. Field ``x`` is read from env var ``FUNNELHOUSE_X``."""

    home: Path = field(default_factory=_default_home)
    warehouse: Path | None = None  # default: <home>/warehouse.duckdb
    as_of: date | None = None  # default: the demo world's end date
    reporting_timezone: str = "UTC"
    reporting_currency: str = "USD"
    fiscal_year_start_month: int = 1
    duckdb_memory_limit: str = "4GB"
    # DuckDB's memory limit while a connector lands what it read: landing streams and
    # spills, so a small limit keeps a sync's memory flat in the number of records.
    landing_memory_limit: str = "256MB"
    duckdb_threads: int = 2
    duckdb_temp_directory: Path | None = None  # default: <home>/tmp
    demo_seed: int = 42
    demo_deals: int = 5000
    # Forecasts: Monte Carlo draws per forecast, and their seed (same seed, same ranges);
    # how old (in days) the past month ends' forecasts get before they are learned again
    # (1: every day; the run's own as-of date is forecast on every run).
    forecast_simulations: int = 1000
    forecast_seed: int = 42
    forecast_relearn_every_days: int = 7
    # Attribution: days before a deal's creation its touches still count (unset: all of
    # them), time decay's half-life in days, and how old (in days) the Markov and Shapley
    # channel credits get before they are learned again (1: every day).
    attribution_lookback_days: int | None = None
    attribution_half_life_days: float = 7.0
    attribution_relearn_every_days: int = 7
    # HubSpot's API root; unset, the demo serves the simulated world over HTTP locally.
    # The token always comes from HUBSPOT_ACCESS_TOKEN, never from settings.
    hubspot_base_url: str | None = None
    # Salesforce and Pipedrive: a real org's instance URL / Pipedrive's API root (tokens
    # from SALESFORCE_ACCESS_TOKEN / PIPEDRIVE_API_TOKEN), or "demo" to sync the simulated
    # world through their simulated APIs; unset, they are not synced.
    salesforce_instance_url: str | None = None
    pipedrive_base_url: str | None = None
    # CSV exports to land: a folder of YAML mappings, or one mapping (none by default).
    csv_mappings: Path | None = None
    # Ad spend: Google Ads' and Meta's API roots, or "demo" for the simulated accounts;
    # unset, the demo's when HubSpot is the demo too, else not synced. Tokens come from
    # GOOGLE_ADS_ACCESS_TOKEN + GOOGLE_ADS_DEVELOPER_TOKEN and META_ACCESS_TOKEN.
    google_ads_base_url: str | None = None
    meta_base_url: str | None = None
    # Days re-read before the last day synced: platforms restate their latest days.
    ad_spend_window_days: int = 3
    # Website event exports (Segment-style JSONL, or CSV): a folder or one file; unset, the
    # demo world's simulated export when HubSpot is the demo too, else none.
    web_events: Path | None = None
    # When the daily schedule runs the main job (cron, in this IANA time zone).
    schedule_cron: str = "0 5 * * *"
    schedule_timezone: str = "UTC"
    # The copy of the marts that BI tools and the HTML report read (never the warehouse the
    # pipeline writes): default <home>/serving.
    serving_dir: Path | None = None
    # Columns tagged `meta: {personal: true}` in the marts' YAML (contact names, emails,
    # phone numbers) are left out of the serving copy unless this is true.
    serving_include_personal_data: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.fiscal_year_start_month <= 12:
            raise SettingsError(
                f"fiscal_year_start_month is {self.fiscal_year_start_month}: use a month 1-12"
            )
        if self.duckdb_threads < 1:
            raise SettingsError(f"duckdb_threads is {self.duckdb_threads}: use 1 or more")
        if len(self.reporting_currency) != 3 or not self.reporting_currency.isupper():
            raise SettingsError(
                f"reporting_currency {self.reporting_currency!r} is not an ISO 4217 code (e.g. USD)"
            )
        if self.demo_deals < 1:
            raise SettingsError(f"demo_deals is {self.demo_deals}: use 1 or more")
        if self.ad_spend_window_days < 1:
            raise SettingsError(
                f"ad_spend_window_days is {self.ad_spend_window_days}: use 1 or more"
            )
        if self.forecast_simulations < 1:
            raise SettingsError(
                f"forecast_simulations is {self.forecast_simulations}: use 1 or more"
            )
        if self.forecast_relearn_every_days < 1:
            raise SettingsError(
                f"forecast_relearn_every_days is {self.forecast_relearn_every_days}: use 1 or "
                "more (1 learns the past month ends' forecasts again every day)"
            )
        if self.attribution_lookback_days is not None and self.attribution_lookback_days < 1:
            raise SettingsError(
                f"attribution_lookback_days is {self.attribution_lookback_days}: use 1 or more "
                "(or leave it unset for no limit)"
            )
        if self.attribution_relearn_every_days < 1:
            raise SettingsError(
                f"attribution_relearn_every_days is {self.attribution_relearn_every_days}: use "
                "1 or more (1 learns the channel credits again every day)"
            )
        if self.attribution_half_life_days <= 0:
            raise SettingsError(
                f"attribution_half_life_days is {self.attribution_half_life_days}: use a "
                "positive number of days"
            )
        for name in ("reporting_timezone", "schedule_timezone"):
            _check_timezone(name, getattr(self, name))
        if len(self.schedule_cron.split()) != 5:
            raise SettingsError(
                f"schedule_cron {self.schedule_cron!r} is not a cron expression with five "
                "fields (for example '0 5 * * *', every day at 05:00)"
            )

    @property
    def warehouse_path(self) -> Path:
        return self.warehouse or self.home / "warehouse.duckdb"

    @property
    def temp_directory(self) -> Path:
        return self.duckdb_temp_directory or self.home / "tmp"

    @property
    def serving_root(self) -> Path:
        return self.serving_dir or self.home / "serving"

    @property
    def serving_path(self) -> Path:
        """The serving DuckDB file BI tools open read-only."""
        return self.serving_root / "funnelhouse.duckdb"

    @property
    def serving_parquet_dir(self) -> Path:
        """One Parquet file per mart under ``current/`` (a link to the latest version)."""
        return self.serving_root / "parquet"

    @property
    def report_path(self) -> Path:
        return self.home / "report" / "index.html"

    @property
    def docs_path(self) -> Path:
        """dbt docs (lineage), one static page."""
        return self.home / "docs" / "index.html"

    @property
    def data_docs_dir(self) -> Path:
        """Great Expectations' Data Docs (index.html) and the validation results they show."""
        return self.home / "data_docs"

    @property
    def worlds_dir(self) -> Path:
        return self.home / "worlds"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    def demo_world_dir(self) -> Path:
        return self.worlds_dir / f"seed{self.demo_seed}-deals{self.demo_deals}"

    @property
    def crm_is_demo(self) -> bool:
        """Whether HubSpot is the embedded demo: then the demo world also supplies the
        sources a real CRM's warehouse would never get simulated (spend, events, targets)."""
        return self.hubspot_base_url is None

    def marketing_target(self, configured: str | None) -> str | None:
        """Where a marketing source comes from: as configured, else ``demo`` when HubSpot
        is the demo too."""
        return configured or ("demo" if self.crm_is_demo else None)

    def dbt_vars(self, as_of: date) -> dict[str, Any]:
        """The --vars of every dbt invocation: the connection (dbt_project/profiles.yml
        reads it) and the run's logical date and periods, so models never read the clock."""
        return {
            "warehouse": str(self.warehouse_path),
            "duckdb_memory_limit": self.duckdb_memory_limit,
            "duckdb_threads": self.duckdb_threads,
            "duckdb_temp_directory": str(self.temp_directory),
            "as_of": as_of.isoformat(),
            "reporting_timezone": self.reporting_timezone,
            "reporting_currency": self.reporting_currency,
            "fiscal_year_start_month": self.fiscal_year_start_month,
            "forecast_simulations": self.forecast_simulations,
            "forecast_seed": self.forecast_seed,
            "forecast_relearn_every_days": self.forecast_relearn_every_days,
            "attribution_lookback_days": self.attribution_lookback_days,
            "attribution_half_life_days": self.attribution_half_life_days,
            "attribution_relearn_every_days": self.attribution_relearn_every_days,
        }


def _check_timezone(name: str, value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(
            f"{name} {value!r} is not an IANA time zone (for example UTC or Europe/Berlin)"
        ) from exc


def _path(raw: str) -> Path:
    return Path(raw).expanduser()


def _flag(raw: str) -> bool:
    words = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
    if raw.strip().lower() not in words:
        raise ValueError("use true or false")
    return words[raw.strip().lower()]


# How each setting is read from its environment variable; the rest are plain strings.
_PARSERS: dict[str, Callable[[str], Any]] = {
    "home": _path,
    "warehouse": _path,
    "duckdb_temp_directory": _path,
    "csv_mappings": _path,
    "web_events": _path,
    "serving_dir": _path,
    "serving_include_personal_data": _flag,
    "as_of": date.fromisoformat,
    "fiscal_year_start_month": int,
    "duckdb_threads": int,
    "demo_seed": int,
    "demo_deals": int,
    "ad_spend_window_days": int,
    "forecast_simulations": int,
    "forecast_seed": int,
    "forecast_relearn_every_days": int,
    "attribution_lookback_days": int,
    "attribution_half_life_days": float,
    "attribution_relearn_every_days": int,
}


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with non-None ``overrides`` taking precedence.

    Overrides given as strings (run config, command lines) are parsed like the
    environment's values.
    """
    raw_values = {f.name: os.environ.get(ENV_PREFIX + f.name.upper()) for f in fields(Settings)}
    values: dict[str, Any] = {}
    for name, raw in raw_values.items():
        if raw:
            values[name] = _parse(name, raw, f"{ENV_PREFIX}{name.upper()}")
    for name, value in overrides.items():
        if value is not None:
            values[name] = _parse(name, value, name) if isinstance(value, str) else value
    return replace(Settings(), **values)


def _parse(name: str, raw: str, origin: str) -> Any:
    try:
        return _PARSERS.get(name, str)(raw)
    except ValueError as exc:
        raise SettingsError(f"{origin}={raw!r}: {exc}") from exc
