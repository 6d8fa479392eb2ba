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

The package: report.py (what a forget found and did), raw_tables.py (which raw objects hold
people and employees, and the SQL pieces every step shares), people.py (removing a person),
employees.py (pseudonymising an employee); here, the one transaction around them and the
check that nothing is left.
"""

from __future__ import annotations

import re

import duckdb

from ingestion.pending_forgets import record_pending_forget
from ingestion.privacy.employees import pseudonymise_employee
from ingestion.privacy.people import forget_people
from ingestion.privacy.report import ForgetError, ForgetReport
from ingestion.warehouse import transaction

__all__ = ["ForgetError", "ForgetReport", "forget_person", "tables_mentioning"]


def forget_person(
    con: duckdb.DuckDBPyConnection,
    *,
    email: str | None = None,
    person_id: str | None = None,
    owner: str | None = None,
    source_instance: str | None = None,
) -> ForgetReport:
    """Remove a person, found by email address or by their id in any source (of
    ``source_instance`` where several instances hold that id), from every raw and
    quarantine table, and pseudonymise an employee found by email address; or, given
    ``owner`` instead (an export's owner value, a CRM owner or user id; of
    ``source_instance`` where it names owners in several), pseudonymise that employee. All
    or nothing, together with the record that the rebuild and what follows it are owed
    (ingestion.pending_forgets). Returns what was found, removed and pseudonymised."""
    if bool(owner) == bool(email or person_id):
        raise ValueError("give the person's email address or id, or else an owner value")
    if source_instance is not None and not (owner or person_id):
        raise ForgetError(
            "--source-instance chooses among the instances whose records an --owner value or "
            "a --contact-id names: give one of them with it"
        )
    report = ForgetReport(people_searched=not owner)
    with transaction(con):
        if owner:
            pseudonymise_employee(con, report, owner=owner, instance=source_instance)
        else:
            forget_people(con, email, person_id, source_instance, report)
        if email:
            pseudonymise_employee(con, report, email=email)
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
