"""Fixtures for the HubSpot connector: a small world, its API server, a fake clock, a warehouse.

The world is generated once per session; every test gets a fresh server over it (its own
in-memory state, so edits never leak between tests), a client whose waits go to a fake
clock, and an empty in-memory DuckDB.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ingestion.hubspot.client import HubSpotClient
from ingestion.hubspot.objects import OBJECTS
from ingestion.hubspot.sync import sync_hubspot
from ingestion.raw.objects import ObjectKind
from ingestion.simulator.server import HubSpotServer

# Seed 8 at 300 deals has a malformed deal, archived deals and contacts, and merges of both.
TOKEN = "pat-na1-5e3f0c1d-secret-token-value"
SYNCED_TABLES = (
    "deals",
    "deal_property_history",
    "contacts",
    "companies",
    "owners",
    "pipeline_stages",
    "deal_contacts",
    "deal_companies",
    "engagements",
    "form_submissions",
)
RAW = {obj.name: obj for obj in OBJECTS}
START = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.fixture
def server(world, clock):
    with HubSpotServer(world, token=TOKEN, clock=clock.time) as running:
        yield running


@pytest.fixture
def client(server, clock) -> HubSpotClient:
    return HubSpotClient(server.base_url, token=TOKEN, clock=clock.time, sleep=clock.sleep)


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def sync(con, client):
    """Run sync_hubspot into the test's warehouse; each run gets the next load id."""
    runs = itertools.count(1)

    def run(*, full: bool = False, client: HubSpotClient = client, **options):
        n = next(runs)
        return sync_hubspot(
            con,
            client,
            full=full,
            load_id=f"L{n}",
            loaded_at=START + timedelta(hours=n),
            **options,
        )

    return run


def _quote(name: str) -> str:
    return '"' + name + '"'


def quarantined_keys(con, name: str) -> set[str]:
    table = RAW[name].quarantine_table
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'quarantine' "
        "and table_name = ?",
        [table.split(".")[1]],
    ).fetchone()[0]
    return (
        {r[0] for r in con.execute(f"select record_key from {table}").fetchall()}
        if exists
        else set()
    )


def raw_current(con, name: str, columns: list[str]) -> list[tuple]:
    """What raw_hubspot.<name> says is true now: each key's latest version, unless vanished
    (every row for event objects such as history), sorted."""
    obj = RAW[name]
    cols = ", ".join(_quote(c) for c in columns)
    if obj.kind is ObjectKind.EVENT:
        sql = f"select {cols} from {obj.table}"
    else:
        key = ", ".join(obj.key)
        sql = f"""select {cols} from {obj.table} qualify row_number() over (
            partition by {key} order by _load_sequence desc) = 1 and not _vanished"""
    return sorted(con.execute(sql).fetchall(), key=repr)


def server_rows(server, name: str, skip_keys: set[str] = frozenset()) -> tuple[list[str], list]:
    table = server.world.table(name)
    rows = [tuple(r.values()) for r in table.to_pylist()]
    if skip_keys:
        rows = [r for r in rows if r[0] not in skip_keys]
    return table.column_names, sorted(rows, key=repr)


def assert_raw_matches_server(con, server, tables: tuple[str, ...] = SYNCED_TABLES) -> None:
    """Every synced raw table (or those in ``tables``) holds exactly the server's current
    state.

    Quarantined records never land, so raw keeps their last valid version: they are left
    out. History is kept once per entry, so a merged-away deal's history stays in raw
    after the API stops listing it: only history of deals the server lists is compared.
    """
    listed = set(server.world.crm["deals"].rows)
    for name in tables:
        skip = quarantined_keys(con, name) if name in ("deals", "contacts") else set()
        columns, expected = server_rows(server, name, skip)
        actual = [r for r in raw_current(con, name, columns) if r[0] not in skip]
        if name == "deal_property_history":
            actual = [r for r in actual if r[0] in listed]
        assert actual == expected, f"raw_hubspot.{name} differs from the server"


def cursor(con, name: str) -> str | None:
    row = con.execute(
        "select cursor_value from raw_hubspot._cursors where object = ?", [name]
    ).fetchone()
    return row[0] if row else None


def versions(con, name: str) -> int:
    return con.execute(f"select count(*) from raw_hubspot.{name}").fetchone()[0]
