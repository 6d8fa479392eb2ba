"""Forgetting a person (a right-to-erasure request) in the raw layer.

Every raw object declares where its records hold a person (:class:`PersonalData` on its
:class:`RawObject`). Forgetting finds the person's ids in each source from their email
address or an id, then, in one transaction: removes every version of their own records,
removes records about them (an association whose key holds their id), clears references
to them elsewhere (an activity keeps its deal and owner but no longer names its contact),
and removes quarantined rows that carry any of it. Everything downstream is rebuilt from
raw afterwards, so marts and history follow.

An employee (a CRM owner or user, :class:`EmployeeData`), found by address or by owner
value, is pseudonymised instead: every version of their record keeps its owner id and loses
their name and address, so deals, activities and every per-owner metric stay as they were.
A CSV owners export's owner value is both its id and how the other exports name the owner,
and may be their name: it, and their name, give way to one pseudonym in every owner column
and extra column of the instance's exports instead.

A person still in the CRM comes back with the next full sync: erase them there first.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from ingestion.csv_exports.objects import KINDS, SOURCE_SYSTEM, is_extra, raw_object
from ingestion.hubspot import objects as hubspot_objects
from ingestion.pending_forgets import record_pending_forget
from ingestion.pipedrive import objects as pipedrive_objects
from ingestion.raw.objects import EmployeeData, PersonalData, RawObject
from ingestion.raw.snapshot import quote
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


class ForgetError(Exception):
    """Whom to forget is unclear (an owner value naming owners in several instances, say):
    the message says how to choose."""


# How an export names an employee by value: (source system, instance, owner value or name).
Naming = tuple[str, str, str]


@dataclass
class ForgetReport:
    person_ids: dict[str, set[str]] = field(default_factory=dict)  # source system -> ids
    removed: dict[str, int] = field(default_factory=dict)  # table -> rows removed
    cleared: dict[str, int] = field(default_factory=dict)  # table -> references cleared
    owner_ids: dict[str, set[str]] = field(default_factory=dict)  # source system -> ids
    # table (or table.column) -> rows whose employee fields were pseudonymised
    pseudonymised: dict[str, int] = field(default_factory=dict)
    # What named the forgotten and must be in no table after the rebuild: the address, and
    # a CSV owner's value and name.
    addresses: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    # False when an employee was looked for by owner value alone: no person was.
    people_searched: bool = True

    @property
    def found(self) -> bool:
        return any(self.person_ids.values()) or bool(self.pseudonymised)

    @property
    def changed(self) -> bool:
        """Whether any raw or quarantine row changed: then the rebuild and the rest are owed."""
        return self.found or bool(self.removed)

    def lines(self) -> list[str]:
        people = ", ".join(
            f"{len(ids)} in {system}" for system, ids in self.person_ids.items() if ids
        )
        lines = [f"records of the person found: {people or 'none'}"] if self.people_searched else []
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
    """An employee's own records in one raw object: (owner id, source instance, name,
    address) of each version."""

    obj: RawObject
    employee: EmployeeData
    found: list[tuple[str, str, str | None, str | None]]

    @property
    def ids(self) -> list[str]:
        return sorted({owner_id for owner_id, *_ in self.found})

    @property
    def keys(self) -> list[str]:
        """Their owner keys, as dbt builds them: ``<source system>:<instance>:<owner id>``."""
        system = self.obj.source_system
        return sorted({f"{system}:{instance}:{owner_id}" for owner_id, instance, *_ in self.found})

    @property
    def places(self) -> set[tuple[str, str]]:
        """The (source system, instance) pairs the records are in."""
        return {(self.obj.source_system, instance) for _, instance, *_ in self.found}

    @property
    def addresses(self) -> set[str]:
        return {address.strip().lower() for *_, address in self.found if address}

    @property
    def renamed(self) -> bool:
        """Whether the owner id is itself how exports name the employee (an owners export's
        owner value, which may be their name), so it too gives way to the pseudonym."""
        return self.employee.owner_id in self.employee.references

    @property
    def namings(self) -> set[Naming]:
        """How the instance's exports may name a renamed employee: their value and name."""
        if not self.renamed:
            return set()
        system = self.obj.source_system
        return {
            (system, instance, value)
            for owner_id, instance, name, _ in self.found
            for value in (owner_id, name)
            if value
        }

    def within(self, place: tuple[str, str]) -> _OwnRecords:
        found = [row for row in self.found if (self.obj.source_system, row[1]) == place]
        return _OwnRecords(self.obj, self.employee, found)


def _find_own_records(
    con: duckdb.DuckDBPyConnection, *, email: str | None = None, owner: str | None = None
) -> list[_OwnRecords]:
    """The employee's own records (an owner, a user) in every object, found by address or
    by owner id (an owners export's owner value, exactly, case included)."""
    records = []
    for obj, employee in employee_objects():
        columns = _columns(con, obj.table)
        if columns is None or employee.owner_id is None:
            continue
        if email is None:
            condition, params = f"cast({employee.owner_id} as varchar) = ?", [owner]
        elif employee.email in columns:
            condition, params = _email_matches(employee.email), _email_params(email)
        else:
            continue
        name, address = (c if c in columns else "null" for c in (employee.name, employee.email))
        found = con.execute(
            f"select distinct {employee.owner_id}, _source_instance, {name}, {address} "
            f"from {obj.table} where {condition}",
            params,
        ).fetchall()
        if found:
            records.append(_OwnRecords(obj, employee, found))
    return records


