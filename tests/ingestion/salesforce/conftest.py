"""Fixtures for the Salesforce connector: a small world, its org server, a fake clock, a warehouse.

The world is generated once per session; every test gets a fresh server (its own org
state, so edits never leak between tests) serving 100-record batches so paging happens.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ingestion.raw.objects import ObjectKind
from ingestion.salesforce.client import SalesforceClient
from ingestion.salesforce.objects import OBJECTS
from ingestion.salesforce.sync import _text, sync_salesforce
from ingestion.simulator.salesforce_server import SalesforceServer

TOKEN = "00DRO000001secret!AQ4AQFakeSessionTokenValue"
BATCH = 100
START = datetime(2026, 1, 2, tzinfo=UTC)
BY_NAME = {o.sobject: o for o in OBJECTS}


@pytest.fixture
def server(world):
    with SalesforceServer(world, token=TOKEN, batch_size=BATCH) as running:
        yield running


@pytest.fixture
def client(server, clock) -> SalesforceClient:
    return SalesforceClient(server.instance_url, token=TOKEN, sleep=clock.sleep)


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def sync(con, client):
    """Run sync_salesforce into the test's warehouse; each run gets the next load id."""
    runs = itertools.count(1)

    def run(*, full: bool = False, client: SalesforceClient = client, **options):
        n = next(runs)
        return sync_salesforce(
            con, client, full=full, load_id=f"L{n}", loaded_at=START + timedelta(hours=n), **options
        )

    return run


def raw_current(con, name: str, columns: tuple[str, ...] | None = None) -> list[tuple]:
    """What raw_salesforce.<name> says is true now: each Id's latest version, unless
    vanished (every row for event objects), sorted."""
    obj = BY_NAME[name]
    cols = ", ".join(f'"{c}"' for c in (columns or obj.fields))
    table = obj.raw.table
    if obj.raw.kind is ObjectKind.EVENT:
        sql = f"select {cols} from {table}"
    else:
        sql = f"""select {cols} from {table} qualify row_number() over (
            partition by Id order by _load_sequence desc) = 1 and not _vanished"""
    return sorted(con.execute(sql).fetchall(), key=repr)


def quarantined(con, name: str) -> set[str]:
    table = BY_NAME[name].raw.quarantine_table
    return {r[0] for r in con.execute(f"select record_key from {table}").fetchall()}


def server_rows(server, name: str) -> list[tuple]:
    fields = BY_NAME[name].fields
    return sorted((tuple(_text(r[f]) for f in fields) for r in server.org.current(name)), key=repr)


def assert_raw_matches_server(con, server) -> None:
    """Every raw table holds exactly the org's records (quarantined ones left out)."""
    for obj in OBJECTS:
        skip = quarantined(con, obj.sobject)
        expected = [r for r in server_rows(server, obj.sobject) if r[0] not in skip]
        assert raw_current(con, obj.sobject) == expected, f"raw_salesforce.{obj.sobject}"


def versions(con, name: str) -> int:
    return con.execute(f"select count(*) from raw_salesforce.{name}").fetchone()[0]


def cursor(con, name: str) -> str | None:
    row = con.execute(
        "select cursor_value from raw_salesforce._cursors where object = ?", [name]
    ).fetchone()
    return row[0] if row else None
