"""Failure switches for the simulated HubSpot API, and its rate limits.

Real connectors break on the failures listed in the reference's "Pitfalls": rate limits
with and without Retry-After, 5xx in the middle of a long pagination, expired tokens,
missing scopes, a 200 whose body is not JSON. Tests flip these switches before or during
a sync; counters count down as each fault fires, so "the next 3 requests" is ``= 3``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

# HubSpot's published limits for private apps: 100 requests per rolling 10 s, and the
# search endpoints about 5 per second on top of that.
MAX_REQUESTS = 100
INTERVAL_S = 10.0
SEARCHES_PER_SECOND = 5


@dataclass
class Faults:
    """What goes wrong, and when. The defaults are a healthy API."""

    rate_limited: int = 0  # the next N requests get 429 RATE_LIMIT
    retry_after: float | None = None  # Retry-After seconds on those 429s; None omits the header
    fail_after_pages: int | None = None  # once this many pages were served...
    failures: int = 1  # ...this many requests in a row fail...
    failure_status: int = 502  # ...with this status
    expired_token: bool = False  # every request gets 401 INVALID_AUTHENTICATION
    malformed_json: int = 0  # the next N successful responses are truncated JSON, status 200
    html_pages: int = 0  # the next N successful responses are an HTML error page, status 200
    slow: int = 0  # the next N requests wait delay_s before answering
    delay_s: float = 0.0
    throttle: bool = False  # enforce HubSpot's real limits (RateLimiter)
    # Called with (method, path) before each request is handled: tests edit the world here
    # to change it in the middle of a sync.
    before_request: Callable[[str, str], None] | None = None

    def take(self, name: str) -> bool:
        """Consume one firing of a counted fault; False when it is spent."""
        left = getattr(self, name)
        if left > 0:
            setattr(self, name, left - 1)
            return True
        return False


class RateLimiter:
    """Rolling windows of accepted requests, on the server's clock (tests pass a fake one)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.requests: deque[float] = deque()
        self.searches: deque[float] = deque()

    def remaining(self) -> int:
        self._expire(self.requests, INTERVAL_S)
        return max(0, MAX_REQUESTS - len(self.requests))

    def admit(self, search: bool, enforce: bool) -> str | None:
        """Record a request; the name of the policy it breaks, if enforced and over a limit."""
        now = self.clock()
        if enforce:
            if self.remaining() == 0:
                return "TEN_SECONDLY_ROLLING"
            self._expire(self.searches, 1.0)
            if search and len(self.searches) >= SEARCHES_PER_SECOND:
                return "SECONDLY"
        self.requests.append(now)
        if search:
            self.searches.append(now)
        return None

    def _expire(self, window: deque[float], seconds: float) -> None:
        cutoff = self.clock() - seconds
        while window and window[0] <= cutoff:
            window.popleft()
