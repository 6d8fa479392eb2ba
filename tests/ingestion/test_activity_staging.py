"""One world's activities synced from HubSpot, Salesforce, Pipedrive and a CSV export, then
staged by dbt: every source's staging model keeps the one activities contract, and each
recovers the world's activities per deal and type."""

from __future__ import annotations

import csv
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from ingestion.csv_exports import land_csv_exports
from ingestion.hubspot.client import HubSpotClient
from ingestion.hubspot.sync import sync_hubspot
from ingestion.pipedrive.client import PipedriveClient
from ingestion.pipedrive.sync import sync_pipedrive
from ingestion.salesforce.client import SalesforceClient
from ingestion.salesforce.sync import sync_salesforce
from ingestion.settings import DBT_PROJECT_DIR
from ingestion.simulator import WorldConfig, generate_world, read_table
from ingestion.simulator.pipedrive_server import PipedriveServer
from ingestion.simulator.salesforce_server import SalesforceServer
from ingestion.simulator.server import HubSpotServer
from orchestration.dbt_manifest import dbt_executable

MODELS = {
    "hubspot": "stg_hubspot__activities",
    "salesforce": "stg_salesforce__activities",
    "pipedrive": "stg_pipedrive__activities",
    "csv": "stg_csv__activities",
}
CONTRACT = [
    ("activity_key", "VARCHAR"),
    ("deal_key", "VARCHAR"),
    ("contact_key", "VARCHAR"),
    ("owner_key", "VARCHAR"),
    ("activity_type", "VARCHAR"),
    ("activity_status", "VARCHAR"),
    ("is_completed", "BOOLEAN"),
    ("occurred_at", "TIMESTAMP"),
    ("is_vanished", "BOOLEAN"),
    ("source_system", "VARCHAR"),
]
AS_OF = "2025-12-31"
TOKEN = "test-token"
CSV_MAPPING = """kind: activities
instance: legacy_crm
files: activities.csv
columns: {activity_id: Id, type: Type, status: Status, occurred_at: When, deal_id: Deal,
          contact_id: Contact, owner: Owner}
"""


def _world_id(source: str, key: str | None) -> str | None:
    """The world's id inside a staging key (Salesforce ids carry a 3-character prefix)."""
    if key is None:
        return None
    record = key.split(":", 2)[2]
    return str(int(record[3:])) if source == "salesforce" else record


