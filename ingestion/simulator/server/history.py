"""Deal property history: the world's flattened rows, regrouped per deal on demand.

A 100k-deal world has over a million history rows; as Python dicts they would cost
gigabytes, so they stay one Arrow table sorted by deal, with each deal's row range
indexed, and only the entries that edits add are kept as dicts.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.simulator.schema import HUBSPOT_DEAL_PROPERTY_HISTORY


class History:
    def __init__(self, table: pa.Table) -> None:
        self.table = table.sort_by("deal_id")
        ids = self.table["deal_id"].to_numpy(zero_copy_only=False)
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else ids
        ends = np.r_[starts[1:], len(ids)] if len(ids) else ids
        self.ranges = {ids[s]: (int(s), int(e)) for s, e in zip(starts, ends, strict=True)}
        self.added: dict[str, list[dict]] = defaultdict(list)

    def rows(self, deal_id: str) -> list[dict]:
        """Every history row of one deal, flattened, in no particular order."""
        start, end = self.ranges.get(deal_id, (0, 0))
        return self.table.slice(start, end - start).to_pylist() + self.added.get(deal_id, [])

    def nested(self, deal_id: str, properties: list[str]) -> dict[str, list[dict]]:
        """propertiesWithHistory of one deal, as the API nests it."""
        out: dict[str, list[dict]] = {}
        for row in self.rows(deal_id):
            if row["property"] in properties:
                out.setdefault(row["property"], []).append(_entry(row))
        return out

    def add(self, deal_id: str, prop: str, value: str | None, timestamp: str) -> None:
        self.added[deal_id].append(
            {
                "deal_id": deal_id,
                "property": prop,
                "value": value,
                "timestamp": timestamp,
                "source_type": "API",
                "source_id": "integration:simulator",
                "updated_by_user_id": None,
            }
        )

    def snapshot(self, deal_ids: set[str]) -> pa.Table:
        """The rows of the given deals (those the API still lists), in the files' shape."""
        base = self.table.filter(pc.is_in(self.table["deal_id"], pa.array(sorted(deal_ids))))
        extra = [row for deal in sorted(deal_ids) for row in self.added.get(deal, [])]
        added = pa.Table.from_pylist(extra, schema=HUBSPOT_DEAL_PROPERTY_HISTORY)
        return pa.concat_tables([base, added])


def _entry(row: dict) -> dict:
    """One history entry; HubSpot leaves out sourceId and updatedByUserId when unknown."""
    entry = {"value": row["value"], "timestamp": row["timestamp"], "sourceType": row["source_type"]}
    if row["source_id"] is not None:
        entry["sourceId"] = row["source_id"]
    if row["updated_by_user_id"] is not None:
        entry["updatedByUserId"] = int(row["updated_by_user_id"])
    return entry
