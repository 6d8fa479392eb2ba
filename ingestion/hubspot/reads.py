"""What one sync group reads: pages spooled to Parquet, and how each lands.

A group is what lands in one transaction: the reference data (owners, pipelines), one
CRM object with what hangs off it (a deal's history and associations), or the
engagements (calls, emails, meetings, notes, tasks: five API objects, one raw table).
Reading charges every request to the raw object it serves, for the sync's statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

import duckdb
import pyarrow as pa

from ingestion.hubspot import extract, objects
from ingestion.hubspot.client import HubSpotClient
from ingestion.hubspot.merges import engagements_linked_to_merged, merged_ids
from ingestion.hubspot.records import (
    ASSOCIATIONS,
    CONTACTS,
    DEALS,
    ENGAGEMENT_MODIFIED,
    ENGAGEMENT_READ,
    ENGAGEMENT_TARGETS,
    ENGAGEMENT_TYPES,
    CrmObject,
    EngagementType,
    association_batch,
    crm_batch,
    form_submissions_batch,
    history_batch,
    inline_as_v4,
    inline_links,
    inline_truncated,
    owners_batch,
    pipeline_stages_batch,
    v4_links,
)
from ingestion.hubspot.spool import Spool
from ingestion.raw.objects import RawObject
from ingestion.simulator.schema import (
    HUBSPOT_DEAL_PROPERTY_HISTORY,
    HUBSPOT_ENGAGEMENTS,
    HUBSPOT_FORM_SUBMISSIONS,
    HUBSPOT_OWNERS,
    HUBSPOT_PIPELINE_STAGES,
)

T = TypeVar("T")
_DONE = object()
# The cursor of an engagement type that had no record at a full read: everything is newer.
EPOCH = "1970-01-01T00:00:00.000Z"
_TARGETS = tuple(ENGAGEMENT_TARGETS)
_GONE = "engagements_archived"
_READ_APART = "deals_associations_read"  # deals whose associations a v4 read fetched whole
_IDS = pa.schema([("id", pa.string())])


@dataclass
class Tally:
    """Requests made for one raw object; pages are the responses its rows came from."""

    pages: int = 0
    requests: int = 0
    retries: int = 0


@dataclass
class Landing:
    """One raw object's read, ready for the raw loader."""

    obj: RawObject
    complete: bool
    relation: str  # DuckDB SQL over the spooled Parquet
    # Ids (column ``id``) the source lists as deleted although the read is not complete:
    # their live rows get tombstones after the read lands.
    gone: str | None = None
    # Ids (column ``id``) of the records whose rows the read holds whole although it is
    # not complete (a deal's associations): their live rows missing from it get tombstones.
    replaces: str | None = None


@dataclass
class Reader:
    """One group's reading: the client, its spool, and per-object request counts."""

    client: HubSpotClient
    spool: Spool
    tallies: dict[str, Tally] = field(default_factory=dict)

    @contextmanager
    def charge(self, name: str) -> Iterator[Tally]:
        """Charge the requests and retries made inside the block to ``name``."""
        tally = self.tallies.setdefault(name, Tally())
        before = (self.client.stats.requests, self.client.stats.retries)
        try:
            yield tally
        finally:
            tally.requests += self.client.stats.requests - before[0]
            tally.retries += self.client.stats.retries - before[1]

    def counted(self, name: str, pages: Iterable[T]) -> Iterator[T]:
        """Iterate lazily fetched pages, charging each fetch to ``name``."""
        iterator = iter(pages)
        while True:
            with self.charge(name) as tally:
                page = next(iterator, _DONE)
            if page is _DONE:
                return
            tally.pages += 1
            yield page  # type: ignore[misc]

    def call(self, name: str, fn: Callable[..., T], *args: object) -> T:
        """``fn(client, *args)``: one batch request (or a few), charged to ``name`` as a page."""
        with self.charge(name) as tally:
            result = fn(self.client, *args)
        tally.pages += 1
        return result


def read_reference(reader: Reader) -> list[Landing]:
    """Owners (live and archived) and deal pipelines: small, always read whole."""
    spool = reader.spool
    spool.open(objects.OWNERS.name, HUBSPOT_OWNERS)
    for archived in (False, True):
        pages = extract.owner_pages(reader.client, archived=archived)
        for page in reader.counted(objects.OWNERS.name, pages):
            spool.add(objects.OWNERS.name, owners_batch(page))
    spool.open(objects.PIPELINE_STAGES.name, HUBSPOT_PIPELINE_STAGES)
    pipelines = reader.call(objects.PIPELINE_STAGES.name, extract.deal_pipelines)
    spool.add(objects.PIPELINE_STAGES.name, pipeline_stages_batch(pipelines))
    return [
        Landing(objects.OWNERS, True, _parquet(spool, objects.OWNERS.name)),
        Landing(objects.PIPELINE_STAGES, True, _parquet(spool, objects.PIPELINE_STAGES.name)),
    ]


