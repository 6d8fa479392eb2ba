"""Pseudonymising an employee (a CRM owner or user, a CSV owner): every version of their
own records keeps its owner id and loses their name and address, and whatever names them
by address, owner value or name gives way to one pseudonym."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import duckdb

from ingestion.csv_exports.objects import KINDS, SOURCE_SYSTEM, is_extra
from ingestion.privacy.raw_tables import (
    count_removed,
    dbt_key,
    email_matches,
    email_params,
    employee_objects,
    in_ids,
    key_sql,
    raw_objects,
    table_columns,
)
from ingestion.privacy.report import ForgetError, ForgetReport, Naming
from ingestion.raw.objects import EmployeeData, RawObject
from ingestion.raw.snapshot import quote


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
        return sorted({dbt_key(system, instance, own_id) for own_id, instance, *_ in self.found})

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
        columns = table_columns(con, obj.table)
        if columns is None or employee.owner_id is None:
            continue
        if email is None:
            condition, params = f"cast({employee.owner_id} as varchar) = ?", [owner]
        elif employee.email in columns:
            condition, params = email_matches(employee.email), email_params(email)
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
        columns = table_columns(con, obj.table) or set()
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
    columns = table_columns(con, obj.table) or set()
    named, params = ("?", [pseudonym]) if own.renamed else (employee.owner_id, [])
    changes = {employee.name: f"'forgotten owner ' || {named}"}
    cleared = (employee.email, *employee.cleared)
    changes |= {column: "null" for column in cleared if column in columns}
    assignments = ", ".join(f"{column} = {value}" for column, value in changes.items())
    # Versions pseudonymised before (an owner forgotten by id again) are not counted again.
    differs = " or ".join(f"{column} is distinct from {value}" for column, value in changes.items())
    changed = con.execute(
        f"update {obj.table} set {assignments} "
        f"where {in_ids(key_sql(obj, employee.owner_id))} and ({differs})",
        [*params, own.keys, *params],
    ).fetchone()[0]
    if changed:
        report.pseudonymised[obj.table] = changed
    if table_columns(con, obj.quarantine_table) is not None:
        count_removed(
            con,
            f"delete from {obj.quarantine_table} where {in_ids('record_key')}",
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
    keys = sorted(dbt_key(*naming) for naming in namings)
    for obj in raw_objects():
        if obj.employee is None and obj.source_system != SOURCE_SYSTEM:
            continue
        columns = table_columns(con, obj.table)
        if columns is None:
            continue
        for column in _naming_columns(obj, columns):
            quoted = quote(column)
            changed = con.execute(
                f"update {obj.table} set {quoted} = ? "
                f"where {in_ids(f'lower(trim({quoted}))')} or {in_ids(key_sql(obj, quoted))}",
                [replacement, addresses, keys],
            ).fetchone()[0]
            if changed:
                report.pseudonymised[f"{obj.table}.{column}"] = changed
        # Quarantined rows keep the record as JSON, a value in quotes, and no instance: any
        # of the source's rows holding one of the values goes.
        values = [value for system, _, value in namings if system == obj.source_system]
        needles = [f'"{text.lower()}"' for text in (*addresses, *values)]
        if needles and table_columns(con, obj.quarantine_table) is not None:
            held = " or ".join("contains(lower(raw_payload), ?)" for _ in needles)
            count_removed(
                con,
                f"delete from {obj.quarantine_table} where {held}",
                needles,
                obj.quarantine_table,
                report,
            )


def pseudonymise_employee(
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
