"""The endpoints of the simulated HubSpot API, with HubSpot's limits and paging rules.

Each takes the app (for its state and settings), the query string and the JSON body,
and returns (HTTP status, JSON payload). Called under the state's lock.
"""

from __future__ import annotations

import binascii
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ingestion.simulator.server import render
from ingestion.simulator.server.records import CrmTable, SearchError

if TYPE_CHECKING:
    from ingestion.simulator.server.app import HubSpotApp

LIST_LIMIT = 100
HISTORY_LIMIT = 50  # propertiesWithHistory pages and batch reads hold at most 50 records
SEARCH_LIMIT = 200
BATCH_LIMIT = 100
OWNERS_LIMIT = 500
ASSOCIATIONS_LIMIT = 1000
ASSOCIATED_LIMIT = 500  # associated records per record in a v4 read, then paged
FORMS_LIMIT = 100
SUBMISSIONS_LIMIT = 50
DEFAULT_PROPERTIES = ("createdate", "hs_object_id")


class BadRequestError(ValueError):
    """HTTP 400 with HubSpot's VALIDATION_ERROR."""


def _limit(raw: object, default: int, maximum: int) -> int:
    try:
        limit = int(str(raw)) if raw is not None else default
    except ValueError as exc:
        raise BadRequestError(f"limit {raw!r} is not a number") from exc
    if not 1 <= limit <= maximum:
        raise BadRequestError(f"limit must be between 1 and {maximum}, got {limit}")
    return limit


def _names(raw: str | list | None) -> list[str]:
    if not raw:
        return []
    items = raw if isinstance(raw, list) else raw.split(",")
    return [p.strip() for p in items if p.strip()]


def _wanted(app: HubSpotApp, obj: str, requested: list[str]) -> list[str]:
    modified = app.state.crm[obj].modified
    return requested or [*DEFAULT_PROPERTIES, modified]


def _history(app: HubSpotApp, table: CrmTable, record_id: str, requested: list[str]) -> dict | None:
    """``propertiesWithHistory`` of one record, or None when the request asked for none."""
    if not requested:
        return None
    kept = app.state.history.nested(record_id, requested) if table.name == "deals" else {}
    return render.properties_with_history(table, table.rows[record_id], requested, kept)


def account_info(app: HubSpotApp, *, query: dict, body: dict) -> tuple[int, dict]:
    return 200, {
        "portalId": app.state.portal_id,
        "accountType": "STANDARD",
        "timeZone": "UTC",
        "companyCurrency": "USD",
        "additionalCurrencies": ["EUR", "GBP"],
        "utcOffset": "+00:00",
        "utcOffsetMilliseconds": 0,
        "uiDomain": "app.hubspot.com",
        "dataHostingLocation": "na1",
    }


def list_objects(app: HubSpotApp, *, query: dict, body: dict, obj: str) -> tuple[int, dict]:
    table = app.state.crm[obj]
    with_history = _names(query.get("propertiesWithHistory"))
    limit = _limit(query.get("limit"), 10, LIST_LIMIT)
    if with_history:
        limit = min(limit, HISTORY_LIMIT)
    after = None
    if "after" in query:
        try:
            after = int(render.decode_after(query["after"]))
        except (ValueError, binascii.Error) as exc:
            raise BadRequestError(f"invalid paging cursor {query['after']!r}") from exc
    archived = query.get("archived", "false").lower() == "true"
    ids, more = table.list_page(archived, after, limit)
    props = _wanted(app, obj, _names(query.get("properties")))
    inline = _names(query.get("associations"))
    unknown = [to for to in inline if (obj, to) not in app.state.associations]
    if unknown:
        raise BadRequestError(f"{obj} have no associations with {', '.join(unknown)}")
    results = [
        render.crm_record(
            table,
            table.rows[i],
            props,
            _history(app, table, i, with_history),
            {to: app.state.associations[(obj, to)].get(i, {}) for to in inline},
        )
        for i in ids
    ]
    return 200, {
        "results": results,
        **render.paging(render.encode_after(ids[-1]) if more else None),
    }


def search(app: HubSpotApp, *, query: dict, body: dict, obj: str) -> tuple[int, dict]:
    table = app.state.crm[obj]
    limit = _limit(body.get("limit"), 10, SEARCH_LIMIT)
    try:
        offset = int(str(body.get("after") or 0))
    except ValueError as exc:
        raise BadRequestError(f"after {body.get('after')!r} is not a number") from exc
    if offset >= app.search_cap:
        raise BadRequestError(
            f"The search endpoint returns at most {app.search_cap} results for one query: "
            "narrow the filters to page further."
        )
    try:
        ids = table.search(body.get("filterGroups") or [], body.get("sorts") or [])
    except SearchError as exc:
        raise BadRequestError(str(exc)) from exc
    # Nothing past the cap is ever returned, yet paging still points past it, as HubSpot's
    # does: a client that follows it blindly gets the 400.
    page = ids[offset : min(offset + limit, app.search_cap)]
    props = [*DEFAULT_PROPERTIES, table.modified, *_names(body.get("properties"))]
    results = [render.crm_record(table, table.rows[i], props) for i in page]
    more = offset + limit < len(ids)
    return 200, {
        "total": len(ids),
        "results": results,
        **({"paging": {"next": {"after": str(offset + limit)}}} if more else {}),
    }