def read_crm(
    reader: Reader,
    obj: CrmObject,
    cursor: str | None,
    overlap: timedelta,
    con: duckdb.DuckDBPyConnection,
    portal: str,
) -> tuple[list[Landing], str | None]:
    """Spool one CRM object (deals with history and associations); returns its new cursor.

    ``cursor`` None means a full read.
    """
    client, spool = reader.client, reader.spool
    full = cursor is None
    with reader.charge(obj.name):
        custom = extract.custom_properties(client, obj)
    schema, properties = obj.columns(custom), obj.properties + custom
    spool.open(obj.name, schema)
    parts = _DealParts(reader, ASSOCIATIONS) if obj is DEALS else None
    merged: set[str] = set()
    if full:
        with reader.charge(obj.name):
            cursor = extract.latest_modified(client, obj)
        inline = tuple(to for to, *_ in ASSOCIATIONS) if parts else ()
        for archived in (False, True):
            pages = extract.list_pages(
                client, obj, properties, archived=archived, history=bool(parts), associations=inline
            )
            for page in reader.counted(obj.name, pages):
                spool.add(obj.name, crm_batch(schema, page))
                if parts:
                    parts.add(page, listed=True)
    else:
        since = extract.iso_ms(cursor) - int(overlap.total_seconds() * 1000)
        for page in reader.counted(obj.name, extract.changed_pages(client, obj, properties, since)):
            spool.add(obj.name, crm_batch(schema, page))
            if parts:
                parts.add(page, listed=False)
            merged |= merged_ids(page)
            cursor = max([cursor, *(extract.modified(obj, r) for r in page)], key=extract.iso_ms)
        # Deletions never show in search: list what is archived now (cheap: no history).
        pages = extract.list_pages(client, obj, properties, archived=True, history=False)
        for page in reader.counted(obj.name, pages):
            spool.add(obj.name, crm_batch(schema, page))
    landings = [Landing(obj.raw, full, _latest_copy(spool, obj.name, obj.modified))]
    if obj is CONTACTS and merged:
        # A merged contact's deals are not modified, yet their associations moved to the
        # survivor: re-read the associations of the deals linked to merged-away contacts.
        contacts_only = tuple(a for a in ASSOCIATIONS if a[1] is objects.DEAL_CONTACTS)
        parts = _DealParts(reader, contacts_only, with_history=False)
        parts.pending = _deals_linked_to(con, portal, merged)
    if parts:
        landings += parts.landings(full)
    return landings, cursor


def _deals_linked_to(con: duckdb.DuckDBPyConnection, portal: str, contacts: set[str]) -> list[str]:
    """Deals that raw_hubspot.deal_contacts currently links to any of ``contacts``."""
    table = objects.DEAL_CONTACTS.table
    rows = con.execute(
        f"""select distinct deal_id from {table}
        where _source_instance = ? and list_contains(?, contact_id)
        qualify row_number() over (
            partition by deal_id, contact_id order by _load_sequence desc) = 1
            and not _vanished
        order by deal_id""",
        [portal, sorted(contacts)],
    ).fetchall()
    return [r[0] for r in rows]


