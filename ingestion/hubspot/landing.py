"""Where the main job's HubSpot data comes from: the real API, or the demo's simulated one.

The demo serves the simulated world through the same HTTP API shapes as HubSpot, on a
loopback port, and syncs it with the real connector, so every run exercises the
extraction code a production sync uses, engagements included. (Landing a world's files
without the API is :func:`ingestion.hubspot.files.land_hubspot_files`.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from ingestion.hubspot.client import HubSpotClient
from ingestion.hubspot.sync import ObjectStats, sync_hubspot
from ingestion.simulator.server import HubSpotServer
from ingestion.simulator.server.httpd import DEMO_TOKEN


def _sync(
    con: duckdb.DuckDBPyConnection,
    client: HubSpotClient,
    *,
    load_id: str,
    loaded_at: datetime,
    work_dir: Path,
    progress: Callable[[str], None],
) -> dict[str, ObjectStats]:
    # Incremental: an object without a cursor yet (the first sync) is read whole.
    progress(f"HubSpot sync from {client.base_url}")
    work_dir.mkdir(parents=True, exist_ok=True)
    return sync_hubspot(
        con,
        client,
        full=False,
        load_id=load_id,
        loaded_at=loaded_at,
        progress=progress,
        work_dir=work_dir,
    )


def land_hubspot_api(
    con: duckdb.DuckDBPyConnection,
    base_url: str,
    *,
    load_id: str,
    loaded_at: datetime,
    work_dir: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, ObjectStats]:
    """Sync a real HubSpot portal (token from HUBSPOT_ACCESS_TOKEN)."""
    client = HubSpotClient(base_url)
    return _sync(
        con, client, load_id=load_id, loaded_at=loaded_at, work_dir=work_dir, progress=progress
    )


def land_hubspot_demo(
    con: duckdb.DuckDBPyConnection,
    world_dir: Path,
    *,
    load_id: str,
    loaded_at: datetime,
    work_dir: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, ObjectStats]:
    """Serve the simulated world over HubSpot's API on loopback and sync it."""
    with HubSpotServer(world_dir, token=DEMO_TOKEN) as server:
        # The demo's simulator enforces no rate limit: pacing would only slow the demo down.
        client = HubSpotClient(server.base_url, token=DEMO_TOKEN, pacing=None)
        return _sync(
            con,
            client,
            load_id=load_id,
            loaded_at=loaded_at,
            work_dir=work_dir,
            progress=progress,
        )
