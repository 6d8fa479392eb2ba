"""sync_hubspot against the simulated API: raw tables equal the server's state, always."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pytest

from ingestion.hubspot.client import HubSpotClient
from ingestion.hubspot.errors import HubSpotAuthError, HubSpotScopeError, HubSpotUnavailableError
from ingestion.hubspot.files import land_hubspot_files
from ingestion.hubspot.landing import ensure_raw_tables
from ingestion.hubspot.sync import sync_hubspot
from ingestion.simulator import load_manifest, read_table
from ingestion.simulator.server import ALL_SCOPES, HubSpotServer

from .conftest import (
    SYNCED_TABLES,
    TOKEN,
    assert_raw_matches_server,
    cursor,
    quarantined_keys,
    raw_current,
    versions,
)


def _live_deals(server) -> list[str]:
    deals = server.world.crm["deals"].rows
    return sorted((i for i, r in deals.items() if not r["archived"]), key=int)


def _snapshot(con) -> dict[str, list[tuple]]:
    """Every raw row and cursor, to prove a failed sync changed nothing."""
    tables = [*SYNCED_TABLES, "_cursors"]
    return {
        t: sorted(con.execute(f"select * from raw_hubspot.{t}").fetchall(), key=repr)
        for t in tables
    }


def test_full_sync_lands_the_world_exactly(sync, con, world):
    stats = sync(full=True)
    for name in SYNCED_TABLES:
        table = read_table(world, name)
        expected = sorted((tuple(r.values()) for r in table.to_pylist()), key=repr)
        skip = quarantined_keys(con, name)
        actual = raw_current(con, name, table.column_names)
        assert actual == [r for r in expected if r[0] not in skip], name
    truth = read_table(world, "truth_deals")
    malformed = set(truth.filter(truth["is_malformed"])["deal_id"].to_pylist())
    assert malformed and quarantined_keys(con, "deals") == malformed
    deals = read_table(world, "deals")
    live = deals.filter(pc.invert(deals["archived"]))
    newest = pc.max(live["hs_lastmodifieddate"]).as_py()  # the newest edit search knows
    assert cursor(con, "deals") == newest == stats["deals"].cursor
    assert stats["deals"].rows_read == deals.num_rows
    archived = pc.sum(deals["archived"]).as_py()
    live_pages, archived_pages = -(-(deals.num_rows - archived) // 50), -(-archived // 50)
    assert stats["deals"].pages == live_pages + archived_pages  # 50 a page with history
    # Associations come inline with the listing: no request of their own.
    assert stats["deal_contacts"].requests == stats["deal_companies"].requests == 0
    assert (
        stats["deal_property_history"].rows_inserted
        == read_table(world, "deal_property_history").num_rows
    )
    assert all(s.mode == "full" for s in stats.values())


def test_one_group_syncs_alone(sync, con):
    stats = sync(full=True, groups=("deals",))
    assert set(stats) == {"deals", "deal_property_history", "deal_contacts", "deal_companies"}
    assert cursor(con, "deals") is not None and cursor(con, "contacts") is None


def test_more_associations_than_hubspot_returns_at_once_are_all_read(sync, con, server):
    """HubSpot's list inlines 100 associations per record and type, a v4 batch read
    returns 500, and each then pages the rest: a deal with 700 contacts (the one that
    also changes later) lands all of them, in a full and in an incremental sync."""
    deal = _live_deals(server)[0]
    contacts = server.world.crm["contacts"].rows
    many = sorted((i for i, r in contacts.items() if not r["archived"]), key=int)[:700]
    assert len(many) == 700
    server.world.associations[("deals", "contacts")][deal] = dict.fromkeys(many, 3)

    stats = sync(full=True)

    assert_raw_matches_server(con, server)
    linked = raw_current(con, "deal_contacts", ["deal_id", "contact_id"])
    assert sorted(c for d, c in linked if d == deal) == sorted(many)
    # That deal alone is read apart: a batch read per object type, then its contacts'
    # listing from the 501st on (500 a page).
    assert (stats["deal_contacts"].requests, stats["deal_companies"].requests) == (2, 1)

    server.world.associations[("deals", "contacts")][deal] = dict.fromkeys(many[1:], 3)
    server.world.update("deals", deal, {"amount": "99.00"})
    stats = sync()
    assert_raw_matches_server(con, server)
    assert stats["deal_contacts"].rows_vanished == 1


def test_api_and_files_land_identical_rows(sync, con, world):
    """A portal first landed from files, then synced over the API, gains no new version."""
    portal = load_manifest(world)["portal_id"]
    land_hubspot_files(
        con, Path(world) / "hubspot", portal_id=portal, load_id="F", loaded_at=datetime.now(UTC)
    )
    stats = sync(full=True)
    assert {s.object: (s.rows_inserted, s.rows_vanished) for s in stats.values()} == {
        name: (0, 0) for name in SYNCED_TABLES
    }


def _raw_columns(con) -> dict[str, list[tuple[str, str]]]:
    """Each raw_hubspot table's columns and types, but the sync's own cursors."""
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'raw_hubspot' and table_name <> '_cursors' "
        "order by table_name, ordinal_position"
    ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        columns.setdefault(table, []).append((column, kind))
    return columns


def test_tables_made_before_any_sync_are_the_ones_a_sync_lands(sync, con):
    """A job that lands no HubSpot data (transform, CSV exports) on a warehouse HubSpot
    never reached gets every raw table, empty, with the columns and types a sync lands;
    after a sync, making them again changes nothing."""
    empty = duckdb.connect()
    ensure_raw_tables(empty)
    made = _raw_columns(empty)
    assert empty.execute("select count(*) from raw_hubspot.deals").fetchone() == (0,)
    sync(full=True)
    landed = _raw_columns(con)
    assert made == landed
    assert {"deals", "engagements", "deal_property_history", "_loads"} <= made.keys()
    deals = con.execute("select count(*) from raw_hubspot.deals").fetchone()[0]
    ensure_raw_tables(con)
    assert _raw_columns(con) == landed
    assert con.execute("select count(*) from raw_hubspot.deals").fetchone()[0] == deals > 0


def test_incremental_sync_follows_edits_deletes_and_merges(sync, con, server):
    sync(full=True)
    deals = _live_deals(server)
    contacts = sorted(server.world.crm["contacts"].rows, key=int)
    before = versions(con, "deals")
    server.world.update("deals", deals[0], {"dealstage": "closedwon", "amount": "1234.50"})
    server.world.archive("deals", deals[1])
    server.world.merge("deals", deals[2], deals[3])
    server.world.merge("contacts", contacts[0], contacts[1])
    server.world.update("companies", "5100000003", {"name": "Renamed Ltd"})

    stats = sync()

    assert {stats[o].mode for o in ("deals", "contacts", "companies")} == {"incremental"}
    assert_raw_matches_server(con, server)
    assert stats["deals"].rows_vanished == 1 and stats["contacts"].rows_vanished == 1
    history = raw_current(con, "deal_property_history", ["deal_id", "property", "value"])
    assert (deals[0], "dealstage", "closedwon") in history
    assert (deals[0], "amount", "1234.50") in history
    # Earlier versions are kept: the edited, merged-into, archived and merged-away deals
    # each gained exactly one version.
    assert versions(con, "deals") == before + 4
    old = con.execute(
        f"select dealstage from raw_hubspot.deals where id = '{deals[0]}' order by _load_sequence"
    ).fetchall()
    assert len(old) == 2 and old[-1] == ("closedwon",)
    assert cursor(con, "deals") == server.world.crm["deals"].rows[deals[2]]["hs_lastmodifieddate"]


def test_nothing_changed_adds_nothing(sync, con):
    sync(full=True)
    stats = sync()
    assert sum(s.rows_inserted + s.rows_vanished for s in stats.values()) == 0


def test_search_index_lag_is_covered_by_the_overlap(sync, con, server):
    sync(full=True)
    lagging, indexed = _live_deals(server)[:2]
    server.world.update("deals", lagging, {"amount": "11.00"}, indexed=False)
    server.world.update("deals", indexed, {"amount": "22.00"})
    sync()
    assert raw_current(con, "deals", ["id", "amount"]).count((lagging, "11.00")) == 0
    server.world.reindex()  # the index catches up; the cursor is already past the edit
    sync()
    assert (lagging, "11.00") in raw_current(con, "deals", ["id", "amount"])
    assert_raw_matches_server(con, server)


def test_sync_killed_midway_loses_and_duplicates_nothing(con, sync, server, clock):
    sync(full=True)
    for deal in _live_deals(server)[:120]:
        server.world.update("deals", deal, {"amount": "99.00"})
    server.world.update("contacts", "100005", {"firstname": "Zed"})
    before = _snapshot(con)
    cursors_before = {name: cursor(con, name) for name in ("deals", "contacts")}

    class KilledError(Exception):
        pass

    def kill_on(path_end, nth):
        """A client that dies (as a crash would) on the nth response to a path."""
        seen = []

        def observe(method, path, status):
            seen.append(path)
            if sum(p.endswith(path_end) for p in seen) == nth:
                raise KilledError

        return HubSpotClient(
            server.base_url,
            token=server.app.token,
            observe=observe,
            clock=clock.time,
            sleep=clock.sleep,
        )

    with pytest.raises(KilledError):  # dies on the second history batch of the deals
        sync(client=kill_on("/deals/batch/read", 2))
    assert _snapshot(con) == before  # nothing landed, no cursor moved
    with pytest.raises(KilledError):  # dies reading contacts: deals are committed by then
        sync(client=kill_on("/contacts/search", 1))
    assert _snapshot(con)["deals"] != before["deals"]
    assert cursor(con, "deals") > cursors_before["deals"]
    assert cursor(con, "contacts") == cursors_before["contacts"]

    sync()

    assert_raw_matches_server(con, server)
    # Each edited deal gained exactly one version, however often it was read.
    counts = con.execute(
        "select id, count(*) from raw_hubspot.deals group by id having count(*) > 2"
    ).fetchall()
    assert counts == []
    assert cursor(con, "deals") <= max(
        r["hs_lastmodifieddate"] for r in server.world.crm["deals"].rows.values()
    )


def test_rate_limit_storm_waits_then_fails_clearly_leaving_raw_intact(sync, con, server, clock):
    # The storm is injected, not the limits': pacing's waits would mix into the sleeps.
    client = HubSpotClient(
        server.base_url, token=TOKEN, pacing=None, clock=clock.time, sleep=clock.sleep
    )
    sync(full=True, client=client)
    server.world.update("deals", _live_deals(server)[0], {"amount": "5.00"})
    server.faults.rate_limited, server.faults.retry_after = 3, 10
    sync(client=client)  # three 429s with Retry-After: 10 s each, then it goes through
    assert clock.sleeps == [10, 10, 10] and client.stats.retries == 3
    assert_raw_matches_server(con, server)

    server.world.update("deals", _live_deals(server)[1], {"amount": "6.00"})
    before = _snapshot(con)
    server.faults.rate_limited, server.faults.retry_after = 1_000, None
    with pytest.raises(HubSpotUnavailableError, match="Run the sync again later"):
        sync(client=client)
    assert clock.sleeps[3:] == [1, 2, 4, 8, 16, 32, 60]  # backoff, capped at 60 s, 8 attempts
    assert _snapshot(con) == before


def test_schema_drift(sync, con, server):
    sync(full=True)
    deals = _live_deals(server)
    server.world.add_property("deals", "partner_region")
    server.world.update("deals", deals[0], {"partner_region": "EMEA"})
    server.world.remove_property("deals", "closed_lost_reason")
    sync()
    assert_raw_matches_server(con, server)
    rows = dict(raw_current(con, "deals", ["id", "partner_region"]))
    assert rows[deals[0]] == "EMEA"
    # The vanished property's column stays, null in the new versions.
    assert raw_current(con, "deals", ["id", "closed_lost_reason"]).count((deals[0], None)) == 1
    sync(full=True)
    assert_raw_matches_server(con, server)


# The groups searched incrementally past the cap, and the raw tables they land.
CAPPED_GROUPS = ("reference", "deals", "contacts")
CAPPED_TABLES = (
    "deals",
    "deal_property_history",
    "contacts",
    "owners",
    "pipeline_stages",
    "deal_contacts",
    "deal_companies",
)


def _changes_past_the_cap(world, con, clock, *, search_cap: int, n_bulk: int) -> None:
    """Edit more records than one search can page through, most of them in one bulk edit
    (one timestamp) and the rest one by one; an incremental sync must land every one.
    Only the searched groups are synced: engagements and companies play no part."""
    with HubSpotServer(world, search_cap=search_cap) as server:
        client = HubSpotClient(
            server.base_url, token="test-token", clock=clock.time, sleep=clock.sleep
        )
        at = datetime(2026, 1, 2, tzinfo=UTC)
        sync = partial(sync_hubspot, con, client, loaded_at=at, groups=CAPPED_GROUPS)
        sync(full=True, load_id="L1")
        deals, contacts = _live_deals(server), sorted(server.world.crm["contacts"].rows, key=int)
        server.world.bulk_update("deals", deals[:n_bulk], {"hs_forecast_category": "COMMIT"})
        for deal in deals[n_bulk:]:
            server.world.update("deals", deal, {"amount": "1.00"})
        contacts = contacts[: n_bulk + 40]
        server.world.bulk_update("contacts", contacts, {"lifecyclestage": "customer"})
        stats = sync(full=False, load_id="L2")
        assert_raw_matches_server(con, server, CAPPED_TABLES)
        valid = set(deals) - quarantined_keys(con, "deals")
        assert stats["deals"].rows_inserted == len(valid) > search_cap
        assert stats["contacts"].rows_inserted == len(contacts) > search_cap
        assert all(status == 200 for _, _, status in server.app.requests)


def test_more_changes_than_the_search_cap(world, con, clock):
    """The cap is lowered from HubSpot's 10,000 so the world stays small: the connector never
    pages a search (ingestion/hubspot/extract.py), so the cap's size plays no part."""
    _changes_past_the_cap(world, con, clock, search_cap=250, n_bulk=260)


