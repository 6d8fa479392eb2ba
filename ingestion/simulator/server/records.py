"""One CRM object type (deals, contacts, companies, calls...) as the HubSpot API holds it.

Records are kept flattened, exactly as the world's files hold them (every property a
string), so the server's state can be compared column by column with what a connector
lands. Listing walks ids in ascending order (a keyset, so edits during a listing never
shift a page); search filters and sorts like HubSpot's search endpoint.
"""

from __future__ import annotations

import bisect
import functools
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

# Columns of a flattened record that are not properties of the API record.
RECORD_FIELDS = ("id", "archived", "archived_at")
MODIFIED = {"deals": "hs_lastmodifieddate", "contacts": "lastmodifieddate"}
DEFAULT_MODIFIED = "hs_lastmodifieddate"
NUMBER_PROPERTIES = {
    "amount",
    "numberofemployees",
    "annualrevenue",
    "hs_object_id",
    "hs_call_duration",
}
# Datetime properties whose names do not end in "date".
DATETIME_PROPERTIES = {"hs_timestamp", "hs_meeting_start_time", "hs_meeting_end_time"}
OPERATORS: dict[str, Callable[[object, object], bool]] = {
    "EQ": lambda a, b: a == b,
    "NEQ": lambda a, b: a != b,
    "GT": lambda a, b: a > b,
    "GTE": lambda a, b: a >= b,
    "LT": lambda a, b: a < b,
    "LTE": lambda a, b: a <= b,
}


# Range operators on the sort property, as (lower-bound, upper-bound) bisections.
RANGES = {
    "EQ": (bisect.bisect_left, bisect.bisect_right),
    "GT": (bisect.bisect_right, None),
    "GTE": (bisect.bisect_left, None),
    "LT": (None, bisect.bisect_left),
    "LTE": (None, bisect.bisect_right),
}


def _first(item: tuple) -> object:
    return item[0]


class SearchError(ValueError):
    """A search request HubSpot would reject with HTTP 400."""


