"""Ad spend connectors against the simulated Google Ads and Meta APIs: shapes, incremental
reads with a restatement window, faults, and spend that reconciles with what was served."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import requests

from ingestion.ad_platforms.errors import AdPlatformAuthError, AdPlatformUnavailableError
from ingestion.ad_platforms.objects import (
    GOOGLE_ADS_CAMPAIGN_DAYS,
    GOOGLE_ADS_COLUMNS,
    META_ADS_CAMPAIGN_DAYS,
    META_ADS_COLUMNS,
)
from ingestion.ad_platforms.sync import sync_ad_spend
from ingestion.simulator import read_table
from ingestion.simulator.ad_platforms_server.accounts import GOOGLE_ADS, META_ADS
from tests.marketing.conftest import DEVELOPER_TOKEN, LOADED_AT, TOKEN

END = date(2025, 12, 31)
START = date(2024, 1, 1)


def _sync(con, client, platform, until=END, load_id="l1", window_days=3):
    raw, columns = {
        GOOGLE_ADS: (GOOGLE_ADS_CAMPAIGN_DAYS, GOOGLE_ADS_COLUMNS),
        META_ADS: (META_ADS_CAMPAIGN_DAYS, META_ADS_COLUMNS),
    }[platform]
    return sync_ad_spend(
        con,
        client,
        raw,
        columns,
        until=until,
        first_date=START,
        load_id=load_id,
        loaded_at=LOADED_AT,
        window_days=window_days,
    )


def _landed(con, platform) -> dict[tuple[str, str], tuple[float, int, int]]:
    """(campaign id, day) -> (cost, clicks, impressions), latest version, as staging reads it."""
    if platform == GOOGLE_ADS:
        sql = """select campaign_id, "date", cast(cost_micros as bigint) / 1e6, clicks, impressions
            from raw_google_ads.campaign_days
            qualify row_number() over (
                partition by campaign_id, "date" order by _load_sequence desc) = 1"""
    else:
        sql = """select campaign_id, date_start, cast(spend as double), clicks, impressions
            from raw_meta_ads.campaign_days
            qualify row_number() over (
                partition by campaign_id, date_start order by _load_sequence desc) = 1"""
    return {(c, d): (cost, int(cl), int(im)) for c, d, cost, cl, im in con.execute(sql).fetchall()}


def _served(server, platform) -> dict[tuple[str, str], tuple[float, int, int]]:
    return {
        (d.campaign_id, d.day.isoformat()): (d.cost, d.clicks, d.impressions)
        for account in server.accounts.of(platform)
        for d in server.accounts.served(account.account_id, START, END)
    }


def test_google_ads_search_stream_has_googles_shape(server):
    customer = max(server.accounts.of(GOOGLE_ADS), key=lambda a: len(a.days)).account_id
    headers = {"Authorization": f"Bearer {TOKEN}", "developer-token": DEVELOPER_TOKEN}
    listed = requests.get(
        f"{server.base_url}/v17/customers:listAccessibleCustomers", headers=headers, timeout=10
    ).json()
    assert f"customers/{customer}" in listed["resourceNames"]
    query = (
        "SELECT customer.currency_code, campaign.id, campaign.name, segments.date, "
        "metrics.cost_micros, metrics.clicks, metrics.impressions FROM campaign "
        "WHERE segments.date BETWEEN '2024-01-01' AND '2025-12-31'"
    )
    body = requests.post(
        f"{server.base_url}/v17/customers/{customer}/googleAds:searchStream",
        headers=headers,
        json={"query": query},
        timeout=10,
    ).json()
    assert isinstance(body, list) and {"results", "fieldMask", "requestId"} <= set(body[0])
    row = body[0]["results"][0]
    assert set(row) == {"customer", "campaign", "segments", "metrics"}
    assert (
        row["campaign"]["resourceName"] == f"customers/{customer}/campaigns/{row['campaign']['id']}"
    )
    assert isinstance(row["metrics"]["costMicros"], str) and row["metrics"]["costMicros"].isdigit()
    assert row["customer"]["currencyCode"] in {"USD", "EUR", "GBP"}
    unknown = requests.post(
        f"{server.base_url}/v17/customers/{customer}/googleAds:searchStream",
        headers=headers,
        json={"query": query.replace("metrics.clicks", "metrics.ctr")},
        timeout=10,
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_meta_insights_page_with_cursors_and_string_metrics(server):
    account = server.accounts.of(META_ADS)[0].account_id
    params = {
        "level": "campaign",
        "time_increment": "1",
        "time_range": json.dumps({"since": "2024-01-01", "until": "2025-12-31"}),
        "fields": "campaign_id,spend,clicks,account_currency",
        "limit": "10",
    }
    page = requests.get(
        f"{server.base_url}/v19.0/act_{account}/insights",
        params=params,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    ).json()
    assert len(page["data"]) == 10
    assert {"before", "after"} <= set(page["paging"]["cursors"]) and page["paging"]["next"]
    row = page["data"][0]
    assert isinstance(row["spend"], str) and "." in row["spend"]
    assert row["date_start"] == row["date_stop"]


@pytest.mark.parametrize("platform", [GOOGLE_ADS, META_ADS])
def test_spend_reconciles_per_campaign_and_day_with_what_was_served(
    con, server, google, meta, world, platform
):
    stats = _sync(con, google if platform == GOOGLE_ADS else meta, platform)
    landed, served = _landed(con, platform), _served(server, platform)
    assert stats.rows_quarantined == 0 and stats.rows_read == len(served) > 100
    assert landed.keys() == served.keys()
    for key, (cost, clicks, impressions) in served.items():
        assert landed[key][0] == pytest.approx(cost, abs=1e-9), key
        assert landed[key][1:] == (clicks, impressions), key
    # The served spend is the world's, less the one campaign-day the platform withheld.
    world_spend = read_table(world, "ad_spend").to_pylist()
    expected = {
        (r["campaign_id"], r["date"].isoformat()): r["cost"]
        for r in world_spend
        if r["platform"] == platform
    }
    withheld = {
        (c, d.isoformat())
        for a, c, d in server.accounts.withheld
        if a in {x.account_id for x in server.accounts.of(platform)}
    }
    assert len(withheld) == 1 and withheld <= expected.keys()
    assert landed.keys() == expected.keys() - withheld


@pytest.mark.parametrize("platform", [GOOGLE_ADS, META_ADS])
def test_rereading_the_window_changes_the_restated_days_and_nothing_else(
    con, server, google, meta, platform
):
    client = google if platform == GOOGLE_ADS else meta
    until = END - timedelta(days=20)
    server.accounts.today = until
    _sync(con, client, platform, until=until)
    before = _landed(con, platform)
    restated_since = until - timedelta(days=1)  # the platform restates its last two days
    changed = server.accounts.restate(restated_since, 1.25, platform)
    assert changed > 0
    stats = _sync(con, client, platform, until=until, load_id="l2")
    after = _landed(con, platform)
    restated = {k for k in before if date.fromisoformat(k[1]) >= restated_since}
    assert stats.rows_read > len(restated)  # the window re-read a third, unchanged day
    assert stats.rows_inserted == len(restated) == changed
    assert {k for k in before if before[k] != after[k]} == restated
    for key in restated:
        assert after[key][0] == pytest.approx(round(before[key][0] * 1.25, 2))
    raw = GOOGLE_ADS_CAMPAIGN_DAYS if platform == GOOGLE_ADS else META_ADS_CAMPAIGN_DAYS
    versions = con.execute(f"select _load_id, count(*) from {raw.table} group by 1").fetchall()
    assert dict(versions) == {"l1": len(before), "l2": len(restated)}  # raw keeps both


def test_incremental_read_starts_a_window_before_the_last_day_read(con, server, google):
    first_until = END - timedelta(days=10)
    _sync(con, google, GOOGLE_ADS, until=first_until)
    stats = _sync(con, google, GOOGLE_ADS, until=END, load_id="l2")
    window_start = first_until - timedelta(days=2)  # three days re-read, then new ones
    expected = [
        d
        for account in server.accounts.of(GOOGLE_ADS)
        for d in server.accounts.served(account.account_id, window_start, END)
    ]
    assert stats.mode == "incremental" and stats.rows_read == len(expected) > 0
    cursors = con.execute("select cursor_value from raw_google_ads._cursors").fetchall()
    assert {c for (c,) in cursors} == {END.isoformat()}


def test_throttling_and_server_errors_are_retried_with_the_platforms_hints(
    con, server, google, meta, clock
):
    server.faults.rate_limited = 1
    server.faults.retry_after = 30
    _sync(con, google, GOOGLE_ADS)
    assert clock.sleeps[0] == 30  # Google's retryDelay
    server.faults.rate_limited = 1
    server.faults.retry_after = 120
    _sync(con, meta, META_ADS)
    assert clock.sleeps[1] == 120  # Meta's estimated_time_to_regain_access, in minutes
    server.faults.fail_after_pages = 0
    server.faults.failures = 2
    server.faults.failure_status = 503
    stats = _sync(con, meta, META_ADS, load_id="l2")
    assert stats.retries == 2 and stats.rows_quarantined == 0


def test_a_refused_token_stops_at_once_without_leaking_it(server, clock):
    from ingestion.ad_platforms.google_ads import GoogleAdsClient

    client = GoogleAdsClient(server.base_url, "wrong-token", DEVELOPER_TOKEN, sleep=clock.sleep)
    with pytest.raises(AdPlatformAuthError) as error:
        client.accounts()
    assert "GOOGLE_ADS_ACCESS_TOKEN" in str(error.value) and "wrong-token" not in str(error.value)
    assert clock.sleeps == []


def test_a_platform_that_keeps_failing_gives_up_within_the_budget(con, server, meta):
    server.faults.fail_after_pages = 0
    server.faults.failures = 100
    with pytest.raises(AdPlatformUnavailableError):
        _sync(con, meta, META_ADS)
    assert con.execute("select count(*) from raw_meta_ads.campaign_days").fetchone() == (0,)
