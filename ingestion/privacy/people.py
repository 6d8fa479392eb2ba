"""Removing a person: their own records, records about them, references to them and the
quarantined rows that carry any of it, found by address or by id in every source.

A source's ids name a person within one of its instances only: contact 100 of one HubSpot
portal and contact 100 of another are two people. So the person's records are found as
(instance, id) pairs, and their ids match only in the instance they were found in; an id
given alone (``--contact-id``) that several instances hold needs the instance to choose.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from ingestion.privacy.raw_tables import (
    count_removed,
    dbt_key,
    email_matches,
    email_params,
    in_ids,
    key_sql,
    personal_objects,
    table_columns,
)
from ingestion.privacy.report import ForgetError, ForgetReport
from ingestion.raw.objects import PersonalData, RawObject

# The person's records per source system: (source instance, id) pairs. The instance is None
# for an id another source names them by (a web event's HubSpot contact id): which portal
# it belongs to, that source does not say.
Found = dict[str, set[tuple[str | None, str]]]


def _find_ids(
    con: duckdb.DuckDBPyConnection,
    people: Iterable[tuple[RawObject, PersonalData]],
    email: str | None,
    person_id: str | None,
) -> Found:
    found: Found = {}
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
        instance = "null" if personal.refers_to else "_source_instance"
        rows = con.execute(
            f"select distinct {instance}, {personal.person_id}, {merged} from {obj.table} "
            f"where {' or '.join(conditions)}",
            params,
        ).fetchall()
        pairs = found.setdefault(personal.refers_to or obj.source_system, set())
        for source_instance, own_id, merged_ids in rows:
            ids = [own_id, *(merged_ids or "").split(";")]
            pairs.update((source_instance, i) for i in ids if i)
    return found


def _only_in(found: Found, instance: str | None, person_id: str | None) -> Found:
    """``found`` within ``instance`` when one is given. Without one, an id given alone
    (``person_id``) must name records in one instance of each source: raises
    :class:`ForgetError` if it names several people."""
    if instance is not None:
        return {
            system: {pair for pair in pairs if pair[0] in (instance, None)}
            for system, pairs in found.items()
        }
    places = sorted({(system, i) for system, pairs in found.items() for i, _ in pairs if i})
    systems = [system for system, _ in places]
    if person_id and len(systems) > len(set(systems)):
        listing = ", ".join(f"{system} {name!r}" for system, name in places)
        raise ForgetError(
            f"the id names records in several instances of a source ({listing}), each a "
            "different person: choose one with --source-instance; nothing changed"
        )
    return found


def _ids_sql(
    obj: RawObject, personal: PersonalData, column: str, found: Found
) -> tuple[str, list[str]]:
    """SQL that ``column`` holds one of the person's ids, and its parameter: a source's own
    ids within the instance they were found in, another source's ids (this table's
    instances are not theirs) as they are."""
    pairs = found.get(personal.refers_to or obj.source_system, set())
    if personal.refers_to:
        return in_ids(column), sorted({i for _, i in pairs})
    system = obj.source_system
    keys = sorted(dbt_key(system, instance, i) for instance, i in pairs if instance is not None)
    return in_ids(key_sql(obj, column)), keys


def _own_emails(
    con: duckdb.DuckDBPyConnection, people: Iterable[tuple[RawObject, PersonalData]], found: Found
) -> list[str]:
    """The addresses the person's own records hold: forgetting someone by id must also
    remove what names them only by address (a form submission, an identified event)."""
    addresses: set[str] = set()
    for obj, personal in people:
        columns = table_columns(con, obj.table)
        if personal.person_id is None or columns is None:
            continue
        if personal.email not in columns or personal.refers_to:
            continue
        matched, ids = _ids_sql(obj, personal, personal.person_id, found)
        if not ids:
            continue
        rows = con.execute(
            f"select distinct {personal.email} from {obj.table} "
            f"where {matched} and {personal.email} is not null",
            [ids],
        ).fetchall()
        addresses.update(address.strip().lower() for (address,) in rows if "@" in address)
    return sorted(addresses)


def _forget_in_table(
    con: duckdb.DuckDBPyConnection,
    obj: RawObject,
    personal: PersonalData,
    found: Found,
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
            matched, ids = _ids_sql(obj, personal, column, found)
            conditions.append(matched)
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
        matched, ids = _ids_sql(obj, personal, ref, found)
        sql = f"update {obj.table} set {ref} = null where {matched}"
        cleared = con.execute(sql, [ids]).fetchone()[0]
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
    goes: it is evidence of a bad record, not data a mart needs. They carry no instance,
    so the person's ids match there in every instance of the source."""
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
    instance: str | None,
    report: ForgetReport,
) -> None:
    people = personal_objects()
    found = _only_in(_find_ids(con, people, email, person_id), instance, person_id)
    report.person_ids = {system: {i for _, i in pairs} for system, pairs in found.items()}
    emails = [email] if email else _own_emails(con, people, found)
    for obj, personal in people:
        system = personal.refers_to or obj.source_system
        ids = sorted(report.person_ids.get(system, set()))
        if not ids and not (emails and personal.email):
            continue
        for address in emails or [None]:
            _forget_in_table(con, obj, personal, found, address, report)
            _forget_in_quarantine(con, obj, personal, ids, address, report)