@functools.lru_cache(maxsize=1 << 20)
def iso_ms(value: str | None) -> int | None:
    """HubSpot's ISO timestamp (2024-01-10T09:15:02.113Z) as epoch ms; None if unparsable.

    Cached: search compares every record's dates on every request.
    """
    if not value:
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def ms_iso(ms: int) -> str:
    """Epoch ms as HubSpot writes it: millisecond precision and a Z."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def property_type(name: str) -> str:
    if name in NUMBER_PROPERTIES:
        return "number"
    if name.endswith("date") or name in DATETIME_PROPERTIES:
        return "datetime"  # createdate, hs_lastmodifieddate, hs_lifecyclestage_*_date...
    return "string"


class CrmTable:
    """The records of one object type, mutable, with HubSpot's list and search semantics."""

    def __init__(self, name: str, table: pa.Table) -> None:
        self.name = name
        self.modified = MODIFIED.get(name, DEFAULT_MODIFIED)
        self.columns = list(table.column_names)
        # name -> (type, hubspotDefined); hs_object_id exists on every object, as in HubSpot.
        self.properties: dict[str, tuple[str, bool]] = {
            c: (property_type(c), True) for c in self.columns if c not in RECORD_FIELDS
        }
        self.properties["hs_object_id"] = ("number", True)
        self.rows: dict[str, dict] = {row["id"]: row for row in table.to_pylist()}
        self.unindexed: set[str] = set()  # edited, not yet visible to search (index lag)
        self.version = 0
        self._listing: dict[bool, np.ndarray] | None = None
        self._searches: dict[tuple, tuple[list[tuple], list[str]]] = {}

    def changed(self, membership: bool = False) -> None:
        """Invalidate caches after an edit (membership: a record appeared or vanished)."""
        self.version += 1
        self._searches.clear()
        if membership:
            self._listing = None

    def value(self, prop: str, row: dict) -> object:
        """A property's value as search compares it: numbers, epoch ms, or strings."""
        if prop == "hs_object_id":
            return int(row["id"])
        raw = row.get(prop)
        kind = self.properties.get(prop, ("string", True))[0]
        if raw is None or kind == "string":
            return raw
        if kind == "datetime":
            return iso_ms(raw)
        try:
            return float(raw)
        except ValueError:
            return None

    def list_page(self, archived: bool, after_id: int | None, limit: int) -> tuple[list[str], bool]:
        """Ids of one page of the list endpoint, and whether another page follows."""
        if self._listing is None:
            ids = np.array(sorted(int(i) for i in self.rows), dtype=np.int64)
            flags = np.array([self.rows[str(i)]["archived"] for i in ids], dtype=bool)
            self._listing = {False: ids[~flags], True: ids[flags]}
        ids = self._listing[archived]
        start = 0 if after_id is None else int(np.searchsorted(ids, after_id, side="right"))
        chunk = ids[start : start + limit]
        return [str(i) for i in chunk], start + limit < len(ids)

    def search(self, filter_groups: list[dict], sorts: list[dict]) -> list[str]:
        """Ids of live, indexed records matching any filter group, in the requested order.

        Range filters on the sort property are applied by bisection on a cached ordering,
        so paging through a large result by re-querying past the last value stays cheap.
        Ties keep a fixed order that is deliberately not the id order, as a reminder that
        HubSpot promises none.
        """
        if len(sorts) > 1:
            raise SearchError("only one sort is allowed")
        sort = sorts[0] if sorts else {"propertyName": "hs_object_id", "direction": "ASCENDING"}
        prop = sort["propertyName"]
        if prop not in self.properties:
            raise SearchError(f"cannot sort on unknown property {prop!r}")
        groups = [group.get("filters") or [] for group in filter_groups]
        bounds: list[dict] = []
        if len(groups) == 1:
            bounds = [
                f
                for f in groups[0]
                if f.get("propertyName") == prop and f.get("operator") in RANGES
            ]
            groups = [[f for f in groups[0] if f not in bounds]]
        present, missing = self._ordered(groups, prop)
        lo, hi = 0, len(present)
        for spec in bounds:
            target = self._filter_value(prop, spec.get("value"))
            low_side, high_side = RANGES[spec["operator"]]
            if low_side:
                lo = max(lo, low_side(present, target, key=_first))
            if high_side:
                hi = min(hi, high_side(present, target, key=_first))
        ids = [rid for _, _, rid in present[lo:hi]]
        if sort.get("direction", "ASCENDING") == "DESCENDING":
            ids.reverse()
        return ids if bounds else ids + missing

    def _ordered(self, groups: list[list[dict]], prop: str) -> tuple[list[tuple], list[str]]:
        """Matching records as ascending (value, tie-breaker, id), and ids lacking a value."""
        key = (repr(groups), prop)
        if key not in self._searches:
            tests = [[self._predicate(f) for f in group] for group in groups if group]
            keyed = [
                (self.value(prop, row), row["id"])
                for row in self._searchable()
                if not tests or any(all(t(row) for t in group) for group in tests)
            ]
            present = sorted(
                (v, zlib.crc32(rid.encode()), rid) for v, rid in keyed if v is not None
            )
            self._searches[key] = (present, [rid for v, rid in keyed if v is None])
        return self._searches[key]

    def _searchable(self) -> Iterable[dict]:
        return (
            row
            for rid, row in self.rows.items()
            if not row["archived"] and rid not in self.unindexed
        )

    def _predicate(self, spec: dict) -> Callable[[dict], bool]:
        prop, operator = spec.get("propertyName"), spec.get("operator")
        if prop not in self.properties:
            raise SearchError(f"There was a problem with the request: unknown property {prop!r}")
        if operator == "HAS_PROPERTY":
            return lambda row: self.value(prop, row) is not None
        if operator == "NOT_HAS_PROPERTY":
            return lambda row: self.value(prop, row) is None
        if operator not in OPERATORS:
            raise SearchError(f"operator {operator!r} is not supported")
        compare = OPERATORS[operator]
        target = self._filter_value(prop, spec.get("value"))

        def test(row: dict) -> bool:
            v = self.value(prop, row)
            return v is not None and compare(v, target)

        return test

    def _filter_value(self, prop: str, raw: object) -> object:
        kind = self.properties[prop][0]
        try:
            if kind == "datetime":
                return int(str(raw))  # HubSpot takes dates as epoch-millisecond strings
            if kind == "number":
                return float(str(raw))
        except ValueError as exc:
            raise SearchError(f"{prop}: {raw!r} is not a valid {kind} value") from exc
        return str(raw)