def _merged(records: list[_OwnRecords]) -> list[_OwnRecords]:
    """One :class:`_OwnRecords` per object, of every version any of ``records`` found."""
    rows: dict[str, tuple[_OwnRecords, dict]] = {}
    for own in records:
        rows.setdefault(own.obj.table, (own, {}))[1].update(dict.fromkeys(own.found))
    return [_OwnRecords(own.obj, own.employee, list(found)) for own, found in rows.values()]


def _owner_column_places(con: duckdb.DuckDBPyConnection, owner: str) -> set[tuple[str, str]]:
    """The (source system, instance) pairs whose exports name an owner ``owner`` in an owner
    column, whether or not an owners export has a record of them."""
    places = set()
    for obj, employee in employee_objects():
        columns = _columns(con, obj.table) or set()
        for ref in (ref for ref in employee.references if ref in columns):
            rows = con.execute(
                f"select distinct _source_instance from {obj.table} where {ref} = ?", [owner]
            ).fetchall()
            places.update((obj.source_system, instance) for (instance,) in rows)
    return places


def _one_owner(
    con: duckdb.DuckDBPyConnection, owner: str, instance: str | None, found: list[_OwnRecords]
) -> tuple[list[_OwnRecords], set[Naming]]:
    """The own records of the one owner ``owner`` names, and its naming where it is a CSV
    export's owner value. An owner value is an owner only within its instance (two
    instances' "Ada Moss" are two people), so one naming owners in several needs
    ``instance`` to choose."""
    in_columns = _owner_column_places(con, owner)
    places = in_columns.union(*(own.places for own in found))
    chosen = {place for place in places if instance in (None, place[1])}
    listing = ", ".join(f"{system} {name!r}" for system, name in sorted(places))
    if len(chosen) > 1:
        raise ForgetError(
            f"the owner value names owners in {len(chosen)} source instances ({listing}), "
            "each a different person: choose one with --source-instance; nothing changed"
        )
    if instance is not None and places and not chosen:
        raise ForgetError(
            f"no owner of source instance {instance!r} has that owner value; it names owners "
            f"in {listing}: give one of those as --source-instance; nothing changed"
        )
    if not chosen:
        return [], set()
    (place,) = chosen
    # An export's owner value is renamed, with or without an owners export of the instance.
    namings = {(*place, owner)} if place in in_columns else set()
    return [own.within(place) for own in found if place in own.places], namings


def _pseudonymise_own_records(
    con: duckdb.DuckDBPyConnection, own: _OwnRecords, pseudonym: str, report: ForgetReport
) -> None:
    """Every version of the employee's own records gets the name ``forgotten owner <id>``
    (``<pseudonym>`` where the id itself goes), its address and other identifying fields
    cleared; quarantined ones go."""
    obj, employee = own.obj, own.employee
    columns = _columns(con, obj.table) or set()
    named, params = ("?", [pseudonym]) if own.renamed else (employee.owner_id, [])
    changes = {employee.name: f"'forgotten owner ' || {named}"}
    cleared = (employee.email, *employee.cleared)
    changes |= {column: "null" for column in cleared if column in columns}
    assignments = ", ".join(f"{column} = {value}" for column, value in changes.items())
    # Versions pseudonymised before (an owner forgotten by id again) are not counted again.
    differs = " or ".join(f"{column} is distinct from {value}" for column, value in changes.items())
    changed = con.execute(
        f"update {obj.table} set {assignments} "
        f"where {_in_ids(_key_sql(obj, employee.owner_id))} and ({differs})",
        [*params, own.keys, *params],
    ).fetchone()[0]
    if changed:
        report.pseudonymised[obj.table] = changed
    if _columns(con, obj.quarantine_table) is not None:
        _count_removed(
            con,
            f"delete from {obj.quarantine_table} where {_in_ids('record_key')}",
            [own.ids],
            obj.quarantine_table,
            report,
        )


def _naming_columns(obj: RawObject, columns: set[str]) -> list[str]:
    """The columns where ``obj``'s records may name an employee by value: its owner columns
    and, in a CSV export, its extra columns (a manager, say), whose meaning no mapping
    declares. Canonical fields (ids, amounts, dates) stay: an owner value may be a number."""
    references = obj.employee.references if obj.employee else ()
    named = {ref for ref in references if ref in columns}
    if obj.source_system == SOURCE_SYSTEM:
        named.update(column for column in columns if is_extra(KINDS[obj.name], column))
    return sorted(named)


