"""Activities over Pipedrive's v2 cursor API: the world's calls, emails, meetings and
tasks, counted per deal and type, incremental on update_time, deletions flagged."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from ingestion.pipedrive.client import PipedriveClient
from ingestion.pipedrive.records import ACTIVITY_COLUMNS
from ingestion.simulator import read_table

from .conftest import TOKEN, cursor, raw_current

COLUMNS = list(ACTIVITY_COLUMNS)


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _server_activities(server) -> list[tuple]:
    rows = [tuple(_text(a[c]) for c in COLUMNS) for a in server.world.activities.values()]
    return sorted(rows, key=repr)


def _landed(con) -> list[tuple]:
    return raw_current(con, "activities", COLUMNS)


def _column(name: str) -> int:
    return COLUMNS.index(name)


def test_full_sync_lands_every_activity_per_deal_and_type(sync, con, server, world):
    stats = sync(full=True)["activities"]
    assert _landed(con) == _server_activities(server)
    engagements = [r for r in read_table(world, "engagements").to_pylist() if r["type"] != "NOTE"]
    deal, kind = _column("deal_id"), _column("type")
    assert Counter((r[deal], r[kind]) for r in _landed(con)) == Counter(
        (r["deal_id"], r["type"].lower()) for r in engagements
    )
    # Per deal, the ground truth's activity count less the notes (not activities here).
    notes = Counter(
        r["deal_id"] for r in read_table(world, "engagements").to_pylist() if r["type"] == "NOTE"
    )
    truth = {
        t["deal_id"]: t["n_activities"] - notes[t["deal_id"]]
        for t in read_table(world, "truth_deals").to_pylist()
    }
    assert Counter(r[deal] for r in _landed(con)) == Counter({d: n for d, n in truth.items() if n})
    # Done unless the world says it is still to do; due at the engagement's minute.
    landed = {r[0]: r for r in _landed(con)}
    for row in engagements:
        activity = landed[row["id"]]
        to_do = row["status"] in ("NOT_STARTED", "SCHEDULED")
        assert activity[_column("done")] == ("false" if to_do else "true")
        assert activity[_column("due_date")] == row["timestamp"][:10]
        assert activity[_column("due_time")] == row["timestamp"][11:16]
        assert activity[_column("person_id")] == row["contact_id"]
        assert activity[_column("owner_id")] == row["owner_id"]
    assert (stats.mode, stats.rows_read, stats.pages) == (
        "full",
        len(engagements),
        -(-len(engagements) // 500),
    )
    assert cursor(con, "activities") == max(
        a["update_time"] for a in server.world.activities.values()
    )


def test_incremental_sync_lands_only_changed_activities_and_flags_deletions(sync, con, server):
    sync(full=True)
    before = con.execute("select count(*) from raw_pipedrive.activities").fetchone()[0]
    activities = server.world.activities
    todo = min(i for i, a in activities.items() if not a["done"])
    meeting = min(i for i, a in activities.items() if a["type"] == "meeting")
    done_at = server.world.update_activity(todo, {"done": True})
    server.world.delete_activity(meeting)
    template = activities[todo]
    call = server.world.add_activity(
        {
            "type": "call",
            "subject": "Call",
            "owner_id": template["owner_id"],
            "deal_id": template["deal_id"],
            "person_id": template["person_id"],
            "due_date": "2026-01-01",
            "due_time": "09:30",
            "done": True,
        }
    )

    stats = sync()

    assert stats["activities"].mode == "incremental"
    assert stats["activities"].rows_inserted == 3 and stats["deals"].rows_inserted == 0
    after = con.execute("select count(*) from raw_pipedrive.activities").fetchone()[0]
    assert after == before + 3
    assert _landed(con) == _server_activities(server)
    now = {r[0]: r for r in _landed(con)}
    assert now[str(todo)][_column("done")] == "true"
    assert now[str(todo)][_column("marked_as_done_time")] == done_at
    assert now[str(meeting)][_column("is_deleted")] == "true"  # flagged, not dropped
    assert now[str(call)][_column("type")] == "call"
    assert cursor(con, "activities") == activities[call]["update_time"]
    assert sum(s.rows_inserted for s in sync().values()) == 0


def test_rate_limits_and_a_5xx_while_paging_activities_are_retried(con, server, clock, sync):
    small_pages = PipedriveClient(server.base_url, token=TOKEN, sleep=clock.sleep, page_size=100)
    seen = []

    def trouble_in_the_activity_listing(method, path):
        seen.append(path)
        if seen.count("/api/v2/activities") == 2:
            server.faults.rate_limited = 2
        if seen.count("/api/v2/activities") == 6:
            server.faults.fail_after_pages, server.faults.failures = 0, 1
            server.faults.before_request = None

    server.faults.before_request = trouble_in_the_activity_listing
    stats = sync(full=True, client=small_pages)["activities"]
    assert clock.sleeps == [2, 2, 1] and stats.retries == 3
    assert _landed(con) == _server_activities(server)


def test_a_crash_in_the_activities_keeps_the_deals_and_reruns_cleanly(sync, con, server):
    class KilledError(Exception):
        pass

    def die_on_activities(method, path, status):
        if path.startswith("/api/v2/activities"):
            raise KilledError

    with pytest.raises(KilledError):
        sync(
            full=True,
            client=PipedriveClient(server.base_url, token=TOKEN, observe=die_on_activities),
        )
    assert cursor(con, "deals") is not None and cursor(con, "activities") is None
    stats = sync()
    assert stats["activities"].mode == "full" and stats["deals"].mode == "incremental"
    assert _landed(con) == _server_activities(server)
