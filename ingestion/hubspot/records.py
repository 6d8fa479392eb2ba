"""HubSpot API records flattened into the raw tables' shape, one Arrow batch per page.

The shapes are the simulator's ``HUBSPOT_*`` schemas (ingestion/simulator/schema.py),
which are also the files' shapes, so ``raw_hubspot.*`` holds identical rows whichever
way the data came, and a record unchanged between a file load and an API sync adds no
version. Custom properties become extra string columns after the known ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from ingestion.hubspot import objects
from ingestion.raw.objects import RawObject
from ingestion.simulator.schema import (
    HUBSPOT_COMPANIES,
    HUBSPOT_CONTACTS,
    HUBSPOT_DEAL_COMPANIES,
    HUBSPOT_DEAL_CONTACTS,
    HUBSPOT_DEAL_PROPERTY_HISTORY,
    HUBSPOT_DEALS,
    HUBSPOT_ENGAGEMENTS,
    HUBSPOT_FORM_SUBMISSIONS,
    HUBSPOT_OWNERS,
    HUBSPOT_PIPELINE_STAGES,
)

# Columns of a flattened record that come from the record, not from its properties.
RECORD_FIELDS = ("id", "archived", "archived_at")


@dataclass(frozen=True)
class CrmObject:
    """A CRM object type read through the objects API (list, search, batch read)."""

    raw: RawObject
    schema: pa.Schema
    modified: str  # the last-modified property that search filters and sorts on
    history: tuple[str, ...] = ()  # properties read with propertiesWithHistory
    api_name: str | None = None  # the API's object type, when not the raw table's name

    @property
    def name(self) -> str:
        return self.api_name or self.raw.name

    @property
    def properties(self) -> list[str]:
        return [n for n in self.schema.names if n not in RECORD_FIELDS]

    def columns(self, custom: list[str]) -> pa.Schema:
        return pa.schema([*self.schema, *(pa.field(c, pa.string()) for c in custom)])


DEALS = CrmObject(
    objects.DEALS,
    HUBSPOT_DEALS,
    "hs_lastmodifieddate",
    ("dealstage", "amount", "closedate", "hs_forecast_category", "hubspot_owner_id"),
)
CONTACTS = CrmObject(objects.CONTACTS, HUBSPOT_CONTACTS, "lastmodifieddate")
COMPANIES = CrmObject(objects.COMPANIES, HUBSPOT_COMPANIES, "hs_lastmodifieddate")
CRM_OBJECTS = (DEALS, CONTACTS, COMPANIES)
# Deal associations: (target object in the API path, raw object, target id column, schema)
ASSOCIATIONS = (
    ("contacts", objects.DEAL_CONTACTS, "contact_id", HUBSPOT_DEAL_CONTACTS),
    ("companies", objects.DEAL_COMPANIES, "company_id", HUBSPOT_DEAL_COMPANIES),
)
ENGAGEMENT_MODIFIED = "hs_lastmodifieddate"
# What raw_hubspot.engagements keeps per engagement (its deal and contact come from the
# associations); the last-modified time is read to keep the newest copy, not landed.
ENGAGEMENT_READ = pa.schema([*HUBSPOT_ENGAGEMENTS, (ENGAGEMENT_MODIFIED, pa.string())])
ENGAGEMENT_TARGETS = {"deals": "deal_id", "contacts": "contact_id"}


@dataclass(frozen=True)
class EngagementType:
    """One of HubSpot's engagement objects, and how it maps to raw_hubspot.engagements:
    ``type`` CALL..TASK, ``status`` from the object's status property, ``duration_ms``
    from the call's duration or the meeting's start and end."""

    obj: CrmObject
    type: str
    status: str | None = None
    duration: tuple[str, ...] = ()  # the duration (ms), or the start and end times

    @property
    def name(self) -> str:
        return self.obj.name

    def row(self, record: dict, links: dict[str, list[str]]) -> dict:
        props = record.get("properties") or {}
        return {
            "id": str(record["id"]),
            "type": self.type,
            "timestamp": _text(props.get("hs_timestamp")),
            "owner_id": _text(props.get("hubspot_owner_id")),
            **{column: _lowest(links.get(to)) for to, column in ENGAGEMENT_TARGETS.items()},
            "status": _text(props.get(self.status)) if self.status else None,
            "duration_ms": self._duration(props),
            ENGAGEMENT_MODIFIED: props.get(ENGAGEMENT_MODIFIED) or record.get("updatedAt"),
        }

    def _duration(self, props: dict) -> str | None:
        if len(self.duration) == 1:
            return _text(props.get(self.duration[0]))
        if self.duration:
            start, end = (props.get(p) for p in self.duration)
            try:
                return str(iso_ms(end) - iso_ms(start)) if start and end else None
            except ValueError:
                return None  # not a timestamp: no duration, rather than a failed sync
        return None


def _engagement(
    api_name: str, type_: str, status: str | None = None, duration: tuple[str, ...] = ()
) -> EngagementType:
    read = ("hs_timestamp", "hubspot_owner_id", *((status,) if status else ()), *duration)
    schema = pa.schema([("id", pa.string()), *((p, pa.string()) for p in read)])
    obj = CrmObject(objects.ENGAGEMENTS, schema, ENGAGEMENT_MODIFIED, api_name=api_name)
    return EngagementType(obj, type_, status, duration)


ENGAGEMENT_TYPES = (
    _engagement("calls", "CALL", "hs_call_status", ("hs_call_duration",)),
    _engagement("emails", "EMAIL", "hs_email_status"),
    _engagement(
        "meetings",
        "MEETING",
        "hs_meeting_outcome",
        ("hs_meeting_start_time", "hs_meeting_end_time"),
    ),
    _engagement("notes", "NOTE"),
    _engagement("tasks", "TASK", "hs_task_status"),
)


def _text(value: object) -> str | None:
    """HubSpot sends property values as strings (ids in places as numbers); anything else is
    kept as its JSON text, so nothing is lost and the column stays a string."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value)