def batch_read(app: HubSpotApp, *, query: dict, body: dict, obj: str) -> tuple[int, dict]:
    table = app.state.crm[obj]
    started = _now()
    ids = [str(i.get("id")) for i in body.get("inputs") or []]
    with_history = _names(body.get("propertiesWithHistory"))
    maximum = HISTORY_LIMIT if with_history else BATCH_LIMIT
    if not ids or len(ids) > maximum:
        raise BadRequestError(f"inputs must hold 1 to {maximum} ids, got {len(ids)}")
    archived = query.get("archived", "false").lower() == "true"
    found = [i for i in ids if i in table.rows and table.rows[i]["archived"] == archived]
    props = _wanted(app, obj, _names(body.get("properties")))
    results = [
        render.crm_record(
            table,
            table.rows[i],
            props,
            _history(app, table, i, with_history),
        )
        for i in found
    ]
    payload = {"status": "COMPLETE", "results": results, "startedAt": started}
    missing = [i for i in ids if i not in found]
    if missing:
        payload["numErrors"] = 1
        payload["errors"] = [_not_found(obj, missing)]
    payload["completedAt"] = _now()
    return (207 if missing else 200), payload


def properties(app: HubSpotApp, *, query: dict, body: dict, obj: str) -> tuple[int, dict]:
    table = app.state.crm[obj]
    results = [
        render.property_definition(name, kind, defined)
        for name, (kind, defined) in table.properties.items()
    ]
    return 200, {"results": results}


def pipelines(app: HubSpotApp, *, query: dict, body: dict) -> tuple[int, dict]:
    return 200, render.pipelines(app.state.pipeline_stages)


def _offset(query: dict) -> int:
    try:
        return int(render.decode_after(query["after"])) if "after" in query else 0
    except (ValueError, binascii.Error) as exc:
        raise BadRequestError(f"invalid paging cursor {query['after']!r}") from exc


def _page(rows: list, query: dict, default: int, maximum: int, path: str = "") -> tuple[list, dict]:
    """One page of ``rows`` from the query's ``after`` and ``limit``, with its paging
    (its link relative to the request, or to ``path``)."""
    limit, start = _limit(query.get("limit"), default, maximum), _offset(query)
    more = start + limit < len(rows)
    return rows[start : start + limit], render.paging(
        render.encode_after(str(start + limit)) if more else None, path
    )


def owners(app: HubSpotApp, *, query: dict, body: dict) -> tuple[int, dict]:
    archived = query.get("archived", "false").lower() == "true"
    rows = [o for o in app.state.owners if o["archived"] == archived]
    page, paging = _page(rows, query, 100, OWNERS_LIMIT)
    return 200, {"results": [render.owner(o) for o in page], **paging}


def forms(app: HubSpotApp, *, query: dict, body: dict) -> tuple[int, dict]:
    """GET /marketing/v3/forms: the portal's forms, paged."""
    page, paging = _page(app.state.forms, query, 20, FORMS_LIMIT)
    created = app.state.forms_created_at
    return 200, {"results": [render.form(f, created) for f in page], **paging}


def form_submissions(app: HubSpotApp, *, query: dict, body: dict, guid: str) -> tuple[int, dict]:
    """GET /form-integrations/v1/submissions/forms/{guid}: newest first, paged."""
    rows = app.state.submissions.get(guid)
    if rows is None:
        return 404, render.error(f"Form {guid} does not exist", "OBJECT_NOT_FOUND")
    page, paging = _page(rows, query, 20, SUBMISSIONS_LIMIT)
    return 200, {"results": [render.form_submission(r) for r in page], **paging}


def associations(
    app: HubSpotApp, *, query: dict, body: dict, source: str, to: str
) -> tuple[int, dict]:
    started = _now()
    ids = [str(i.get("id")) for i in body.get("inputs") or []]
    if not ids or len(ids) > ASSOCIATIONS_LIMIT:
        raise BadRequestError(f"inputs must hold 1 to {ASSOCIATIONS_LIMIT} ids, got {len(ids)}")
    links = app.state.associations.get((source, to))
    if links is None:
        raise BadRequestError(f"{source} have no associations with {to}")
    results = []
    for i in ids:
        if links.get(i):
            result = render.associations(source, i, to, links[i])
            path = f"/crm/v4/objects/{source}/{i}/associations/{to}"
            result["to"], paging = _page(result["to"], {}, ASSOCIATED_LIMIT, ASSOCIATED_LIMIT, path)
            results.append({**result, **paging})
    payload = {"status": "COMPLETE", "results": results, "startedAt": started}
    missing = [i for i in ids if not links.get(i)]
    if missing:
        payload["numErrors"] = 1
        payload["errors"] = [_not_found(source, missing, f"No {to} is associated")]
    payload["completedAt"] = _now()
    return (207 if missing else 200), payload


def object_associations(
    app: HubSpotApp, *, query: dict, body: dict, source: str, record: str, to: str
) -> tuple[int, dict]:
    """GET /crm/v4/objects/{source}/{id}/associations/{to}: one record's associated
    records, 500 a page (where a batch read's ``paging`` points)."""
    links = app.state.associations.get((source, to))
    if links is None:
        raise BadRequestError(f"{source} have no associations with {to}")
    entries = render.associations(source, record, to, links.get(record, {}))["to"]
    path = f"/crm/v4/objects/{source}/{record}/associations/{to}"
    page, paging = _page(entries, query, ASSOCIATED_LIMIT, ASSOCIATED_LIMIT, path)
    return 200, {"results": page, **paging}


def _not_found(obj: str, ids: list[str], message: str | None = None) -> dict:
    kind = obj.upper().rstrip("S")
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": message or f"Could not get some {kind} objects, they may be deleted.",
        "context": {"ids": ids},
    }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
