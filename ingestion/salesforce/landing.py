"""Where the Salesforce data comes from: a real org, or the demo's simulated one.

The demo serves the simulated world as a Salesforce org on a loopback port and syncs it
with the real connector, so a demo run exercises production's code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Unpack

import duckdb

from ingestion.raw.snapshot import ensure_raw_table
from ingestion.raw.syncs import ObjectStats, SyncRun, sync_from_cursors
from ingestion.salesforce.client import SalesforceClient
from ingestion.salesforce.objects import OBJECTS
from ingestion.salesforce.sync import sync_salesforce
from ingestion.simulator.salesforce_server import SalesforceServer
from ingestion.simulator.server.httpd import DEMO_TOKEN


def land_salesforce_api(
    con: duckdb.DuckDBPyConnection, instance_url: str, **run: Unpack[SyncRun]
) -> dict[str, ObjectStats]:
    """Sync a real org (credentials from the environment: see SalesforceClient), incrementally."""
    return sync_from_cursors(sync_salesforce, con, SalesforceClient(instance_url), **run)


def land_salesforce_demo(
    con: duckdb.DuckDBPyConnection, world_dir: Path, **run: Unpack[SyncRun]
) -> dict[str, ObjectStats]:
    """Serve the simulated world as a Salesforce org on loopback and sync it."""
    with SalesforceServer(world_dir, token=DEMO_TOKEN) as server:
        client = SalesforceClient(server.instance_url, token=DEMO_TOKEN)
        return sync_from_cursors(sync_salesforce, con, client, **run)


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every raw_salesforce table with its queried fields if no sync has landed yet,
    so the dbt staging models always have a (possibly empty) table to read."""
    for obj in OBJECTS:
        ensure_raw_table(con, obj.raw, [(field, "VARCHAR") for field in obj.fields])
