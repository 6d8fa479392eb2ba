"""Which raw objects hold people and employees, and the SQL pieces every forget step shares."""

from __future__ import annotations

import duckdb

from ingestion.csv_exports.objects import KINDS, raw_object
from ingestion.hubspot import objects as hubspot_objects
from ingestion.pipedrive import objects as pipedrive_objects
from ingestion.privacy.report import ForgetReport
from ingestion.raw.objects import EmployeeData, PersonalData, RawObject
from ingestion.salesforce import objects as salesforce_objects
from ingestion.web_events.objects import EVENTS as WEB_EVENTS


def raw_objects() -> list[RawObject]:
    return [
        *hubspot_objects.OBJECTS,
        *(sobject.raw for sobject in salesforce_objects.OBJECTS),
        *pipedrive_objects.OBJECTS,
        *(raw_object(kind, {}) for kind in KINDS.values()),
        WEB_EVENTS,
    ]


def personal_objects() -> list[tuple[RawObject, PersonalData]]:
    """Every raw object of every source whose records hold or point at a person."""
    return [(obj, obj.personal) for obj in raw_objects() if obj.personal is not None]


def employee_objects() -> list[tuple[RawObject, EmployeeData]]:
    """Every raw object of every source whose records hold or name an employee."""
    return [(obj, obj.employee) for obj in raw_objects() if obj.employee is not None]


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str] | None:
    schema, name = table.split(".")
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    return {column for (column,) in rows} or None


def email_matches(column: str) -> str:
    """SQL: ``column`` is the address (parameter 1), alone or in a JSON list (parameter 2)."""
    return f"(lower(trim({column})) = ? or contains(lower({column}), ?))"


def in_ids(expression: str) -> str:
    """SQL: ``expression`` is one of the ids given as the next parameter."""
    return f"list_contains(?::varchar[], {expression})"


def key_sql(obj: RawObject, column: str) -> str:
    """SQL: the key dbt gives the id in ``column``, ``<source system>:<instance>:<id>``."""
    return f"'{obj.source_system}:' || _source_instance || ':' || {column}"


def dbt_key(system: str, instance: str, record_id: str) -> str:
    """The key :func:`key_sql` builds, for a record found: ``<system>:<instance>:<id>``."""
    return f"{system}:{instance}:{record_id}"


def email_params(email: str) -> list[str]:
    address = email.strip().lower()
    return [address, f'"{address}"']


def count_removed(
    con: duckdb.DuckDBPyConnection, sql: str, params: list, table: str, report: ForgetReport
) -> None:
    removed = con.execute(sql, params).fetchone()[0]
    if removed:
        report.removed[table] = report.removed.get(table, 0) + removed
