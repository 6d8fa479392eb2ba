"""The JSON bodies of HubSpot's v3/v4 API, built from the simulator's flattened rows.

Shapes follow the reference (crm-apis.md) field for field: property values are strings
or null, ``after`` cursors are opaque, history entries leave out unknown fields, errors
carry HubSpot's ``status``/``message``/``category``/``correlationId``.
"""

from __future__ import annotations

import base64
import uuid
import zlib
from urllib.parse import quote, unquote

from ingestion.simulator.server.records import CrmTable, iso_ms

# A user-defined label that some deal-contact pairs also carry, so the same contact is
# listed twice for one deal, as HubSpot does for labelled associations.
DECISION_MAKER = {"category": "USER_DEFINED", "typeId": 9, "label": "Decision maker"}
# HubSpot lists a deal's primary company under "Primary" (5) and the unlabelled type (341).
UNLABELLED_COMPANY = {"category": "HUBSPOT_DEFINED", "typeId": 341, "label": None}
# Associations a v3 list inlines per record and object type before paging them.
INLINE_ASSOCIATIONS = 100


def encode_after(position: str) -> str:
    """An opaque paging cursor, percent-encoded as HubSpot sends it (``NTI1Cg%3D%3D``)."""
    return quote(base64.b64encode(position.encode()).decode(), safe="")


def decode_after(token: str) -> str:
    """The position inside a cursor, whether or not the client decoded its percent-escapes."""
    return base64.b64decode(unquote(token), validate=True).decode()


def paging(after: str | None, path: str = "") -> dict:
    """HubSpot's ``paging`` block, its link to the next page (relative to ``path``)."""
    if after is None:
        return {}
    return {"paging": {"next": {"after": after, "link": f"{path}?after={after}"}}}


def crm_record(
    table: CrmTable,
    row: dict,
    properties: list[str],
    history: dict[str, list[dict]] | None = None,
    associations: dict[str, dict[str, int]] | None = None,
) -> dict:
    """One object as list, search and batch read return it; ``associations`` (to object
    -> associated ids) are inlined as the list endpoint's ``associations=`` asks."""
    updated = row[table.modified]
    record = {
        "id": row["id"],
        "properties": {p: property_value(row, p) for p in properties if p in table.properties},
        "createdAt": _created_at(table, row),
        "updatedAt": updated,
        "archived": row["archived"],
    }
    if row["archived"]:
        record["archivedAt"] = row.get("archived_at") or updated
    if history is not None:
        record["propertiesWithHistory"] = history
    if associations:
        record["associations"] = {
            to: _inline_associations(table.name, row["id"], to, list(targets))
            for to, targets in associations.items()
            if targets
        }
    return record


def _inline_associations(source: str, record_id: str, to: str, targets: list[str]) -> dict:
    """One record's inline ``to`` associations: the first 100, then ``paging`` pointing at
    the record's association listing, as HubSpot's v3 list has answered since 2021."""
    kind = f"{_singular(source)}_to_{_singular(to)}"
    block: dict = {"results": [{"id": i, "type": kind} for i in targets[:INLINE_ASSOCIATIONS]]}
    if len(targets) > INLINE_ASSOCIATIONS:
        after = encode_after(str(INLINE_ASSOCIATIONS))
        block.update(paging(after, f"/crm/v3/objects/{source}/{record_id}/associations/{to}"))
    return block


def property_value(row: dict, prop: str) -> str | None:
    """A property's value as the API returns it: ``hs_object_id`` is the record's id."""
    return row["id"] if prop == "hs_object_id" else row.get(prop)


def _created_at(table: CrmTable, row: dict) -> str:
    created = row.get("createdate") or row.get("hs_createdate")
    return created if iso_ms(created) is not None else row[table.modified]


