"""Task and Event against the simulated org: the world's calls, emails, tasks and meetings,
counted per opportunity and kind, incremental on SystemModstamp, deletions flagged."""

from __future__ import annotations

from collections import Counter

import pytest

from ingestion.salesforce.errors import SalesforceLimitError
from ingestion.simulator import read_table
from ingestion.simulator.salesforce_server import sf_id

from .conftest import BATCH, assert_raw_matches_server, cursor, raw_current, versions

KIND = {"Call": "CALL", "Email": "EMAIL", "Task": "TASK"}


def _world(world) -> list[dict]:
    """The world's engagements a Salesforce org holds: all but notes."""
    return [r for r in read_table(world, "engagements").to_pylist() if r["type"] != "NOTE"]


def _landed_kinds(con) -> Counter:
    """(opportunity, world engagement type) of every live activity landed."""
    tasks = raw_current(con, "Task", ("WhatId", "TaskSubtype", "IsDeleted"))
    events = raw_current(con, "Event", ("WhatId", "IsDeleted"))
    return Counter(
        [(what, KIND[subtype]) for what, subtype, deleted in tasks if deleted == "false"]
        + [(what, "MEETING") for what, deleted in events if deleted == "false"]
    )


def test_full_sync_lands_every_activity_per_opportunity_and_kind(sync, con, server, world):
    stats = sync(full=True)
    assert_raw_matches_server(con, server)
    engagements = _world(world)
    assert _landed_kinds(con) == Counter(
        (sf_id("006", r["deal_id"]), r["type"]) for r in engagements
    )
    # Per opportunity, the ground truth's activity count less the notes.
    truth = {t["deal_id"]: t["n_activities"] for t in read_table(world, "truth_deals").to_pylist()}
    notes = Counter(
        r["deal_id"] for r in read_table(world, "engagements").to_pylist() if r["type"] == "NOTE"
    )
    per_deal = Counter(what for what, _ in _landed_kinds(con).elements())
    assert per_deal == Counter(
        {sf_id("006", d): n - notes[d] for d, n in truth.items() if n - notes[d]}
    )
    columns = ("Id", "WhoId", "OwnerId", "Status", "IsClosed", "ActivityDate")
    tasks = {r[0]: r for r in raw_current(con, "Task", (*columns, "CallDurationInSeconds"))}
    for row in engagements:
        if row["type"] == "MEETING":
            continue
        task = tasks[sf_id("00T", row["id"])]
        assert task[1] in (sf_id("003", row["contact_id"]), sf_id("00Q", row["contact_id"]))
        assert task[2] == sf_id("005", row["owner_id"])
        open_task = row["status"] == "NOT_STARTED"
        assert task[3:5] == (("Not Started", "false") if open_task else ("Completed", "true"))
        assert task[5] == row["timestamp"][:10]
        if row["type"] == "CALL":
            assert task[6] == str(round(int(row["duration_ms"]) / 1000))
    events = dict(raw_current(con, "Event", ("Id", "DurationInMinutes")))
    meetings = {sf_id("00U", r["id"]): r for r in engagements if r["type"] == "MEETING"}
    assert events == {i: str(int(r["duration_ms"]) // 60_000) for i, r in meetings.items()}
    n_tasks = len(engagements) - len(meetings)
    assert stats["Task"].rows_read == n_tasks and stats["Task"].pages == -(-n_tasks // BATCH)
    assert stats["Event"].rows_read == len(meetings) > 0
    assert cursor(con, "Task") == max(r["SystemModstamp"] for r in server.org.current("Task"))


def test_incremental_sync_lands_only_changed_activities_and_flags_deletions(sync, con, server):
    sync(full=True)
    before = {name: versions(con, name) for name in ("Task", "Event", "Opportunity")}
    todo = next(r for r in server.org.current("Task") if r["Status"] == "Not Started")
    done = server.org.update_task(todo["Id"], Status="Completed")
    meeting = server.org.current("Event")[0]["Id"]
    server.org.delete("Event", meeting)
    call = server.org.insert(
        "Task",
        {
            "WhoId": todo["WhoId"],
            "WhatId": todo["WhatId"],
            "OwnerId": todo["OwnerId"],
            "Subject": "Call",
            "ActivityDate": "2026-01-01",
            "Status": "Completed",
            "IsClosed": True,
            "TaskSubtype": "Call",
            "Type": "Call",
            "CallDurationInSeconds": 95,
        },
    )

    stats = sync()

    assert (stats["Task"].mode, stats["Task"].rows_inserted) == ("incremental", 2)
    # Read: the changes, and what shares the cursor's second (the query's precision).
    assert stats["Event"].rows_inserted == 1 and stats["Event"].rows_read <= 2
    assert stats["Opportunity"].rows_inserted == 0
    after = {name: versions(con, name) for name in before}
    assert after == {
        "Task": before["Task"] + 2,
        "Event": before["Event"] + 1,
        "Opportunity": before["Opportunity"],
    }
    assert_raw_matches_server(con, server)
    columns = ("Id", "Status", "IsClosed", "CompletedDateTime")
    now = {r[0]: r[1:] for r in raw_current(con, "Task", columns)}
    assert now[todo["Id"]] == ("Completed", "true", done)
    assert now[call][:2] == ("Completed", "true")
    deleted = dict(raw_current(con, "Event", ("Id", "IsDeleted")))
    assert deleted[meeting] == "true"  # flagged, still in raw
    assert cursor(con, "Task") == server.org.records["Task"][call]["SystemModstamp"]
    assert sum(s.rows_inserted for s in sync().values()) == 0


def test_a_5xx_while_paging_tasks_is_retried(sync, con, server, clock):
    def fail_twice_on_the_third_task_batch(method, path):
        if "FROM+Task+" in server.app.requests[-1][1]:
            server.faults.fail_after_pages = server.app.pages_served + 2
            server.faults.failures = 2
            server.faults.before_request = None

    server.faults.before_request = fail_twice_on_the_third_task_batch
    stats = sync(full=True)
    assert clock.sleeps == [1.0, 2.0] and stats["Task"].retries == 2
    assert stats["Task"].pages == -(-len(server.org.current("Task")) // BATCH) > 3
    assert_raw_matches_server(con, server)


def test_the_daily_limit_during_activities_keeps_what_landed(sync, con, server, clock):
    sync(full=True)
    server.org.update_task(server.org.current("Task")[0]["Id"], Subject="Follow up")
    server.org.delete("Event", server.org.current("Event")[0]["Id"])
    stored = cursor(con, "Task")
    server.faults.daily_limit = server.app.usage + 11  # org id and 10 objects, then Task: 403
    with pytest.raises(SalesforceLimitError, match="REQUEST_LIMIT_EXCEEDED"):
        sync()
    assert clock.sleeps == [] and cursor(con, "Task") == stored
    assert cursor(con, "CampaignMember") is not None  # the objects before it committed
    server.faults.daily_limit = 100_000
    stats = sync()
    assert (stats["Task"].rows_inserted, stats["Event"].rows_inserted) == (1, 1)
    assert_raw_matches_server(con, server)
