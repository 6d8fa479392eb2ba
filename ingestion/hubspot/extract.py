"""Reading HubSpot page by page: listings, the changed-records search, history, associations.

Listings and searches are generators of pages and batch reads take at most one batch, so
a sync holds one page at a time however large the portal is.

The search for changed records never pages with offsets. Offsets over a result set that
shifts under concurrent edits skip records, and HubSpot refuses to page past 10,000
results. Instead every page is a fresh query from the last timestamp seen (GTE, so
records sharing that timestamp are re-read and skipped by id), and when a whole page
shares one timestamp, as after a bulk edit, that timestamp is walked by ``hs_object_id``.
Neither query ever pages, so the cap never applies however many records changed.
"""

from __future__ import annotations

from collections.abc import Iterator

from ingestion.hubspot.client import HubSpotClient
from ingestion.hubspot.records import CrmObject, iso_ms

LIST_LIMIT = 100
HISTORY_LIMIT = 50  # HubSpot returns at most 50 records a page with propertiesWithHistory
SEARCH_LIMIT = 200
BATCH_LIMIT = 100
ASSOCIATIONS_LIMIT = 1000
ASSOCIATED_LIMIT = 500  # a record's associations per v4 page
FORMS_LIMIT = 100
SUBMISSIONS_LIMIT = 50  # the form integrations API's maximum page


def modified(obj: CrmObject, record: dict) -> str:
    """A record's last-modified time as HubSpot wrote it: the search's sort and filter key."""
    return (record.get("properties") or {}).get(obj.modified) or record["updatedAt"]


def modified_ms(obj: CrmObject, record: dict) -> int:
    return iso_ms(modified(obj, record))


def portal_id(client: HubSpotClient) -> str:
    return str(client.get("/account-info/v3/details")["portalId"])


def custom_properties(client: HubSpotClient, obj: CrmObject) -> list[str]:
    """Properties the portal added itself (schema drift), in a stable order."""
    results = client.get(f"/crm/v3/properties/{obj.name}").get("results") or []
    known = set(obj.schema.names)
    return sorted(
        p["name"] for p in results if not p.get("hubspotDefined") and p["name"] not in known
    )


def list_pages(
    client: HubSpotClient,
    obj: CrmObject,
    properties: list[str],
    *,
    archived: bool,
    history: bool,
    associations: tuple[str, ...] = (),
) -> Iterator[list[dict]]:
    """Every live (or every archived) record, in pages, with property history and the ids
    of associated records (``associations``: object types) if asked."""
    params = {
        "limit": HISTORY_LIMIT if history else LIST_LIMIT,
        "archived": "true" if archived else "false",
        "properties": ",".join(properties),
    }
    if history:
        params["propertiesWithHistory"] = ",".join(obj.history)
    if associations:
        params["associations"] = ",".join(associations)
    yield from client.pages(f"/crm/v3/objects/{obj.name}", params)


def latest_modified(client: HubSpotClient, obj: CrmObject) -> str | None:
    """The newest last-modified value HubSpot's search knows, or None for an empty object."""
    body = _search_body([], obj.modified, "DESCENDING", [obj.modified])
    body["limit"] = 1
    results = client.post(f"/crm/v3/objects/{obj.name}/search", body).get("results") or []
    return results[0]["properties"][obj.modified] if results else None


def changed_pages(
    client: HubSpotClient, obj: CrmObject, properties: list[str], since_ms: int
) -> Iterator[list[dict]]:
    """Live records modified at or after ``since_ms``, oldest first, each id once per version."""
    lower = since_ms
    seen_ts, seen_ids = None, set()  # ids already yielded at the newest timestamp so far
    while True:
        filters = [_filter(obj.modified, "GTE", lower)]
        page = _search(client, obj, filters, obj.modified, properties)
        results = page.get("results") or []
        fresh = []
        for record in results:
            ts = modified_ms(obj, record)
            if ts != seen_ts:
                seen_ts, seen_ids = ts, set()
            if record["id"] not in seen_ids:
                seen_ids.add(record["id"])
                fresh.append(record)
        yield fresh
        if "paging" not in page or not results:
            return
        last = modified_ms(obj, results[-1])
        if last > lower:
            lower = last
            continue
        yield from _walk_timestamp(client, obj, properties, lower, skip=seen_ids)
        lower, seen_ts, seen_ids = lower + 1, None, set()


