"""What a forget found and did, and the error that stops one before it changes anything."""

from __future__ import annotations

from dataclasses import dataclass, field


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