def _lowest(ids: list[str] | None) -> str | None:
    """One associated record of several (HubSpot allows many): the lowest id, so a re-read
    picks the same one."""
    return min(ids, key=lambda i: (len(i), i)) if ids else None


def iso_ms(value: str) -> int:
    """HubSpot's ISO timestamp as epoch milliseconds."""
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


# HubSpot-defined association types by the name v3 gives them inline (v4 gives the ids);
# a user-defined label's name has no id here and is left out.
INLINE_TYPE_IDS = {"deal_to_contact": 3, "deal_to_company": 5, "deal_to_company_unlabeled": 341}


def inline_links(record: dict) -> dict[str, list[str]]:
    """Associated ids of a record listed with ``associations=``, per object type, each id
    once (HubSpot lists an id once per association label)."""
    found = (record.get("associations") or {}).items()
    return {
        to: list(dict.fromkeys(str(r["id"]) for r in (value.get("results") or [])))
        for to, value in found
    }


def inline_truncated(records: list[dict]) -> list[str]:
    """Ids of listed records with more associations than HubSpot inlines (100 per object
    type: the block then carries ``paging``); their associations must be read apart."""
    return [
        str(record["id"])
        for record in records
        if any("paging" in block for block in (record.get("associations") or {}).values())
    ]


def inline_as_v4(records: list[dict], to: str) -> list[dict]:
    """The ``to`` associations inlined in listed records, in a v4 batch read's shape (for
    :func:`association_batch`); records listed with a truncated block are left out."""
    skip = set(inline_truncated(records))
    results = []
    for record in records:
        block = (record.get("associations") or {}).get(to) or {}
        if str(record["id"]) in skip or not block.get("results"):
            continue
        entries = []
        for target in block["results"]:
            type_id = INLINE_TYPE_IDS.get(target.get("type"))
            kinds = [] if type_id is None else [{"category": "HUBSPOT_DEFINED", "typeId": type_id}]
            entries.append({"toObjectId": target["id"], "associationTypes": kinds})
        results.append({"from": {"id": record["id"]}, "to": entries})
    return results


def v4_links(results: list[dict]) -> dict[str, list[str]]:
    """A v4 batch association read as record id -> associated ids (each once)."""
    return {
        str(result["from"]["id"]): list(
            dict.fromkeys(str(t["toObjectId"]) for t in result.get("to") or [])
        )
        for result in results
    }


def crm_batch(schema: pa.Schema, records: list[dict]) -> pa.RecordBatch:
    """Records of the objects API in the flattened shape of ``schema``."""
    columns: dict[str, list] = {name: [] for name in schema.names}
    for record in records:
        props = record.get("properties") or {}
        for name, values in columns.items():
            if name == "id":
                values.append(str(record["id"]))
            elif name == "archived":
                values.append(bool(record.get("archived", False)))
            elif name == "archived_at":
                values.append(record.get("archivedAt"))
            else:
                values.append(_text(props.get(name)))
    return pa.RecordBatch.from_pydict(columns, schema=schema)


