"""The simulated web event export and its loader: consistent with the world's touches,
duplicates deduplicated on event id, unparsable timestamps quarantined with their reason."""

from __future__ import annotations

import json

import pyarrow.compute as pc

from ingestion.simulator import read_table
from ingestion.simulator.web_events import export_dir, read_truth, write_web_event_export
from ingestion.web_events.landing import land_web_events
from tests.marketing.conftest import LOADED_AT


def _land(con, world, load_id="w1"):
    return land_web_events(
        con, write_web_event_export(world), site="demo", load_id=load_id, loaded_at=LOADED_AT
    )


def test_every_web_touch_lands_as_a_page_view_at_its_time_with_its_utms(world):
    write_web_event_export(world)
    touches = read_table(world, "touches")
    web = touches.filter(pc.is_valid(touches["anonymous_id"])).to_pylist()
    messages = {}
    for path in export_dir(world).glob("*.jsonl"):
        for line in path.read_text().splitlines():
            message = json.loads(line)
            messages[message["messageId"]] = message
    for touch in web:
        landing = messages[f"ev-{touch['touch_id']}-0"]
        assert landing["anonymousId"] == touch["anonymous_id"]
        assert landing["timestamp"][:19] == touch["occurred_at"].strftime("%Y-%m-%dT%H:%M:%S")
        assert landing["context"]["page"]["url"] == touch["page_url"]
        assert landing["context"].get("campaign", {}).get("source") == touch["utm_source"]


def test_duplicates_collapse_and_unparsable_timestamps_are_quarantined(con, world):
    truth = read_truth(world)
    stats = _land(con, world)
    unparsable = truth.filter(pc.equal(truth["timestamp_defect"], "unparsable")).num_rows
    assert truth.filter(truth["is_duplicated"]).num_rows > 0 and unparsable > 0
    delivered = truth.num_rows + truth.filter(truth["is_duplicated"]).num_rows
    assert stats.rows_read == delivered
    assert stats.rows_inserted == truth.num_rows - unparsable
    landed = con.execute(
        "select count(*), count(distinct event_id) from raw_web_events.events"
    ).fetchone()
    assert landed == (truth.num_rows - unparsable,) * 2
    reasons = con.execute(
        "select distinct rule, reason like 'timestamp ''%'' is neither ISO-8601%' "
        "from quarantine.web_events__events"
    ).fetchall()
    assert reasons == [("timestamp_unparsable", True)]
    again = _land(con, world, "w2")
    assert again.rows_inserted == 0  # a redelivered export adds nothing


def test_epoch_and_offset_timestamps_are_accepted(con, world):
    _land(con, world)
    truth = read_truth(world)
    odd = truth.filter(
        pc.is_in(truth["timestamp_defect"], pc.cast(["epoch_ms", "offset"], "string"))
    )
    ids = odd["event_id"].to_pylist()
    assert len(ids) > 10
    landed = con.execute(
        "select count(*) from raw_web_events.events where list_contains(?, event_id)", [ids]
    ).fetchone()
    assert landed == (len(ids),)