class _DealParts:
    """History and associations of the deals read, fetched in HubSpot's batch sizes."""

    def __init__(
        self,
        reader: Reader,
        associations: tuple[tuple[str, RawObject, str, pa.Schema], ...],
        *,
        with_history: bool = True,
    ) -> None:
        self.reader, self.associations = reader, associations
        for _, raw, _, schema in associations:
            reader.spool.open(raw.name, schema)
        self.with_history = with_history
        if with_history:
            reader.spool.open(objects.DEAL_PROPERTY_HISTORY.name, HUBSPOT_DEAL_PROPERTY_HISTORY)
        reader.spool.open(_READ_APART, _IDS)
        self.pending: list[str] = []

    def add(self, page: list[dict], *, listed: bool) -> None:
        """Spool the history and associations of a page of deals: a ``listed`` page carries
        both inline; otherwise (search results) the history is batch-read now and the ids
        wait for the next association read, as do listed deals with more associations
        than HubSpot inlines."""
        ids = [str(record["id"]) for record in page]
        name = objects.DEAL_PROPERTY_HISTORY.name
        if listed:
            self.reader.spool.add(name, history_batch(page))
            for to, raw, column, schema in self.associations:
                inline = inline_as_v4(page, to)
                self.reader.spool.add(raw.name, association_batch(inline, column, schema))
            ids = inline_truncated(page)
        else:
            for chunk in _chunks(ids, extract.HISTORY_LIMIT):
                records = self.reader.call(name, extract.history_records, DEALS, chunk)
                self.reader.spool.add(name, history_batch(records))
        self.pending += ids
        if len(self.pending) >= extract.ASSOCIATIONS_LIMIT:
            self.flush()

    def flush(self) -> None:
        for chunk in _chunks(self.pending, extract.ASSOCIATIONS_LIMIT):
            for to, raw, column, schema in self.associations:
                results = self.reader.call(
                    raw.name, extract.association_results, DEALS.name, to, chunk
                )
                self.reader.spool.add(raw.name, association_batch(results, column, schema))
            self.reader.spool.add(_READ_APART, pa.RecordBatch.from_pydict({"id": chunk}, _IDS))
        self.pending = []

    def landings(self, complete: bool) -> list[Landing]:
        """What was read, once the last associations are: an incomplete read replaces
        the associations of the deals read apart (a link removed in HubSpot vanishes)."""
        self.flush()
        spool = self.reader.spool
        replaces = None if complete else _parquet(spool, _READ_APART)
        landings = [
            Landing(raw, complete, _parquet(spool, raw.name), replaces=replaces)
            for _, raw, _, _ in self.associations
        ]
        if self.with_history:
            history = objects.DEAL_PROPERTY_HISTORY
            landings.insert(0, Landing(history, complete, _parquet(spool, history.name)))
        return landings


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _parquet(spool: Spool, name: str) -> str:
    return "read_parquet('" + str(spool.path(name)).replace("'", "''") + "')"


def _latest_copy(
    spool: Spool, name: str, modified: str, *, then: str = ", archived desc", landed: str = "*"
) -> str:
    """The spooled records, one copy per id: re-reads and edits made during the sync can
    return a record twice, and the raw loader would quarantine the older copy. ``then``
    breaks ties of the modified time; ``landed`` is the select list of what lands."""
    return (
        f"(select {landed} from {_parquet(spool, name)} qualify row_number() over ("
        f"partition by id order by try_cast({modified} as timestamptz) desc nulls last"
        f"{then}) = 1)"
    )


def read_engagements(
    reader: Reader,
    cursors: dict[str, str] | None,
    overlap: timedelta,
    con: duckdb.DuckDBPyConnection,
    portal: str,
) -> tuple[list[Landing], dict[str, str]]:
    """Spool every engagement type into raw_hubspot.engagements' shape; returns the landing
    and each type's new cursor. ``cursors`` None means a full read of every type.

    A full read lists each type with its deal and contact associations inline. An
    incremental one searches each type for what changed since its cursor (minus the
    overlap), batch-reads the found records' associations, lists what is archived now
    (deleted: tombstoned), and re-reads engagements whose deal or contact was merged
    away since, as a merge moves them to the survivor without modifying them.
    """
    name = objects.ENGAGEMENTS.name
    reader.spool.open(name, ENGAGEMENT_READ)
    reader.spool.open(_GONE, _IDS)
    moved = {} if cursors is None else engagements_linked_to_merged(con, portal)
    new_cursors = {
        kind.name: (
            _list_engagements(reader, kind)
            if cursors is None
            else _changed_engagements(
                reader, kind, cursors[kind.name], overlap, moved.get(kind.type, [])
            )
        )
        for kind in ENGAGEMENT_TYPES
    }
    landed = ", ".join(f'"{c}"' for c in HUBSPOT_ENGAGEMENTS.names)
    relation = _latest_copy(reader.spool, name, ENGAGEMENT_MODIFIED, then="", landed=landed)
    gone = None if cursors is None else _parquet(reader.spool, _GONE)
    return [Landing(objects.ENGAGEMENTS, cursors is None, relation, gone)], new_cursors


def _list_engagements(reader: Reader, kind: EngagementType) -> str:
    """Every live engagement of one type, associations inline; returns its cursor: the
    newest last-modified time search knew before the listing began."""
    name, obj = objects.ENGAGEMENTS.name, kind.obj
    with reader.charge(name):
        cursor = extract.latest_modified(reader.client, obj) or EPOCH
    properties = [*obj.properties, obj.modified]
    pages = extract.list_pages(
        reader.client, obj, properties, archived=False, history=False, associations=_TARGETS
    )
    for page in reader.counted(name, pages):
        truncated = set(inline_truncated(page))
        links = _links(reader, kind, [r for r in page if str(r["id"]) in truncated])
        reader.spool.add(name, _engagement_rows(kind, page, links))
    return cursor


