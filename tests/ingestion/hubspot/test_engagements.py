"""Engagements over HubSpot's v3 engagement objects: calls, emails, meetings, notes, tasks
land in raw_hubspot.engagements exactly as the world holds them, whatever goes wrong."""

from __future__ import annotations

from collections import Counter

import pytest
import requests

from ingestion.hubspot.client import HubSpotClient
from ingestion.hubspot.records import iso_ms
from ingestion.simulator import read_table
from ingestion.simulator.server.engagements import OBJECTS

from .conftest import TOKEN, assert_raw_matches_server, cursor, raw_current, versions

COLUMNS = ["id", "type", "timestamp", "owner_id", "deal_id", "contact_id", "status"]
COLUMNS += ["duration_ms"]
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _engagements(con) -> list[tuple]:
    return raw_current(con, "engagements", COLUMNS)


def _world_engagements(world) -> list[tuple]:
    rows = read_table(world, "engagements").to_pylist()
    return sorted((tuple(r[c] for c in COLUMNS) for r in rows), key=repr)


def _first(server, obj: str, **match: str) -> str:
    """The lowest id of a live engagement of ``obj`` whose properties match."""
    rows = server.world.crm[obj].rows
    return min(
        (
            i
            for i, r in rows.items()
            if not r["archived"] and all(r[k] == v for k, v in match.items())
        ),
        key=int,
    )


def test_served_as_v3_objects_with_their_property_names_and_associations(server, world):
    row = next(r for r in read_table(world, "engagements").to_pylist() if r["type"] == "CALL")
    answer = requests.get(
        f"{server.base_url}/crm/v3/objects/calls",
        params={
            "limit": 1,
            "properties": "hs_timestamp,hs_call_status,hs_call_duration,hubspot_owner_id",
            "associations": "deals,contacts",
        },
        headers=AUTH,
        timeout=10,
    ).json()
    (call,) = answer["results"]
    assert call["properties"] == {
        "hs_timestamp": row["timestamp"],
        "hs_call_status": row["status"],
        "hs_call_duration": row["duration_ms"],
        "hubspot_owner_id": row["owner_id"],
    }
    assert call["associations"] == {
        "deals": {"results": [{"id": row["deal_id"], "type": "call_to_deal"}]},
        "contacts": {"results": [{"id": row["contact_id"], "type": "call_to_contact"}]},
    }
    tasks = requests.get(
        f"{server.base_url}/crm/v3/objects/tasks",
        params={"limit": 100, "properties": "hs_task_status,hs_task_type"},
        headers=AUTH,
        timeout=10,
    ).json()["results"]
    assert {t["properties"]["hs_task_status"] for t in tasks} <= {"COMPLETED", "NOT_STARTED"}
    assert {t["properties"]["hs_task_type"] for t in tasks} == {"TODO", "CALL", "EMAIL"}
    links = requests.post(
        f"{server.base_url}/crm/v4/associations/calls/deals/batch/read",
        json={"inputs": [{"id": row["id"]}]},
        headers=AUTH,
        timeout=10,
    ).json()["results"]
    assert links == [
        {
            "from": {"id": row["id"]},
            "to": [
                {
                    "toObjectId": row["deal_id"],
                    "associationTypes": [
                        {"category": "HUBSPOT_DEFINED", "typeId": 206, "label": None}
                    ],
                }
            ],
        }
    ]


