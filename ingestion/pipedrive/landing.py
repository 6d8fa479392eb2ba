"""Where the Pipedrive data comes from: the real API, or the demo's simulated one.

The demo serves the simulated world through Pipedrive's API shapes on a loopback port
and syncs it with the real connector, so every demo run exercises production's code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from ingestion.hubspot.sync import ObjectStats
from ingestion.pipedrive.client import PipedriveClient
from ingestion.pipedrive.objects import ACTIVITIES, DEAL_FLOW, DEALS, PERSONS, USERS
from ingestion.pipedrive.records import (
    ACTIVITY_COLUMNS,
    DEAL_COLUMNS,
    FLOW_COLUMNS,
    PERSON_COLUMNS,
    USER_COLUMNS,
)
from ingestion.pipedrive.sync import sync_pipedrive
from ingestion.raw.snapshot import ensure_raw_table
from ingestion.simulator.pipedrive_server import PipedriveServer
from ingestion.simulator.server.httpd import DEMO_TOKEN


def _sync(
    con: duckdb.DuckDBPyConnection,
    client: PipedriveClient,
    *,
    load_id: str,
    loaded_at: datetime,
    work_dir: Path,
    progress: Callable[[str], None],
) -> dict[str, ObjectStats]:
    work_dir.mkdir(parents=True, exist_ok=True)
    return sync_pipedrive(
        con,
        client,
        full=False,
        load_id=load_id,
        loaded_at=loaded_at,
        progress=progress,
        work_dir=work_dir,
    )


def land_pipedrive_api(
    con: duckdb.DuckDBPyConnection,
    base_url: str,
    *,
    load_id: str,
    loaded_at: datetime,
    work_dir: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, ObjectStats]:
    """Sync a real Pipedrive company (token from PIPEDRIVE_API_TOKEN), incrementally."""
    return _sync(
        con,
        PipedriveClient(base_url),
        load_id=load_id,
        loaded_at=loaded_at,
        work_dir=work_dir,
        progress=progress,
    )


def land_pipedrive_demo(
    con: duckdb.DuckDBPyConnection,
    world_dir: Path,
    *,
    load_id: str,
    loaded_at: datetime,
    work_dir: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, ObjectStats]:
    """Serve the simulated world over Pipedrive's API on loopback and sync it."""
    with PipedriveServer(world_dir, token=DEMO_TOKEN) as server:
        return _sync(
            con,
            PipedriveClient(server.base_url, token=DEMO_TOKEN),
            load_id=load_id,
            loaded_at=loaded_at,
            work_dir=work_dir,
            progress=progress,
        )


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw_pipedrive tables dbt stages (deals, their flow, activities, persons,
    users) with their columns if no sync has landed yet, so the dbt staging models always have a
    (possibly empty) table to read."""
    tables = (
        (DEALS, DEAL_COLUMNS),
        (DEAL_FLOW, FLOW_COLUMNS),
        (ACTIVITIES, ACTIVITY_COLUMNS),
        (PERSONS, PERSON_COLUMNS),
        (USERS, USER_COLUMNS),
    )
    for obj, columns in tables:
        ensure_raw_table(con, obj, [(column, "VARCHAR") for column in columns])
