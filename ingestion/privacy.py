"""Forgetting a person (a right-to-erasure request) in the raw layer.

Every raw object declares where its records hold a person (:class:`PersonalData` on its
:class:`RawObject`). Forgetting finds the person's ids in each source from their email
address or an id, then, in one transaction: removes every version of their own records,
removes records about them (an association whose key holds their id), clears references
to them elsewhere (an activity keeps its deal and owner but no longer names its contact),
and removes quarantined rows that carry any of it. Everything downstream is rebuilt from
raw afterwards, so marts and history follow.

An employee (a CRM owner or user, :class:`EmployeeData`) is pseudonymised instead: every
version of their record keeps its owner id and loses their name and address, so deals,
activities and every per-owner metric stay as they were. A CSV owners export's owner value
is both its id and how the other exports name the owner, and may be their name: it gives
way to one pseudonym in every export's owner column instead.

A person still in the CRM comes back with the next full sync: erase them there first.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from ingestion.csv_exports.objects import KINDS, raw_object
from ingestion.hubspot import objects as hubspot_objects
from ingestion.pipedrive import objects as pipedrive_objects
from ingestion.raw.objects import EmployeeData, PersonalData, RawObject
from ingestion.salesforce import objects as salesforce_objects
from ingestion.warehouse import transaction
from ingestion.web_events.objects import EVENTS as WEB_EVENTS


def _raw_objects() -> list[RawObject]:
    return [
        *hubspot_objects.OBJECTS,
        *(sobject.raw for sobject in salesforce_objects.OBJECTS),
        *pipedrive_objects.OBJECTS,
        *(raw_object(kind, {}) for kind in KINDS.values()),
        WEB_EVENTS,
    ]


def personal_objects() -> list[tuple[RawObject, PersonalData]]:
    """Every raw object of every source whose records hold or point at a person."""
    return [(obj, obj.personal) for obj in _raw_objects() if obj.personal is not None]


def employee_objects() -> list[tuple[RawObject, EmployeeData]]:
    """Every raw object of every source whose records hold or name an employee."""
    return [(obj, obj.employee) for obj in _raw_objects() if obj.employee is not None]


@dataclass
class ForgetReport:
    person_ids: dict[str, set[str]] = field(default_factory=dict)  # source system -> ids
    removed: dict[str, int] = field(default_factory=dict)  # table -> rows removed
    cleared: dict[str, int] = field(default_factory=dict)  # table -> references cleared
    owner_ids: dict[str, set[str]] = field(default_factory=dict)  # source system -> ids
    # table (or table.column) -> rows whose employee fields were pseudonymised
    pseudonymised: dict[str, int] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return any(self.person_ids.values()) or bool(self.pseudonymised)

    def lines(self) -> list[str]:
        people = ", ".join(
            f"{len(ids)} in {system}" for system, ids in self.person_ids.items() if ids
        )
        lines = [f"records of the person found: {people or 'none'}"]
        lines += [f"removed {rows:>6,} rows from {table}" for table, rows in self.removed.items()]
        lines += [
            f"cleared {rows:>6,} references in {table}" for table, rows in self.cleared.items()
        ]
        if self.pseudonymised:
            owners = ", ".join(f"{len(ids)} in {system}" for system, ids in self.owner_ids.items())
            lines.append(
                f"employee records found: {owners or 'none, only in an export owner column'}; "
                "pseudonymised, owner ids kept"
            )
            lines += [
                f"pseudonymised {rows:>6,} rows in {table}"
                for table, rows in self.pseudonymised.items()
            ]
        return lines


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str] | None:
    schema, name = table.split(".")
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    return {column for (column,) in rows} or None


def _email_matches(column: str) -> str:
    """SQL: ``column`` is the address (parameter 1), alone or in a JSON list (parameter 2)."""
    return f"(lower(trim({column})) = ? or contains(lower({column}), ?))"


def _in_ids(expression: str) -> str:
    """SQL: ``expression`` is one of the ids given as the next parameter."""
    return f"list_contains(?::varchar[], {expression})"


def _key_sql(obj: RawObject, column: str) -> str:
    """SQL: the key dbt gives the id in ``column``, ``<source system>:<instance>:<id>``."""
    return f"'{obj.source_system}:' || _source_instance || ':' || {column}"


def _email_params(email: str) -> list[str]:
    address = email.strip().lower()
    return [address, f'"{address}"']


def _find_ids(
    con: duckdb.DuckDBPyConnection,
    people: Iterable[tuple[RawObject, PersonalData]],
    email: str | None,
    person_id: str | None,
) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for obj, personal in people:
        columns = _columns(con, obj.table)
        if personal.person_id is None or columns is None:
            continue
        conditions, params = [], []
        if email and personal.email in columns:
            conditions.append(_email_matches(personal.email))
            params += _email_params(email)
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
        columns = _columns(con, obj.table)
        if not ids or personal.person_id is None or columns is None:
            continue
        if personal.email not in columns or personal.refers_to:
            continue
        rows = con.execute(
            f"select distinct {personal.email} from {obj.table} "
            f"where {_in_ids(personal.person_id)} and {personal.email} is not null",
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
    columns = _columns(con, obj.table)
    if columns is None:
        return
    conditions, params = [], []
    # The person's own records, and records about them (their id is part of the key).
    for column in (personal.person_id, *(ref for ref in personal.references if ref in obj.key)):
        if column:
            conditions.append(_in_ids(column))
            params.append(ids)
    if email and personal.email in columns:
        conditions.append(_email_matches(personal.email))
        params += _email_params(email)
    if conditions:
        matched = " or ".join(conditions)
        if personal.linked_by in columns:
            linked = personal.linked_by
            matched += f" or {linked} in (select {linked} from {obj.table} where {matched})"
            params += params
        _count_removed(con, f"delete from {obj.table} where {matched}", params, obj.table, report)
    # Other records keep what is not personal: only the reference goes.
    for ref in personal.references:
        if ref in obj.key or ref not in columns:
            continue
        cleared = con.execute(
            f"update {obj.table} set {ref} = null where {_in_ids(ref)}", [ids]
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
    if _columns(con, obj.quarantine_table) is None:
        return
    conditions, params = [], []
    for column in (personal.person_id, *personal.references):
        if column:
            conditions.append(_in_ids(f"json_extract_string(raw_payload, '$.{column}')"))
            params.append(ids)
    if personal.person_id:
        conditions.append(_in_ids("record_key"))
        params.append(ids)
    if email and personal.email:
        conditions.append(_email_matches(f"json_extract_string(raw_payload, '$.{personal.email}')"))
        params += _email_params(email)
    if not conditions:
        return
    sql = f"delete from {obj.quarantine_table} where {' or '.join(conditions)}"
    _count_removed(con, sql, params, obj.quarantine_table, report)


@dataclass(frozen=True)
class _OwnRecords:
    """An employee's own records in one raw object: (owner id, source instance) pairs."""

    obj: RawObject
    employee: EmployeeData
    found: list[tuple[str, str]]

    @property
    def ids(self) -> list[str]:
        return sorted({owner_id for owner_id, _ in self.found})

    @property
    def keys(self) -> list[str]:
        """Their owner keys, as dbt builds them: ``<source system>:<instance>:<owner id>``."""
        return sorted(f"{self.obj.source_system}:{i}:{owner_id}" for owner_id, i in self.found)

    @property
    def renamed(self) -> bool:
        """Whether the owner id is itself how exports name the employee (an owners export's
        owner value, which may be their name), so it too gives way to the pseudonym."""
        return self.employee.owner_id in self.employee.references


