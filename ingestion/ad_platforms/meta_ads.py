"""Meta (Facebook / Instagram) ads: campaign x day spend through the Marketing API insights.

``GET act_{id}/insights?level=campaign&time_increment=1`` (and ``act_{id}/campaigns`` for
each campaign's start and stop time) pages by ``paging.cursors.after``
while ``paging.next`` is present (the client follows the cursor against its own base URL
rather than the absolute ``next`` link). Metrics are strings (``spend`` a decimal in the
account's currency, which ``account_currency`` names). Meta signals throttling in the
error body (codes 4, 17, 32, 613, 80000-80014, or ``is_transient``), usually with HTTP
400: those are retried, waiting ``estimated_time_to_regain_access`` when Meta sends it.

The access token (``META_ACCESS_TOKEN``, a system user's token) is read at run time and
sent in the ``Authorization`` header, never in the URL.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import date

import requests
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth

from ingestion.ad_platforms.errors import (
    META_TOKEN_ENV,
    AdPlatformAuthError,
    AdPlatformRequestError,
)
from ingestion.ad_platforms.http import json_body, keep_parsed, retrying_session
from ingestion.retrying_http import RequestStats, RetryPolicy

PLATFORM = "Meta"
API_VERSION = "v19.0"
DEFAULT_BASE_URL = "https://graph.facebook.com"
PAGE_SIZE = 500
FIELDS = (
    "account_id",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "spend",
    "impressions",
    "clicks",
)
THROTTLING_CODES = {4, 17, 32, 613, *range(80000, 80015)}
AUTH_CODES = {102, 190}


def _problem(response: requests.Response, name: str) -> tuple[str | None, float | None]:
    """(why to retry, seconds Meta asked to wait); raises for what retrying cannot fix."""
    status = response.status_code
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        if code in AUTH_CODES or status == 401:
            detail = f"error {code}: {str(error.get('message', ''))[:200]}"
            raise AdPlatformAuthError.refused(PLATFORM, name, detail, META_TOKEN_ENV)
        if code in THROTTLING_CODES or error.get("is_transient") or status >= 500:
            return f"HTTP {status} error {code} (throttled or transient)", _regain(response)
        raise AdPlatformRequestError(
            PLATFORM, name, status, f"error {code}: {str(error.get('message', ''))[:300]}"
        )
    if status >= 500 or status in (408, 429):
        return f"HTTP {status}", None
    if status >= 400:
        raise AdPlatformRequestError(PLATFORM, name, status, response.reason or "")
    if body is None:
        return f"HTTP {status} with a body that is not JSON", None
    keep_parsed(response, body)
    return None, None


def _regain(response: requests.Response) -> float | None:
    """Seconds until access returns, from ``x-business-use-case-usage`` (minutes there)."""
    try:
        usage = json.loads(response.headers.get("x-business-use-case-usage") or "{}")
    except ValueError:
        return None
    minutes = [
        entry.get("estimated_time_to_regain_access") or 0
        for entries in usage.values()
        for entry in entries
    ]
    return max(minutes) * 60 if minutes else None


class MetaAdsClient:
    """An authenticated Meta Marketing API client with bounded retries and request counters."""

    platform = PLATFORM

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        access_token: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: tuple[float, float] = (10.0, 120.0),
        observe: Callable[[str, str, int], None] | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        access_token = access_token or os.environ.get(META_TOKEN_ENV)
        if not access_token:
            raise AdPlatformAuthError.missing(PLATFORM, META_TOKEN_ENV)
        self.base_url, self.page_size = base_url.rstrip("/"), page_size
        self.stats = RequestStats()
        session = retrying_session(
            PLATFORM,
            _problem,
            retry=retry,
            sleep=sleep,
            stats=self.stats,
            timeout=timeout,
            observe=observe,
        )
        self._rest = RESTClient(self.base_url, auth=BearerTokenAuth(access_token), session=session)

    def __repr__(self) -> str:
        return f"MetaAdsClient({self.base_url!r})"

    def _pages(self, path: str, params: dict[str, str]) -> Iterator[list[dict]]:
        query = {**params, "limit": str(self.page_size)}
        while True:
            body = self._rest.get(path, params=query).json()
            yield body.get("data") or []
            paging = body.get("paging") or {}
            if not paging.get("next"):
                return
            query["after"] = paging["cursors"]["after"]

    def accounts(self) -> list[str]:
        """The ad account ids (without ``act_``) the token can read."""
        path = f"/{API_VERSION}/me/adaccounts"
        pages = self._pages(path, {"fields": "account_id,name,currency"})
        return sorted(str(row["account_id"]) for page in pages for row in page)

    def campaign_days(self, account_id: str, since: date, until: date) -> list[dict[str, str]]:
        """Every campaign-day of the account between two days (both included), with its
        campaign's start and stop times (insights do not carry them: the campaign objects do,
        and the gap check needs them to see a missing first or last day)."""
        campaigns = {
            str(row["id"]): row
            for page in self._pages(
                f"/{API_VERSION}/act_{account_id}/campaigns",
                {"fields": "id,name,start_time,stop_time"},
            )
            for row in page
        }
        params = {
            "level": "campaign",
            "time_increment": "1",
            "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
            "fields": ",".join(FIELDS),
        }
        path = f"/{API_VERSION}/act_{account_id}/insights"
        return [
            {**row, **_campaign_times(campaigns.get(str(row.get("campaign_id"))) or {})}
            for page in self._pages(path, params)
            for row in page
        ]


def _campaign_times(campaign: dict) -> dict[str, str | None]:
    return {
        "campaign_start_time": campaign.get("start_time"),
        "campaign_stop_time": campaign.get("stop_time"),
    }
