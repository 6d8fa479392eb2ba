"""The embedded demo: a simulated CRM world generated once per (seed, size) and reused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import duckdb

from ingestion.fx import land_fx_rates
from ingestion.hubspot.files import land_hubspot_files
from ingestion.raw.snapshot import LoadStats
from ingestion.settings import Settings, SettingsError
from ingestion.simulator import WorldConfig, generate_world, load_manifest
from ingestion.simulator.schema import TABLES
from ingestion.sources import ensure_every_raw_table

# The simulated world's rates stand in for a rates provider's feed.
DEMO_FX_PROVIDER = "simulator"


def ensure_demo_world(settings: Settings, progress: Callable[[str], None] = lambda _: None) -> Path:
    """The demo world's folder, generating it first if it is not there yet."""
    world_dir = settings.demo_world_dir()
    if (world_dir / "manifest.json").exists():
        progress(f"using the simulated world in {world_dir}")
        return world_dir
    progress(f"generating a simulated CRM world of {settings.demo_deals:,} deals in {world_dir}")
    generate_world(
        WorldConfig(seed=settings.demo_seed, n_deals=settings.demo_deals), world_dir, progress
    )
    return world_dir


def hubspot_folder(world_dir: Path) -> Path:
    """Where a world keeps its HubSpot records (one sub-folder per object)."""
    return world_dir / "hubspot"


def fx_rates_folder(world_dir: Path) -> Path:
    """Where a world keeps its daily FX rates."""
    return world_dir / TABLES["fx_rates"][0]


def land_demo_world(
    con: duckdb.DuckDBPyConnection,
    world_dir: Path,
    *,
    load_id: str,
    loaded_at: datetime,
    progress: Callable[[str], None] = lambda _: None,
) -> list[LoadStats]:
    """Land a whole world (HubSpot records and FX rates) as the demo's assets do, with the
    other sources' tables in place (empty), so the warehouse is ready for dbt."""
    portal_id = load_manifest(world_dir)["portal_id"]
    hubspot = land_hubspot_files(
        con,
        hubspot_folder(world_dir),
        portal_id=portal_id,
        load_id=load_id,
        loaded_at=loaded_at,
        progress=progress,
    )
    fx = land_fx_rates(
        con,
        fx_rates_folder(world_dir),
        provider=DEMO_FX_PROVIDER,
        load_id=load_id,
        loaded_at=loaded_at,
        progress=progress,
    )
    ensure_every_raw_table(con)
    return hubspot + fx


def resolve_as_of(settings: Settings) -> date:
    """The run's logical date: the configured one, else the demo world's end date."""
    if settings.as_of:
        return settings.as_of
    world_dir = settings.demo_world_dir()
    try:
        return date.fromisoformat(load_manifest(world_dir)["end_date"])
    except FileNotFoundError:
        raise SettingsError(
            f"no as-of date given, and no demo world in {world_dir} to take its end date "
            "from: give --as-of YYYY-MM-DD (or set FUNNELHOUSE_AS_OF)"
        ) from None
