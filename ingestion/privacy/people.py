"""Removing a person: their own records, records about them, references to them and the
quarantined rows that carry any of it, found by address or by id in every source."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from ingestion.privacy.raw_tables import (
    count_removed,
    email_matches,
    email_params,
    in_ids,
    personal_objects,
    table_columns,
)
from ingestion.privacy.report import ForgetReport
from ingestion.raw.objects import PersonalData, RawObject


def _find_ids(
    con: duckdb.DuckDBPyConnection,
    people: Iterable[tuple[RawObject, PersonalData]],
    email: str | None,
    person_id: str | None,
) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for obj, personal in people:
        columns = table_columns(con, obj.table)
        if personal.person_id is None or columns is None:
            continue
        conditions, params = [], []
        if email and personal.email in columns:
            conditions.append(email_matches(personal.email))
            params += email_params(email)
        if person_id:
            conditions.append(f"{personal.person_id} = ?")
            params.append(person_id)
        if not conditions:
            continue
        merged = personal.merged_ids if personal.merged_ids in columns else "null"
        rows = con.execute(
            f"select {personal.person_id}, {merged} from {obj.table} "
            f"where {' or '.join(conditions)}",
            params,
        ).fetchall()
        ids = found.setdefault(personal.refers_to or obj.source_system, set())
        for own_id, merged_ids in rows:
            if own_id:
                ids.add(own_id)
            ids.update(i for i in (merged_ids or "").split(";") if i)
    return found


def _own_emails(
    con: duckdb.DuckDBPyConnection,
    people: Iterable[tuple[RawObject, PersonalData]],
    person_ids: dict[str, set[str]],
) -> list[str]:
    """The addresses the person's own records hold: forgetting someone by id must also
    remove what names them only by address (a form submission, an identified event)."""
    found: set[str] = set()
    for obj, personal in people:
        ids = sorted(person_ids.get(personal.refers_to or obj.source_system, set()))
        columns = table_columns(con, obj.table)
        if not ids or personal.person_id is None or columns is None:
            continue
        if personal.email not in columns or personal.refers_to:
            continue
        rows = con.execute(
            f"select distinct {personal.email} from {obj.table} "
            f"where {in_ids(personal.person_id)} and {personal.email} is not null",
            [ids],
        ).fetchall()
        found.update(address.strip().lower() for (address,) in rows if "@" in address)
    return sorted(found)


def _forget_in_table(
    con: duckdb.DuckDBPyConnection,
    obj: RawObject,
    personal: PersonalData,
    ids: list[str],
    email: str | None,
    report: ForgetReport,
) -> None:
    columns = table_columns(con, obj.table)
    if columns is None:
        return
    conditions, params = [], []
    # The person's own records, and records about them (their id is part of the key).
    for column in (personal.person_id, *(ref for ref in personal.references if ref in obj.key)):
        if column:
            conditions.append(in_ids(column))
            params.append(ids)
    if email and personal.email in columns:
        conditions.append(email_matches(personal.email))
        params += email_params(email)
    if conditions:
        matched = " or ".join(conditions)
        if personal.linked_by in columns:
            linked = personal.linked_by
            matched += f" or {linked} in (select {linked} from {obj.table} where {matched})"
            params += params
        count_removed(con, f"delete from {obj.table} where {matched}", params, obj.table, report)
    # Other records keep what is not personal: only the reference goes.
    for ref in personal.references:
        if ref in obj.key or ref not in columns:
            continue
        cleared = con.execute(
            f"update {obj.table} set {ref} = null where {in_ids(ref)}", [ids]
        ).fetchone()[0]
        if cleared:
            report.cleared[f"{obj.table}.{ref}"] = cleared


def _forget_in_quarantine(
    con: duckdb.DuckDBPyConnection,
    obj: RawObject,
    personal: PersonalData,
    ids: list[str],
    email: str | None,
    report: ForgetReport,
) -> None:
    """Quarantined rows keep the record as it arrived (JSON), so any that names the person
    goes: it is evidence of a bad record, not data a mart needs."""
    if table_columns(con, obj.quarantine_table) is None:
        return
    conditions, params = [], []
    for column in (personal.person_id, *personal.references):
        if column:
            conditions.append(in_ids(f"json_extract_string(raw_payload, '$.{column}')"))
            params.append(ids)
    if personal.person_id:
        conditions.append(in_ids("record_key"))
        params.append(ids)
    if email and personal.email:
        conditions.append(email_matches(f"json_extract_string(raw_payload, '$.{personal.email}')"))
        params += email_params(email)
    if not conditions:
        return
    sql = f"delete from {obj.quarantine_table} where {' or '.join(conditions)}"
    count_removed(con, sql, params, obj.quarantine_table, report)


def forget_people(
    con: duckdb.DuckDBPyConnection,
    email: str | None,
    person_id: str | None,
    report: ForgetReport,
) -> None:
    people = personal_objects()
    report.person_ids = _find_ids(con, people, email, person_id)
    emails = [email] if email else _own_emails(con, people, report.person_ids)
    for obj, personal in people:
        system = personal.refers_to or obj.source_system
        ids = sorted(report.person_ids.get(system, set()))
        if not ids and not (emails and personal.email):
            continue
        for address in emails or [None]:
            _forget_in_table(con, obj, personal, ids, address, report)
            _forget_in_quarantine(con, obj, personal, ids, address, report)
