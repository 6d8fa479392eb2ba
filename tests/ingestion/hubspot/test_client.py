"""The HTTP layer: retries honour rate limits, errors say what to do, the token stays secret."""

from __future__ import annotations

import logging

import pytest

from ingestion.hubspot.client import HubSpotClient, RetryPolicy
from ingestion.hubspot.errors import (
    HubSpotAuthError,
    HubSpotScopeError,
    HubSpotUnavailableError,
)
from ingestion.simulator.server import ALL_SCOPES, HubSpotServer

from .conftest import TOKEN

DEALS = "/crm/v3/objects/deals"


def _ids(client, **params) -> list[str]:
    pages = client.pages(DEALS, {"limit": 100, **params})
    return [record["id"] for page in pages for record in page]


def test_token_comes_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    assert HubSpotClient(server.base_url).get("/account-info/v3/details")["portalId"] > 0
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN")
    with pytest.raises(HubSpotAuthError, match="set HUBSPOT_ACCESS_TOKEN"):
        HubSpotClient(server.base_url)


def test_rate_limits_wait_as_long_as_retry_after_says(server, client, clock):
    server.faults.rate_limited, server.faults.retry_after = 3, 7
    assert client.get("/account-info/v3/details")["portalId"] == server.world.portal_id
    assert clock.sleeps == [7, 7, 7]
    assert (client.stats.requests, client.stats.retries) == (4, 3)


def test_rate_limits_without_retry_after_back_off_exponentially(server, client, clock):
    server.faults.rate_limited = 4
    client.get("/account-info/v3/details")
    assert clock.sleeps == [1, 2, 4, 8]


def test_past_the_retry_budget_the_error_says_what_to_do(server, clock):
    client = HubSpotClient(
        server.base_url,
        token=TOKEN,
        clock=clock.time,
        sleep=clock.sleep,
        retry=RetryPolicy(max_attempts=20, max_total_wait_s=100),
    )
    server.faults.rate_limited, server.faults.retry_after = 1_000, 30
    with pytest.raises(HubSpotUnavailableError) as failure:
        client.get(DEALS)
    assert clock.sleeps == [30, 30, 30]  # a fourth wait would pass the 100 s budget
    message = str(failure.value)
    assert "GET /crm/v3/objects/deals" in message and "HTTP 429" in message
    assert "Run the sync again later" in message and TOKEN not in message


def test_a_refused_token_fails_at_once_naming_the_variable(server, client, clock):
    server.faults.expired_token = True
    with pytest.raises(HubSpotAuthError) as failure:
        client.get(DEALS)
    message = str(failure.value)
    assert "HUBSPOT_ACCESS_TOKEN" in message and "Renew it" in message
    assert TOKEN not in message
    assert (client.stats.requests, clock.sleeps) == (1, [])


def test_a_missing_scope_is_named(world, clock):
    scopes = ALL_SCOPES - {"crm.objects.contacts.read"}
    with HubSpotServer(world, token=TOKEN, scopes=scopes) as server:
        client = HubSpotClient(server.base_url, token=TOKEN, clock=clock.time, sleep=clock.sleep)
        assert _ids(client)  # deals are allowed
        with pytest.raises(HubSpotScopeError, match=r"crm\.objects\.contacts\.read") as failure:
            client.get("/crm/v3/objects/contacts")
    assert failure.value.scopes == ["crm.objects.contacts.read"]
    assert TOKEN not in str(failure.value) and clock.sleeps == []


def test_malformed_json_and_html_pages_are_retried_then_fail_clearly(server, client, clock):
    expected = _ids(client)
    server.faults.malformed_json, server.faults.html_pages = 1, 1
    assert _ids(client) == expected
    assert client.stats.retries == 2
    server.faults.html_pages = 1_000
    with pytest.raises(HubSpotUnavailableError) as failure:
        client.get(DEALS)
    message = str(failure.value)
    assert "GET /crm/v3/objects/deals" in message and "HTML page instead of JSON" in message
    assert "8 attempts" in message and TOKEN not in message


def test_a_5xx_in_the_middle_of_a_listing_retries_that_page_only(server, client):
    expected = _ids(client)
    server.faults.fail_after_pages, server.faults.failures = server.app.pages_served + 2, 2
    assert _ids(client) == expected  # complete, each id once
    statuses = [status for _, path, status in server.app.requests if path == DEALS]
    assert statuses[-5:] == [200, 200, 502, 502, 200]


def test_a_slow_response_times_out_and_is_retried(server, clock):
    client = HubSpotClient(
        server.base_url, token=TOKEN, clock=clock.time, sleep=clock.sleep, timeout=(1.0, 0.2)
    )
    server.faults.slow, server.faults.delay_s = 1, 0.5
    assert client.get("/account-info/v3/details")["portalId"] == server.world.portal_id
    assert clock.sleeps == [1]


def test_the_token_never_reaches_logs_or_reprs(server, client, caplog):
    caplog.set_level(logging.DEBUG)
    server.faults.rate_limited = 1
    _ids(client, properties="dealname")
    client.post(f"{DEALS}/search", {"limit": 1})
    assert caplog.records  # dlt and urllib3 did log the requests...
    assert TOKEN not in caplog.text  # ...but never the token
    assert TOKEN not in repr(client)


def test_real_rate_limits_are_survived_without_pacing(server, clock):
    """With HubSpot's real limits enforced (on the fake clock) and no pacing, a burst of 120
    requests and a burst of searches get 429s, wait, and all succeed."""
    server.faults.throttle = True
    client = HubSpotClient(
        server.base_url, token=TOKEN, pacing=None, clock=clock.time, sleep=clock.sleep
    )
    for _ in range(120):
        client.get("/account-info/v3/details")
    for _ in range(8):
        client.post(f"{DEALS}/search", {"limit": 1})
    statuses = [status for _, _, status in server.app.requests]
    assert statuses.count(429) >= 2 and statuses[-1] == 200
    assert clock.sleeps and sum(clock.sleeps) < 60
