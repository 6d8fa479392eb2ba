"""Salesforce campaign responses as touches, with the demo's Salesforce synced beside HubSpot:
exactly the offline campaign responses the simulated org holds, on the paths of the
opportunities their leads converted into."""

from __future__ import annotations

from collections import defaultdict

import duckdb

from ingestion.simulator import load_manifest, read_table
from ingestion.simulator.salesforce_server.org import sf_id

OFFLINE = {"events", "outbound"}


def test_offline_campaign_responses_are_touches_on_their_opportunities(multi_source_run):
    world, summary = multi_source_run.world_dir, multi_source_run.summary
    org = sf_id("00D", load_manifest(world)["portal_id"])
    channel_of = {
        r["campaign_id"]: r["channel"] for r in read_table(world, "campaigns").to_pylist()
    }
    live = {r["id"] for r in read_table(world, "contacts").to_pylist()}
    first: dict[tuple[str, str], object] = {}
    for t in read_table(world, "touches").to_pylist():
        key = (t["campaign_id"], t["contact_id"])
        if t["contact_id"] in live and t["campaign_id"] and channel_of[t["campaign_id"]] in OFFLINE:
            first[key] = min(first.get(key, t["occurred_at"]), t["occurred_at"])
    expected = {
        (f"salesforce:{org}:{sf_id('00Q', contact)}", at.replace(tzinfo=None), channel_of[campaign])
        for (campaign, contact), at in first.items()
    }
    with duckdb.connect(str(multi_source_run.settings.warehouse_path), read_only=True) as con:
        touches = con.execute(
            "select person_key, occurred_at, channel from intermediate.int_marketing_touches "
            "where touch_source = 'salesforce_campaign_member'"
        ).fetchall()
        paths = con.execute(
            "select paths.deal_key, paths.person_key, paths.occurred_at, paths.touch_number "
            "from intermediate.int_deal_touch_paths as paths "
            "where paths.deal_key like 'salesforce:%' order by paths.deal_key, paths.touch_number"
        ).fetchall()
        live_deals = {
            key
            for (key,) in con.execute(
                "select deal_key from intermediate.int_deals "
                "where not is_deleted and merged_into_deal_key is null"
            ).fetchall()
        }
        converted = dict(
            con.execute(
                "select lead_key, converted_deal_key from staging.stg_salesforce__leads "
                "where converted_deal_key is not null"
            ).fetchall()
        )
    assert len(expected) > 50, summary
    assert set(touches) == expected
    by_lead = defaultdict(list)
    for person, at, _ in touches:
        by_lead[person].append(at)
    got = defaultdict(list)
    for deal, person, at, _ in paths:
        assert converted[person] == deal
        got[deal].append(at)
    want = defaultdict(list)
    for lead, deal in converted.items():
        want[deal] += by_lead.get(lead, [])
    assert got == {deal: sorted(ats) for deal, ats in want.items() if ats and deal in live_deals}