def _changed_engagements(
    reader: Reader, kind: EngagementType, cursor: str, overlap: timedelta, moved: list[str]
) -> str:
    """One type's engagements modified since ``cursor`` (less the overlap) and ``moved``
    ones, with their associations, and the ids archived now; returns the new cursor."""
    name, obj = objects.ENGAGEMENTS.name, kind.obj
    properties = [*obj.properties, obj.modified]
    since = extract.iso_ms(cursor) - int(overlap.total_seconds() * 1000)
    pages = extract.changed_pages(reader.client, obj, properties, since)
    for page in reader.counted(name, pages):
        reader.spool.add(name, _engagement_rows(kind, page, _links(reader, kind, page)))
        cursor = max([cursor, *(extract.modified(obj, r) for r in page)], key=extract.iso_ms)
    for chunk in _chunks(moved, extract.BATCH_LIMIT):
        records = reader.call(name, extract.batch_records, obj, chunk, properties)
        live = [r for r in records if not r.get("archived")]
        reader.spool.add(name, _engagement_rows(kind, live, _links(reader, kind, live)))
    archived = extract.list_pages(
        reader.client, obj, ["hs_object_id"], archived=True, history=False
    )
    for page in reader.counted(name, archived):
        ids = {"id": [str(r["id"]) for r in page]}
        reader.spool.add(_GONE, pa.RecordBatch.from_pydict(ids, schema=_IDS))
    return cursor


def _links(
    reader: Reader, kind: EngagementType, records: list[dict]
) -> dict[str, dict[str, list[str]]]:
    """Associated deals and contacts of records read without them (search, batch read)."""
    ids = [str(r["id"]) for r in records]
    found: dict[str, dict[str, list[str]]] = {i: {} for i in ids}
    if not ids:
        return found
    for to in _TARGETS:
        results = reader.call(
            objects.ENGAGEMENTS.name, extract.association_results, kind.name, to, ids
        )
        for record_id, targets in v4_links(results).items():
            found.setdefault(record_id, {})[to] = targets
    return found


def _engagement_rows(
    kind: EngagementType,
    records: list[dict],
    links: dict[str, dict[str, list[str]]],
) -> pa.RecordBatch:
    """Records in raw_hubspot.engagements' shape; associations from ``links`` where it has
    the record (read apart), else inline."""
    rows = [kind.row(r, links.get(str(r["id"])) or inline_links(r)) for r in records]
    return pa.RecordBatch.from_pylist(rows, schema=ENGAGEMENT_READ)


def read_form_submissions(
    reader: Reader, cursor: str | None, overlap: timedelta
) -> tuple[list[Landing], str | None]:
    """Spool the submissions of every form made since ``cursor`` (epoch ms of the newest
    submission landed) less the overlap, or all of them when None; returns the landing
    and the new cursor. HubSpot lists a form's submissions newest first, so a form's read
    stops at the first page reaching past that point. A submission listed twice (new ones
    shift the pages while they are read) lands once: copies collapse on conversion id."""
    name = objects.FORM_SUBMISSIONS.name
    reader.spool.open(name, HUBSPOT_FORM_SUBMISSIONS)
    with reader.charge(name):
        forms = extract.forms(reader.client)
    since = None if cursor is None else int(cursor) - int(overlap.total_seconds() * 1000)
    newest = None if cursor is None else int(cursor)
    for form in forms:
        pages = extract.submission_pages(reader.client, str(form["id"]))
        for page in reader.counted(name, pages):
            reader.spool.add(name, form_submissions_batch(str(form["id"]), page))
            # A submission without a readable time still lands (and is quarantined there).
            times = [
                int(str(record.get("submittedAt")))
                for record in page
                if str(record.get("submittedAt")).isdigit()
            ]
            newest = max([t for t in (newest, *times) if t is not None], default=None)
            if since is not None and times and min(times) < since:
                break
    relation = (
        f"(select * from {_parquet(reader.spool, name)} qualify row_number() over ("
        "partition by conversion_id order by submitted_at desc) = 1)"
    )
    cursor = None if newest is None else str(newest)
    return [Landing(objects.FORM_SUBMISSIONS, False, relation)], cursor