def history_batch(records: list[dict]) -> pa.RecordBatch:
    """One row per entry of each record's propertiesWithHistory (order as received)."""
    rows = [
        {
            "deal_id": str(record["id"]),
            "property": prop,
            "value": _text(entry.get("value")),
            "timestamp": entry.get("timestamp"),
            "source_type": entry.get("sourceType"),
            "source_id": _text(entry.get("sourceId")),
            "updated_by_user_id": _text(entry.get("updatedByUserId")),
        }
        for record in records
        for prop, entries in (record.get("propertiesWithHistory") or {}).items()
        for entry in entries or []
    ]
    return pa.RecordBatch.from_pylist(rows, schema=HUBSPOT_DEAL_PROPERTY_HISTORY)


def association_batch(results: list[dict], target_column: str, schema: pa.Schema) -> pa.RecordBatch:
    """v4 batch association results, one row per (deal, associated record).

    HubSpot can list one associated record several times (once per label) and give it
    several types: keep one row, with the lowest HubSpot-defined type (3 deal-contact,
    5 primary company), the same type the files carry.
    """
    rows = []
    for result in results:
        types: dict[str, list[tuple[bool, int]]] = {}
        for target in result.get("to") or []:
            kinds = types.setdefault(str(target["toObjectId"]), [])
            for kind in target.get("associationTypes") or []:
                kinds.append((kind.get("category") != "HUBSPOT_DEFINED", int(kind["typeId"])))
        for other, kinds in types.items():
            type_id = min(kinds)[1] if kinds else None
            rows.append(
                {
                    "deal_id": str(result["from"]["id"]),
                    target_column: other,
                    "association_type_id": type_id,
                }
            )
    return pa.RecordBatch.from_pylist(rows, schema=schema)


def owners_batch(records: list[dict]) -> pa.RecordBatch:
    rows = []
    for owner in records:
        teams = owner.get("teams") or []
        team = next((t for t in teams if t.get("primary")), teams[0] if teams else {})
        rows.append(
            {
                "id": str(owner["id"]),
                "email": owner.get("email"),
                "first_name": owner.get("firstName"),
                "last_name": owner.get("lastName"),
                "user_id": _text(owner.get("userId")),
                "team_id": _text(team.get("id")),
                "team_name": team.get("name"),
                "archived": bool(owner.get("archived", False)),
                "created_at": owner.get("createdAt"),
                "updated_at": owner.get("updatedAt"),
            }
        )
    return pa.RecordBatch.from_pylist(rows, schema=HUBSPOT_OWNERS)


def pipeline_stages_batch(pipelines: list[dict]) -> pa.RecordBatch:
    rows = [
        {
            "pipeline_id": pipeline["id"],
            "pipeline_label": pipeline.get("label"),
            "pipeline_display_order": pipeline.get("displayOrder"),
            "stage_id": stage["id"],
            "stage_label": stage.get("label"),
            "stage_display_order": stage.get("displayOrder"),
            "is_closed": _text((stage.get("metadata") or {}).get("isClosed")),
            "probability": _text((stage.get("metadata") or {}).get("probability")),
            "archived": bool(stage.get("archived", False)),
        }
        for pipeline in pipelines
        for stage in pipeline.get("stages") or []
    ]
    return pa.RecordBatch.from_pylist(rows, schema=HUBSPOT_PIPELINE_STAGES)


def form_submissions_batch(form_id: str, records: list[dict]) -> pa.RecordBatch:
    """Submissions of one form; the email and names are the values typed (the first value
    of each name, as a form has one field per property)."""
    rows = []
    for record in records:
        values: dict[str, str | None] = {}
        for value in record.get("values") or []:
            values.setdefault(value.get("name"), _text(value.get("value")))
        rows.append(
            {
                "conversion_id": record.get("conversionId"),
                "form_id": form_id,
                "submitted_at": _text(record.get("submittedAt")),
                "page_url": record.get("pageUrl"),
                "email": values.get("email"),
                "firstname": values.get("firstname"),
                "lastname": values.get("lastname"),
            }
        )
    return pa.RecordBatch.from_pylist(rows, schema=HUBSPOT_FORM_SUBMISSIONS)
