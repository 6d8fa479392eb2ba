"""Where the Pipedrive data comes from: the real API, or the demo's simulated one.

The demo serves the simulated world through Pipedrive's API shapes on a loopback port
and syncs it with the real connector, so every demo run exercises production's code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Unpack

import duckdb

from ingestion.pipedrive.client import PipedriveClient
from ingestion.pipedrive.objects import ACTIVITIES, DEAL_FLOW, DEALS, PERSONS, TEAMS, USERS
from ingestion.pipedrive.records import (
    ACTIVITY_COLUMNS,
    DEAL_COLUMNS,
    FLOW_COLUMNS,
    PERSON_COLUMNS,
    TEAM_COLUMNS,
    USER_COLUMNS,
)
from ingestion.pipedrive.sync import sync_pipedrive
from ingestion.raw.snapshot import ensure_raw_table
from ingestion.raw.syncs import ObjectStats, SyncRun, sync_from_cursors
from ingestion.simulator.pipedrive_server import PipedriveServer
from ingestion.simulator.server.httpd import DEMO_TOKEN


def land_pipedrive_api(
    con: duckdb.DuckDBPyConnection, base_url: str, **run: Unpack[SyncRun]
) -> dict[str, ObjectStats]:
    """Sync a real Pipedrive company (token from PIPEDRIVE_API_TOKEN), incrementally."""
    return sync_from_cursors(sync_pipedrive, con, PipedriveClient(base_url), **run)


def land_pipedrive_demo(
    con: duckdb.DuckDBPyConnection, world_dir: Path, **run: Unpack[SyncRun]
) -> dict[str, ObjectStats]:
    """Serve the simulated world over Pipedrive's API on loopback and sync it."""
    with PipedriveServer(world_dir, token=DEMO_TOKEN) as server:
        client = PipedriveClient(server.base_url, token=DEMO_TOKEN)
        return sync_from_cursors(sync_pipedrive, con, client, **run)


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw_pipedrive tables dbt stages (deals, their flow, activities, persons,
    users, teams) with their columns if no sync has landed yet, so the dbt staging models
    always have a (possibly empty) table to read."""
    tables = (
        (DEALS, DEAL_COLUMNS),
        (DEAL_FLOW, FLOW_COLUMNS),
        (ACTIVITIES, ACTIVITY_COLUMNS),
        (PERSONS, PERSON_COLUMNS),
        (USERS, USER_COLUMNS),
        (TEAMS, TEAM_COLUMNS),
    )
    for obj, columns in tables:
        ensure_raw_table(con, obj, [(column, "VARCHAR") for column in columns])