def test_equal_timestamps_across_a_page_boundary_lose_nothing(sync, con, server):
    sync(full=True)
    deals = _live_deals(server)
    stamp = server.world.bulk_update("deals", deals, {"hs_forecast_category": "BEST_CASE"})
    stats = sync()
    valid = set(deals) - quarantined_keys(con, "deals")
    assert stats["deals"].rows_inserted == len(valid) > 200  # one search page holds 200
    assert cursor(con, "deals") == stamp
    assert sync()["deals"].rows_inserted == 0
    assert_raw_matches_server(con, server)


def test_a_malformed_record_is_quarantined_and_the_rest_load(sync, con, server):
    sync(full=True)
    bad, good = _live_deals(server)[:2]
    server.world.update("deals", bad, {"amount": "12k"})
    server.world.update("deals", good, {"amount": "12000.00"})
    stats = sync()
    assert stats["deals"].rows_quarantined == 1 and stats["deals"].rows_inserted == 1
    reason = con.execute(
        f"select reason from quarantine.hubspot__deals where record_key = '{bad}'"
    ).fetchone()[0]
    assert reason == "amount '12k' is not a plain decimal number"
    assert (good, "12000.00") in raw_current(con, "deals", ["id", "amount"])


def test_an_edit_during_a_full_sync_is_read_next_time(sync, con, server):
    first = _live_deals(server)[0]
    pages = []

    def edit_on_third_page(method, path):
        pages.append(path)
        if path == "/crm/v3/objects/deals" and pages.count(path) == 3:
            server.world.update("deals", first, {"dealstage": "closedlost"})

    server.faults.before_request = edit_on_third_page
    sync(full=True)  # the deal was listed on page 1, before the edit
    server.faults.before_request = None
    sync()
    assert (first, "closedlost") in raw_current(con, "deals", ["id", "dealstage"])
    assert_raw_matches_server(con, server)


