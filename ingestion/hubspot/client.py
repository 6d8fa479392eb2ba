"""HTTP to HubSpot: dlt's REST client, with retries that honour HubSpot's rate limits.

Paging (``paging.next.after``), bearer auth and request building come from dlt's
``RESTClient``. Retries live in a transport adapter beneath it, so every request, the
pages of a long listing included, is retried alone and a 5xx on page 40 does not restart
the listing. The adapter also refuses 200s whose body is not JSON (HubSpot's edge
sometimes answers with an HTML error page) so those are retried too. Before each attempt
the adapter paces the request to fit HubSpot's rate limits (see pacing.py), so a long sync
runs at the rate the limits allow instead of bouncing off them. Waiting goes through an
injectable ``clock`` and ``sleep`` and is bounded in attempts and total seconds, so tests
never really sleep and a sync never hangs for ever.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from dlt.common import jsonpath
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from ingestion.hubspot.errors import (
    TOKEN_ENV,
    HubSpotAuthError,
    HubSpotRequestError,
    HubSpotScopeError,
    HubSpotUnavailableError,
)
from ingestion.hubspot.pacing import Pacer, RateLimits
from ingestion.retrying_http import RequestStats, RetryingAdapter, RetryPolicy

__all__ = ["HubSpotClient", "RateLimits", "RequestStats", "RetryPolicy"]

DEFAULT_BASE_URL = "https://api.hubapi.com"
HUBSPOT_LIMITS = RateLimits()


def _problem(response: requests.Response, name: str) -> tuple[str | None, float | None]:
    """(why to retry, seconds HubSpot asked to wait); (None, None) for a usable response.

    Raises at once for what retrying cannot fix: a refused token, a missing scope, a
    request HubSpot calls invalid.
    """
    status = response.status_code
    if status == 401:
        raise HubSpotAuthError.refused(name)
    if status == 429:
        policy = _body(response).get("policyName", "rate limit")
        return f"HTTP 429 {policy}", _retry_after(response)
    if status >= 500 or status == 408:
        return f"HTTP {status}", None
    if status >= 400:
        body = _body(response)
        if status == 403 and body.get("category") == "MISSING_SCOPES":
            scopes = [
                scope
                for err in body.get("errors") or []
                for scope in (err.get("context") or {}).get("requiredGranularScopes") or []
            ]
            raise HubSpotScopeError(name, scopes)
        detail = f"{body.get('category', '')} {str(body.get('message', ''))[:300]}".strip()
        raise HubSpotRequestError(name, status, detail or response.reason)
    if "html" in response.headers.get("Content-Type", "") or response.content[:1] == b"<":
        return f"HTTP {status} with an HTML page instead of JSON", None
    try:
        parsed = json.loads(response.content)
    except ValueError:
        return f"HTTP {status} with malformed JSON", None
    # Parse once: dlt's paginator and data selector each call response.json().
    response.json = lambda **_: parsed  # type: ignore[method-assign]
    return None, None


def _body(response: requests.Response) -> dict:
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(response: requests.Response) -> float | None:
    """Retry-After in seconds (a number or an HTTP date); None when absent or unreadable."""
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class HubSpotClient:
    """An authenticated HubSpot API client with bounded retries and request counters.

    ``token`` defaults to the ``HUBSPOT_ACCESS_TOKEN`` environment variable, read here (at
    run time). ``pacing`` is the rate limits to stay inside of (None: only react to 429s,
    for an API that enforces none); ``clock`` and ``sleep`` are the time it paces and waits
    between retries by. ``observe`` is called with (method, path, status) after every
    response, for instrumentation and tests.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        token: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        pacing: RateLimits | None = HUBSPOT_LIMITS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        timeout: tuple[float, float] = (10.0, 60.0),
        observe: Callable[[str, str, int], None] | None = None,
    ) -> None:
        token = token or os.environ.get(TOKEN_ENV)
        if not token:
            raise HubSpotAuthError.missing()
        self.base_url = base_url
        self.stats = RequestStats()
        self.pacer = Pacer(pacing, clock, sleep) if pacing else None
        session = requests.Session()
        adapter = RetryingAdapter(
            retry or RetryPolicy(),
            sleep,
            self.stats,
            timeout,
            observe,
            classify=_problem,
            give_up=HubSpotUnavailableError,
            pacer=self.pacer,
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self._rest = RESTClient(
            base_url,
            auth=BearerTokenAuth(token),
            session=session,
            data_selector=jsonpath.compile_path("results"),  # compiled once, not per page
            paginator=JSONResponseCursorPaginator(
                cursor_path="paging.next.after", cursor_param="after"
            ),
        )

    def __repr__(self) -> str:
        return f"HubSpotClient({self.base_url!r})"

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict:
        return self._rest.get(path, params=params).json()

    def post(self, path: str, body: dict, params: dict[str, Any] | None = None) -> dict:
        return self._rest.post(path, json=body, params=params).json()

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[list[dict]]:
        """The ``results`` of each page of a listing, following ``paging.next.after``."""
        for page in self._rest.paginate(path, params=dict(params)):
            yield list(page)
