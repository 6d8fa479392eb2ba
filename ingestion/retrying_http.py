"""Bounded retries beneath every connector's HTTP client.

Retries live in a requests transport adapter, so each request (each page of a long
listing included) is retried alone: a 5xx on page 40 does not restart the listing. What a
response means (usable, retry after some seconds, or fatal) is the connector's call, made
by its ``classify`` function; waiting goes through an injectable ``sleep`` and is bounded
in attempts and total seconds, so tests never really sleep and a sync never hangs. A
connector may also pace every attempt (``pacer``) to stay inside the server's rate limits
rather than wait after being refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

# (response, "METHOD /path") -> (why to retry, seconds the server asked to wait), or
# (None, None) for a usable response; raises for what retrying cannot fix.
Classify = Callable[[requests.Response, str], tuple[str | None, float | None]]
# (request name, attempts, seconds waited, last problem) -> the error to raise on giving up.
GiveUp = Callable[[str, int, float, str], Exception]


class Pacer(Protocol):
    """Keeps requests inside the server's rate limits before they are refused: ``before``
    waits until request ``name`` may go, ``after`` counts it (``response`` None when none
    came back)."""

    def before(self, name: str) -> None: ...

    def after(self, name: str, response: requests.Response | None) -> None: ...


class CredentialsExpired(Exception):  # noqa: N818 (a signal to renew, not a failure)
    """Raised by a ``classify`` for a refused credential the connector may renew: the
    adapter then asks its ``renew`` for a new Authorization header and sends once more,
    or raises ``error`` when it cannot."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff (1, 2, 4... s, capped) unless the server says how long to wait."""

    max_attempts: int = 8
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    max_total_wait_s: float = 300.0

    def backoff(self, retry: int) -> float:
        return min(self.max_delay_s, self.base_delay_s * 2**retry)


@dataclass
class RequestStats:
    """Counters a sync reports per object (take differences around each read)."""

    requests: int = 0
    retries: int = 0
    waited_s: float = 0.0


class RetryingAdapter(HTTPAdapter):
    def __init__(
        self,
        policy: RetryPolicy,
        sleep: Callable[[float], None],
        stats: RequestStats,
        timeout: tuple[float, float],
        observe: Callable[[str, str, int], None] | None,
        *,
        classify: Classify,
        give_up: GiveUp,
        pacer: Pacer | None = None,
        renew: Callable[[], str] | None = None,
    ) -> None:
        super().__init__()
        self.policy, self.sleep, self.stats = policy, sleep, stats
        self.timeout, self.observe = timeout, observe
        self.classify, self.give_up, self.pacer = classify, give_up, pacer
        self.renew = renew  # a fresh Authorization header value, when credentials expire

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        # The name carries no query string: it may hold values, and never the credential.
        method, path = request.method or "", urlsplit(request.url or "").path
        name = f"{method} {path}"
        waited, attempt, renewed = 0.0, 0, False
        while True:
            attempt += 1
            self.stats.requests += 1
            hint, response = None, None
            if self.pacer:
                self.pacer.before(name)
            try:
                response = super().send(request, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"no response ({type(exc).__name__})"
            if self.pacer:
                self.pacer.after(name, response)
            if response is not None:
                if self.observe:
                    self.observe(method, path, response.status_code)
                try:
                    problem, hint = self.classify(response, name)
                except CredentialsExpired as expired:
                    if self.renew is None or renewed:
                        raise expired.error from None
                    request.headers["Authorization"] = self.renew()
                    renewed = True
                    continue
                if problem is None:
                    return response
            delay = hint if hint is not None else self.policy.backoff(attempt - 1)
            if attempt >= self.policy.max_attempts or waited + delay > self.policy.max_total_wait_s:
                raise self.give_up(name, attempt, waited, problem)
            self.sleep(delay)
            waited += delay
            self.stats.retries += 1
            self.stats.waited_s += delay
