"""The simulated portal's current state, and the edits that change it as HubSpot would.

Loaded once from a world folder. Tests edit it between or during syncs; every edit
behaves like HubSpot: it bumps the last-modified date, appends property history for
tracked deal properties, an archived record leaves the live listing, a merged-away record
vanishes while its survivor names it in ``hs_merged_object_ids``. ``table(name)`` gives the
state back in the world files' flattened shape, which is what a sync must land.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa

from ingestion.simulator.history import PROPERTIES as TRACKED
from ingestion.simulator.io import load_manifest, read_table
from ingestion.simulator.schema import TABLES
from ingestion.simulator.server.history import History
from ingestion.simulator.server.records import RECORD_FIELDS, CrmTable, iso_ms, ms_iso

CRM_OBJECTS = ("deals", "contacts", "companies")
ASSOCIATED = {"contacts": "contact_id", "companies": "company_id"}
EDIT_STEP_MS = 1000


class WorldState:
    """Everything the API serves, behind one lock (the server answers on several threads)."""

    def __init__(self, world_dir: Path) -> None:
        manifest = load_manifest(world_dir)
        self.portal_id = int(manifest["portal_id"])
        self.lock = threading.RLock()
        self.crm = {name: CrmTable(name, read_table(world_dir, name)) for name in CRM_OBJECTS}
        self.history = History(read_table(world_dir, "deal_property_history"))
        # to object -> deal id -> {associated id: association type id}
        self.associations: dict[str, dict[str, dict[str, int]]] = {}
        for to, column in ASSOCIATED.items():
            links: dict[str, dict[str, int]] = {}
            for row in read_table(world_dir, f"deal_{to}").to_pylist():
                links.setdefault(row["deal_id"], {})[row[column]] = row["association_type_id"]
            self.associations[to] = links
        self.owners = read_table(world_dir, "owners").to_pylist()
        self.pipeline_stages = read_table(world_dir, "pipeline_stages").to_pylist()
        # Edits happen after the world's last moment, one second apart unless told otherwise.
        end = date.fromisoformat(manifest["end_date"]) + timedelta(days=1)
        self.now_ms = iso_ms(f"{end.isoformat()}T00:00:00.000Z") or 0

    def _tick(self, at_ms: int | None) -> str:
        self.now_ms = at_ms if at_ms is not None else self.now_ms + EDIT_STEP_MS
        return ms_iso(self.now_ms)

    # --- edits -----------------------------------------------------------------------

    def update(
        self,
        name: str,
        record_id: str,
        changes: dict[str, str | None],
        *,
        at_ms: int | None = None,
        indexed: bool = True,
    ) -> str:
        """Edit one record; returns its new last-modified timestamp.

        ``indexed=False`` models search-index lag: the edit is live, but search does not
        see the record until :meth:`reindex`.
        """
        return self.bulk_update(name, [record_id], changes, at_ms=at_ms, indexed=indexed)

    def bulk_update(
        self,
        name: str,
        record_ids: Iterable[str],
        changes: dict[str, str | None],
        *,
        at_ms: int | None = None,
        indexed: bool = True,
    ) -> str:
        """Edit many records with one identical last-modified timestamp, like a bulk edit."""
        with self.lock:
            table = self.crm[name]
            unknown = set(changes) - set(table.properties)
            if unknown:
                raise KeyError(f"{name} has no properties {sorted(unknown)}: add_property first")
            stamp = self._tick(at_ms)
            for record_id in record_ids:
                row = table.rows[record_id]
                for prop, value in changes.items():
                    if name == "deals" and prop in TRACKED and row.get(prop) != value:
                        self.history.add(record_id, prop, value, stamp)
                    row[prop] = value
                row[table.modified] = stamp
                if indexed:
                    table.unindexed.discard(record_id)
                else:
                    table.unindexed.add(record_id)
            table.changed()
            return stamp

    def archive(self, name: str, record_id: str, *, at_ms: int | None = None) -> str:
        """Delete a record: it leaves the live listing and search, and lists as archived."""
        with self.lock:
            table = self.crm[name]
            stamp = self._tick(at_ms)
            row = table.rows[record_id]
            row["archived"] = True
            if "archived_at" in table.columns:
                row["archived_at"] = stamp
            table.changed(membership=True)
            return stamp

    def merge(self, name: str, survivor: str, loser: str, *, at_ms: int | None = None) -> str:
        """Merge ``loser`` into ``survivor``: the loser vanishes, its associations move over."""
        with self.lock:
            table = self.crm[name]
            if "hs_merged_object_ids" not in table.properties:
                raise ValueError(f"{name} cannot be merged in this simulator")
            stamp = self._tick(at_ms)
            del table.rows[loser]
            table.unindexed.discard(loser)
            row = table.rows[survivor]
            merged = [i for i in (row.get("hs_merged_object_ids") or "").split(";") if i]
            row["hs_merged_object_ids"] = ";".join([*merged, loser])
            row[table.modified] = stamp
            if name == "deals":
                for links in self.associations.values():
                    moved = links.pop(loser, {})
                    links.setdefault(survivor, {}).update(
                        {k: v for k, v in moved.items() if k not in links.get(survivor, {})}
                    )
            if name == "contacts":
                for targets in self.associations["contacts"].values():
                    if loser in targets:
                        kind = targets.pop(loser)
                        targets.setdefault(survivor, kind)
            table.changed(membership=True)
            return stamp

    def add_property(self, name: str, prop: str) -> None:
        """Create a custom property (schema drift); every record starts with no value."""
        with self.lock:
            table = self.crm[name]
            table.properties[prop] = ("string", False)
            if prop not in table.columns:
                table.columns.append(prop)
            table.changed()

    def remove_property(self, name: str, prop: str) -> None:
        """Delete a property: the API stops returning it, even when asked for it."""
        with self.lock:
            table = self.crm[name]
            del table.properties[prop]
            table.changed()

    def reindex(self) -> None:
        """The search index catches up with every edit."""
        with self.lock:
            for table in self.crm.values():
                table.unindexed.clear()
                table.changed()

    # --- the state in the files' shape ---------------------------------------------------

    def table(self, name: str) -> pa.Table:
        """The current state of one HubSpot table, flattened exactly like the world's files
        (plus custom properties, minus deleted ones), sorted by key."""
        with self.lock:
            if name in self.crm:
                return self._crm_table(self.crm[name])
            if name == "deal_property_history":
                return self.history.snapshot(set(self.crm["deals"].rows))
            if name.startswith("deal_") and name[5:] in ASSOCIATED:
                to = name[5:]
                rows = [
                    {"deal_id": deal, ASSOCIATED[to]: other, "association_type_id": kind}
                    for deal, targets in sorted(self.associations[to].items())
                    for other, kind in sorted(targets.items())
                ]
                return pa.Table.from_pylist(rows, schema=TABLES[name][1])
            if name == "owners":
                return pa.Table.from_pylist(self.owners, schema=TABLES[name][1])
            if name == "pipeline_stages":
                return pa.Table.from_pylist(self.pipeline_stages, schema=TABLES[name][1])
            raise KeyError(f"no HubSpot table {name!r} in the simulator")

    def _crm_table(self, table: CrmTable) -> pa.Table:
        base = TABLES[table.name][1]
        fields = [f for f in base if f.name in RECORD_FIELDS or f.name in table.properties]
        fields += [
            pa.field(c, pa.string())
            for c in table.columns
            if c not in base.names and c in table.properties
        ]
        rows = [table.rows[i] for i in sorted(table.rows, key=int)]
        return pa.Table.from_pylist(rows, schema=pa.schema(fields))
