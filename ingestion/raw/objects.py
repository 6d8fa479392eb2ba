"""How a source object is landed: its key, its kind, and the rules a record must pass.

Each source module declares its objects with these classes, so the rules that send
a record to quarantine live beside the object they guard, and one loader applies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ObjectKind(StrEnum):
    # A record with an identity that changes over time (a deal): every new version is kept.
    ENTITY = "entity"
    # An immutable entry (a property-history row, an association): kept once.
    EVENT = "event"


@dataclass(frozen=True)
class Rule:
    """A record-level check. ``violated`` and ``reason`` are SQL over the record's columns."""

    name: str
    field: str
    violated: str
    reason: str


@dataclass(frozen=True)
class PersonalData:
    """Where an object's records hold a person (a contact, a lead), so that
    `funnelhouse forget` can find and remove them."""

    # The records are a person's own (a contact, a lead, a visitor's event), holding their
    # id in this column...
    person_id: str | None = None
    # ...with their email address here (plain, or a JSON list of addresses).
    email: str | None = None
    # Ids of people merged into this one (HubSpot's ';'-separated hs_merged_object_ids).
    merged_ids: str | None = None
    # Columns of other records that point at a person by id: a record whose key holds one
    # is about the person and is removed; elsewhere the reference is cleared.
    references: tuple[str, ...] = ()
    # The source system whose person ids these columns hold (default: the object's own).
    refers_to: str | None = None
    # Records sharing this column's value with a record of the person are theirs too (a
    # web visitor's anonymous id, from before they identified themselves).
    linked_by: str | None = None


@dataclass(frozen=True)
class EmployeeData:
    """Where an object's records hold an employee (a CRM owner or user), so that
    `funnelhouse forget` can pseudonymise them.

    Employees are pseudonymised, not deleted: deals, activities and targets point at their
    owner id, and removing an owner would change every per-owner metric and drop deals out
    of team totals. So the id stays, the name becomes ``forgotten owner <id>`` and the other
    identifying fields are cleared.
    """

    # The records are an employee's own (an owner, a user), with their id in this column...
    owner_id: str | None = None
    # ...their email address here...
    email: str | None = None
    # ...and their name here, which gets the pseudonym.
    name: str | None = None
    # Other columns that identify them (another part of the name, a login), cleared.
    cleared: tuple[str, ...] = ()
    # Columns of other records naming an owner by email address (an export's owner column,
    # where the address is the owner's only id): the address gives way to one pseudonym,
    # the same in every table, so their records still group together. Where ``owner_id``
    # is one of them (an owners export, whose owner value other exports use, perhaps the
    # owner's name), that value gives way to the pseudonym too, in every such column; and
    # so do it, the name and the address in a CSV export's extra columns (a manager).
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class RawObject:
    source_system: str
    name: str
    key: tuple[str, ...]
    kind: ObjectKind = ObjectKind.ENTITY
    rules: tuple[Rule, ...] = ()
    # Among copies of one key in a single load, the greatest value here wins.
    updated_column: str | None = None
    personal: PersonalData | None = None
    employee: EmployeeData | None = None

    @property
    def schema(self) -> str:
        return f"raw_{self.source_system}"

    @property
    def table(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def quarantine_table(self) -> str:
        return f"quarantine.{self.source_system}__{self.name}"


def required(field: str) -> Rule:
    return Rule(
        name=f"{field}_missing",
        field=field,
        violated=f"{field} is null or trim({field}) = ''",
        reason=f"'{field} is missing'",
    )


def timestamp_string(field: str, *, nullable: bool = True) -> Rule:
    """The value must parse as an ISO-8601 timestamp (date-only allowed)."""
    null_check = f"{field} is not null and " if nullable else ""
    return Rule(
        name=f"{field}_unparsable",
        field=field,
        violated=f"{null_check}try_cast({field} as timestamptz) is null",
        reason=f"'{field} ' || coalesce('''' || {field} || '''', 'null') "
        "|| ' is not an ISO-8601 timestamp'",
    )


def decimal_string(field: str) -> Rule:
    """The value, when present, must be a plain decimal number such as 1200.50."""
    return Rule(
        name=f"{field}_not_numeric",
        field=field,
        violated=f"{field} is not null and trim({field}) <> '' "
        f"and try_cast({field} as decimal(38, 6)) is null",
        reason=f"'{field} ''' || {field} || ''' is not a plain decimal number'",
    )


def non_negative(field: str) -> Rule:
    return Rule(
        name=f"{field}_negative",
        field=field,
        violated=f"try_cast({field} as decimal(38, 6)) < 0",
        reason=f"'{field} ' || {field} || ' is negative'",
    )


def epoch_ms_string(field: str) -> Rule:
    """The value must be epoch milliseconds (HubSpot's submittedAt), 10 to 13 digits."""
    return Rule(
        name=f"{field}_unparsable",
        field=field,
        violated=f"not regexp_full_match(coalesce(trim({field}), ''), '[0-9]{{10,13}}')",
        reason=f"'{field} ' || coalesce('''' || {field} || '''', 'null') "
        "|| ' is not epoch milliseconds'",
    )