def test_full_sync_lands_every_engagement_counted_per_deal_and_type(sync, con, world):
    stats = sync(full=True)["engagements"]
    assert _engagements(con) == _world_engagements(world)
    # Counts per deal equal the ground truth; per deal and type, the world's engagements.
    landed = Counter(d for d in (r[4] for r in _engagements(con)))
    truth = {
        t["deal_id"]: t["n_activities"]
        for t in read_table(world, "truth_deals").to_pylist()
        if t["n_activities"]
    }
    assert landed == truth and sum(truth.values()) == stats.rows_read > 3000
    by_type = Counter((r[4], r[1]) for r in _engagements(con))
    assert by_type == Counter((r[4], r[1]) for r in _world_engagements(world))
    assert len({t for _, t in by_type}) == 5
    # 100 a page, associations inline: one request per page and one search per type.
    per_type = Counter(r[1] for r in _world_engagements(world))
    pages = sum(-(-n // 100) for n in per_type.values())
    assert (stats.mode, stats.pages, stats.requests) == ("full", pages, pages + 5)
    for kind, obj in OBJECTS.items():
        newest = max(r[2] for r in _world_engagements(world) if r[1] == kind)
        assert cursor(con, obj) == newest
    assert stats.cursor == min(cursor(con, obj) for obj in OBJECTS.values())


def test_a_call_with_more_contacts_than_the_listing_inlines_keeps_the_right_one(sync, con, server):
    """Past 100 inline associations HubSpot pages the rest: the call's contacts are then
    read apart, so the contact kept (the lowest id) is not merely the lowest of the first
    100 listed."""
    call = _first(server, "calls")
    contacts = server.world.crm["contacts"].rows
    many = sorted((i for i, r in contacts.items() if not r["archived"]), key=int)[:150]
    server.world.associations[("calls", "contacts")][call] = dict.fromkeys(reversed(many), 194)

    stats = sync(full=True)["engagements"]

    assert_raw_matches_server(con, server)
    assert {r[0]: r[5] for r in _engagements(con)}[call] == many[0]
    listed = sum(
        -(-sum(not r["archived"] for r in server.world.crm[obj].rows.values()) // 100)
        for obj in OBJECTS.values()
    )
    # The listing's pages, the call's two batch reads (deals, contacts), one search a type.
    assert (stats.pages, stats.requests) == (listed + 2, listed + 2 + 5)


def test_incremental_sync_lands_only_the_changes_and_flags_deletions(sync, con, server):
    sync(full=True)
    before = versions(con, "engagements")
    cursors = {obj: cursor(con, obj) for obj in OBJECTS.values()}
    todo = _first(server, "tasks", hs_task_status="NOT_STARTED")
    server.world.update("tasks", todo, {"hs_task_status": "COMPLETED"})
    deleted = _first(server, "emails")
    server.world.archive("emails", deleted)
    first = server.world.table("engagements").to_pylist()[0]
    deal, contact, owner = first["deal_id"], first["contact_id"], first["owner_id"]
    logged = "2026-01-01T09:30:00.000Z"
    new = server.world.create(
        "calls",
        {
            "hs_timestamp": logged,
            "hubspot_owner_id": owner,
            "hs_call_status": "NO_ANSWER",
            "hs_call_duration": "1200",
        },
        {"deals": deal, "contacts": contact},
    )

    # Read: what changed, and what the five-minute overlap re-reads before each cursor.
    overlap = {
        rid
        for obj in OBJECTS.values()
        for rid, r in server.world.crm[obj].rows.items()
        if not r["archived"] and iso_ms(r["hs_lastmodifieddate"]) >= iso_ms(cursors[obj]) - 300_000
    }

    stats = sync()["engagements"]

    assert stats.mode == "incremental"
    assert {todo, new} <= overlap and stats.rows_read == len(overlap) < 10
    assert (stats.rows_inserted, stats.rows_vanished) == (2, 1)
    assert versions(con, "engagements") == before + 3
    assert_raw_matches_server(con, server)
    now = {r[0]: r for r in _engagements(con)}
    assert now[todo][6] == "COMPLETED" and deleted not in now
    assert now[new] == (new, "CALL", logged, owner, deal, contact, "NO_ANSWER", "1200")
    tombstone = con.execute(
        "select _vanished from raw_hubspot.engagements where id = ? order by _load_sequence",
        [deleted],
    ).fetchall()
    assert tombstone == [(False,), (True,)]  # flagged, the earlier version kept
    moved = {obj for obj in OBJECTS.values() if cursor(con, obj) != cursors[obj]}
    assert moved == {"tasks", "calls"}
    assert sum(s.rows_inserted + s.rows_vanished for s in sync().values()) == 0


def test_engagements_of_a_merged_deal_follow_it_to_the_survivor(sync, con, server, world):
    sync(full=True)
    on_deal = Counter(r["deal_id"] for r in read_table(world, "engagements").to_pylist())
    deals = server.world.crm["deals"].rows
    live = (d for d in on_deal if d in deals and not deals[d]["archived"])
    survivor, loser = sorted(live, key=int)[:2]
    server.world.merge("deals", survivor, loser)
    stats = sync()
    assert_raw_matches_server(con, server)
    landed = Counter(r[4] for r in _engagements(con))
    assert landed[survivor] == on_deal[survivor] + on_deal[loser] and loser not in landed
    assert stats["engagements"].rows_inserted == on_deal[loser]
    assert sync()["engagements"].rows_inserted == 0  # nothing points at the loser any more


def test_a_5xx_in_the_middle_of_the_listing_is_retried(sync, con, server, clock, world):
    pages = []

    def fail_twice_on_the_third_email_page(method, path):
        pages.append(path)
        if path == "/crm/v3/objects/emails" and pages.count(path) == 3:
            server.faults.fail_after_pages, server.faults.failures = 0, 2
            server.faults.before_request = None

    server.faults.before_request = fail_twice_on_the_third_email_page
    stats = sync(full=True)["engagements"]
    assert stats.retries == 2 and clock.sleeps == [1, 2]
    assert _engagements(con) == _world_engagements(world)


def test_a_malformed_page_is_retried_and_a_bad_record_quarantined(sync, con, server, world):
    sync(full=True)
    bad = _first(server, "notes")
    good = _first(server, "meetings", hs_meeting_outcome="COMPLETED")
    server.world.update("notes", bad, {"hs_timestamp": "yesterday"})
    server.world.update("meetings", good, {"hs_meeting_outcome": "NO_SHOW"})

    def html_page_on_the_first_note_search(method, path):
        if path == "/crm/v3/objects/notes/search":
            server.faults.html_pages = 1  # a 200 with an HTML error page instead of JSON
            server.faults.before_request = None

    server.faults.before_request = html_page_on_the_first_note_search
    stats = sync()["engagements"]
    assert stats.retries == 1
    assert (stats.rows_inserted, stats.rows_quarantined) == (1, 1)
    reason = con.execute(
        "select reason from quarantine.hubspot__engagements where record_key = ?", [bad]
    ).fetchone()[0]
    assert reason == "timestamp 'yesterday' is not an ISO-8601 timestamp"
    # The bad record keeps its last valid version; the rest equals the server.
    expected = [r for r in _world_engagements(world) if r[0] not in (bad, good)]
    assert [r for r in _engagements(con) if r[0] not in (bad, good)] == expected
    assert dict((r[0], r[6]) for r in _engagements(con))[good] == "NO_SHOW"


def test_killed_mid_sync_then_rerun_loses_and_duplicates_nothing(sync, con, server, clock):
    sync(full=True)
    calls = server.world.crm["calls"].rows
    edited = sorted((i for i, r in calls.items() if r["hs_call_status"] == "COMPLETED"), key=int)
    edited = edited[:30]
    for call in edited:
        server.world.update("calls", call, {"hs_call_status": "BUSY"})
    before = {o: cursor(con, o) for o in OBJECTS.values()}
    rows_before = sorted(con.execute("select * from raw_hubspot.engagements").fetchall(), key=repr)

    class KilledError(Exception):
        pass

    def observe(method, path, status):
        if path == "/crm/v3/objects/meetings/search":
            raise KilledError

    with pytest.raises(KilledError):  # calls and emails were read, nothing landed
        killed = HubSpotClient(
            server.base_url, token=TOKEN, observe=observe, clock=clock.time, sleep=clock.sleep
        )
        sync(client=killed)
    assert {o: cursor(con, o) for o in OBJECTS.values()} == before
    after = sorted(con.execute("select * from raw_hubspot.engagements").fetchall(), key=repr)
    assert after == rows_before

    assert sync()["engagements"].rows_inserted == len(edited)
    assert_raw_matches_server(con, server)
    twice = con.execute(
        "select id from raw_hubspot.engagements group by id having count(*) > 2"
    ).fetchall()
    assert twice == []
