"""Sync Salesforce into ``raw_salesforce`` over the REST API: full or incremental reads.

Every read uses ``queryAll``, so deleted records arrive with ``IsDeleted`` true and land
as flagged versions: never silently dropped, never counted live by accident (staging
filters on the flag). Each object is spooled to temporary Parquet batch by batch, then
landed through the raw loader in ONE DuckDB transaction together with its cursor, so a
crash at any point leaves every table and cursor as the last commit left them, and a
rerun neither loses nor duplicates anything.

Full: every record of every object, landed as a complete snapshot (a record purged from
the recycle bin is marked vanished). Incremental: ``WHERE SystemModstamp > cursor``
(``CreatedDate`` for the history objects, which are events), with the cursor truncated to
whole seconds, so the read overlaps a little; overlapping rows are already landed and
add nothing. The cursor saved is the newest value read, after the whole query: saving
it mid-run of equal timestamps would lose records. Tiny reference objects without a
cursor field are read whole every time.

Source instance: the org id (00D...), from ``SELECT Id FROM Organization``: stable when
an org moves instance (na139 -> na211) or gets a My Domain, unlike the host name.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from ingestion.hubspot.spool import Spool
from ingestion.raw.cursors import read_cursor, write_cursor
from ingestion.raw.snapshot import LoadStats, load_snapshot
from ingestion.raw.syncs import ObjectStats
from ingestion.salesforce.client import SalesforceClient
from ingestion.salesforce.objects import OBJECTS, SalesforceObject
from ingestion.warehouse import transaction

CURSOR_SCHEMA = "raw_salesforce"

__all__ = ["ObjectStats", "soql", "sync_salesforce"]


def _parse(value: str | None) -> datetime | None:
    """A Salesforce datetime (2024-01-15T10:30:00.000+0000); None when unparsable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def soql(obj: SalesforceObject, since: str | None) -> str:
    """The query for one read. ``since`` is truncated to whole seconds (the SOQL literal's
    precision): re-reading part of a second is harmless, skipping part of one is not."""
    query = f"SELECT {', '.join(obj.fields)} FROM {obj.sobject}"
    if since is not None and obj.cursor_field:
        moment = _parse(since)
        if moment is None:
            raise ValueError(f"stored cursor {since!r} for {obj.sobject} is not a datetime")
        literal = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        query += f" WHERE {obj.cursor_field} > {literal}"
    order = f"{obj.cursor_field}, Id" if obj.cursor_field else "Id"
    return f"{query} ORDER BY {order}"


def _text(value: object) -> str | None:
    """A JSON value as raw text: strings as-is, true/false, numbers as Python prints them."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _newest(current: str | None, values: Iterable[str | None]) -> str | None:
    """The latest of the cursor and the values read (by time, keeping Salesforce's text)."""
    best, best_at = current, _parse(current)
    for value in values:
        at = _parse(value)
        if at is not None and (best_at is None or at > best_at):
            best, best_at = value, at
    return best


def sync_salesforce(
    con: duckdb.DuckDBPyConnection,
    client: SalesforceClient,
    *,
    full: bool,
    load_id: str,
    loaded_at: datetime,
    progress: Callable[[str], None] = lambda _: None,
    work_dir: Path | None = None,
    objects: tuple[SalesforceObject, ...] = OBJECTS,
) -> dict[str, ObjectStats]:
    """Read Salesforce and land every object in ``raw_salesforce``; stats per sObject.

    ``full=False`` reads objects with a cursor incrementally (one without a stored cursor
    gets a full read). Each object commits on its own (call this outside a transaction):
    when a read fails, objects before it stay landed and the failed one's table and
    cursor are untouched. Errors are :class:`~ingestion.salesforce.errors.SalesforceError`.
    """
    org = client.org_id()
    stats: dict[str, ObjectStats] = {}
    for obj in objects:
        stored = read_cursor(con, CURSOR_SCHEMA, obj.sobject, org) if obj.cursor_field else None
        since = None if full or stored is None else stored
        mode = "full" if since is None else "incremental"
        progress(f"salesforce {obj.sobject}: {mode} read" + (f" since {since}" if since else ""))
        before = (client.stats.requests, client.stats.retries)
        with tempfile.TemporaryDirectory(prefix="salesforce-", dir=work_dir) as tmp:
            with Spool(Path(tmp)) as spool:
                schema = pa.schema([(f, pa.string()) for f in obj.fields])
                spool.open(obj.sobject, schema)
                pages, cursor = 0, since
                for page in client.query_pages(soql(obj, since), include_deleted=True):
                    pages += 1
                    columns = {f: [_text(r.get(f)) for r in page] for f in obj.fields}
                    spool.add(obj.sobject, pa.RecordBatch.from_pydict(columns, schema=schema))
                    if obj.cursor_field:
                        cursor = _newest(cursor, columns[obj.cursor_field])
            path = str(spool.path(obj.sobject)).replace("'", "''")
            landed = _land(
                con,
                obj,
                f"read_parquet('{path}')",
                complete=since is None,
                cursor=cursor if obj.cursor_field else None,
                org=org,
                load_id=load_id,
                loaded_at=loaded_at,
            )
        stats[obj.sobject] = ObjectStats(
            obj.sobject,
            mode,
            landed.rows_read,
            landed.rows_inserted,
            landed.rows_quarantined,
            landed.rows_vanished,
            pages,
            client.stats.requests - before[0],
            client.stats.retries - before[1],
            cursor if obj.cursor_field else None,
        )
        progress(
            f"raw_salesforce.{obj.sobject}: {landed.rows_read:,} read in {pages:,} batches, "
            f"{landed.rows_inserted:,} new versions, {landed.rows_quarantined:,} quarantined, "
            f"{landed.rows_vanished:,} vanished"
        )
    if client.api_usage:
        progress(f"salesforce API usage after sync: {client.api_usage}")
    return stats


def _land(
    con: duckdb.DuckDBPyConnection,
    obj: SalesforceObject,
    relation: str,
    *,
    complete: bool,
    cursor: str | None,
    org: str,
    load_id: str,
    loaded_at: datetime,
) -> LoadStats:
    """Land one object's read and its cursor in a single transaction."""
    with transaction(con):
        result = load_snapshot(
            con,
            obj.raw,
            relation,
            complete=complete,
            source_instance=org,
            load_id=load_id,
            loaded_at=loaded_at,
        )
        if obj.cursor_field:
            write_cursor(
                con, CURSOR_SCHEMA, obj.sobject, org, cursor, load_id=load_id, updated_at=loaded_at
            )
    return result
