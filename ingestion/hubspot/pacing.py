"""Proactive pacing: stay inside HubSpot's rate limits instead of bouncing off them.

HubSpot allows an app a number of requests per rolling interval (100 per 10 s for the
lowest tier; the X-HubSpot-RateLimit-Max and -Interval-Milliseconds headers say what this
app has) and its search endpoints about 5 requests a second. A client that only reacts to
429s loses time twice over: the refused request, and a backoff that overshoots the moment
the window frees up. The pacer keeps the same windows on the client side and, before each
request, waits exactly until it fits.

The windows are token buckets whose tokens return one interval after they were spent, as
HubSpot's rolling windows free up. A bucket refilled at a steady rate would not do: after
a burst of 100 it would send the 101st request 0.1 s later, while HubSpot's window still
counts 100. A request is counted when its response arrives, which is after HubSpot counted
it, so the client's window always frees up after HubSpot's, never before.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import requests

# Float time: a token due back at t must be back when the clock reads t, on both sides.
MARGIN_S = 0.001


@dataclass(frozen=True)
class RateLimits:
    """HubSpot's documented limits for a private app (the lowest tier)."""

    max_requests: int = 100
    interval_s: float = 10.0
    searches_per_second: int = 5


class _Bucket:
    """At most ``size`` requests in any ``interval_s``: the times tokens were spent."""

    def __init__(self, size: int, interval_s: float) -> None:
        self.size, self.interval_s = size, interval_s
        self.spent: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until a token is free."""
        self._expire(now)
        if len(self.spent) < self.size:
            return 0.0
        return self.spent[len(self.spent) - self.size] + self.interval_s - now + MARGIN_S

    def spend(self, now: float) -> None:
        self.spent.append(now)

    def left_at_most(self, remaining: int, sent: float, now: float) -> None:
        """Trust the server when it has fewer tokens left than this bucket had when the
        request was ``sent``: another client of the same app spends them too. Its spends
        are dated ``now``, their real times being unknown.

        Counting as of ``sent`` is what keeps a lone client from fooling itself: HubSpot
        counted its remaining tokens after that, and it dates each request no later than
        this bucket does, so alone it never has fewer left than this bucket had then.
        """
        self._expire(sent)
        for _ in range(self.size - len(self.spent) - remaining):
            self.spent.append(now)

    def _expire(self, now: float) -> None:
        while self.spent and self.spent[0] + self.interval_s <= now:
            self.spent.popleft()


class Pacer:
    """Waits before each request until HubSpot's limits let it through.

    ``clock`` and ``sleep`` are the client's (tests pass a fake clock's). Called from one
    thread: a HubSpot client sends one request at a time.
    """

    def __init__(
        self, limits: RateLimits, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        self.clock, self.sleep = clock, sleep
        self.requests = _Bucket(limits.max_requests, limits.interval_s)
        self.searches = _Bucket(limits.searches_per_second, 1.0)
        self.waited_s = 0.0
        self._sent = 0.0  # when the request in flight was sent

    def before(self, name: str) -> None:
        """Wait until request ``name`` ("METHOD /path") fits every window it counts in."""
        now = self.clock()
        wait = self.requests.wait(now)
        if _is_search(name):
            wait = max(wait, self.searches.wait(now))
        if wait > 0:
            self.sleep(wait)
            self.waited_s += wait
        self._sent = now + wait

    def after(self, name: str, response: requests.Response | None) -> None:
        """Count the request (sent, even if no response came back) and adopt what the
        response's rate-limit headers say about this app's limits."""
        now = self.clock()
        self.requests.spend(now)
        if _is_search(name):
            self.searches.spend(now)
        if response is not None:
            self._follow(response.headers, now)

    def _follow(self, headers: Mapping[str, str], now: float) -> None:
        size = _int(headers.get("X-HubSpot-RateLimit-Max"))
        interval_ms = _int(headers.get("X-HubSpot-RateLimit-Interval-Milliseconds"))
        if size and interval_ms:
            self.requests.size, self.requests.interval_s = size, interval_ms / 1000
        remaining = _int(headers.get("X-HubSpot-RateLimit-Remaining"))
        if remaining is not None:
            self.requests.left_at_most(remaining, self._sent, now)


def _is_search(name: str) -> bool:
    return name.startswith("POST ") and name.endswith("/search")


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None
