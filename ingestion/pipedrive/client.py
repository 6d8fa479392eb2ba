"""HTTP to Pipedrive: dlt's REST client, with retries that honour Pipedrive's rate limits.

Requests are built by dlt's ``RESTClient`` with the token in the ``x-api-token`` header
(never in the URL, where it would end up in proxies' logs). Retries live in a transport
adapter beneath it, so each page of a listing is retried alone and a 5xx on page 40 does
not restart the listing. A 429 waits until the rate-limit window resets
(``x-ratelimit-reset``, seconds), other failures back off exponentially; waiting goes
through an injectable ``sleep`` and is bounded in attempts and total seconds.

Paging is written out here rather than left to dlt's paginators: v1 answers an empty list
with ``"data": null``, and v2 and v1 page differently (``next_cursor`` vs ``next_start``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import APIKeyAuth

from ingestion.pipedrive.errors import (
    TOKEN_ENV,
    PipedriveAuthError,
    PipedriveRequestError,
    PipedriveUnavailableError,
)
from ingestion.retrying_http import RequestStats, RetryingAdapter, RetryPolicy

DEFAULT_BASE_URL = "https://api.pipedrive.com"
PAGE_SIZE = 500  # the most Pipedrive serves per page


def _problem(response: requests.Response, name: str) -> tuple[str | None, float | None]:
    """(why to retry, seconds Pipedrive asked to wait); (None, None) for a usable response.

    Raises at once for what retrying cannot fix: a refused token, an invalid request.
    """
    status = response.status_code
    if status == 401:
        raise PipedriveAuthError.refused(name)
    if status == 429:
        return "HTTP 429 rate limit", _reset(response)
    if status >= 500 or status == 408:
        return f"HTTP {status}", None
    if status >= 400:
        body = _body(response)
        raise PipedriveRequestError(name, status, str(body.get("error") or response.reason)[:300])
    try:
        parsed = json.loads(response.content)
    except ValueError:
        return f"HTTP {status} with a body that is not JSON", None
    response.json = lambda **_: parsed  # type: ignore[method-assign]
    return None, None


def _body(response: requests.Response) -> dict:
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _reset(response: requests.Response) -> float | None:
    """Seconds until the rate-limit window resets (x-ratelimit-reset, else Retry-After)."""
    for header in ("x-ratelimit-reset", "Retry-After"):
        try:
            return max(0.0, float(response.headers[header]))
        except (KeyError, ValueError):
            continue
    return None


class PipedriveClient:
    """An authenticated Pipedrive API client with bounded retries and request counters.

    ``base_url`` is the company's API host (``https://<company>.pipedrive.com``);
    ``token`` defaults to the ``PIPEDRIVE_API_TOKEN`` environment variable, read here (at
    run time). ``sleep`` is how the client waits between retries; ``observe`` is called
    with (method, path, status) after every response; ``page_size`` is the ``limit`` of
    every listing (tests lower it to page more).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        token: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: tuple[float, float] = (10.0, 60.0),
        observe: Callable[[str, str, int], None] | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        token = token or os.environ.get(TOKEN_ENV)
        if not token:
            raise PipedriveAuthError.missing()
        self.base_url, self.page_size = base_url, page_size
        self.stats = RequestStats()
        session = requests.Session()
        adapter = RetryingAdapter(
            retry or RetryPolicy(),
            sleep,
            self.stats,
            timeout,
            observe,
            classify=_problem,
            give_up=PipedriveUnavailableError,
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        auth = APIKeyAuth(name="x-api-token", api_key=token, location="header")
        self._rest = RESTClient(base_url, auth=auth, session=session)

    def __repr__(self) -> str:
        return f"PipedriveClient({self.base_url!r})"

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict:
        """One request's whole envelope."""
        return self._rest.get(path, params=params).json()

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[dict]]:
        """The ``data`` of each page of a v2 listing, following ``next_cursor``."""
        query = {**(params or {}), "limit": self.page_size}
        while True:
            body = self.get(path, query)
            yield body.get("data") or []
            cursor = (body.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return
            query["cursor"] = cursor

    def v1_pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[dict]]:
        """The ``data`` of each page of a v1 listing, following ``pagination.next_start``."""
        query = {**(params or {}), "start": 0, "limit": self.page_size}
        while True:
            body = self.get(path, query)
            yield body.get("data") or []
            pagination = (body.get("additional_data") or {}).get("pagination") or {}
            if not pagination.get("more_items_in_collection"):
                return
            query["start"] = pagination["next_start"]
