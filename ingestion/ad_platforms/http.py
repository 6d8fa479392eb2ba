"""The HTTP session under both ad-platform clients: dlt's REST client over the project's
retrying transport (``ingestion.retrying_http``), so each request is retried alone and
waits are bounded; what a response means is each platform's ``classify``."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial

import requests

from ingestion.ad_platforms.errors import AdPlatformUnavailableError
from ingestion.retrying_http import Classify, RequestStats, RetryingAdapter, RetryPolicy


def retrying_session(
    platform: str,
    classify: Classify,
    *,
    retry: RetryPolicy | None,
    sleep: Callable[[float], None],
    stats: RequestStats,
    timeout: tuple[float, float],
    observe: Callable[[str, str, int], None] | None,
) -> requests.Session:
    session = requests.Session()
    adapter = RetryingAdapter(
        retry or RetryPolicy(),
        sleep,
        stats,
        timeout,
        observe,
        classify=classify,
        give_up=partial(AdPlatformUnavailableError, platform),
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def json_body(response: requests.Response) -> object | None:
    """The parsed body, or None when it is not JSON."""
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def keep_parsed(response: requests.Response, parsed: object) -> None:
    """Parse once: later ``response.json()`` calls return what the classifier parsed."""
    response.json = lambda **_: parsed  # type: ignore[method-assign]