def _pseudonymise_references(
    con: duckdb.DuckDBPyConnection,
    addresses: list[str],
    namings: set[Naming],
    replacement: str,
    report: ForgetReport,
) -> None:
    """A column naming the employee (see :func:`_naming_columns`) by one of ``addresses``
    (any case) or, within the same instance, exactly by a value of ``namings`` gets
    ``replacement`` in every version; quarantined rows holding any of those go."""
    keys = sorted(f"{system}:{instance}:{value}" for system, instance, value in namings)
    for obj in _raw_objects():
        if obj.employee is None and obj.source_system != SOURCE_SYSTEM:
            continue
        columns = _columns(con, obj.table)
        if columns is None:
            continue
        for column in _naming_columns(obj, columns):
            quoted = quote(column)
            changed = con.execute(
                f"update {obj.table} set {quoted} = ? "
                f"where {_in_ids(f'lower(trim({quoted}))')} or {_in_ids(_key_sql(obj, quoted))}",
                [replacement, addresses, keys],
            ).fetchone()[0]
            if changed:
                report.pseudonymised[f"{obj.table}.{column}"] = changed
        # Quarantined rows keep the record as JSON, a value in quotes, and no instance: any
        # of the source's rows holding one of the values goes.
        values = [value for system, _, value in namings if system == obj.source_system]
        needles = [f'"{text.lower()}"' for text in (*addresses, *values)]
        if needles and _columns(con, obj.quarantine_table) is not None:
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
    con: duckdb.DuckDBPyConnection,
    report: ForgetReport,
    *,
    email: str | None = None,
    owner: str | None = None,
    instance: str | None = None,
) -> None:
    """Pseudonymise the employee with this address or owner value. An export naming them by
    address (a targets file, say) or by their owners-export value or name then names them
    by their CRM owner key, which resolves to the same owner, or, when no CRM knows them,
    by one random pseudonym in every table, so their rows still group together."""
    if owner is None:
        found, namings = _find_own_records(con, email=email), set()
        addresses = [email.strip().lower()]
    else:
        found, namings = _one_owner(con, owner, instance, _find_own_records(con, owner=owner))
        # Their addresses name them too: in exports (a targets file), and in their records
        # elsewhere (a CRM user also in an owners export), theirs as when found by address.
        addresses = sorted({address for own in found for address in own.addresses})
        found = _merged([*found, *(o for a in addresses for o in _find_own_records(con, email=a))])
    namings.update(naming for own in found for naming in own.namings)
    for own in found:
        report.owner_ids.setdefault(own.obj.source_system, set()).update(own.ids)
    kept = sorted(key for own in found if not own.renamed for key in own.keys)
    replacement = kept[0] if kept else f"forgotten-owner-{secrets.token_hex(6)}"
    # Own records first: they are found by the owner values the references then rename.
    for own in found:
        _pseudonymise_own_records(con, own, replacement, report)
    _pseudonymise_references(con, addresses, namings, replacement, report)
    report.addresses.update(addresses)
    report.names.update(value for *_, value in namings)


def _forget_people(
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


def forget_person(
    con: duckdb.DuckDBPyConnection,
    *,
    email: str | None = None,
    person_id: str | None = None,
    owner: str | None = None,
    source_instance: str | None = None,
) -> ForgetReport:
    """Remove a person, found by email address or by their id in any source, from every raw
    and quarantine table, and pseudonymise an employee found by email address; or, given
    ``owner`` instead (an export's owner value, a CRM owner or user id; of
    ``source_instance`` where it names owners in several), pseudonymise that employee. All
    or nothing, together with the record that the rebuild and what follows it are owed
    (ingestion.pending_forgets). Returns what was found, removed and pseudonymised."""
    if bool(owner) == bool(email or person_id):
        raise ValueError("give the person's email address or id, or else an owner value")
    if source_instance is not None and not owner:
        raise ForgetError("--source-instance chooses whose owner value --owner is: give both")
    report = ForgetReport(people_searched=not owner)
    with transaction(con):
        if owner:
            _pseudonymise_employee(con, report, owner=owner, instance=source_instance)
        else:
            _forget_people(con, email, person_id, report)
        if email:
            _pseudonymise_employee(con, report, email=email)
        if report.changed:
            record_pending_forget(con)
    return report


def tables_mentioning(con: duckdb.DuckDBPyConnection, *texts: str) -> list[str]:
    """Every table or view with a text column holding one of ``texts`` (an address, a name;
    any case, as a whole, not inside a longer word or address): the proof that a forgotten
    person is gone everywhere, marts and history included."""
    columns = con.execute(
        "select table_schema || '.' || table_name, list(column_name) "
        "from information_schema.columns "
        "where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog') "
        "group by 1 order by 1"
    ).fetchall()
    outside = "[^a-z0-9._%+-]"  # a character no address holds: the address ends there
    held = "|".join(re.escape(text.strip().lower()) for text in texts)
    pattern = f"(^|{outside})({held})($|{outside})"
    return [
        table
        for table, names in columns
        if con.execute(
            f"select count(*) from {table} where "
            + " or ".join(f'regexp_matches(lower("{name}"), ?)' for name in names),
            [pattern] * len(names),
        ).fetchone()[0]
    ]
