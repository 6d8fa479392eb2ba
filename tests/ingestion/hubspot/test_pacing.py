"""Proactive pacing: a sync runs at the rate HubSpot's limits allow, never into a 429."""

from __future__ import annotations

import pytest
import requests

from ingestion.hubspot.pacing import MARGIN_S, Pacer, RateLimits

from .conftest import TOKEN

DETAILS = "/account-info/v3/details"
SEARCH = "/crm/v3/objects/deals/search"


def _statuses(server) -> list[int]:
    return [status for _, _, status in server.app.requests]


def test_paced_requests_fill_each_window_and_never_hit_a_limit(server, client, clock):
    """250 requests under HubSpot's 100 per rolling 10 s take two waits of one window each,
    the floor the limit imposes; 12 searches at 5 a second take two waits of a second."""
    server.faults.throttle = True
    started = clock.now
    for _ in range(250):
        client.get(DETAILS)
    assert clock.sleeps == pytest.approx([10 + MARGIN_S] * 2)
    assert clock.now - started == pytest.approx(20, abs=0.01)
    clock.sleeps.clear()
    clock.now += 10  # the request window is empty again
    for _ in range(12):
        client.post(SEARCH, {"limit": 1})
    assert clock.sleeps == pytest.approx([1 + MARGIN_S] * 2)
    assert set(_statuses(server)) == {200}
    assert client.stats.retries == 0


def test_requests_another_client_spent_are_read_from_the_headers(server, client, clock):
    """Another client of the same app spent 70 of the 100 requests: the remaining count in
    the first response makes the connector wait for the window instead of running into it."""
    server.faults.throttle = True
    other = requests.Session()
    for _ in range(70):
        other.get(server.base_url + DETAILS, headers={"Authorization": f"Bearer {TOKEN}"})
    for _ in range(60):
        client.get(DETAILS)
    assert set(_statuses(server)) == {200}
    assert clock.sleeps == pytest.approx([10 + MARGIN_S])


def test_a_higher_limit_announced_in_the_headers_is_adopted(clock):
    pacer = Pacer(RateLimits(), clock.time, clock.sleep)
    response = requests.Response()
    response.headers.update(
        {
            "X-HubSpot-RateLimit-Max": "190",
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Remaining": "189",
        }
    )
    for _ in range(190):
        pacer.before("GET /crm/v3/objects/deals")
        pacer.after("GET /crm/v3/objects/deals", response)
    assert clock.sleeps == []
    pacer.before("GET /crm/v3/objects/deals")
    assert clock.sleeps == pytest.approx([10 + MARGIN_S])
