"""Pipedrive's JSON records flattened to rows of text, one column per field.

Values land as the API rendered them (numbers and booleans as JSON text, lists and
objects as JSON), so a field that changes type never breaks a load. A deal's custom
fields, keyed by 40-character hashes at Pipedrive, become columns named after the
fields (``Partner region`` -> ``partner_region``): a field created in Pipedrive becomes a
new raw column at the next sync.
"""

from __future__ import annotations

import json
import re

import pyarrow as pa

# The v2 deal fields landed; fields Pipedrive adds later are not, until listed here.
DEAL_COLUMNS = (
    "id",
    "title",
    "owner_id",
    "person_id",
    "org_id",
    "pipeline_id",
    "stage_id",
    "value",
    "currency",
    "add_time",
    "update_time",
    "stage_change_time",
    "is_deleted",
    "status",
    "probability",
    "lost_reason",
    "close_time",
    "won_time",
    "lost_time",
    "expected_close_date",
    "origin",
    "channel",
)
# Custom values whose key dealFields did not list when the sync began (a field created
# mid-sync): kept as JSON here rather than dropped.
UNMAPPED = "custom_fields_unmapped"
FLOW_COLUMNS = (
    "id",
    "deal_id",
    "object",
    "timestamp",
    "field_key",
    "old_value",
    "new_value",
    "log_time",
    "user_id",
    "change_source",
)
# The v2 activity fields landed (participants as JSON).
ACTIVITY_COLUMNS = (
    "id",
    "subject",
    "type",
    "owner_id",
    "creator_user_id",
    "is_deleted",
    "add_time",
    "update_time",
    "deal_id",
    "lead_id",
    "person_id",
    "org_id",
    "project_id",
    "due_date",
    "due_time",
    "duration",
    "busy",
    "done",
    "marked_as_done_time",
    "participants",
    "priority",
)
# The person fields dbt staging reads. Persons land with whatever fields the listing has
# (see table()); these columns exist from the start, so staging runs before any sync.
PERSON_COLUMNS = ("id", "org_id", "add_time", "is_deleted")
# The user fields dbt staging reads; users land like persons, with whatever the listing has.
USER_COLUMNS = ("id", "name", "email", "active_flag", "modified")
# The team fields dbt staging reads (a company without teams lands none).
TEAM_COLUMNS = ("id", "name", "users", "active_flag", "deleted_flag")
CUSTOM_KEY = re.compile(r"^[0-9a-f]{40}$")


def text(value: object) -> str | None:
    """A JSON value as text: strings as they are, anything else as its JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):  # the common scalars without json.dumps: same text, faster
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def custom_columns(fields: list[dict]) -> dict[str, str]:
    """Custom field key -> its raw column name, from ``GET /v1/dealFields``."""
    columns: dict[str, str] = {}
    taken = set(DEAL_COLUMNS) | {UNMAPPED}
    for field in fields:
        key = field.get("key") or ""
        if not CUSTOM_KEY.match(key):
            continue
        name = re.sub(r"[^0-9a-z]+", "_", str(field.get("name") or "").lower()).strip("_")
        name = name or f"custom_{key[:8]}"
        if name in taken:
            name = f"{name}_{key[:8]}"
        taken.add(name)
        columns[key] = name
    return columns


def option_labels(fields: list[dict]) -> dict[str, dict[str, str]]:
    """Custom field key -> {option id: label} for fields with options (enum, set), whose
    values Pipedrive gives as option ids, from ``GET /v1/dealFields``."""
    return {
        field["key"]: {str(o["id"]): str(o["label"]) for o in field["options"]}
        for field in fields
        if field.get("options") and CUSTOM_KEY.match(field.get("key") or "")
    }


def _labelled(value: object, labels: dict[str, str] | None) -> str | None:
    """A custom value as landed: an option id as its label, a set's comma-separated ids as
    their labels; an id dealFields did not list (an option added mid-sync) stays as is."""
    if value is None or labels is None:
        return text(value)
    return ",".join(labels.get(i.strip(), i.strip()) for i in str(value).split(","))


def strings(columns: list[str] | tuple[str, ...]) -> pa.Schema:
    return pa.schema([(c, pa.string()) for c in columns])


def deal_schema(custom: dict[str, str]) -> pa.Schema:
    return strings([*DEAL_COLUMNS, *custom.values(), UNMAPPED])


def deal_batch(
    deals: list[dict], custom: dict[str, str], labels: dict[str, dict[str, str]]
) -> pa.RecordBatch:
    """Deals in raw_pipedrive.deals' shape: custom fields as columns named after them
    (``custom``), options as their labels (``labels``, see :func:`option_labels`)."""
    rows = []
    for deal in deals:
        row = {c: text(deal.get(c)) for c in DEAL_COLUMNS}
        values = deal.get("custom_fields") or {}
        for key, column in custom.items():
            row[column] = _labelled(values.get(key), labels.get(key))
        unmapped = {k: v for k, v in values.items() if k not in custom}
        row[UNMAPPED] = text(unmapped) if unmapped else None
        rows.append(row)
    return pa.RecordBatch.from_pylist(rows, schema=deal_schema(custom))


def activity_batch(activities: list[dict]) -> pa.RecordBatch:
    rows = [{c: text(a.get(c)) for c in ACTIVITY_COLUMNS} for a in activities]
    return pa.RecordBatch.from_pylist(rows, schema=strings(ACTIVITY_COLUMNS))


def flow_batch(deal_id: int, items: list[dict]) -> pa.RecordBatch:
    """dealChange items of one deal's flow (other item kinds are not asked for)."""
    rows = []
    for item in items:
        if item.get("object") != "dealChange":
            continue
        data = item.get("data") or {}
        row = {c: text(data.get(c)) for c in FLOW_COLUMNS}
        row.update(deal_id=text(deal_id), object="dealChange", timestamp=item.get("timestamp"))
        rows.append(row)
    return pa.RecordBatch.from_pylist(rows, schema=strings(FLOW_COLUMNS))


def reference_batch(records: list[dict], names: list[str]) -> pa.RecordBatch:
    """Reference records (pipelines, stages, users, teams, persons, organizations) as rows of
    ``names``: every top-level field any of them has, in first-seen order."""
    rows = [{c: text(r.get(c)) for c in names} for r in records]
    return pa.RecordBatch.from_pylist(rows, schema=strings(names))
