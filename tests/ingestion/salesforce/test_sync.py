"""sync_salesforce against the simulated org: raw tables equal the world, always."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest

from ingestion.salesforce import sync as sync_module
from ingestion.salesforce.client import OAuthRefresh, SalesforceClient
from ingestion.salesforce.errors import SalesforceAuthError, SalesforceLimitError
from ingestion.salesforce.objects import OBJECTS
from ingestion.simulator import read_table
from ingestion.simulator.salesforce_server import ConnectedApp, sf_id

from .conftest import (
    BATCH,
    TOKEN,
    assert_raw_matches_server,
    cursor,
    quarantined,
    raw_current,
    versions,
)

HISTORY_PROPS = ("dealstage", "amount", "closedate")


def _sf_time(iso: str) -> str:
    return iso[:-1] + "+0000"


def _all_rows(con) -> dict[str, list[tuple]]:
    tables = [o.sobject for o in OBJECTS] + ["_cursors"]
    existing = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw_salesforce'"
        ).fetchall()
    }
    return {
        t: sorted(con.execute(f'select * from raw_salesforce."{t}"').fetchall(), key=repr)
        for t in tables
        if t in existing
    }


def test_full_sync_lands_the_world(sync, con, world, server):
    stats = sync(full=True)
    deals = read_table(world, "deals").to_pylist()
    stages = {
        (r["pipeline_id"], r["stage_id"]): r["stage_label"]
        for r in read_table(world, "pipeline_stages").to_pylist()
    }
    malformed = [
        r["deal_id"]
        for r in read_table(world, "truth_deals").to_pylist()
        if r["is_malformed"] and not r["merged_into_deal_id"]
    ]
    assert quarantined(con, "Opportunity") == {sf_id("006", d) for d in malformed}
    expected = sorted(
        (
            sf_id("006", d["id"]),
            stages[(d["pipeline"], d["dealstage"])],
            sf_id("005", d["hubspot_owner_id"]),
            str(float(d["amount"])) if d["amount"] else None,
            d["deal_currency_code"],
            "true" if d["archived"] else "false",
        )
        for d in deals
        if d["id"] not in malformed
    )
    columns = ("Id", "StageName", "OwnerId", "Amount", "CurrencyIsoCode", "IsDeleted")
    assert sorted(raw_current(con, "Opportunity", columns)) == expected
    assert sum(r[-1] == "true" for r in expected) == 3  # deleted deals flagged, not dropped

    # Stage history: one row per moment stage, amount or close date changed, with the label.
    history = read_table(world, "deal_property_history").to_pylist()
    pipeline = {d["id"]: d["pipeline"] for d in deals}
    moments = {
        (sf_id("006", h["deal_id"]), _sf_time(h["timestamp"]))
        for h in history
        if h["property"] in HISTORY_PROPS and h["deal_id"] in pipeline
    }
    stage_at = {
        (sf_id("006", h["deal_id"]), _sf_time(h["timestamp"])): stages[
            (pipeline[h["deal_id"]], h["value"])
        ]
        for h in history
        if h["property"] == "dealstage" and h["deal_id"] in pipeline
    }
    rows = raw_current(con, "OpportunityHistory", ("OpportunityId", "CreatedDate", "StageName"))
    assert {(o, t) for o, t, _ in rows} == moments and len(rows) == len(moments)
    assert {(o, t): s for o, t, s in rows if (o, t) in stage_at} == stage_at

    # Owner changes: each opportunity's latest NewValue is its current owner.
    owners = defaultdict(list)
    for h in sorted(history, key=lambda h: h["timestamp"]):
        if h["property"] == "hubspot_owner_id" and h["deal_id"] in pipeline:
            owners[h["deal_id"]].append(h["value"])
    changes = sum(sum(a != b for a, b in itertools.pairwise(v)) for v in owners.values())
    field_rows = raw_current(
        con, "OpportunityFieldHistory", ("OpportunityId", "CreatedDate", "NewValue")
    )
    assert len(field_rows) == changes > 0
    latest = {o: new for o, _, new in sorted(field_rows, key=lambda r: r[1])}
    current = {d["id"]: sf_id("005", d["hubspot_owner_id"]) for d in deals}
    assert all(latest[o] == current[o[3:].lstrip("0")] for o in latest)

    assert_raw_matches_server(con, server)
    newest = max(r["SystemModstamp"] for r in server.org.current("Opportunity"))
    assert cursor(con, "Opportunity") == newest == stats["Opportunity"].cursor
    assert stats["Opportunity"].pages == -(-len(deals) // BATCH)
    assert stats["Opportunity"].rows_read == len(deals)
    assert all(s.mode == "full" for s in stats.values())
    assert versions(con, "Lead") == len(read_table(world, "contacts"))


def test_edit_then_incremental_lands_only_the_change(sync, con, server):
    sync(full=True)
    before = {o.sobject: versions(con, o.sobject) for o in OBJECTS}
    live = [r for r in server.org.current("Opportunity") if r["IsDeleted"] is False]
    edited, deleted = live[0]["Id"], live[1]["Id"]
    new_stage = "Closed Lost" if live[0]["StageName"] != "Closed Lost" else "Closed Won"
    server.org.update_opportunity(edited, StageName=new_stage)
    server.org.delete("Opportunity", deleted)

    stats = sync()
    assert stats["Opportunity"].mode == "incremental"
    assert stats["Opportunity"].rows_inserted == 2
    assert stats["OpportunityHistory"].rows_inserted == 1
    after = {o.sobject: versions(con, o.sobject) for o in OBJECTS}
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {
        "Opportunity": 2,
        "OpportunityHistory": 1,
    }
    now = {
        r[0]: r
        for r in raw_current(con, "Opportunity", ("Id", "StageName", "IsDeleted", "IsClosed"))
    }
    assert now[edited] == (edited, new_stage, "false", "true")
    assert now[deleted][2] == "true"  # flagged deleted, still in raw
    history = raw_current(con, "OpportunityHistory", ("OpportunityId", "StageName"))
    assert (edited, new_stage) in history
    assert_raw_matches_server(con, server)

    again = sync()  # nothing changed: the overlap re-reads, nothing lands
    assert sum(s.rows_inserted for s in again.values()) == 0


def test_edit_during_pagination_is_read_next_time(sync, con, server):
    victim = server.org.current("Opportunity")[0]["Id"]
    fired = []

    def edit(method: str, path: str) -> None:
        if "/query/" in path and not fired:  # the second batch of the first paged query
            fired.append(server.org.update_opportunity(victim, Amount=123.0))

    server.faults.before_request = edit
    sync(full=True)
    server.faults.before_request = None
    assert fired
    sync()
    assert_raw_matches_server(con, server)
    assert ("123.0",) in raw_current(con, "Opportunity", ("Amount",))


def test_5xx_mid_pagination_is_retried(sync, con, server, clock):
    server.faults.fail_after_pages = 10  # inside OpportunityHistory's 19 batches
    server.faults.failures = 2
    server.faults.failure_status = 503
    stats = sync(full=True)
    assert clock.sleeps == [1.0, 2.0]
    assert sum(s.retries for s in stats.values()) == 2
    assert_raw_matches_server(con, server)


def test_expired_token_fails_fast_naming_the_variable(sync, con, server, clock):
    server.faults.expired_token = True
    with pytest.raises(SalesforceAuthError) as failure:
        sync(full=True)
    message = str(failure.value)
    assert "SALESFORCE_ACCESS_TOKEN" in message and "401" in message
    assert TOKEN not in message and "secret" not in message
    assert clock.sleeps == [] and len(server.app.requests) == 1


APP = ConnectedApp("3MVG9SimulatedClientId", "client-secret-value", "5Aep861refresh-secret")


def _renewing(server, clock, **faults) -> SalesforceClient:
    """A client holding only the connected app's refresh token, against ``server`` made
    to know that app, with ``faults`` set."""
    server.app.connected_app = APP
    for name, value in faults.items():
        setattr(server.faults, name, value)
    refresh = OAuthRefresh(APP.client_id, APP.client_secret, APP.refresh_token)
    return SalesforceClient(server.instance_url, refresh=refresh, sleep=clock.sleep)


def test_an_expired_session_is_renewed_and_the_sync_completes(sync, con, server, clock):
    """Sessions die mid-sync every 7 requests: the connected app's refresh token renews
    each and the request that failed is sent again, so the sync lands the whole org."""
    client = _renewing(server, clock, session_expires_after=7)

    stats = sync(full=True, client=client)

    assert_raw_matches_server(con, server)
    renewals = [r for r in server.app.requests if r == ("POST", "/services/oauth2/token")]
    api = len(server.app.requests) - len(renewals)
    # One renewal to begin with (no access token), then one each time a session died.
    assert len(renewals) == 1 + (api - 1) // 8 >= 3
    assert client.stats.requests == len(server.app.requests) and clock.sleeps == []
    assert sum(s.rows_inserted for s in stats.values()) > 0
    secrets = (APP.client_secret, APP.refresh_token, server.app.token)
    assert not any(secret in repr(client) + str(stats) for secret in secrets)


def test_a_revoked_refresh_token_fails_naming_the_variables(server, clock, monkeypatch):
    monkeypatch.delenv("SALESFORCE_ACCESS_TOKEN", raising=False)
    with pytest.raises(SalesforceAuthError) as failure:
        _renewing(server, clock, refresh_revoked=True)
    message = str(failure.value)
    assert "invalid_grant" in message and "SALESFORCE_REFRESH_TOKEN" in message
    assert APP.client_secret not in message and APP.refresh_token not in message
    assert server.app.requests == [("POST", "/services/oauth2/token")]


def test_daily_limit_fails_fast_and_keeps_what_landed(sync, con, server, clock):
    server.faults.daily_limit = 5  # org id + User, OpportunityStage, Account, then 403
    with pytest.raises(SalesforceLimitError) as failure:
        sync(full=True)
    message = str(failure.value)
    assert "REQUEST_LIMIT_EXCEEDED" in message and "daily API request limit" in message
    assert "api-usage=5/5" in message and TOKEN not in message
    assert clock.sleeps == [] and len(server.app.requests) == 6  # the 403 was not retried
    assert versions(con, "Account") == 150
    assert cursor(con, "Opportunity") is None
    server.faults.daily_limit = 10_000  # the window frees up: the rerun completes
    sync()
    assert_raw_matches_server(con, server)


def test_missing_token_names_the_variable(monkeypatch):
    monkeypatch.delenv("SALESFORCE_ACCESS_TOKEN", raising=False)
    with pytest.raises(SalesforceAuthError, match="SALESFORCE_ACCESS_TOKEN"):
        SalesforceClient("https://example.my.salesforce.com")


def test_crash_mid_pagination_then_rerun_neither_loses_nor_duplicates(sync, con, server, clock):
    seen = []

    def crash(method: str, path: str, status: int) -> None:
        seen.append(path)
        if len(seen) == 10:  # OpportunityHistory's second batch
            raise RuntimeError("killed")

    crashing = SalesforceClient(server.instance_url, token=TOKEN, sleep=clock.sleep, observe=crash)
    with pytest.raises(RuntimeError, match="killed"):
        sync(full=True, client=crashing)
    landed = _all_rows(con)
    assert "OpportunityHistory" not in landed and len(landed["Opportunity"]) == 298
    sync()  # OpportunityHistory has no cursor yet: read whole
    assert_raw_matches_server(con, server)
    for obj in OBJECTS:
        dupes = con.execute(
            f"select count(*) - count(distinct Id) from raw_salesforce.{obj.sobject}"
        ).fetchone()[0]
        assert dupes == 0, obj.sobject


def test_crash_between_data_and_cursor_rolls_both_back(sync, con, server, monkeypatch):
    sync(full=True)
    server.org.update_opportunity(server.org.current("Opportunity")[5]["Id"], Amount=7.0)
    before = _all_rows(con)
    real = sync_module.write_cursor

    def crash(con, schema, obj, *args, **kwargs):
        if obj == "Opportunity":
            raise RuntimeError("killed before commit")
        real(con, schema, obj, *args, **kwargs)

    monkeypatch.setattr(sync_module, "write_cursor", crash)
    with pytest.raises(RuntimeError):
        sync()
    assert _all_rows(con)["Opportunity"] == before["Opportunity"]
    assert (
        cursor(con, "Opportunity") == dict((r[0], r[2]) for r in before["_cursors"])["Opportunity"]
    )  # objects before it committed on their own; this one's data and cursor did not
    monkeypatch.setattr(sync_module, "write_cursor", real)
    stats = sync()
    assert stats["Opportunity"].rows_inserted == 1
    assert_raw_matches_server(con, server)
