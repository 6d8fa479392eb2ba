"""Request handling of the simulated Salesforce REST API: token, daily limit, faults, query.

Only the SOQL the connector sends is understood, parsed with one regex:
``SELECT <fields> FROM <Object> [WHERE <SystemModstamp|CreatedDate> > <datetime>]
[ORDER BY <field>[, Id]] [LIMIT n]``. A query's result is fixed when it runs (as a
Salesforce query locator is), and handed out in batches through ``nextRecordsUrl``.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from ingestion.simulator.salesforce_server.org import FIELDS, SalesforceOrg, parse_ms
from ingestion.simulator.server.app import Reply

API = "/services/data/v62.0"
TOKEN_PATH = "/services/oauth2/token"
BATCH_SIZE = 2000
DAILY_LIMIT = 5000
SOQL = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<where_field>\w+)\s*>\s*(?P<where_value>\S+))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+ASC)?(?:\s*,\s*Id(?:\s+ASC)?)?)?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
QUERY_PATH = re.compile(
    rf"^{API}/(?P<kind>query|queryAll)(?:/(?P<locator>\w+)-(?P<offset>\d+))?/?$"
)


@dataclass
class Faults:
    """What goes wrong, and when; the defaults are a healthy org. Counters count down."""

    fail_after_pages: int | None = None  # once this many batches were served...
    failures: int = 1  # ...this many requests in a row fail...
    failure_status: int = 503  # ...with this status
    expired_token: bool = False  # every request gets 401 INVALID_SESSION_ID
    # A session dies after this many API requests (a renewal starts a new one).
    session_expires_after: int | None = None
    refresh_revoked: bool = False  # the token endpoint refuses the refresh token
    daily_limit: int = DAILY_LIMIT  # requests allowed today; past it, 403 REQUEST_LIMIT_EXCEEDED
    slow: int = 0  # the next N requests wait delay_s before answering
    delay_s: float = 0.0
    # Called with (method, path) before each request: tests edit the org here, mid-sync.
    before_request: Callable[[str, str], None] | None = None


@dataclass(frozen=True)
class ConnectedApp:
    """The OAuth client that may renew sessions with its refresh token."""

    client_id: str
    client_secret: str
    refresh_token: str


class _QueryError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class SalesforceApp:
    org: SalesforceOrg
    token: str
    faults: Faults = field(default_factory=Faults)
    batch_size: int = BATCH_SIZE
    connected_app: ConnectedApp | None = None
    session_requests: int = 0  # API requests made with the current session
    requests: list[tuple[str, str]] = field(default_factory=list)
    usage: int = 0
    pages_served: int = 0
    _locators: dict[str, list[dict]] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        """Answer one request, checking what Salesforce checks in its order."""
        url = urlsplit(target)
        with self._lock:
            self.requests.append((method, target))
        if self.faults.before_request is not None:
            self.faults.before_request(method, url.path)
        if self.faults.slow > 0:
            self.faults.slow -= 1
            time.sleep(self.faults.delay_s)
        if method == "POST" and url.path == TOKEN_PATH:
            return self._renew(body, headers)
        with self._lock:
            self.session_requests += 1
            expires = self.faults.session_expires_after
            expired = expires is not None and self.session_requests > expires
        valid = headers.get("authorization") == f"Bearer {self.token}"
        if self.faults.expired_token or expired or not valid:
            return self._error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        with self._lock:
            if self.usage >= self.faults.daily_limit:
                return self._error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            self.usage += 1
            failing = (
                self.faults.fail_after_pages is not None
                and self.pages_served >= self.faults.fail_after_pages
                and self.faults.failures > 0
            )
            if failing:
                self.faults.failures -= 1
        if failing:
            return self._error(self.faults.failure_status, "SERVER_UNAVAILABLE", "Try again")
        match = QUERY_PATH.match(url.path)
        if method != "GET" or match is None:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        try:
            if match["locator"]:
                records = self._locators.get(match["locator"])
                if records is None:
                    raise _QueryError("INVALID_QUERY_LOCATOR", "invalid query locator")
                body_out = self._batch(match["locator"], records, int(match["offset"]))
            else:
                soql = (parse_qs(url.query).get("q") or [""])[0]
                records = self._run(soql, include_deleted=match["kind"] == "queryAll")
                with self._lock:
                    locator = f"01gSIM{next(self._ids):012d}"
                    self._locators[locator] = records
                body_out = self._batch(locator, records, 0)
        except _QueryError as exc:
            return self._error(400, exc.code, str(exc))
        with self._lock:
            self.pages_served += 1
        return self._reply(200, body_out)

    def _renew(self, body: bytes, headers: dict[str, str]) -> Reply:
        """POST /services/oauth2/token with the refresh_token grant: a new session."""
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        app = self.connected_app
        known = app is not None and (form.get("client_id"), form.get("client_secret")) == (
            app.client_id,
            app.client_secret,
        )
        if form.get("grant_type") != "refresh_token" or not known:
            return self._oauth_error("invalid_client_id", "client identifier invalid")
        if self.faults.refresh_revoked or form.get("refresh_token") != app.refresh_token:
            return self._oauth_error("invalid_grant", "expired access/refresh token")
        with self._lock:
            self.token = f"00DSIM!{secrets.token_urlsafe(24)}"
            self.session_requests = 0
        instance = f"http://{headers.get('host', '127.0.0.1')}"
        return self._reply(
            200,
            {
                "access_token": self.token,
                "instance_url": instance,
                "id": f"{instance}/id/00DSIM000000001/005SIM000000001",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "signature": secrets.token_urlsafe(32),
            },
        )

    def _oauth_error(self, error: str, description: str) -> Reply:
        return self._reply(400, {"error": error, "error_description": description})

    def _run(self, soql: str, *, include_deleted: bool) -> list[dict]:
        parsed = SOQL.match(soql)
        if parsed is None:
            raise _QueryError("MALFORMED_QUERY", f"unexpected token in query: {soql[:200]!r}")
        name = parsed["object"]
        if name not in FIELDS:
            raise _QueryError(
                "INVALID_TYPE", f"sObject type '{name}' is not supported in this simulator"
            )
        fields = [f.strip() for f in parsed["fields"].split(",")]
        unknown = [f for f in fields if f not in FIELDS[name]]
        if unknown:
            raise _QueryError("INVALID_FIELD", f"No such column '{unknown[0]}' on entity '{name}'")
        for column in (parsed["where_field"], parsed["order"]):
            if column and column not in FIELDS[name]:
                raise _QueryError("INVALID_FIELD", f"No such column '{column}' on entity '{name}'")
        since = None
        if parsed["where_field"]:
            since = parse_ms(parsed["where_value"])
            if since is None:
                raise _QueryError(
                    "MALFORMED_QUERY", f"invalid datetime literal {parsed['where_value']!r}"
                )
        with self.org.lock:
            rows = [dict(r) for r in self.org.records[name].values()]
        if not include_deleted:
            rows = [r for r in rows if not r.get("IsDeleted")]
        if since is not None:
            column = parsed["where_field"]
            rows = [r for r in rows if (parse_ms(r[column]) or 0) > since]
        order = parsed["order"] or "Id"
        rows.sort(key=lambda r: (parse_ms(r[order]) or 0, r["Id"]) if order != "Id" else r["Id"])
        if parsed["limit"]:
            rows = rows[: int(parsed["limit"])]
        return [
            {
                "attributes": {"type": name, "url": f"{API}/sobjects/{name}/{r['Id']}"},
                **{f: r.get(f) for f in fields},
            }
            for r in rows
        ]

    def _batch(self, locator: str, records: list[dict], offset: int) -> dict:
        end = offset + self.batch_size
        out = {"totalSize": len(records), "done": end >= len(records)}
        if end < len(records):
            out["nextRecordsUrl"] = f"{API}/query/{locator}-{end}"
        out["records"] = records[offset:end]
        return out

    def _reply(self, status: int, body: object) -> Reply:
        return Reply(
            status,
            json.dumps(body).encode(),
            {
                "Content-Type": "application/json;charset=UTF-8",
                "Sforce-Limit-Info": f"api-usage={self.usage}/{self.faults.daily_limit}",
            },
        )

    def _error(self, status: int, code: str, message: str) -> Reply:
        return self._reply(status, [{"message": message, "errorCode": code}])
