"""Fixtures for the Pipedrive connector: a small world, its API server, a fake clock, a warehouse.

The world is generated once per session; every test gets a fresh server over it (its own
in-memory state, so edits never leak between tests), a client whose waits go to a fake
clock shared with the server's rate limiter, and an empty in-memory DuckDB.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ingestion.pipedrive.client import PipedriveClient
from ingestion.pipedrive.objects import OBJECTS
from ingestion.pipedrive.sync import sync_pipedrive
from ingestion.raw.objects import ObjectKind
from ingestion.simulator.pipedrive_server import PipedriveServer

# Seed 8 at 300 deals has a malformed deal (createdate '00/00/0000') and 3 deleted deals.
TOKEN = "5e3f0c1d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"
RAW = {obj.name: obj for obj in OBJECTS}
START = datetime(2026, 1, 2, tzinfo=UTC)
DEAL_COLUMNS = ["id", "title", "pipeline_id", "stage_id", "status", "is_deleted", "value"]
DEAL_COLUMNS += ["update_time", "forecast_category"]
FLOW_COLUMNS = ["deal_id", "id", "field_key", "old_value", "new_value", "log_time"]


@pytest.fixture
def server(world, clock):
    with PipedriveServer(world, token=TOKEN, clock=clock.time) as running:
        yield running


@pytest.fixture
def client(server, clock) -> PipedriveClient:
    return PipedriveClient(server.base_url, token=TOKEN, sleep=clock.sleep)


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def sync(con, client):
    """Run sync_pipedrive into the test's warehouse; each run gets the next load id."""
    runs = itertools.count(1)

    def run(*, full: bool = False, client: PipedriveClient = client, **options):
        n = next(runs)
        return sync_pipedrive(
            con, client, full=full, load_id=f"L{n}", loaded_at=START + timedelta(hours=n), **options
        )

    return run


def raw_current(con, name: str, columns: list[str]) -> list[tuple]:
    """What raw_pipedrive.<name> says is true now: each key's latest version unless vanished
    (every row for event objects such as the flow), sorted."""
    obj = RAW[name]
    cols = ", ".join(f'"{c}"' for c in columns)
    if obj.kind is ObjectKind.EVENT:
        sql = f"select {cols} from {obj.table}"
    else:
        key = ", ".join(obj.key)
        sql = f"""select {cols} from {obj.table} qualify row_number() over (
            partition by {key} order by _load_sequence desc) = 1 and not _vanished"""
    return sorted(con.execute(sql).fetchall(), key=repr)


def quarantined(con) -> set[str]:
    rows = con.execute("select record_key from quarantine.pipedrive__deals").fetchall()
    return {r[0] for r in rows}


def _text(value: object) -> str | None:
    return value if value is None or isinstance(value, str) else json.dumps(value)


def expected_deals(server, skip: set[str] = frozenset()) -> list[tuple]:
    """The server's deals as raw rows of DEAL_COLUMNS (forecast category by field name,
    an enum: the label of the option id a deal holds)."""
    field = next(f for f in server.world.fields if f["name"] == "Forecast category")
    labels = {o["id"]: o["label"] for o in field["options"]}
    rows = [
        (
            *(_text(d[c]) for c in DEAL_COLUMNS[:-1]),
            labels.get(d["custom_fields"][field["key"]]),
        )
        for d in server.world.deals.values()
    ]
    return sorted((r for r in rows if r[0] not in skip), key=repr)


def expected_flow(server) -> list[tuple]:
    rows = [
        (str(deal), str(c["data"]["id"]), *(c["data"][k] for k in FLOW_COLUMNS[2:]))
        for deal, flow in server.world.flows.items()
        for c in flow
    ]
    return sorted(rows, key=repr)


def assert_raw_matches_server(con, server) -> None:
    """Deals (but the quarantined), their whole flow, stages, pipelines and teams equal the
    server's."""
    skip = quarantined(con)
    assert raw_current(con, "deals", DEAL_COLUMNS) == expected_deals(server, skip)
    assert raw_current(con, "deal_flow", FLOW_COLUMNS) == expected_flow(server)
    stages = sorted(
        (str(s["id"]), s["name"], str(s["pipeline_id"])) for s in server.world.stages.values()
    )
    assert raw_current(con, "stages", ["id", "name", "pipeline_id"]) == stages
    pipelines = sorted((str(p["id"]), p["name"]) for p in server.world.pipelines.values())
    assert raw_current(con, "pipelines", ["id", "name"]) == pipelines
    assert raw_current(con, "teams", ["id", "name", "users"]) == expected_teams(server)


def expected_teams(server) -> list[tuple]:
    """The server's teams as raw holds them: members as the JSON list the API sent."""
    teams = server.world.teams.values() if server.world.teams_enabled else []
    return sorted(
        ((str(t["id"]), t["name"], json.dumps(t["users"], separators=(",", ":"))) for t in teams),
        key=repr,
    )


def cursor(con, name: str = "deals") -> str | None:
    row = con.execute(
        "select cursor_value from raw_pipedrive._cursors where object = ?", [name]
    ).fetchone()
    return row[0] if row else None


def snapshot(con) -> dict[str, list[tuple]]:
    """Every deal, flow and cursor row, to prove a failed sync changed nothing."""
    return {
        t: sorted(con.execute(f"select * from raw_pipedrive.{t}").fetchall(), key=repr)
        for t in ("deals", "deal_flow", "_cursors")
    }
