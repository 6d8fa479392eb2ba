"""Google Ads: campaign x day cost, clicks and impressions through ``googleAds:searchStream``.

One GAQL query per customer and date range returns every row in a JSON array of batches
(no paging to resume, so a failed stream is retried whole). int64 metrics arrive as
strings and cost in micros of the customer's currency, which the same query reads
(``customer.currency_code``). Rows land as Google wrote them; staging divides by 1e6.

Credentials, read at run time from the environment: an OAuth access token
(``GOOGLE_ADS_ACCESS_TOKEN``, refreshed by whatever schedules the run) and the
developer token (``GOOGLE_ADS_DEVELOPER_TOKEN``); ``GOOGLE_ADS_LOGIN_CUSTOMER_ID`` when
the customers are reached through a manager account.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from datetime import date

import requests
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth

from ingestion.ad_platforms.errors import (
    GOOGLE_ADS_DEVELOPER_TOKEN_ENV,
    GOOGLE_ADS_TOKEN_ENV,
    AdPlatformAuthError,
    AdPlatformRequestError,
)
from ingestion.ad_platforms.http import json_body, keep_parsed, retrying_session
from ingestion.retrying_http import RequestStats, RetryPolicy

PLATFORM = "Google Ads"
API_VERSION = "v17"
DEFAULT_BASE_URL = "https://googleads.googleapis.com"
LOGIN_CUSTOMER_ENV = "GOOGLE_ADS_LOGIN_CUSTOMER_ID"
FIELDS = (
    "customer.id",
    "customer.currency_code",
    "campaign.id",
    "campaign.name",
    "campaign.start_date",
    "campaign.end_date",
    "segments.date",
    "metrics.cost_micros",
    "metrics.clicks",
    "metrics.impressions",
)
_CREDENTIALS = f"{GOOGLE_ADS_TOKEN_ENV} and {GOOGLE_ADS_DEVELOPER_TOKEN_ENV}"


def _problem(response: requests.Response, name: str) -> tuple[str | None, float | None]:
    """(why to retry, seconds Google asked to wait); raises for what retrying cannot fix."""
    status = response.status_code
    body = json_body(response)
    error = body.get("error", {}) if isinstance(body, dict) else {}
    if status == 401 or (status == 403 and _code(error) != "USER_PERMISSION_DENIED"):
        detail = _code(error) or error.get("status") or f"HTTP {status}"
        raise AdPlatformAuthError.refused(PLATFORM, name, detail, _CREDENTIALS)
    if status == 429:
        return "HTTP 429 RESOURCE_EXHAUSTED", _retry_delay(error)
    if status >= 500 or status == 408:
        return f"HTTP {status}", None
    if status >= 400:
        detail = f"{_code(error) or error.get('status', '')} {error.get('message', '')}"
        raise AdPlatformRequestError(PLATFORM, name, status, detail.strip()[:300])
    if body is None:
        return f"HTTP {status} with a body that is not JSON", None
    keep_parsed(response, body)
    return None, None


def _failures(error: dict) -> list[dict]:
    return [e for d in error.get("details") or [] for e in d.get("errors") or []]


def _code(error: dict) -> str | None:
    """The first GoogleAdsFailure error code (DEVELOPER_TOKEN_INVALID...), if any."""
    for failure in _failures(error):
        for value in (failure.get("errorCode") or {}).values():
            return str(value)
    return None


def _retry_delay(error: dict) -> float | None:
    """Seconds from a quota error's ``retryDelay`` ("30s")."""
    for failure in _failures(error):
        delay = ((failure.get("details") or {}).get("quotaErrorDetails") or {}).get("retryDelay")
        match = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(delay or ""))
        if match:
            return float(match.group(1))
    return None


class GoogleAdsClient:
    """An authenticated Google Ads API client with bounded retries and request counters."""

    platform = PLATFORM

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        access_token: str | None = None,
        developer_token: str | None = None,
        *,
        login_customer_id: str | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: tuple[float, float] = (10.0, 300.0),
        observe: Callable[[str, str, int], None] | None = None,
    ) -> None:
        access_token = access_token or os.environ.get(GOOGLE_ADS_TOKEN_ENV)
        developer_token = developer_token or os.environ.get(GOOGLE_ADS_DEVELOPER_TOKEN_ENV)
        if not access_token or not developer_token:
            raise AdPlatformAuthError.missing(
                PLATFORM, GOOGLE_ADS_TOKEN_ENV, GOOGLE_ADS_DEVELOPER_TOKEN_ENV
            )
        self.base_url = base_url.rstrip("/")
        self.stats = RequestStats()
        headers = {"developer-token": developer_token}
        login = login_customer_id or os.environ.get(LOGIN_CUSTOMER_ENV)
        if login:
            headers["login-customer-id"] = login.replace("-", "")
        session = retrying_session(
            PLATFORM,
            _problem,
            retry=retry,
            sleep=sleep,
            stats=self.stats,
            timeout=timeout,
            observe=observe,
        )
        self._rest = RESTClient(
            self.base_url, headers=headers, auth=BearerTokenAuth(access_token), session=session
        )

    def __repr__(self) -> str:
        return f"GoogleAdsClient({self.base_url!r})"

    def accounts(self) -> list[str]:
        """The customer ids the credentials can read."""
        body = self._rest.get(f"/{API_VERSION}/customers:listAccessibleCustomers").json()
        return sorted(name.rsplit("/", 1)[-1] for name in body.get("resourceNames") or [])

    def campaign_days(self, customer_id: str, since: date, until: date) -> list[dict[str, str]]:
        """Every campaign-day of the customer between two days (both included), flat."""
        query = (
            f"SELECT {', '.join(FIELDS)} FROM campaign "
            f"WHERE segments.date BETWEEN '{since.isoformat()}' AND '{until.isoformat()}' "
            "ORDER BY segments.date, campaign.id"
        )
        path = f"/{API_VERSION}/customers/{customer_id}/googleAds:searchStream"
        batches = self._rest.post(path, json={"query": query}).json()
        return [_flat(row) for batch in batches for row in batch.get("results") or []]


def _flat(row: dict) -> dict[str, str]:
    customer, campaign = row.get("customer") or {}, row.get("campaign") or {}
    metrics, segments = row.get("metrics") or {}, row.get("segments") or {}
    return {
        "customer_id": customer.get("id"),
        "currency_code": customer.get("currencyCode"),
        "campaign_id": campaign.get("id"),
        "campaign_name": campaign.get("name"),
        "campaign_start_date": campaign.get("startDate"),
        "campaign_end_date": campaign.get("endDate"),
        "date": segments.get("date"),
        # Google leaves zero int64 values out of the JSON.
        "cost_micros": metrics.get("costMicros", "0"),
        "clicks": metrics.get("clicks", "0"),
        "impressions": metrics.get("impressions", "0"),
    }