def test_credential_failures_stop_the_sync_and_never_reach_the_warehouse(world, sync, con, server):
    sync(full=True)
    server.world.update("deals", _live_deals(server)[0], {"amount": "7.00"})
    before = _snapshot(con)
    server.faults.expired_token = True
    with pytest.raises(HubSpotAuthError, match="HUBSPOT_ACCESS_TOKEN"):
        sync()
    server.faults.expired_token = False
    assert _snapshot(con) == before
    with HubSpotServer(
        world, token=TOKEN, scopes=ALL_SCOPES - {"crm.schemas.contacts.read"}
    ) as bare:
        client = HubSpotClient(bare.base_url, token=TOKEN)
        with pytest.raises(HubSpotScopeError, match=r"crm\.schemas\.contacts\.read"):
            sync(client=client)
    landed = con.execute(  # deals were committed before contacts failed
        "select object from raw_hubspot._loads where load_id = 'L3' order by all"
    ).fetchall()
    committed = ["owners", "pipeline_stages", "deals", "deal_property_history", "deal_contacts"]
    assert landed == [(o,) for o in sorted([*committed, "deal_companies"])]
    tables = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables"
    ).fetchall()
    dump = "".join(str(con.execute(f"select * from {t}").fetchall()) for (t,) in tables)
    assert TOKEN not in dump