def _find_own_records(
    con: duckdb.DuckDBPyConnection, email: str, report: ForgetReport
) -> list[_OwnRecords]:
    """The employee's own records (an owner, a user) in every object, found by address."""
    records = []
    for obj, employee in employee_objects():
        columns = _columns(con, obj.table)
        if columns is None or employee.owner_id is None or employee.email not in columns:
            continue
        found = con.execute(
            f"select distinct {employee.owner_id}, _source_instance from {obj.table} "
            f"where {_email_matches(employee.email)}",
            _email_params(email),
        ).fetchall()
        if found:
            records.append(_OwnRecords(obj, employee, found))
            report.owner_ids.setdefault(obj.source_system, set()).update(records[-1].ids)
    return records


def _pseudonymise_own_records(
    con: duckdb.DuckDBPyConnection, own: _OwnRecords, pseudonym: str, report: ForgetReport
) -> None:
    """Every version of the employee's own records gets the name ``forgotten owner <id>``
    (``<pseudonym>`` where the id itself goes), its address and other identifying fields
    cleared; quarantined ones go."""
    obj, employee = own.obj, own.employee
    columns = _columns(con, obj.table) or set()
    named, params = ("?", [pseudonym]) if own.renamed else (employee.owner_id, [])
    assignments = [f"{employee.name} = 'forgotten owner ' || {named}"]
    cleared = (employee.email, *employee.cleared)
    assignments += [f"{column} = null" for column in cleared if column in columns]
    report.pseudonymised[obj.table] = con.execute(
        f"update {obj.table} set {', '.join(assignments)} "
        f"where {_in_ids(_key_sql(obj, employee.owner_id))}",
        [*params, own.keys],
    ).fetchone()[0]
    if _columns(con, obj.quarantine_table) is not None:
        _count_removed(
            con,
            f"delete from {obj.quarantine_table} where {_in_ids('record_key')}",
            [own.ids],
            obj.quarantine_table,
            report,
        )


