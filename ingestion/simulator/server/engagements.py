"""The world's engagements as HubSpot's v3 engagement objects, and back.

The world's files flatten an engagement into one row (type, timestamp, owner, deal,
contact, status, duration). HubSpot serves each type as an object of its own (calls,
emails, meetings, notes, tasks) with its own property names, and the deal and contact as
associations. :func:`split` builds those objects and associations from the rows;
:func:`flatten` turns the served state back into the files' shape, which is what a sync
must land.

A call's duration is ``hs_call_duration`` (milliseconds); a meeting has none, only
``hs_meeting_start_time`` and ``hs_meeting_end_time``. Every engagement is created and
last modified at its ``hs_timestamp``, until an edit bumps ``hs_lastmodifieddate``.
"""

from __future__ import annotations

import zlib

import pyarrow as pa

from ingestion.simulator.schema import HUBSPOT_ENGAGEMENTS
from ingestion.simulator.server.records import iso_ms, ms_iso

# The world's engagement type -> HubSpot's object type.
OBJECTS = {
    "CALL": "calls",
    "EMAIL": "emails",
    "MEETING": "meetings",
    "NOTE": "notes",
    "TASK": "tasks",
}
TYPE_OF = {obj: kind for kind, obj in OBJECTS.items()}
STATUS = {
    "calls": "hs_call_status",
    "emails": "hs_email_status",
    "meetings": "hs_meeting_outcome",
    "tasks": "hs_task_status",
}
# Properties of each object beyond the common ones.
PROPERTIES = {
    "calls": ("hs_call_status", "hs_call_duration", "hs_call_direction"),
    "emails": ("hs_email_status", "hs_email_direction"),
    "meetings": ("hs_meeting_outcome", "hs_meeting_start_time", "hs_meeting_end_time"),
    "notes": (),
    "tasks": ("hs_task_status", "hs_task_type"),
}
COMMON = ("id", "hs_timestamp", "hubspot_owner_id", "hs_createdate", "hs_lastmodifieddate")
# HubSpot-defined association type ids, engagement -> deal and engagement -> contact.
ASSOCIATION_TYPES = {
    "calls": {"deals": 206, "contacts": 194},
    "emails": {"deals": 210, "contacts": 198},
    "meetings": {"deals": 212, "contacts": 200},
    "notes": {"deals": 214, "contacts": 202},
    "tasks": {"deals": 216, "contacts": 204},
}
TARGETS = {"deals": "deal_id", "contacts": "contact_id"}
TASK_TYPES = ("TODO",) * 6 + ("CALL",) * 2 + ("EMAIL",) * 2  # by a hash of the id

Links = dict[tuple[str, str], dict[str, dict[str, int]]]


def schema(obj: str) -> pa.Schema:
    """An engagement object's records as the simulator holds them (flattened, strings)."""
    fields = [pa.field(name, pa.string()) for name in (*COMMON, *PROPERTIES[obj])]
    return pa.schema([*fields, ("archived", pa.bool_()), ("archived_at", pa.string())])


def _object_row(obj: str, row: dict) -> dict:
    stamp = row["timestamp"]
    out = {
        "id": row["id"],
        "hs_timestamp": stamp,
        "hubspot_owner_id": row["owner_id"],
        "hs_createdate": stamp,
        "hs_lastmodifieddate": stamp,
        "archived": False,
        "archived_at": None,
    }
    if obj in STATUS:
        out[STATUS[obj]] = row["status"]
    if obj == "calls":
        out.update(hs_call_duration=row["duration_ms"], hs_call_direction="OUTBOUND")
    elif obj == "emails":
        out["hs_email_direction"] = "EMAIL"
    elif obj == "meetings":
        start, duration = iso_ms(stamp), row["duration_ms"]
        end = None if start is None or duration is None else ms_iso(start + int(duration))
        out.update(hs_meeting_start_time=stamp, hs_meeting_end_time=end)
    elif obj == "tasks":
        out["hs_task_type"] = TASK_TYPES[zlib.crc32(row["id"].encode()) % len(TASK_TYPES)]
    return out


def split(table: pa.Table) -> tuple[dict[str, pa.Table], Links]:
    """The world's engagements as one table per object type, and their associations
    ``(object, deals|contacts) -> engagement id -> {target id: association type id}``."""
    rows: dict[str, list[dict]] = {obj: [] for obj in OBJECTS.values()}
    links: Links = {(obj, to): {} for obj in OBJECTS.values() for to in TARGETS}
    for row in table.to_pylist():
        obj = OBJECTS[row["type"]]
        rows[obj].append(_object_row(obj, row))
        for to, column in TARGETS.items():
            if row[column] is not None:
                links[(obj, to)][row["id"]] = {row[column]: ASSOCIATION_TYPES[obj][to]}
    tables = {obj: pa.Table.from_pylist(r, schema=schema(obj)) for obj, r in rows.items()}
    return tables, links


def _duration(obj: str, row: dict) -> str | None:
    if obj == "calls":
        return row.get("hs_call_duration")
    if obj == "meetings":
        start = iso_ms(row.get("hs_meeting_start_time"))
        end = iso_ms(row.get("hs_meeting_end_time"))
        return None if start is None or end is None else str(end - start)
    return None


def flatten(records: dict[str, dict[str, dict]], links: Links) -> pa.Table:
    """Live engagements in the files' shape, sorted by id; ``records`` is object type ->
    id -> record. An engagement with several deals (or contacts) lists the lowest id."""
    out = []
    for obj, rows in records.items():
        for rid, row in rows.items():
            if row["archived"]:
                continue
            targets = {
                to: min(links[(obj, to)].get(rid) or [None], key=lambda i: int(i or 0))
                for to in TARGETS
            }
            out.append(
                {
                    "id": rid,
                    "type": TYPE_OF[obj],
                    "timestamp": row.get("hs_timestamp"),
                    "owner_id": row.get("hubspot_owner_id"),
                    "deal_id": targets["deals"],
                    "contact_id": targets["contacts"],
                    "status": row.get(STATUS[obj]) if obj in STATUS else None,
                    "duration_ms": _duration(obj, row),
                }
            )
    out.sort(key=lambda r: int(r["id"]))
    return pa.Table.from_pylist(out, schema=HUBSPOT_ENGAGEMENTS)