def _sync_deleting_one(con, world: Path, work_dir: Path) -> dict[str, str]:
    """Sync each CRM API whole, delete one activity in each, sync again (incrementally);
    returns source -> the world id of the activity deleted there."""
    at = datetime.now(UTC)
    work_dir.mkdir(exist_ok=True)
    deleted = {}
    with HubSpotServer(world, token=TOKEN) as server:
        client = HubSpotClient(server.base_url, token=TOKEN, pacing=None)  # no limits here
        sync_hubspot(con, client, full=True, load_id="L1", loaded_at=at, work_dir=work_dir)
        deleted["hubspot"] = min(server.world.crm["calls"].rows, key=int)
        server.world.archive("calls", deleted["hubspot"])
        sync_hubspot(con, client, full=False, load_id="L2", loaded_at=at, work_dir=work_dir)
    with SalesforceServer(world, token=TOKEN) as server:
        client = SalesforceClient(server.instance_url, token=TOKEN)
        sync_salesforce(con, client, full=True, load_id="L1", loaded_at=at, work_dir=work_dir)
        task = server.org.current("Task")[0]["Id"]
        server.org.delete("Task", task)
        deleted["salesforce"] = str(int(task[3:]))
        sync_salesforce(con, client, full=False, load_id="L2", loaded_at=at, work_dir=work_dir)
    with PipedriveServer(world, token=TOKEN) as server:
        client = PipedriveClient(server.base_url, token=TOKEN)
        sync_pipedrive(con, client, full=True, load_id="L1", loaded_at=at, work_dir=work_dir)
        activity = min(server.world.activities)
        server.world.delete_activity(activity)
        deleted["pipedrive"] = str(activity)
        sync_pipedrive(con, client, full=False, load_id="L2", loaded_at=at, work_dir=work_dir)
    return deleted


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """(read-only warehouse connection, the world's engagements, ids deleted per source)."""
    home = tmp_path_factory.mktemp("activity_staging")
    world = home / "world"
    generate_world(WorldConfig(seed=8, n_deals=300), world)
    engagements = read_table(world, "engagements").to_pylist()
    with (home / "activities.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["Id", "Type", "Status", "When", "Deal", "Contact", "Owner"])
        for r in engagements:
            row = [r["id"], r["type"], r["status"], r["timestamp"], r["deal_id"]]
            out.writerow([*row, r["contact_id"], r["owner_id"]])
    (home / "activities.yml").write_text(CSV_MAPPING, encoding="utf-8")
    warehouse = home / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        deleted = _sync_deleting_one(con, world, home / "tmp")
        land_csv_exports(con, home / "activities.yml", load_id="L1", loaded_at=datetime.now(UTC))
    variables = f"{{as_of: {AS_OF}, warehouse: '{warehouse}', duckdb_temp_directory: '{home}'}}"
    command = [dbt_executable(), "build", "--select", *MODELS.values(), "--vars", variables]
    command += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    command += ["--target-path", str(home / "target"), "--log-path", str(home / "logs")]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr  # the models' data tests pass too
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con, engagements, deleted
    con.close()


def test_every_source_keeps_the_one_activities_contract(staged):
    con, _, _ = staged
    shapes = {}
    for source, model in MODELS.items():
        columns = con.execute(
            f"select column_name, column_type from (describe staging.{model})"
        ).fetchall()
        shapes[source] = [c for c in columns if c[0] in dict(CONTRACT)]
        assert dict(shapes[source]) == dict(CONTRACT), model
        systems = con.execute(f"select distinct source_system from staging.{model}").fetchall()
        assert systems == [(source,)]
    assert len({tuple(shape) for shape in shapes.values()}) == 1  # same order: union all works


@pytest.mark.parametrize("source", ["salesforce", "pipedrive", "csv"])
def test_each_source_recovers_the_worlds_activities(staged, source):
    con, engagements, deleted = staged
    rows = con.execute(
        f"""select activity_key, deal_key, contact_key, owner_key, activity_type,
            is_completed, occurred_at
        from staging.{MODELS[source]} where not is_vanished"""
    ).fetchall()
    # Salesforce and Pipedrive keep notes elsewhere than among their activities.
    expected = [
        r
        for r in engagements
        if (source == "csv" or r["type"] != "NOTE") and r["id"] != deleted.get(source)
    ]
    assert Counter((_world_id(source, r[1]), r[4]) for r in rows) == Counter(
        (r["deal_id"], r["type"].lower()) for r in expected
    )
    world = {r["id"]: r for r in expected}
    for key, _, contact, owner, _, completed, occurred_at in rows:
        truth = world[_world_id(source, key)]
        assert _world_id(source, owner) == truth["owner_id"]
        if source != "salesforce":  # its WhoId is the person's Lead or Contact
            assert _world_id(source, contact) == truth["contact_id"]
        still_to_do = truth["status"] in ("NOT_STARTED", "SCHEDULED")
        # Salesforce events have no status: a meeting is completed once it has ended.
        if not (source == "salesforce" and truth["type"] == "MEETING"):
            assert completed is not still_to_do, (source, truth)
        happened = datetime.fromisoformat(truth["timestamp"].replace("Z", "")).replace(tzinfo=None)
        if completed:  # when done (to the second at Pipedrive); due dates are coarser
            assert abs((occurred_at - happened).total_seconds()) < 1, (source, truth)
        else:
            assert occurred_at.date() == happened.date(), (source, truth)


def test_an_activity_deleted_at_its_source_is_vanished_there_only(staged):
    con, engagements, deleted = staged
    for source, model in MODELS.items():
        vanished = con.execute(
            f"select activity_key from staging.{model} where is_vanished"
        ).fetchall()
        assert [_world_id(source, key) for (key,) in vanished] == (
            [deleted[source]] if source in deleted else []
        )
    live = con.execute(
        """select activity_type, count(*) from staging.stg_hubspot__activities
        where not is_vanished group by 1"""
    ).fetchall()
    kept = [r for r in engagements if r["id"] != deleted["hubspot"]]
    assert dict(live) == dict(Counter(r["type"].lower() for r in kept))
