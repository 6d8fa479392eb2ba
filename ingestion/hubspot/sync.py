"""Sync HubSpot into ``raw_hubspot`` over its API: full snapshots or incremental reads.

Objects are read in groups (reference data; deals with their history and associations;
contacts; companies; engagements). Each group is spooled to temporary Parquet page by
page, then landed through the raw loader in ONE DuckDB transaction together with its
cursors, so a crash at any point leaves every table and cursor as the last commit left
them, and a rerun neither loses nor duplicates anything.

A full sync lists every record, live and archived (deleted), and lands complete
snapshots: what HubSpot no longer lists is marked vanished. Its cursor is the newest
last-modified time search knew before listing began, so an edit made during the listing
is re-read next time. An incremental sync searches for records modified since the cursor
minus an overlap (HubSpot's search index lags), reads their history in batches of 50,
lists archived records to flag deletions, and tombstones records merged away.

Engagements (calls, emails, meetings, notes, tasks) are five API objects with a cursor
each, landed together in raw_hubspot.engagements, the deal and contact taken from their
associations; see :func:`~ingestion.hubspot.reads.read_engagements`. Form submissions
are read per form, newest first, down to their cursor (the newest submittedAt landed)
less the overlap; see :func:`~ingestion.hubspot.reads.read_form_submissions`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from ingestion.hubspot import extract, objects
from ingestion.hubspot.client import HubSpotClient
from ingestion.hubspot.merges import TOMBSTONES, vanish_merged
from ingestion.hubspot.reads import (
    Landing,
    Reader,
    Tally,
    read_crm,
    read_engagements,
    read_form_submissions,
    read_reference,
)
from ingestion.hubspot.records import CRM_OBJECTS, ENGAGEMENT_TYPES, CrmObject
from ingestion.hubspot.spool import Spool
from ingestion.raw.cursors import read_cursor, write_cursor
from ingestion.raw.snapshot import LoadStats, load_snapshot, vanish
from ingestion.raw.syncs import ObjectStats
from ingestion.warehouse import transaction

OVERLAP = timedelta(minutes=5)
CURSOR_SCHEMA = "raw_hubspot"
# What lands in one transaction each, in sync order (None: owners and pipelines).
GROUPS = (None, *CRM_OBJECTS, objects.ENGAGEMENTS, objects.FORM_SUBMISSIONS)


def sync_hubspot(
    con: duckdb.DuckDBPyConnection,
    client: HubSpotClient,
    *,
    full: bool,
    load_id: str,
    loaded_at: datetime,
    progress: Callable[[str], None] = lambda _: None,
    overlap: timedelta = OVERLAP,
    work_dir: Path | None = None,
    groups: Collection[str] | None = None,
) -> dict[str, ObjectStats]:
    """Read HubSpot and land every object in ``raw_hubspot``; returns stats per raw object.

    ``full=False`` reads deals, contacts, companies and engagements incrementally from
    their cursors (an object without a cursor yet gets a full read); owners and pipelines,
    being small, are always read whole. ``work_dir`` holds the temporary Parquet spool.
    ``groups`` limits the sync to some groups, named by their object (``deals``,
    ``contacts``, ``companies``, ``engagements``; ``reference`` for owners and pipelines),
    as a benchmark of one object does; None syncs them all.

    Each group commits on its own (call this outside a transaction): when a read fails
    with a :class:`~ingestion.hubspot.errors.HubSpotError`, or anything else, the groups
    before it stay landed and the failed group's tables and cursor are untouched.
    """
    portal = extract.portal_id(client)
    stats: dict[str, ObjectStats] = {}
    for obj in GROUPS:
        if groups is not None and (obj.name if obj else "reference") not in groups:
            continue
        with (
            tempfile.TemporaryDirectory(prefix="hubspot-", dir=work_dir) as tmp,
            Spool(Path(tmp)) as spool,
        ):
            reader = Reader(client, spool)
            cursors: dict[str, str | None] = {}
            mode, merges, cursor = "full", None, None
            if obj is None:
                landings = read_reference(reader)
            elif isinstance(obj, CrmObject):
                stored = read_cursor(con, CURSOR_SCHEMA, obj.name, portal)
                since = None if full or stored is None else stored
                mode = "full" if since is None else "incremental"
                progress(f"hubspot {obj.name}: {mode} read" + (f" since {since}" if since else ""))
                landings, cursor = read_crm(reader, obj, since, overlap, con, portal)
                cursors = {obj.name: cursor}
                merges = obj if since and obj.name in TOMBSTONES else None
            elif obj is objects.FORM_SUBMISSIONS:
                stored = None if full else read_cursor(con, CURSOR_SCHEMA, obj.name, portal)
                mode = "full" if stored is None else "incremental"
                progress(f"hubspot form submissions: {mode} read")
                landings, cursor = read_form_submissions(reader, stored, overlap)
                cursors = {obj.name: cursor}
            else:
                names = [kind.name for kind in ENGAGEMENT_TYPES]
                stored_all = {n: read_cursor(con, CURSOR_SCHEMA, n, portal) for n in names}
                complete = {n: c for n, c in stored_all.items() if c is not None}
                resume = None if full or len(complete) < len(names) else complete
                mode = "full" if resume is None else "incremental"
                progress(f"hubspot engagements ({', '.join(names)}): {mode} read")
                landings, read_cursors = read_engagements(reader, resume, overlap, con, portal)
                cursors = dict(read_cursors)
                cursor = min(read_cursors.values(), key=extract.iso_ms)
            spool.close()
            landed = _land(
                con,
                landings,
                cursors=cursors,
                merges=merges,
                portal=portal,
                load_id=load_id,
                loaded_at=loaded_at,
            )
        for name, result in landed.items():
            tally = reader.tallies.get(name, Tally())
            this = ObjectStats(
                name,
                mode,
                result.rows_read,
                result.rows_inserted,
                result.rows_quarantined,
                result.rows_vanished,
                tally.pages,
                tally.requests,
                tally.retries,
                cursor if obj is not None and name == obj.name else None,
            )
            stats[name] = _combine(stats[name], this) if name in stats else this
            progress(
                f"raw_hubspot.{name}: {result.rows_read:,} read in {tally.pages:,} pages "
                f"({tally.requests:,} requests, {tally.retries:,} retries), "
                f"{result.rows_inserted:,} new versions, {result.rows_quarantined:,} quarantined, "
                f"{result.rows_vanished:,} vanished"
            )
    return stats


def _combine(first: ObjectStats, then: ObjectStats) -> ObjectStats:
    """Deal-contact rows land twice in an incremental sync (with deals, and when contacts
    merged): report the sum."""
    counts = ("rows_read", "rows_inserted", "rows_quarantined", "rows_vanished")
    counts += ("pages", "requests", "retries")
    return replace(first, **{c: getattr(first, c) + getattr(then, c) for c in counts})


def _unlisted(landing: Landing) -> str:
    """Rows of the records a partial read replaced whole that the read no longer holds."""
    parent = landing.obj.key[0]
    same = " and ".join(f"r.{c} = l.{c}" for c in landing.obj.key)
    return (
        f"l.{parent} in (select id from {landing.replaces}) "
        f"and not exists (select 1 from {landing.relation} as r where {same})"
    )


def _land(
    con: duckdb.DuckDBPyConnection,
    landings: list[Landing],
    *,
    cursors: dict[str, str | None],
    merges: CrmObject | None,
    portal: str,
    load_id: str,
    loaded_at: datetime,
) -> dict[str, LoadStats]:
    """Land one group, its tombstones (deleted, merged away) and its cursors in a single
    transaction."""
    common = {"source_instance": portal, "load_id": load_id, "loaded_at": loaded_at}

    def add_vanished(raw_name: str, vanished: int) -> None:
        landed = results.get(raw_name, LoadStats(raw_name, 0, 0, 0, 0))
        results[raw_name] = replace(landed, rows_vanished=landed.rows_vanished + vanished)

    with transaction(con):
        results = {
            item.obj.name: load_snapshot(
                con, item.obj, item.relation, complete=item.complete, **common
            )
            for item in landings
        }
        for item in landings:
            if item.gone:
                condition = f"l.id in (select id from {item.gone})"
                add_vanished(item.obj.name, vanish(con, item.obj, condition, **common))
            if item.replaces:
                add_vanished(item.obj.name, vanish(con, item.obj, _unlisted(item), **common))
        for raw, column in TOMBSTONES[merges.name] if merges else ():
            add_vanished(raw.name, vanish_merged(con, raw, column, landings[0].relation, **common))
        for name, cursor in cursors.items():
            write_cursor(
                con, CURSOR_SCHEMA, name, portal, cursor, load_id=load_id, updated_at=loaded_at
            )
    return results
