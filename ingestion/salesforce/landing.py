"""Where the Salesforce data comes from: a real org, or the demo's simulated one.

The demo serves the simulated world as a Salesforce org on a loopback port and syncs it
with the real connector, so a demo run exercises production's code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from ingestion.hubspot.sync import ObjectStats
from ingestion.raw.snapshot import ensure_raw_table
from ingestion.salesforce.client import SalesforceClient
from ingestion.salesforce.objects import OBJECTS
from ingestion.salesforce.sync import sync_salesforce
from ingestion.simulator.salesforce_server import SalesforceServer
from ingestion.simulator.server.httpd import DEMO_TOKEN


def _sync(
    con: duckdb.DuckDBPyConnection,
    client: SalesforceClient,
    *,
    load_id: str,
    loaded_at: datetime,
    work_dir: Path,
    progress: Callable[[str], None],
) -> dict[str, ObjectStats]:
    work_dir.mkdir(parents=True, exist_ok=True)
    return sync_salesforce(
        con,
        client,
        full=False,
        load_id=load_id,
        loaded_at=loaded_at,
        progress=progress,
        work_dir=work_dir,
    )


def land_salesforce_api(
    con: duckdb.DuckDBPyConnection,
    instance_url: str,
    *,
    load_id: str,
    loaded_at: datetime,
    work_dir: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, ObjectStats]:
    """Sync a real org (credentials from the environment: see SalesforceClient), incrementally."""
    return _sync(
        con,
        SalesforceClient(instance_url),
        load_id=load_id,
        loaded_at=loaded_at,
        work_dir=work_dir,
        progress=progress,
    )


def land_salesforce_demo(
    con: duckdb.DuckDBPyConnection,
    world_dir: Path,
    *,
    load_id: str,
    loaded_at: datetime,
    work_dir: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, ObjectStats]:
    """Serve the simulated world as a Salesforce org on loopback and sync it."""
    with SalesforceServer(world_dir, token=DEMO_TOKEN) as server:
        return _sync(
            con,
            SalesforceClient(server.instance_url, token=DEMO_TOKEN),
            load_id=load_id,
            loaded_at=loaded_at,
            work_dir=work_dir,
            progress=progress,
        )


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every raw_salesforce table with its queried fields if no sync has landed yet,
    so the dbt staging models always have a (possibly empty) table to read."""
    for obj in OBJECTS:
        ensure_raw_table(con, obj.raw, [(field, "VARCHAR") for field in obj.fields])
