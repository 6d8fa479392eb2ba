"""sync_pipedrive against the simulated API: raw tables equal the server's state, always."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from ingestion.pipedrive.client import PipedriveClient
from ingestion.pipedrive.errors import PipedriveAuthError, PipedriveUnavailableError
from ingestion.simulator import read_table
from ingestion.simulator.pipedrive_server.mapping import StageIds, field_key

from .conftest import (
    DEAL_COLUMNS,
    TOKEN,
    assert_raw_matches_server,
    cursor,
    quarantined,
    raw_current,
    snapshot,
)


def _open_deals(server) -> list[int]:
    return sorted(i for i, d in server.world.deals.items() if d["status"] == "open")


def _next_stage(server, deal_id: int) -> int:
    deal = server.world.deals[deal_id]
    stages = sorted(
        (s["order_nr"], s["id"])
        for s in server.world.stages.values()
        if s["pipeline_id"] == deal["pipeline_id"]
    )
    order = [sid for _, sid in stages]
    return order[order.index(deal["stage_id"]) + 1]


def test_full_sync_lands_the_world_exactly(sync, con, server, world):
    stats = sync(full=True)
    assert_raw_matches_server(con, server)
    # ...and the server is the world: every deal, its stage and deletion, its stage changes.
    ids = StageIds.from_rows(read_table(world, "pipeline_stages").to_pylist())
    deals = read_table(world, "deals").to_pylist()
    truth = read_table(world, "truth_deals").to_pylist()
    malformed = {
        t["deal_id"]
        for t in truth
        if t["is_malformed"] and t["deal_id"] in {d["id"] for d in deals}
    }
    assert malformed and quarantined(con) == malformed
    landed = {r[0]: r for r in raw_current(con, "deals", DEAL_COLUMNS)}
    for deal in deals:
        if deal["id"] in malformed:
            continue
        row = dict(zip(DEAL_COLUMNS, landed[deal["id"]], strict=True))
        assert row["title"] == deal["dealname"]
        assert row["stage_id"] == str(ids.stages[(deal["pipeline"], deal["dealstage"])])
        assert row["pipeline_id"] == str(ids.pipelines[deal["pipeline"]])
        assert (row["is_deleted"] == "true") == deal["archived"] == (row["status"] == "deleted")
        assert row["forecast_category"] == deal["hs_forecast_category"]
    stage_changes = Counter(
        h["deal_id"]
        for h in read_table(world, "deal_property_history").to_pylist()
        if h["property"] == "dealstage"
    )
    flow = raw_current(con, "deal_flow", ["deal_id", "field_key"])
    landed_changes = Counter(d for d, field in flow if field == "stage_id")
    assert landed_changes == Counter(
        {d: n for d, n in stage_changes.items() if d in landed or d in malformed}
    )
    # The landed stage changes, in order, are the deal's true stage visits.
    visits: dict[str, list[str]] = {}
    for v in sorted(
        read_table(world, "truth_stage_visits").to_pylist(), key=lambda v: v["visit_number"]
    ):
        visits.setdefault(v["deal_id"], []).append(
            str(ids.stages[(v["pipeline_id"], v["stage_id"])])
        )
    moves = con.execute(
        """select deal_id, list(new_value order by cast(id as bigint)) from raw_pipedrive.deal_flow
        where field_key = 'stage_id' group by deal_id"""
    ).fetchall()
    assert dict(moves) == {d: path for d, path in visits.items() if d in dict(moves)}
    assert len(moves) == len(deals)
    assert raw_current(con, "pipelines", ["id", "name"]) == [
        ("1", "New Business"),
        ("2", "Expansion"),
    ]
    assert len(raw_current(con, "stages", ["id"])) == 14
    assert len(raw_current(con, "users", ["id"])) == 8
    contacts = read_table(world, "contacts").to_pylist()
    assert len(raw_current(con, "persons", ["id"])) == sum(not c["archived"] for c in contacts)
    assert cursor(con) == max(d["update_time"] for d in server.world.deals.values())
    assert stats["deals"].cursor == cursor(con) and stats["deals"].mode == "full"
    assert stats["deals"].rows_read == len(deals)


def test_incremental_sync_lands_an_edit_and_flags_a_deletion(sync, con, server):
    sync(full=True)
    moved, deleted, repriced = _open_deals(server)[:3]
    stage = _next_stage(server, moved)
    server.world.update_deal(moved, {"stage_id": stage})
    server.world.delete_deal(deleted)
    server.world.update_deal(repriced, {"value": 4321.5})
    before = con.execute("select count(*) from raw_pipedrive.deals").fetchone()[0]

    stats = sync()

    assert stats["deals"].mode == "incremental"
    assert stats["deals"].rows_inserted == 3 and stats["deals"].rows_vanished == 0
    assert con.execute("select count(*) from raw_pipedrive.deals").fetchone()[0] == before + 3
    assert_raw_matches_server(con, server)
    rows = {
        r[0]: r[1:]
        for r in raw_current(con, "deals", ["id", "stage_id", "status", "is_deleted", "value"])
    }
    assert rows[str(moved)][0] == str(stage)
    assert rows[str(deleted)][1:3] == ("deleted", "true")
    assert rows[str(repriced)][3] == "4321.5"
    changes = raw_current(con, "deal_flow", ["deal_id", "field_key", "new_value"])
    assert (str(moved), "stage_id", str(stage)) in changes
    assert (str(repriced), "value", "4321.5") in changes
    assert cursor(con) == server.world.deals[repriced]["update_time"]
    assert sum(s.rows_inserted for s in sync().values()) == 0  # nothing changed since


def test_a_team_move_is_a_new_version_of_the_teams_before_the_users(sync, con, server):
    sync(full=True)
    first, *_ = sorted(server.world.teams)
    user = server.world.teams[first]["users"][0]
    other = next(t for t in sorted(server.world.teams) if t != first)
    server.world.move_user(user, other)

    stats = sync()

    assert stats["teams"].rows_inserted == 2 and stats["users"].rows_inserted == 0
    assert_raw_matches_server(con, server)
    members = dict(raw_current(con, "teams", ["id", "users"]))
    assert user not in json.loads(members[str(first)])
    assert user in json.loads(members[str(other)])
    # Within a sync, teams land before users (stg_pipedrive__user_versions relies on it).
    order = con.execute(
        "select object from raw_pipedrive._loads where load_id = 'L1' "
        "and object in ('teams', 'users') order by load_sequence"
    ).fetchall()
    assert order == [("teams",), ("users",)]


def test_a_plan_without_teams_lands_none_and_the_rest_as_usual(sync, con, server):
    sync(full=True)
    server.world.teams_enabled = False  # a downgrade: legacyTeams answers 403 from now on

    stats = sync()

    assert stats["teams"].rows_vanished == len(server.world.teams) > 1
    assert raw_current(con, "teams", ["id"]) == []
    assert_raw_matches_server(con, server)


def test_rate_limit_reset_is_honoured_then_a_storm_fails_clearly(sync, con, server, client, clock):
    sync(full=True)
    server.world.update_deal(_open_deals(server)[0], {"value": 5})
    server.faults.rate_limited = 3
    sync()  # three 429s, each waiting for the 2-second window to reset
    assert clock.sleeps == [2, 2, 2] and client.stats.retries == 3
    assert_raw_matches_server(con, server)

    server.world.update_deal(_open_deals(server)[1], {"value": 6})
    before = snapshot(con)
    server.faults.rate_limited = 1_000
    with pytest.raises(PipedriveUnavailableError, match="Run the sync again later"):
        sync()
    assert clock.sleeps[3:] == [2] * 7  # 8 attempts, then it gives up
    assert snapshot(con) == before


def test_a_5xx_mid_pagination_retries_that_page_alone(world, con, server, clock, sync):
    small_pages = PipedriveClient(server.base_url, token=TOKEN, sleep=clock.sleep, page_size=50)
    # 22 reference pages and one dealFields page come first: fail on the third deals page.
    server.faults.fail_after_pages, server.faults.failures = 25, 2
    stats = sync(full=True, client=small_pages)
    assert clock.sleeps == [1, 2] and stats["deals"].retries == 2
    failed = [t for _, t, status in server.app.requests if status == 502]
    assert len(failed) == 2 and all(
        t.startswith("/api/v2/deals?") and "cursor=" in t for t in failed
    )
    assert stats["deals"].pages == 7  # 296 live deals in 6 pages of 50, the deleted in 1
    assert_raw_matches_server(con, server)


def test_a_refused_token_fails_fast_naming_the_variable_not_the_token(sync, con, server, clock):
    sync(full=True)
    server.world.update_deal(_open_deals(server)[0], {"value": 7})
    before = snapshot(con)
    server.faults.expired_token = True
    with pytest.raises(PipedriveAuthError, match="PIPEDRIVE_API_TOKEN") as refused:
        sync()
    assert TOKEN not in str(refused.value) and clock.sleeps == []
    assert snapshot(con) == before
    tables = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables"
    ).fetchall()
    dump = "".join(str(con.execute(f"select * from {t}").fetchall()) for (t,) in tables)
    assert TOKEN not in dump


def test_a_missing_token_names_the_variable(monkeypatch):
    monkeypatch.delenv("PIPEDRIVE_API_TOKEN", raising=False)
    with pytest.raises(PipedriveAuthError, match="set PIPEDRIVE_API_TOKEN"):
        PipedriveClient("http://127.0.0.1:9")


def test_a_new_custom_field_becomes_a_named_column(sync, con, server):
    sync(full=True)
    deal = _open_deals(server)[0]
    server.world.add_field("Partner region")
    server.world.update_deal(deal, {}, custom={"Partner region": "EMEA"})
    sync()
    assert dict(raw_current(con, "deals", ["id", "partner_region"]))[str(deal)] == "EMEA"
    sync(full=True)
    assert_raw_matches_server(con, server)


def test_a_field_created_mid_sync_is_kept_then_named(sync, con, server):
    sync(full=True)
    deal = _open_deals(server)[0]

    def create_field_once(method, path):
        if path == "/api/v2/deals" and server.faults.before_request:
            server.faults.before_request = None
            server.world.add_field("Renewal owner")
            server.world.update_deal(deal, {}, custom={"Renewal owner": "Ada"})

    server.faults.before_request = create_field_once
    sync()  # dealFields was read before the field existed: its value is kept unnamed
    unmapped = dict(raw_current(con, "deals", ["id", "custom_fields_unmapped"]))[str(deal)]
    assert json.loads(unmapped) == {field_key("Renewal owner"): "Ada"}
    sync()  # the overlap re-reads the deal, now with the field named
    assert dict(raw_current(con, "deals", ["id", "renewal_owner"]))[str(deal)] == "Ada"
    assert_raw_matches_server(con, server)


def test_a_crash_mid_sync_then_a_rerun_loses_and_duplicates_nothing(sync, con, server):
    sync(full=True)
    edited = _open_deals(server)[:40]
    for deal in edited:
        server.world.update_deal(deal, {"stage_id": _next_stage(server, deal)})
    before = snapshot(con)

    class KilledError(Exception):
        pass

    flows = []

    def die_on_the_20th_flow(method, path, status):
        flows.append(path.endswith("/flow"))
        if sum(flows) == 20:
            raise KilledError

    crashing = PipedriveClient(server.base_url, token=TOKEN, observe=die_on_the_20th_flow)
    with pytest.raises(KilledError):
        sync(client=crashing)
    assert snapshot(con) == before  # no deal, flow entry or cursor from the failed read

    sync()

    assert_raw_matches_server(con, server)
    versions = con.execute(
        "select id, count(*) from raw_pipedrive.deals group by id having count(*) > 1"
    ).fetchall()
    landed = [str(d) for d in edited if str(d) not in quarantined(con)]
    assert sorted(versions) == sorted((d, 2) for d in landed)
    duplicates = con.execute(
        "select deal_id, id from raw_pipedrive.deal_flow group by all having count(*) > 1"
    ).fetchall()
    assert duplicates == []
