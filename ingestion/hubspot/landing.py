"""Where the main job's HubSpot data comes from: the real API, or the demo's simulated one.

The demo serves the simulated world through the same HTTP API shapes as HubSpot, on a
loopback port, and syncs it with the real connector, so every run exercises the
extraction code a production sync uses, engagements included. (Landing a world's files
without the API is :func:`ingestion.hubspot.files.land_hubspot_files`.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Unpack

import duckdb

from ingestion.hubspot.client import HubSpotClient
from ingestion.hubspot.objects import OBJECTS
from ingestion.hubspot.sync import sync_hubspot
from ingestion.raw.snapshot import ensure_raw_table
from ingestion.raw.syncs import ObjectStats, SyncRun, sync_from_cursors
from ingestion.simulator.schema import TABLES
from ingestion.simulator.server import HubSpotServer
from ingestion.simulator.server.httpd import DEMO_TOKEN


def land_hubspot_api(
    con: duckdb.DuckDBPyConnection, base_url: str, **run: Unpack[SyncRun]
) -> dict[str, ObjectStats]:
    """Sync a real HubSpot portal (token from HUBSPOT_ACCESS_TOKEN)."""
    return sync_from_cursors(sync_hubspot, con, HubSpotClient(base_url), **run)


def land_hubspot_demo(
    con: duckdb.DuckDBPyConnection, world_dir: Path, **run: Unpack[SyncRun]
) -> dict[str, ObjectStats]:
    """Serve the simulated world over HubSpot's API on loopback and sync it."""
    with HubSpotServer(world_dir, token=DEMO_TOKEN) as server:
        # The demo's simulator enforces no rate limit: pacing would only slow the demo down.
        client = HubSpotClient(server.base_url, token=DEMO_TOKEN, pacing=None)
        return sync_from_cursors(sync_hubspot, con, client, **run)


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every raw_hubspot table, empty, if nothing has landed it yet: a job that lands
    no HubSpot data first (transform, CSV exports) may meet a warehouse HubSpot never
    reached, and dbt's staging models read it all the same. The columns are those a sync
    or a file load lands (the simulator's schemas, which are the API's shapes)."""
    for obj in OBJECTS:
        empty = con.from_arrow(TABLES[obj.name][1].empty_table())
        columns = zip(empty.columns, map(str, empty.types), strict=True)
        ensure_raw_table(con, obj, list(columns))