def properties_with_history(
    table: CrmTable, row: dict, requested: list[str], kept: dict[str, list[dict]]
) -> dict[str, list[dict]]:
    """``propertiesWithHistory`` of one record: the history the world ``kept`` (deals'
    tracked properties), and for any other requested property with a value what HubSpot
    answers for a property set once: one entry holding the current value.

    The world records no change of those properties, so the entry is dated at the record's
    creation, when the generator set them; a property without a value has no history.
    """
    history = dict(kept)
    for prop in requested:
        value = property_value(row, prop) if prop in table.properties else None
        if prop not in history and value is not None:
            entry = {"value": value, "timestamp": _created_at(table, row), "sourceType": "CRM_UI"}
            history[prop] = [entry]
    return history


def _singular(obj: str) -> str:
    return {"companies": "company"}.get(obj, obj.rstrip("s"))


def property_definition(name: str, kind: str, hubspot_defined: bool) -> dict:
    return {
        "name": name,
        "label": name.replace("_", " ").capitalize(),
        "type": kind,
        "fieldType": {"datetime": "date", "number": "number"}.get(kind, "text"),
        "groupName": "custom" if not hubspot_defined else "information",
        "hubspotDefined": hubspot_defined,
        "calculated": False,
        "hidden": False,
        "archived": False,
    }


def owner(row: dict) -> dict:
    body = {
        "id": row["id"],
        "email": row["email"],
        "firstName": row["first_name"],
        "lastName": row["last_name"],
        "userId": int(row["user_id"]) if row["user_id"] is not None else None,
        "type": "PERSON",
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "archived": row["archived"],
        "teams": [],
    }
    if row["team_id"] is not None:
        body["teams"] = [{"id": row["team_id"], "name": row["team_name"], "primary": True}]
    return body


def pipelines(stages: list[dict]) -> dict:
    """GET /crm/v3/pipelines/deals: pipelines with their stages nested, metadata as strings."""
    out: dict[str, dict] = {}
    for s in stages:
        pipe = out.setdefault(
            s["pipeline_id"],
            {
                "id": s["pipeline_id"],
                "label": s["pipeline_label"],
                "displayOrder": s["pipeline_display_order"],
                "archived": False,
                "stages": [],
            },
        )
        pipe["stages"].append(
            {
                "id": s["stage_id"],
                "label": s["stage_label"],
                "displayOrder": s["stage_display_order"],
                "archived": s["archived"],
                "metadata": {"isClosed": s["is_closed"], "probability": s["probability"]},
            }
        )
    return {"results": list(out.values())}


# The fields every simulated form asks for: contact properties (object type 0-1).
FORM_FIELDS = ("email", "firstname", "lastname")


def form(row: tuple[str, str, str], created: str) -> dict:
    """A form of the marketing v3 API; ``row`` is (guid, name, page path)."""
    guid, name, _ = row
    fields = [
        {"objectTypeId": "0-1", "name": f, "label": f.capitalize(), "required": f == "email"}
        for f in FORM_FIELDS
    ]
    return {
        "id": guid,
        "name": name,
        "formType": "hubspot",
        "createdAt": created,
        "updatedAt": created,
        "archived": False,
        "fieldGroups": [{"groupType": "default_group", "fields": fields}],
    }


def form_submission(row: dict) -> dict:
    """One submission as the form integrations v1 API returns it (submittedAt in ms)."""
    return {
        "conversionId": row["conversion_id"],
        "submittedAt": int(row["submitted_at"]),
        "values": [
            {"name": f, "value": row[f], "objectTypeId": "0-1"}
            for f in FORM_FIELDS
            if row.get(f) is not None
        ],
        "pageUrl": row["page_url"],
    }


def associations(source: str, from_id: str, to: str, targets: dict[str, int]) -> dict:
    """One ``from`` entry of a v4 batch association read."""
    entries = []
    for other, type_id in targets.items():
        types = [{"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}]
        if to == "companies" and type_id == 5:
            types.append(UNLABELLED_COMPANY)
        entries.append({"toObjectId": other, "associationTypes": types})
        labelled = source == "deals" and to == "contacts"
        if labelled and zlib.crc32(f"{from_id}:{other}".encode()) % 3 == 0:
            entries.append({"toObjectId": other, "associationTypes": [DECISION_MAKER]})
    return {"from": {"id": from_id}, "to": entries}


def error(message: str, category: str, **extra: object) -> dict:
    return {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }
