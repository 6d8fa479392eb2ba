"""Request handling of the simulated Google Ads and Meta Marketing APIs, side by side.

Google Ads: ``GET /v17/customers:listAccessibleCustomers`` and ``POST
/v17/customers/{id}/googleAds:searchStream`` with a GAQL query over ``campaign`` by
``segments.date``: a JSON array of batches, int64 metrics as strings, cost in micros of the
customer's currency; rows whose metrics are all zero are left out, as Google does. Errors
are Google's ``{"error": {"code", "message", "status", "details": [GoogleAdsFailure]}}``;
a 429 ``RESOURCE_EXHAUSTED`` names its ``retryDelay``.

Meta: ``GET /v19.0/me/adaccounts``, ``GET /v19.0/act_{id}/campaigns?fields=id,name,
start_time,stop_time`` and ``GET /v19.0/act_{id}/insights?level=campaign&
time_increment=1&time_range={...}``, each paged by ``paging.cursors.after`` and ``paging.next``,
metrics as strings (``spend`` a decimal string). Meta signals throttling in the body (HTTP
400, error code 80000, ``is_transient``), not with a 429.

Faults (``ingestion.simulator.server.faults.Faults``): ``rate_limited``, ``retry_after``,
``fail_after_pages`` / ``failures`` / ``failure_status``, ``expired_token``,
``malformed_json``, ``before_request``.
"""

from __future__ import annotations

import base64
import json
import re
from collections import deque
from collections.abc import Callable
from datetime import date
from urllib.parse import parse_qs, urlencode, urlsplit

from ingestion.simulator.ad_platforms_server.accounts import (
    GOOGLE_ADS,
    META_ADS,
    Account,
    AdAccounts,
    CampaignDay,
)
from ingestion.simulator.server.app import Reply
from ingestion.simulator.server.faults import Faults

GOOGLE_VERSION = "v17"
META_VERSION = "v19.0"
STREAM_BATCH = 10_000  # rows per searchStream batch, as Google
META_DEFAULT_LIMIT = 25
META_MAX_LIMIT = 500
JSON = "application/json; charset=UTF-8"
FAILURE_TYPE = f"type.googleapis.com/google.ads.googleads.{GOOGLE_VERSION}.errors.GoogleAdsFailure"
# GAQL field -> (result object, camelCase field, value of one campaign-day)
GAQL_FIELDS: dict[str, tuple[str, str, Callable]] = {
    "customer.id": ("customer", "id", lambda a, d: a.account_id),
    "customer.currency_code": ("customer", "currencyCode", lambda a, d: a.currency),
    "campaign.id": ("campaign", "id", lambda a, d: d.campaign_id),
    "campaign.name": ("campaign", "name", lambda a, d: d.campaign_name),
    "campaign.start_date": ("campaign", "startDate", lambda a, d: d.campaign_start.isoformat()),
    "campaign.end_date": ("campaign", "endDate", lambda a, d: d.campaign_end.isoformat()),
    "segments.date": ("segments", "date", lambda a, d: d.day.isoformat()),
    "metrics.cost_micros": ("metrics", "costMicros", lambda a, d: str(round(d.cost * 1e6))),
    "metrics.clicks": ("metrics", "clicks", lambda a, d: str(d.clicks)),
    "metrics.impressions": ("metrics", "impressions", lambda a, d: str(d.impressions)),
}
META_FIELDS: dict[str, Callable] = {
    "account_id": lambda a, d: a.account_id,
    "account_currency": lambda a, d: a.currency,
    "campaign_id": lambda a, d: d.campaign_id,
    "campaign_name": lambda a, d: d.campaign_name,
    "spend": lambda a, d: f"{d.cost:.2f}",
    "impressions": lambda a, d: str(d.impressions),
    "clicks": lambda a, d: str(d.clicks),
}
_SELECT = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<resource>\w+)(?P<rest>.*)$", re.I | re.S
)
_BETWEEN = re.compile(
    r"segments\.date\s+BETWEEN\s+'(\d{4}-\d{2}-\d{2})'\s+AND\s+'(\d{4}-\d{2}-\d{2})'", re.I
)