def _pseudonymise_references(
    con: duckdb.DuckDBPyConnection,
    email: str,
    renamed: list[_OwnRecords],
    replacement: str,
    report: ForgetReport,
) -> None:
    """An export's owner column naming the employee, by address or by an owner value of
    ``renamed`` in the same instance, gets ``replacement`` in every version; quarantined
    rows holding the address or such a value go."""
    keys = [key for own in renamed for key in own.keys]
    for obj, employee in employee_objects():
        columns = _columns(con, obj.table)
        if columns is None:
            continue
        for ref in (ref for ref in employee.references if ref in columns):
            changed = con.execute(
                f"update {obj.table} set {ref} = ? "
                f"where lower(trim({ref})) = ? or {_in_ids(_key_sql(obj, ref))}",
                [replacement, email.strip().lower(), keys],
            ).fetchone()[0]
            if changed:
                report.pseudonymised[f"{obj.table}.{ref}"] = changed
        if _columns(con, obj.quarantine_table) is not None:
            # Quarantined rows keep the record as JSON, a value in quotes, and no instance:
            # any of the source's rows holding one of the values goes.
            values = (
                v for own in renamed if own.obj.source_system == obj.source_system for v in own.ids
            )
            needles = [_email_params(email)[1], *(f'"{value.lower()}"' for value in values)]
            held = " or ".join("contains(lower(raw_payload), ?)" for _ in needles)
            _count_removed(
                con,
                f"delete from {obj.quarantine_table} where {held}",
                needles,
                obj.quarantine_table,
                report,
            )


def _count_removed(
    con: duckdb.DuckDBPyConnection, sql: str, params: list, table: str, report: ForgetReport
) -> None:
    removed = con.execute(sql, params).fetchone()[0]
    if removed:
        report.removed[table] = report.removed.get(table, 0) + removed


def _pseudonymise_employee(
    con: duckdb.DuckDBPyConnection, email: str, report: ForgetReport
) -> None:
    """Pseudonymise the employee with this address. An export naming them by address (a
    targets file, say) or by their owners-export value (perhaps their name) then names them
    by their CRM owner key, which resolves to the same owner, or, when no CRM knows them,
    by one random pseudonym in every table, so their rows still group together."""
    found = _find_own_records(con, email, report)
    kept = sorted(key for own in found if not own.renamed for key in own.keys)
    replacement = kept[0] if kept else f"forgotten-owner-{secrets.token_hex(6)}"
    # Own records first: they are found by the owner values the references then rename.
    for own in found:
        _pseudonymise_own_records(con, own, replacement, report)
    renamed = [own for own in found if own.renamed]
    _pseudonymise_references(con, email, renamed, replacement, report)


def forget_person(
    con: duckdb.DuckDBPyConnection, *, email: str | None = None, person_id: str | None = None
) -> ForgetReport:
    """Remove a person, found by email address or by their id in any source, from every raw
    and quarantine table, and pseudonymise an employee found by email address, all or
    nothing. Returns what was found, removed and pseudonymised."""
    if not (email or person_id):
        raise ValueError("give the person's email address or id")
    people = personal_objects()
    report = ForgetReport()
    with transaction(con):
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
        if email:
            _pseudonymise_employee(con, email, report)
    return report


def tables_mentioning(con: duckdb.DuckDBPyConnection, email: str) -> list[str]:
    """Every table or view with a text column holding the address ``email`` (any case, as a
    whole address, not inside a longer one): the proof that a forgotten person is gone
    everywhere, marts and history included."""
    columns = con.execute(
        "select table_schema || '.' || table_name, list(column_name) "
        "from information_schema.columns "
        "where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog') "
        "group by 1 order by 1"
    ).fetchall()
    outside = "[^a-z0-9._%+-]"  # a character no address holds: the address ends there
    pattern = f"(^|{outside}){re.escape(email.strip().lower())}($|{outside})"
    return [
        table
        for table, names in columns
        if con.execute(
            f"select count(*) from {table} where "
            + " or ".join(f'regexp_matches(lower("{name}"), ?)' for name in names),
            [pattern] * len(names),
        ).fetchone()[0]
    ]
