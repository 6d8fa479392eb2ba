"""The simulated portal's current state, and the edits that change it as HubSpot would.

Loaded once from a world folder. Tests edit it between or during syncs; every edit
behaves like HubSpot: it bumps the last-modified date, appends property history for
tracked deal properties, an archived record leaves the live listing, a merged-away record
vanishes while its survivor names it in ``hs_merged_object_ids`` and what was associated
with it moves to the survivor (as engagements do, without being modified themselves).
Engagements are served as HubSpot's engagement objects (calls, emails, meetings, notes,
tasks; see engagements.py). ``table(name)`` gives the state back in the world files'
flattened shape, which is what a sync must land.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa

from ingestion.simulator.forms import FORMS
from ingestion.simulator.history import PROPERTIES as TRACKED
from ingestion.simulator.io import load_manifest, read_table
from ingestion.simulator.schema import TABLES
from ingestion.simulator.server import engagements
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
        # (from object, to object) -> from id -> {associated id: association type id}
        self.associations: dict[tuple[str, str], dict[str, dict[str, int]]] = {}
        for to, column in ASSOCIATED.items():
            links: dict[str, dict[str, int]] = {}
            for row in read_table(world_dir, f"deal_{to}").to_pylist():
                links.setdefault(row["deal_id"], {})[row[column]] = row["association_type_id"]
            self.associations[("deals", to)] = links
        objects, engagement_links = engagements.split(read_table(world_dir, "engagements"))
        self.crm.update({name: CrmTable(name, table) for name, table in objects.items()})
        self.associations.update(engagement_links)
        self.owners = read_table(world_dir, "owners").to_pylist()
        self.pipeline_stages = read_table(world_dir, "pipeline_stages").to_pylist()
        self.forms = list(FORMS)
        self.forms_created_at = f"{manifest['start_date']}T00:00:00.000Z"
        # form guid -> its submissions, newest first as HubSpot lists them
        self.submissions: dict[str, list[dict]] = {guid: [] for guid, _, _ in FORMS}
        for row in read_table(world_dir, "form_submissions").to_pylist():
            self.submissions[row["form_id"]].append(row)
        for rows in self.submissions.values():
            rows.sort(key=lambda r: (-int(r["submitted_at"]), r["conversion_id"]))
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
            for (source, target), links in self.associations.items():
                if source == name and loser in links:  # the loser's own associations
                    moved = links.pop(loser)
                    kept = links.setdefault(survivor, {})
                    kept.update({k: v for k, v in moved.items() if k not in kept})
                if target == name:  # records associated with the loser
                    for targets in links.values():
                        if loser in targets:
                            targets.setdefault(survivor, targets.pop(loser))
            table.changed(membership=True)
            return stamp

    def create(
        self,
        name: str,
        properties: dict[str, str | None],
        associations: dict[str, str] | None = None,
        *,
        at_ms: int | None = None,
    ) -> str:
        """Create a record (an engagement logged after the world's end); returns its id.

        ``associations`` maps an object type (deals, contacts) to the id it is associated
        with, with HubSpot's default association type.
        """
        with self.lock:
            table = self.crm[name]
            unknown = set(properties) - set(table.properties)
            if unknown:
                raise KeyError(f"{name} has no properties {sorted(unknown)}")
            stamp = self._tick(at_ms)
            record_id = str(max(int(i) for c in self.crm.values() for i in c.rows) + 1)
            row = dict.fromkeys(table.columns)
            row.update(properties, id=record_id, archived=False)
            for created in ("createdate", "hs_createdate"):
                if created in table.properties:
                    row[created] = stamp
            row[table.modified] = stamp
            table.rows[record_id] = row
            for to, other in (associations or {}).items():
                kind = engagements.ASSOCIATION_TYPES[name][to]
                self.associations[(name, to)][record_id] = {other: kind}
            table.changed(membership=True)
            return record_id

    def associate(self, name: str, record_id: str, to: str, other: str) -> None:
        """Move a record's association with ``to`` to another record, as a user relinking
        a call to another deal does; the record's last-modified date does not move."""
        with self.lock:
            links = self.associations[(name, to)]
            kind = next(iter(links.get(record_id, {}).values()), None)
            links[record_id] = {other: kind or engagements.ASSOCIATION_TYPES[name][to]}

    def submit(self, row: dict) -> None:
        """A new submission (a row shaped like the world's files), listed by its time."""
        with self.lock:
            rows = self.submissions[row["form_id"]]
            rows.append(row)
            rows.sort(key=lambda r: (-int(r["submitted_at"]), r["conversion_id"]))

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
            if name in CRM_OBJECTS:
                return self._crm_table(self.crm[name])
            if name == "deal_property_history":
                return self.history.snapshot(set(self.crm["deals"].rows))
            if name.startswith("deal_") and name[5:] in ASSOCIATED:
                to = name[5:]
                rows = [
                    {"deal_id": deal, ASSOCIATED[to]: other, "association_type_id": kind}
                    for deal, targets in sorted(self.associations[("deals", to)].items())
                    for other, kind in sorted(targets.items())
                ]
                return pa.Table.from_pylist(rows, schema=TABLES[name][1])
            if name == "engagements":
                records = {obj: self.crm[obj].rows for obj in engagements.OBJECTS.values()}
                return engagements.flatten(records, self.associations)
            if name == "owners":
                return pa.Table.from_pylist(self.owners, schema=TABLES[name][1])
            if name == "pipeline_stages":
                return pa.Table.from_pylist(self.pipeline_stages, schema=TABLES[name][1])
            if name == "form_submissions":
                rows = [r for rows in self.submissions.values() for r in rows]
                rows.sort(key=lambda r: r["conversion_id"])
                return pa.Table.from_pylist(rows, schema=TABLES[name][1])
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