class _FailureError(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply


class AdPlatformsApp:
    """Answers one request at a time; ``requests`` records (method, path?query, status)."""

    def __init__(
        self, accounts: AdAccounts, *, token: str, developer_token: str, faults: Faults
    ) -> None:
        self.accounts, self.token, self.developer_token = accounts, token, developer_token
        self.faults = faults
        self.pages_served = 0
        self.requests: deque[tuple[str, str, int]] = deque(maxlen=100_000)

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(target)
        if self.faults.before_request:
            self.faults.before_request(method, parts.path)
        with self.accounts.lock:
            google = parts.path.startswith(f"/{GOOGLE_VERSION}/")
            try:
                reply = self._answer(
                    method, parts.path, parse_qs(parts.query), headers, body, google
                )
            except _FailureError as failure:
                reply = failure.reply
            self.requests.append((method, target, reply.status))
        return reply

    def _answer(
        self,
        method: str,
        path: str,
        query: dict,
        headers: dict[str, str],
        body: bytes,
        google: bool,
    ) -> Reply:
        error = _google_error if google else _meta_error
        if self.faults.expired_token or headers.get("authorization") != f"Bearer {self.token}":
            if google:
                raise _FailureError(
                    error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
                )
            raise _FailureError(
                error(400, "Error validating access token: Session has expired.", 190)
            )
        if google and headers.get("developer-token") != self.developer_token:
            raise _FailureError(
                error(
                    401,
                    "UNAUTHENTICATED",
                    "The developer token is not valid.",
                    "DEVELOPER_TOKEN_INVALID",
                )
            )
        if self.faults.take("rate_limited"):
            raise _FailureError(self._throttled(google))
        if (
            self.faults.fail_after_pages is not None
            and self.pages_served >= self.faults.fail_after_pages
            and self.faults.take("failures")
        ):
            status = self.faults.failure_status
            if google:
                raise _FailureError(
                    error(status, "UNAVAILABLE", "The service is currently unavailable.")
                )
            raise _FailureError(error(status, "Service temporarily unavailable", 2, transient=True))
        host = f"http://{headers.get('host', 'graph.facebook.com')}"
        payload = self._route(method, path, query, body, host)
        self.pages_served += 1
        text = json.dumps(payload).encode()
        if self.faults.take("malformed_json"):
            text = text[: len(text) // 2]
        return Reply(200, text, {"Content-Type": JSON})

    def _route(self, method: str, path: str, query: dict, body: bytes, host: str) -> object:
        if method == "GET" and path == f"/{GOOGLE_VERSION}/customers:listAccessibleCustomers":
            return {
                "resourceNames": [f"customers/{a.account_id}" for a in self.accounts.of(GOOGLE_ADS)]
            }
        match = re.fullmatch(rf"/{GOOGLE_VERSION}/customers/(\d+)/googleAds:searchStream", path)
        if method == "POST" and match:
            return self._search_stream(match.group(1), body)
        if method == "GET" and path == f"/{META_VERSION}/me/adaccounts":
            rows = [
                {
                    "account_id": a.account_id,
                    "id": f"act_{a.account_id}",
                    "name": a.name,
                    "currency": a.currency,
                }
                for a in self.accounts.of(META_ADS)
            ]
            return self._meta_page(host, path, query, rows)
        match = re.fullmatch(rf"/{META_VERSION}/act_(\d+)/insights", path)
        if method == "GET" and match:
            return self._insights(match.group(1), host, path, query)
        match = re.fullmatch(rf"/{META_VERSION}/act_(\d+)/campaigns", path)
        if method == "GET" and match and match.group(1) in self.accounts.accounts:
            rows = [
                {
                    "id": d.campaign_id,
                    "name": d.campaign_name,
                    "start_time": f"{d.campaign_start.isoformat()}T00:00:00+0000",
                    "stop_time": f"{d.campaign_end.isoformat()}T23:59:59+0000",
                }
                for d in self.accounts.campaigns(match.group(1)).values()
            ]
            return self._meta_page(host, path, query, rows)
        google = path.startswith(f"/{GOOGLE_VERSION}/")
        if google:
            raise _FailureError(
                _google_error(404, "NOT_FOUND", f"Method not found: {method} {path}")
            )
        raise _FailureError(_meta_error(400, f"Unsupported get request: {path}", 100))

    # --- Google Ads ---------------------------------------------------------------------

    def _search_stream(self, customer: str, body: bytes) -> list[dict]:
        account = self.accounts.accounts.get(customer)
        if account is None or account.platform != GOOGLE_ADS:
            raise _FailureError(
                _google_error(
                    403,
                    "PERMISSION_DENIED",
                    "The caller does not have permission",
                    "USER_PERMISSION_DENIED",
                )
            )
        try:
            query = json.loads(body or b"{}")["query"]
        except (ValueError, KeyError):
            raise _FailureError(
                _google_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
            ) from None
        select = _SELECT.match(query)
        between = _BETWEEN.search(query)
        if not select or select.group("resource").lower() != "campaign" or not between:
            raise _FailureError(
                _google_error(
                    400,
                    "INVALID_ARGUMENT",
                    "Only campaign queries by segments.date BETWEEN are simulated.",
                    "QUERY_ERROR",
                )
            )
        fields = [f.strip() for f in select.group("fields").split(",")]
        unknown = [f for f in fields if f not in GAQL_FIELDS]
        if unknown:
            raise _FailureError(
                _google_error(
                    400,
                    "INVALID_ARGUMENT",
                    f"Unrecognized field in the query: '{unknown[0]}'.",
                    "UNRECOGNIZED_FIELD",
                )
            )
        since, until = (date.fromisoformat(v) for v in between.groups())
        rows = [
            _gaql_row(account, d, fields)
            for d in self.accounts.served(customer, since, until)
            if d.cost or d.clicks or d.impressions
        ]
        mask = ",".join(GAQL_FIELDS[f][0] + "." + GAQL_FIELDS[f][1] for f in fields)
        batches = [rows[i : i + STREAM_BATCH] for i in range(0, len(rows), STREAM_BATCH)] or [[]]
        request_id = f"sim{self.pages_served:08d}"
        return [{"results": b, "fieldMask": mask, "requestId": request_id} for b in batches]

    # --- Meta ---------------------------------------------------------------------------

    def _insights(self, account_id: str, host: str, path: str, query: dict) -> dict:
        account = self.accounts.accounts.get(account_id)
        if account is None or account.platform != META_ADS:
            raise _FailureError(
                _meta_error(
                    400,
                    f"Unsupported get request. Object with ID 'act_{account_id}' does not exist",
                    100,
                )
            )
        if _one(query, "level") != "campaign" or _one(query, "time_increment") != "1":
            raise _FailureError(
                _meta_error(400, "Only level=campaign&time_increment=1 is simulated", 100)
            )
        try:
            time_range = json.loads(_one(query, "time_range") or "")
            since, until = (
                date.fromisoformat(time_range["since"]),
                date.fromisoformat(time_range["until"]),
            )
        except (ValueError, KeyError, TypeError):
            raise _FailureError(
                _meta_error(400, "(#100) time_range must be {'since':..., 'until':...}", 100)
            ) from None
        fields = [f for f in (_one(query, "fields") or "").split(",") if f]
        unknown = [f for f in fields if f not in META_FIELDS]
        if unknown:
            raise _FailureError(
                _meta_error(400, f"(#100) {unknown[0]} is not valid for fields param.", 100)
            )
        rows = []
        for d in self.accounts.served(account_id, since, until):
            row = {f: META_FIELDS[f](account, d) for f in fields}
            rows.append({**row, "date_start": d.day.isoformat(), "date_stop": d.day.isoformat()})
        return self._meta_page(host, path, query, rows)

    def _meta_page(self, host: str, path: str, query: dict, rows: list[dict]) -> dict:
        limit = min(META_MAX_LIMIT, int(_one(query, "limit") or META_DEFAULT_LIMIT))
        start = _decode(_one(query, "after"))
        page = rows[start : start + limit]
        payload: dict = {"data": page}
        if page:
            cursors = {"before": _encode(start), "after": _encode(start + len(page))}
            payload["paging"] = {"cursors": cursors}
            if start + limit < len(rows):
                flat = {k: v[0] for k, v in query.items()} | {"after": cursors["after"]}
                payload["paging"]["next"] = f"{host}{path}?{urlencode(flat)}"
        return payload

    def _throttled(self, google: bool) -> Reply:
        if google:
            delay = self.faults.retry_after
            return _google_error(
                429,
                "RESOURCE_EXHAUSTED",
                "Resource has been exhausted (e.g. check quota).",
                "RESOURCE_TEMPORARILY_EXHAUSTED",
                retry_delay=delay,
            )
        reply = _meta_error(
            400,
            "(#80000) There have been too many calls from this ad-account. "
            "Wait a bit and try again.",
            80000,
            transient=True,
        )
        if self.faults.retry_after is not None:
            minutes = self.faults.retry_after / 60
            usage = {"x": [{"type": "ads_insights", "estimated_time_to_regain_access": minutes}]}
            reply.headers["x-business-use-case-usage"] = json.dumps(usage)
        return reply


def _gaql_row(account: Account, day: CampaignDay, fields: list[str]) -> dict:
    row: dict[str, dict] = {}
    for f in fields:
        obj, name, value = GAQL_FIELDS[f]
        part = row.setdefault(obj, {})
        part[name] = value(account, day)
    if "customer" in row:
        row["customer"]["resourceName"] = f"customers/{account.account_id}"
    if "campaign" in row:
        row["campaign"]["resourceName"] = (
            f"customers/{account.account_id}/campaigns/{day.campaign_id}"
        )
    return row


def _one(query: dict, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _encode(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode()


def _decode(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("pos:"))
    except ValueError:
        raise _FailureError(_meta_error(400, "(#100) Invalid cursor", 100)) from None


def _google_error(
    status: int,
    code: str,
    message: str,
    detail: str | None = None,
    retry_delay: float | None = None,
) -> Reply:
    error: dict = {"code": status, "message": message, "status": code}
    if detail:
        failure: dict = {"errorCode": {"errorCode": detail}, "message": message}
        if retry_delay is not None:
            failure["details"] = {"quotaErrorDetails": {"retryDelay": f"{retry_delay:g}s"}}
        error["details"] = [
            {
                "@type": FAILURE_TYPE,
                "errors": [failure],
                "requestId": "sim-error",
            }
        ]
    return Reply(status, json.dumps({"error": error}).encode(), {"Content-Type": JSON})


def _meta_error(status: int, message: str, code: int, *, transient: bool = False) -> Reply:
    error = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "is_transient": transient,
        "fbtrace_id": "AsimFbTrace",
    }
    return Reply(status, json.dumps({"error": error}).encode(), {"Content-Type": JSON})