def _walk_timestamp(
    client: HubSpotClient, obj: CrmObject, properties: list[str], ts: int, skip: set[str]
) -> Iterator[list[dict]]:
    """Every record modified exactly at ``ts``, by ascending id (one bulk edit's worth)."""
    last_id = 0
    while True:
        filters = [_filter(obj.modified, "EQ", ts), _filter("hs_object_id", "GT", last_id)]
        page = _search(client, obj, filters, "hs_object_id", properties)
        results = page.get("results") or []
        yield [r for r in results if r["id"] not in skip]
        if "paging" not in page or not results:
            return
        last_id = int(results[-1]["id"])


def _filter(prop: str, operator: str, value: int) -> dict:
    return {"propertyName": prop, "operator": operator, "value": str(value)}


def _search_body(filters: list[dict], sort: str, direction: str, properties: list[str]) -> dict:
    return {
        "filterGroups": [{"filters": filters}] if filters else [],
        "sorts": [{"propertyName": sort, "direction": direction}],
        "properties": properties,
        "limit": SEARCH_LIMIT,
        "after": "0",
    }


def _search(
    client: HubSpotClient, obj: CrmObject, filters: list[dict], sort: str, properties: list[str]
) -> dict:
    body = _search_body(filters, sort, "ASCENDING", properties)
    return client.post(f"/crm/v3/objects/{obj.name}/search", body)


def history_records(client: HubSpotClient, obj: CrmObject, ids: list[str]) -> list[dict]:
    """Property history of up to 50 records (batch read); archived ones are read as such."""
    return batch_records(client, obj, ids, [obj.modified], history=obj.history)


def batch_records(
    client: HubSpotClient,
    obj: CrmObject,
    ids: list[str],
    properties: list[str],
    *,
    history: tuple[str, ...] = (),
) -> list[dict]:
    """Up to 100 records by id (50 with history); archived ones are read as such."""
    body: dict = {"inputs": [{"id": i} for i in ids], "properties": properties}
    if history:
        body["propertiesWithHistory"] = list(history)
    path = f"/crm/v3/objects/{obj.name}/batch/read"
    results = client.post(path, body).get("results") or []
    missing = sorted(set(ids) - {str(r["id"]) for r in results})
    if missing:  # archived since the search found them
        body["inputs"] = [{"id": i} for i in missing]
        results += client.post(path, body, params={"archived": "true"}).get("results") or []
    return results


def association_results(client: HubSpotClient, source: str, to: str, ids: list[str]) -> list[dict]:
    """v4 batch association read for up to 1,000 records of object type ``source``
    (records without any association are left out). A record with more associations than
    a batch read returns (500) has the rest read from its own association listing."""
    body = {"inputs": [{"id": i} for i in ids]}
    path = f"/crm/v4/associations/{source}/{to}/batch/read"
    results = client.post(path, body).get("results") or []
    for result in results:
        after = ((result.pop("paging", None) or {}).get("next") or {}).get("after")
        if after:
            record = result["from"]["id"]
            listing = f"/crm/v4/objects/{source}/{record}/associations/{to}"
            params = {"limit": ASSOCIATED_LIMIT, "after": after}
            result["to"] = [
                *result["to"],
                *(t for page in client.pages(listing, params) for t in page),
            ]
    return results


def owner_pages(client: HubSpotClient, *, archived: bool) -> Iterator[list[dict]]:
    params = {"limit": LIST_LIMIT, "archived": "true" if archived else "false"}
    yield from client.pages("/crm/v3/owners", params)


def deal_pipelines(client: HubSpotClient) -> list[dict]:
    return client.get("/crm/v3/pipelines/deals").get("results") or []


def forms(client: HubSpotClient) -> list[dict]:
    """Every form of the portal (marketing v3)."""
    pages = client.pages("/marketing/v3/forms", {"limit": FORMS_LIMIT})
    return [form for page in pages for form in page]


def submission_pages(client: HubSpotClient, form_id: str) -> Iterator[list[dict]]:
    """A form's submissions, newest first (as HubSpot lists them), a page at a time."""
    path = f"/form-integrations/v1/submissions/forms/{form_id}"
    yield from client.pages(path, {"limit": SUBMISSIONS_LIMIT})
