"""Request handling of the simulated Pipedrive API: token, rate limit, route, faults, endpoint.

Pipedrive's two API generations answer side by side: v2 lists page with an opaque
``additional_data.next_cursor``, v1 lists with ``additional_data.pagination`` (start,
limit, more_items_in_collection, next_start). Failures use Pipedrive's error envelope
``{"success": false, "error": ..., "error_info": ..., "data": null}``; every answer
carries the ``x-ratelimit-*`` headers of the current 2-second window.
"""

from __future__ import annotations

import base64
import bisect
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from ingestion.simulator.pipedrive_server.state import PipedriveWorld
from ingestion.simulator.server.app import Reply
from ingestion.simulator.server.faults import Faults

WINDOW_S = 2.0
MAX_REQUESTS = 80  # per token per 2-second window (Pipedrive's Essential plan)
MAX_LIMIT = 500
DEFAULT_LIMIT = 100
DOCS = "Please check developers.pipedrive.com"


class _ClientError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


class PipedriveApp:
    """Answers one request at a time; ``requests`` records (method, path?query, status)."""

    def __init__(
        self,
        world: PipedriveWorld,
        *,
        token: str,
        faults: Faults,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.world, self.token, self.faults, self.clock = world, token, faults, clock
        self.pages_served = 0
        self.requests: deque[tuple[str, str, int]] = deque(maxlen=100_000)
        self._window_start = 0.0
        self._window_count = 0
        self._routes: tuple[tuple[re.Pattern[str], Callable[..., tuple[dict, bool]]], ...] = (
            (re.compile(r"^/api/v2/deals$"), self._by_update_time(self.world.deal_listing)),
            (
                re.compile(r"^/api/v2/activities$"),
                self._by_update_time(self.world.activity_listing),
            ),
            (re.compile(r"^/api/v2/stages$"), self._v2_list(self.world.stage_listing)),
            (
                re.compile(r"^/api/v2/pipelines$"),
                self._v2_list(lambda: self.world.pipelines.values()),
            ),
            (re.compile(r"^/api/v2/persons$"), self._v2_list(lambda: self.world.persons.values())),
            (
                re.compile(r"^/api/v2/organizations$"),
                self._v2_list(lambda: self.world.organizations.values()),
            ),
            (re.compile(r"^/v1/users$"), self._users),
            (re.compile(r"^/v1/users/me$"), self._me),
            (re.compile(r"^/v1/legacyTeams$"), self._teams),
            (re.compile(r"^/v1/dealFields$"), self._v1_list(lambda: self.world.fields)),
            (re.compile(r"^/v1/deals/(?P<deal>\d+)/flow$"), self._v1_list(self._flow)),
        )

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(target)
        if self.faults.before_request:
            self.faults.before_request(method, parts.path)
        with self.world.lock:
            slow = self.faults.take("slow")
        if slow:
            time.sleep(self.faults.delay_s)  # really slow: the client's read timeout must fire
        with self.world.lock:
            reply = self._answer(method, parts.path, parse_qs(parts.query), headers)
            self.requests.append((method, target, reply.status))
        return reply

    def _answer(self, method: str, path: str, query: dict, headers: dict[str, str]) -> Reply:
        if self.faults.expired_token or headers.get("x-api-token") != self.token:
            return _error(401, "unauthorized access", {})
        limits = self._rate_limit()
        if limits is None:
            reset = self._reset()
            headers_429 = self._limit_headers(0, reset)
            if self.faults.retry_after is not None:
                headers_429["Retry-After"] = str(self.faults.retry_after)
            return _error(429, "Request over limit", headers_429)
        found = self._route(method, path)
        if found is None:
            return _error(404, f"Unknown method {method} {path}", limits)
        handler, params = found
        if (
            self.faults.fail_after_pages is not None
            and self.pages_served >= self.faults.fail_after_pages
            and self.faults.take("failures")
        ):
            return _error(self.faults.failure_status, "Gateway error", limits)
        try:
            payload, paginated = handler(query, **params)
        except _ClientError as exc:
            return _error(exc.status, exc.message, limits)
        if paginated:
            self.pages_served += 1
        body = json.dumps(payload).encode()
        return Reply(200, body, {"Content-Type": "application/json", **limits})

    def _route(self, method: str, path: str) -> tuple[Callable, dict[str, str]] | None:
        for pattern, handler in self._routes:
            match = pattern.match(path)
            if match and method == "GET":
                return handler, match.groupdict()
        return None

    # --- rate limits ---------------------------------------------------------------------

    def _rate_limit(self) -> dict[str, str] | None:
        """The x-ratelimit-* headers for this request, or None when it must get a 429."""
        now = self.clock()
        if now - self._window_start >= WINDOW_S:
            self._window_start = math.floor(now / WINDOW_S) * WINDOW_S
            self._window_count = 0
        if self.faults.take("rate_limited"):
            return None
        if self.faults.throttle and self._window_count >= MAX_REQUESTS:
            return None
        self._window_count += 1
        return self._limit_headers(max(0, MAX_REQUESTS - self._window_count), self._reset())

    def _reset(self) -> int:
        """Whole seconds until the current window ends, as Pipedrive's x-ratelimit-reset."""
        return max(1, math.ceil(self._window_start + WINDOW_S - self.clock()))

    def _limit_headers(self, remaining: int, reset: int) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(MAX_REQUESTS),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(reset),
        }

    # --- endpoints -----------------------------------------------------------------------

    def _by_update_time(
        self, listing: Callable[[str | None, str | None], list[dict]]
    ) -> Callable[[dict], tuple[dict, bool]]:
        """A v2 listing sorted by update_time (deals, activities): ``listing(since, status)``
        gives the rows in order, the cursor is the last (update_time, id) served."""

        def handler(query: dict) -> tuple[dict, bool]:
            since = _one(query, "updated_since")
            if _one(query, "sort_by") not in (None, "update_time") or _one(
                query, "sort_direction"
            ) not in (None, "asc"):
                raise _ClientError(400, "only sort_by=update_time&sort_direction=asc is simulated")
            rows = listing(since, _one(query, "status"))
            after = _decode(_one(query, "cursor"))
            if after is not None:
                rows = rows[bisect.bisect_right(rows, tuple(after), key=_update_key) :]
            page, more = _page(rows, query)
            last = [page[-1]["update_time"], page[-1]["id"]] if page and more else None
            return _v2(page, last), True

        return handler

    def _v2_list(self, rows: Callable) -> Callable[[dict], tuple[dict, bool]]:
        def listing(query: dict) -> tuple[dict, bool]:
            ordered = sorted(rows(), key=lambda r: r["id"])
            after = _decode(_one(query, "cursor"))
            if after is not None:
                ordered = [r for r in ordered if r["id"] > after]
            page, more = _page(ordered, query)
            return _v2(page, page[-1]["id"] if page and more else None), True

        return listing

    def _v1_list(self, rows: Callable) -> Callable[..., tuple[dict, bool]]:
        def listing(query: dict, **match: str) -> tuple[dict, bool]:
            items = rows(**match)
            start = int(_one(query, "start") or 0)
            limit = min(MAX_LIMIT, int(_one(query, "limit") or DEFAULT_LIMIT))
            page = items[start : start + limit]
            more = start + limit < len(items)
            pagination = {"start": start, "limit": limit, "more_items_in_collection": more}
            if more:
                pagination["next_start"] = start + limit
            data = page or None  # v1 answers an empty list with null
            return {
                "success": True,
                "data": data,
                "additional_data": {"pagination": pagination},
            }, True

        return listing

    def _flow(self, deal: str) -> list[dict]:
        flow = self.world.flows.get(int(deal))
        if flow is None:
            raise _ClientError(404, "Deal not found")
        return list(reversed(flow))  # newest first

    def _users(self, query: dict) -> tuple[dict, bool]:
        return {"success": True, "data": self.world.users}, False

    def _teams(self, query: dict) -> tuple[dict, bool]:
        if not self.world.teams_enabled:
            raise _ClientError(403, "Teams are not available on this company's plan")
        teams = [{**team, "users": list(team["users"])} for team in self.world.teams.values()]
        return {"success": True, "data": teams}, False

    def _me(self, query: dict) -> tuple[dict, bool]:
        user = self.world.users[0]
        me = {**user, "company_id": self.world.company_id, "company_domain": "funnelhouse"}
        return {"success": True, "data": me}, False


def _update_key(row: dict) -> tuple[str, int]:
    return row["update_time"], row["id"]


def _one(query: dict, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _page(rows: list[dict], query: dict) -> tuple[list[dict], bool]:
    limit = min(MAX_LIMIT, int(_one(query, "limit") or DEFAULT_LIMIT))
    return rows[:limit], len(rows) > limit


def _v2(page: list[dict], last: object) -> dict:
    cursor = None if last is None else base64.urlsafe_b64encode(json.dumps(last).encode()).decode()
    return {"success": True, "data": page, "additional_data": {"next_cursor": cursor}}


def _decode(cursor: str | None) -> object:
    if not cursor:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError as exc:
        raise _ClientError(400, "invalid cursor") from exc


def _error(status: int, message: str, headers: dict[str, str]) -> Reply:
    body = {"success": False, "error": message, "error_info": DOCS, "data": None}
    return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json", **headers})
