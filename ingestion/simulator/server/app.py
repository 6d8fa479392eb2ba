"""Request handling of the simulated HubSpot API: auth, limits, faults, then the endpoint.

Kept apart from the socket plumbing (httpd.py) so the order HubSpot applies its checks
in is readable in one place: token, rate limit, route, scope, injected faults, endpoint.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from ingestion.simulator.server import endpoints
from ingestion.simulator.server.faults import INTERVAL_S, MAX_REQUESTS, Faults, RateLimiter
from ingestion.simulator.server.render import error
from ingestion.simulator.server.state import WorldState

CRM = "deals|contacts|companies"
ENGAGEMENTS = "calls|emails|meetings|notes|tasks"
OBJECTS = f"{CRM}|{ENGAGEMENTS}"
ALL_SCOPES = frozenset(
    [
        *(f"crm.objects.{o}.read" for o in ("deals", "contacts", "companies", "owners")),
        *(f"crm.schemas.{o}.read" for o in ("deals", "contacts", "companies")),
        "forms",
    ]
)
SEARCH_CAP = 10_000
HTML_PAGE = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Callable[..., tuple[int, dict]]
    scopes: Callable[[dict[str, str]], list[str]]
    paginated: bool = False
    search: bool = False


def _route(method: str, path: str, handler: Callable, scopes: Callable, **kw: bool) -> Route:
    return Route(method, re.compile(f"^{path}$"), handler, scopes, **kw)


def _scope(obj: str) -> str:
    # HubSpot's engagement objects are read with the contacts scope.
    return f"crm.objects.{'contacts' if re.fullmatch(ENGAGEMENTS, obj) else obj}.read"


def _read(*kinds: str) -> Callable[[dict[str, str]], list[str]]:
    return lambda m: list(dict.fromkeys(_scope(m.get(k, k)) for k in kinds))


ROUTES = (
    _route("GET", "/account-info/v3/details", endpoints.account_info, lambda m: []),
    _route(
        "GET",
        f"/crm/v3/objects/(?P<obj>{OBJECTS})",
        endpoints.list_objects,
        _read("obj"),
        paginated=True,
    ),
    _route(
        "POST",
        f"/crm/v3/objects/(?P<obj>{OBJECTS})/search",
        endpoints.search,
        _read("obj"),
        paginated=True,
        search=True,
    ),
    _route(
        "POST", f"/crm/v3/objects/(?P<obj>{OBJECTS})/batch/read", endpoints.batch_read, _read("obj")
    ),
    _route(
        "GET",
        f"/crm/v3/properties/(?P<obj>{CRM})",
        endpoints.properties,
        lambda m: [f"crm.schemas.{m['obj']}.read"],
    ),
    _route("GET", "/crm/v3/pipelines/deals", endpoints.pipelines, _read("deals")),
    _route("GET", "/crm/v3/owners/?", endpoints.owners, _read("owners"), paginated=True),
    _route("GET", "/marketing/v3/forms/?", endpoints.forms, lambda m: ["forms"], paginated=True),
    _route(
        "GET",
        "/form-integrations/v1/submissions/forms/(?P<guid>[0-9a-fA-F-]+)",
        endpoints.form_submissions,
        lambda m: ["forms"],
        paginated=True,
    ),
    _route(
        "POST",
        f"/crm/v4/associations/(?P<source>{OBJECTS})/(?P<to>deals|contacts|companies)/batch/read",
        endpoints.associations,
        _read("source", "to"),
    ),
    _route(
        "GET",
        f"/crm/v4/objects/(?P<source>{OBJECTS})/(?P<record>[0-9]+)/associations/"
        "(?P<to>deals|contacts|companies)",
        endpoints.object_associations,
        _read("source", "to"),
        paginated=True,
    ),
)


class HubSpotApp:
    """Turns one request into one reply; safe to call from the server's threads."""

    def __init__(
        self,
        state: WorldState,
        *,
        token: str,
        scopes: frozenset[str],
        faults: Faults,
        search_cap: int,
        clock: Callable[[], float],
    ) -> None:
        self.state = state
        self.token = token
        self.scopes = scopes
        self.faults = faults
        self.search_cap = search_cap
        self.limiter = RateLimiter(clock)
        self.pages_served = 0
        # (method, path, status) of recent requests, for tests and benchmarks
        self.requests: deque[tuple[str, str, int]] = deque(maxlen=100_000)
        self._lock = threading.Lock()

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        path = urlsplit(target).path
        query = {k: ",".join(v) for k, v in parse_qs(urlsplit(target).query).items()}
        if self.faults.before_request:
            self.faults.before_request(method, path)
        with self._lock:
            slow = self.faults.take("slow")
        if slow:
            time.sleep(self.faults.delay_s)  # really slow: the client's read timeout must fire
        reply = self._dispatch(method, path, query, headers, body)
        reply.headers.update(
            {
                "X-HubSpot-RateLimit-Max": str(MAX_REQUESTS),
                "X-HubSpot-RateLimit-Remaining": str(self.limiter.remaining()),
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(INTERVAL_S * 1000)),
            }
        )
        with self._lock:
            self.requests.append((method, path, reply.status))
        return reply

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        auth = headers.get("authorization", "")
        if self.faults.expired_token or auth != f"Bearer {self.token}":
            message = (
                "The OAuth token used to make this call expired."
                if self.faults.expired_token and auth
                else "Authentication credentials not found."
            )
            return _json(401, error(message, "INVALID_AUTHENTICATION"))
        match = next(
            ((r, m) for r in ROUTES if r.method == method and (m := r.pattern.match(path))), None
        )
        with self._lock:
            policy = self.limiter.admit(bool(match and match[0].search), self.faults.throttle)
            if policy is None and self.faults.take("rate_limited"):
                policy = "TEN_SECONDLY_ROLLING"
        if policy:
            return self._rate_limited(policy)
        if match is None:
            return _json(404, error(f"No route for {method} {path}", "OBJECT_NOT_FOUND"))
        route, groups = match[0], match[1].groupdict()
        missing = [s for s in route.scopes(groups) if s not in self.scopes]
        if missing:
            message = "This app hasn't been granted all required scopes to make this call."
            extra = {"errors": [{"context": {"requiredGranularScopes": missing}}]}
            return _json(403, error(message, "MISSING_SCOPES", **extra))
        with self._lock:
            failing = (
                route.paginated
                and self.faults.fail_after_pages is not None
                and self.pages_served >= self.faults.fail_after_pages
                and self.faults.take("failures")
            )
        if failing:
            return _json(self.faults.failure_status, error("internal error", "INTERNAL_ERROR"))
        try:
            payload = json.loads(body) if body else {}
            with self.state.lock:
                status, result = route.handler(self, query=query, body=payload, **groups)
        except (endpoints.BadRequestError, ValueError) as exc:
            return _json(400, error(str(exc), "VALIDATION_ERROR"))
        with self._lock:
            if route.paginated:
                self.pages_served += 1
            if self.faults.take("malformed_json"):
                return Reply(200, json.dumps(result).encode()[:-7], {"Content-Type": JSON})
            if self.faults.take("html_pages"):
                return Reply(200, HTML_PAGE, {"Content-Type": "text/html; charset=utf-8"})
        return _json(status, result)

    def _rate_limited(self, policy: str) -> Reply:
        limit = "secondly" if policy == "SECONDLY" else "ten_secondly_rolling"
        body = {
            "status": "error",
            "message": f"You have reached your {limit} limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": error("", "")["correlationId"],
            "policyName": policy,
        }
        reply = _json(429, body)
        if self.faults.retry_after is not None:
            reply.headers["Retry-After"] = f"{self.faults.retry_after:g}"
        return reply


JSON = "application/json;charset=utf-8"


def _json(status: int, payload: dict) -> Reply:
    return Reply(
        status, json.dumps(payload, separators=(",", ":")).encode(), {"Content-Type": JSON}
    )
