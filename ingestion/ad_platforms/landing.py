"""Where the ad spend comes from: the platforms' real APIs, or the demo's simulated ones.

The demo serves the simulated world's Google Ads customers and Meta ad accounts on one
loopback port and syncs them with the real connectors, so a demo run exercises
production's code (faults aside).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from ingestion.ad_platforms.google_ads import GoogleAdsClient
from ingestion.ad_platforms.meta_ads import MetaAdsClient
from ingestion.ad_platforms.objects import (
    GOOGLE_ADS_CAMPAIGN_DAYS,
    GOOGLE_ADS_COLUMNS,
    META_ADS_CAMPAIGN_DAYS,
    META_ADS_COLUMNS,
)
from ingestion.ad_platforms.sync import WINDOW_DAYS, AdClient, ensure_raw_tables, sync_ad_spend
from ingestion.raw.syncs import ObjectStats
from ingestion.simulator import load_manifest
from ingestion.simulator.ad_platforms_server import AdPlatformsServer
from ingestion.simulator.server.httpd import DEMO_TOKEN

DEMO = "demo"
# A first sync of a real account reads this far back.
FIRST_SYNC_DAYS = 3 * 365
# (platform, raw object, columns) in landing order.
PLATFORMS = (
    ("google_ads", GOOGLE_ADS_CAMPAIGN_DAYS, GOOGLE_ADS_COLUMNS),
    ("meta_ads", META_ADS_CAMPAIGN_DAYS, META_ADS_COLUMNS),
)


def ensure_ad_spend_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Empty raw tables for platforms never synced, for dbt's staging models."""
    for _, raw, columns in PLATFORMS:
        ensure_raw_tables(con, raw, columns)


def land_ad_spend(
    con: duckdb.DuckDBPyConnection,
    targets: dict[str, str | None],
    *,
    until: date,
    load_id: str,
    loaded_at: datetime,
    world_dir: Callable[[], Path] | None = None,
    window_days: int = WINDOW_DAYS,
    work_dir: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, ObjectStats]:
    """Sync each platform whose target is an API root or ``demo``; stats per platform.

    ``targets`` maps ``google_ads`` / ``meta_ads`` to a base URL, ``demo`` or None (not
    synced). ``world_dir`` gives the demo world's folder, asked only when a target is
    ``demo``.
    """
    ensure_ad_spend_tables(con)
    run = {
        "until": until,
        "load_id": load_id,
        "loaded_at": loaded_at,
        "window_days": window_days,
        "work_dir": work_dir,
    }
    stats: dict[str, ObjectStats] = {}
    real = {p: t for p, t in targets.items() if t and t != DEMO}
    for platform, raw, columns in PLATFORMS:
        if platform in real:
            client = _client(platform, real[platform])
            first = until - timedelta(days=FIRST_SYNC_DAYS)
            stats[platform] = sync_ad_spend(
                con, client, raw, columns, first_date=first, progress=progress, **run
            )
    demo = [p for p, t in targets.items() if t == DEMO]
    if demo:
        if world_dir is None:
            raise ValueError("a demo ad platform needs the demo world")
        world = world_dir()
        first = date.fromisoformat(load_manifest(world)["start_date"])
        with AdPlatformsServer(world, token=DEMO_TOKEN, developer_token=DEMO_TOKEN) as server:
            for platform, raw, columns in PLATFORMS:
                if platform in demo:
                    client = _client(platform, server.base_url, DEMO_TOKEN)
                    stats[platform] = sync_ad_spend(
                        con, client, raw, columns, first_date=first, progress=progress, **run
                    )
    return stats


def _client(platform: str, base_url: str, token: str | None = None) -> AdClient:
    if platform == "google_ads":
        return GoogleAdsClient(base_url, access_token=token, developer_token=token)
    return MetaAdsClient(base_url, access_token=token)
