"""Fixtures for the marketing sources: a small world, its ad-platform server, a warehouse.

The world is generated once per session; every test gets a fresh server (its own served
state, so restatements and faults never leak between tests).
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from ingestion.ad_platforms.google_ads import GoogleAdsClient
from ingestion.ad_platforms.meta_ads import MetaAdsClient
from ingestion.retrying_http import RetryPolicy
from ingestion.simulator.ad_platforms_server import AdPlatformsServer

TOKEN = "ya29.a0AfB_fake-oauth-access-token"
DEVELOPER_TOKEN = "fake-developer-token-1234"
LOADED_AT = datetime(2026, 1, 2, tzinfo=UTC)
FAST_RETRY = RetryPolicy(max_attempts=4, max_total_wait_s=1000)


@pytest.fixture
def server(world):
    with AdPlatformsServer(world, token=TOKEN, developer_token=DEVELOPER_TOKEN) as running:
        yield running


@pytest.fixture
def google(server, clock) -> GoogleAdsClient:
    return GoogleAdsClient(
        server.base_url, TOKEN, DEVELOPER_TOKEN, sleep=clock.sleep, retry=FAST_RETRY
    )


@pytest.fixture
def meta(server, clock) -> MetaAdsClient:
    return MetaAdsClient(server.base_url, TOKEN, sleep=clock.sleep, retry=FAST_RETRY, page_size=50)


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()
