"""The simulated web event export and its loader: consistent with the world's touches,
duplicates deduplicated on event id, unparsable timestamps quarantined with their reason."""

from __future__ import annotations

import json
import os
import shutil

import pyarrow.compute as pc

from ingestion.simulator import read_table
from ingestion.simulator.web_events import export_dir, read_truth, write_web_event_export
from ingestion.web_events.landing import land_web_events
from tests.marketing.conftest import LOADED_AT


def _land(con, source, load_id="w1"):
    return land_web_events(con, source, site="demo", load_id=load_id, loaded_at=LOADED_AT)


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
    landing = _land(con, write_web_event_export(world))
    stats = landing.stats
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
    again = _land(con, export_dir(world), "w2")
    assert again.files_read == () and again.stats.rows_read == 0  # unchanged: not read again


def test_epoch_and_offset_timestamps_are_accepted(con, world):
    _land(con, write_web_event_export(world))
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


def _rows_of(con, export_file: str) -> dict[str, str]:
    return dict(
        con.execute(
            "select event_id, page_url from raw_web_events.events where export_file = ?",
            [export_file],
        ).fetchall()
    )


def test_landing_reads_only_new_and_changed_files_and_a_rewrite_replaces_its_rows(
    con, world, tmp_path
):
    folder = tmp_path / "exports"
    shutil.copytree(write_web_event_export(world), folder)
    names = sorted(p.name for p in folder.glob("*.jsonl"))
    first = _land(con, folder)
    assert sorted(first.files_read) == names and first.files_skipped == 0

    # Unchanged files are not read again, even touched (same bytes, new modification time).
    os.utime(folder / names[0], ns=(1, 1))
    again = _land(con, folder, "w2")
    assert (again.files_read, again.stats.rows_read, again.files_skipped) == ((), 0, len(names))

    # A new file: only it is read.
    lines = (folder / names[-1]).read_text().splitlines()[:2]
    added = [json.loads(line) | {"messageId": f"new-{i}"} for i, line in enumerate(lines)]
    (folder / "events-next.jsonl").write_text("".join(json.dumps(m) + "\n" for m in added))
    appended = _land(con, folder, "w3")
    assert appended.files_read == ("events-next.jsonl",)
    assert (appended.stats.rows_read, appended.stats.rows_inserted) == (2, 2)

    # A rewritten file replaces its rows exactly: dropped events go, an edited one changes,
    # a new one lands; no other file's rows move.
    rewritten = names[1]
    before_others = con.execute(
        "select count(*) from raw_web_events.events where export_file <> ?", [rewritten]
    ).fetchone()
    before = len(_rows_of(con, rewritten))
    messages = [json.loads(line) for line in (folder / rewritten).read_text().splitlines()]
    kept = [m for m in messages if m["type"] == "page"][10:]
    kept[0]["context"]["page"]["url"] = "https://www.funnelhouse.example/edited"
    kept.append(kept[1] | {"messageId": "brand-new"})
    (folder / rewritten).write_text("".join(json.dumps(m) + "\n" for m in kept))
    replaced = _land(con, folder, "w4")
    assert replaced.files_read == (rewritten,)
    rows = _rows_of(con, rewritten)
    parsable = {m["messageId"] for m in kept if "/" not in m["timestamp"]}
    assert rows.keys() == parsable and replaced.rows_replaced == before
    assert rows[kept[0]["messageId"]] == "https://www.funnelhouse.example/edited"
    after_others = con.execute(
        "select count(*) from raw_web_events.events where export_file <> ?", [rewritten]
    ).fetchone()
    assert after_others == before_others
