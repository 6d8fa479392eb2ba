"""The canonical exports a CSV source lands in ``raw_csv``: their fields, keys and record rules.

A CRM without an API still exports deals, leads and sometimes stage history, activities
and its owners (users), and sales plans live in spreadsheets (targets); whatever the file
calls its columns, the mapping renames them to these fields, so every CSV instance lands in
the same tables and dbt reads one shape.

The rules are the shared ones from :mod:`ingestion.raw.objects`, with the row's file and
line put in front of each reason: a reader of ``quarantine.csv__deals`` must be able to
open the export and find the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from ingestion.raw.objects import (
    EmployeeData,
    ObjectKind,
    PersonalData,
    RawObject,
    Rule,
    decimal_string,
    non_negative,
    required,
    timestamp_string,
)

SOURCE_SYSTEM = "csv"
# "<file> line <n>" for a row that breaks a rule, null otherwise. It is null for every
# landed row, so a record's hash (and so its versions) never depends on where it sat in a file.
LOCATION_COLUMN = "_csv_row"


@dataclass(frozen=True)
class ExportKind:
    name: str
    key: tuple[str, ...]
    fields: tuple[str, ...]
    dates: tuple[str, ...]
    numbers: tuple[str, ...] = ()
    object_kind: ObjectKind = ObjectKind.ENTITY
    personal: PersonalData | None = None
    employee: EmployeeData | None = None
    # Fields every row must have; default: the key. A key part may then be null.
    required: tuple[str, ...] | None = None
    # Rules of this kind alone, checked after the shared ones.
    rules: tuple[Rule, ...] = ()

    @property
    def required_fields(self) -> tuple[str, ...]:
        return self.key if self.required is None else self.required


# An export names a row's owner by email address, CRM owner id or owner key.
OWNER_COLUMN = EmployeeData(references=("owner",))

DEALS = ExportKind(
    "deals",
    key=("deal_id",),
    fields=(
        "deal_id",
        "stage",
        "status",
        "amount",
        "currency",
        "created_at",
        "closed_at",
        "won_at",
        "lost_at",
        "expected_close_date",
        "owner",
        "source",
        "contact_id",
        "lead_id",
        "pipeline",
    ),
    dates=("created_at", "closed_at", "won_at", "lost_at", "expected_close_date"),
    numbers=("amount",),
    personal=PersonalData(references=("contact_id", "lead_id")),
    employee=OWNER_COLUMN,
)
LEADS = ExportKind(
    "leads",
    key=("lead_id",),
    fields=("lead_id", "created_at", "source", "owner"),
    dates=("created_at",),
    # An `email` extra column, where the export has one, is the lead's address.
    personal=PersonalData(person_id="lead_id", email="email"),
    employee=OWNER_COLUMN,
)
# A stage change never changes once it happened, so each is kept once however often it is read.
STAGE_HISTORY = ExportKind(
    "stage_history",
    key=("deal_id", "changed_at", "stage"),
    fields=("deal_id", "stage", "changed_at"),
    dates=("changed_at",),
    object_kind=ObjectKind.EVENT,
)
# Calls, emails, meetings, notes, tasks: ``occurred_at`` is when it happened (or is due),
# ``completed_at`` when it was marked done; ``done`` a yes/no flag, where the export has one.
ACTIVITIES = ExportKind(
    "activities",
    key=("activity_id",),
    fields=(
        "activity_id",
        "type",
        "subject",
        "status",
        "done",
        "occurred_at",
        "completed_at",
        "duration_minutes",
        "deal_id",
        "contact_id",
        "owner",
    ),
    dates=("occurred_at", "completed_at"),
    numbers=("duration_minutes",),
    personal=PersonalData(references=("contact_id",)),
    employee=OWNER_COLUMN,
)
# Sales targets: one row per period x pipeline x team or owner (the other left blank). A
# period is a calendar month (2025-02) or a fiscal quarter (FY2025-Q1, in the fiscal
# calendar setting); amounts are in ``currency`` (blank: the reporting currency). Rules
# here judge a row alone; overlaps and unknown teams or owners need the calendar and the
# CRM, so dbt checks those (int_sales_targets).
TARGET_AMOUNTS = ("bookings_target", "pipeline_target")
_FIX = " || '; fix the row in the targets export and rerun'"
TARGET_PERIOD_PATTERN = r"\d{4}-(0[1-9]|1[0-2])|FY\d{4}-Q[1-4]"
TARGETS = ExportKind(
    "targets",
    key=("period", "pipeline", "team", "owner"),
    fields=("period", "pipeline", "team", "owner", "currency", *TARGET_AMOUNTS),
    dates=(),
    numbers=TARGET_AMOUNTS,
    employee=OWNER_COLUMN,
    required=("period", "pipeline", "bookings_target"),
    rules=(
        Rule(
            name="period_unrecognised",
            field="period",
            violated=f"not regexp_full_match(trim(period), '{TARGET_PERIOD_PATTERN}')",
            reason="'period ''' || period || ''' is neither a month (2025-02) nor a fiscal "
            "quarter (FY2025-Q1)'" + _FIX,
        ),
        Rule(
            name="team_or_owner",
            field="owner",
            violated="(nullif(trim(team), '') is null) = (nullif(trim(owner), '') is null)",
            reason="'team and owner are both ' || case when team is null then 'blank' "
            "else 'filled' end || ': a target is for a team or for an owner'" + _FIX,
        ),
        *(replace(rule, reason=rule.reason + _FIX) for rule in map(non_negative, TARGET_AMOUNTS)),
    ),
)
# The people other exports name in their owner column: ``owner`` is that value (an address,
# an id, or the person's name where that is all the exports give), with the owner's name,
# address and team. The value is both the key and how the other exports name the owner, so
# `forget` renames it everywhere (a reference), not only in this export; so too the value or
# name wherever an extra column holds it (a manager column naming another owner).
OWNERS = ExportKind(
    "owners",
    key=("owner",),
    fields=("owner", "name", "email", "team"),
    dates=(),
    employee=EmployeeData(owner_id="owner", email="email", name="name", references=("owner",)),
    required=("owner", "name"),
)
KINDS: dict[str, ExportKind] = {
    kind.name: kind for kind in (DEALS, LEADS, STAGE_HISTORY, ACTIVITIES, TARGETS, OWNERS)
}


def is_extra(kind: ExportKind, column: str) -> bool:
    """Whether ``column`` of the kind's raw table is an extra: a file's column kept as it
    was, whose meaning no mapping declares (not a canonical field, not a loader's _column)."""
    return not column.startswith("_") and column.lower() not in {f.lower() for f in kind.fields}


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _date_rule(field: str, formats: tuple[str, ...]) -> Rule:
    rule = timestamp_string(field)
    if not formats:
        return rule
    # Values matching a declared format were rewritten to ISO text before the check, so
    # what still fails is a value in none of the formats.
    expected = sql_literal(" or ".join(formats))
    reason = f"'{field} ''' || {field} || ''' does not match the date format ' || {expected}"
    return replace(rule, reason=reason)


def raw_object(
    kind: ExportKind, date_formats: Mapping[str, tuple[str, ...]], *, located: bool = True
) -> RawObject:
    """The raw object for one read; rules depend on the mapping's date formats.

    ``located`` reasons name the row, read from :data:`LOCATION_COLUMN`, which the
    relation must then carry; rows derived in the warehouse have no file to name.
    """
    rules = [
        *(required(field) for field in kind.required_fields),
        *(_date_rule(field, date_formats.get(field, ())) for field in kind.dates),
        *(decimal_string(field) for field in kind.numbers),
        *kind.rules,
    ]
    if located:
        rules = [replace(r, reason=f"{LOCATION_COLUMN} || ': ' || {r.reason}") for r in rules]
    return RawObject(
        SOURCE_SYSTEM,
        kind.name,
        key=kind.key,
        kind=kind.object_kind,
        rules=tuple(rules),
        personal=kind.personal,
        employee=kind.employee,
    )


def location_sql(obj: RawObject, file_column: str, line_column: str) -> str:
    """SQL naming the file and line of a row that breaks any of ``obj``'s rules, else null."""
    broken = " or ".join(f"({rule.violated})" for rule in obj.rules)
    return f"case when {broken} then {file_column} || ' line ' || {line_column} end"
