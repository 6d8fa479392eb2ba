"""Sync Pipedrive into ``raw_pipedrive`` over its API: full snapshots or incremental reads.

Three groups, each spooled to temporary Parquet and landed through the raw loader in ONE
DuckDB transaction: the reference data (pipelines, stages, teams, users, persons,
organizations, small enough to read whole every time), the deals with their flow and
cursor, then the activities with theirs. A crash at any point leaves every table and
cursor as the last commit left them, and a rerun neither loses nor duplicates anything.

Deals are read from the v2 listing sorted by ``update_time``. Incremental reads ask for
``updated_since`` the cursor minus an overlap (v2 times have whole seconds, and several
deals can share one), then list ``status=deleted`` since the same moment, because
Pipedrive's default listing leaves deleted deals out: they land as a version with
``is_deleted`` true, a flag, never a silent disappearance. A full read lists every deal
(deleted ones included) and is a complete snapshot. Every deal read has its flow read
(``dealChange`` entries: stage, value, owner, expected close date), so each stage change
lands once, with the deal version that shows it.

Activities (calls, emails, meetings, tasks) are read the same way from the v2 listing
sorted by ``update_time``, incrementally from their own cursor minus the overlap; a
deleted activity lists with ``is_deleted`` true and lands as a flagged version.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from ingestion.hubspot.reads import Landing, Reader, Tally
from ingestion.hubspot.spool import Spool
from ingestion.pipedrive import records
from ingestion.pipedrive.client import PipedriveClient
from ingestion.pipedrive.errors import PipedriveRequestError
from ingestion.pipedrive.objects import (
    ACTIVITIES,
    DEAL_FLOW,
    DEALS,
    ORGANIZATIONS,
    PERSONS,
    PIPELINES,
    STAGES,
    TEAMS,
    USERS,
)
from ingestion.raw.cursors import read_cursor, write_cursor
from ingestion.raw.objects import RawObject
from ingestion.raw.snapshot import LoadStats, load_snapshot
from ingestion.raw.syncs import ObjectStats
from ingestion.warehouse import transaction

OVERLAP = timedelta(minutes=5)
REFERENCE_BATCH = 10_000  # reference records turned into Arrow at a time
CURSOR_SCHEMA = "raw_pipedrive"
V2_TIME = "%Y-%m-%dT%H:%M:%SZ"
REFERENCE_PATHS: tuple[tuple[RawObject, str], ...] = (
    (PIPELINES, "/api/v2/pipelines"),
    (STAGES, "/api/v2/stages"),
    (PERSONS, "/api/v2/persons"),
    (ORGANIZATIONS, "/api/v2/organizations"),
)


def sync_pipedrive(
    con: duckdb.DuckDBPyConnection,
    client: PipedriveClient,
    *,
    full: bool,
    load_id: str,
    loaded_at: datetime,
    progress: Callable[[str], None] = lambda _: None,
    overlap: timedelta = OVERLAP,
    work_dir: Path | None = None,
) -> dict[str, ObjectStats]:
    """Read Pipedrive and land every object in ``raw_pipedrive``; returns stats per raw object.

    ``full=False`` reads deals and activities incrementally from their cursors (a first
    sync, without a cursor, reads them whole). Each group commits on its own (call this outside a
    transaction): when a read fails, the groups before it stay landed and the failed
    group's tables and cursor are untouched.
    """
    company = str(client.get("/v1/users/me")["data"]["company_id"])
    stats: dict[str, ObjectStats] = {}
    for group in (None, DEALS, ACTIVITIES):
        with (
            tempfile.TemporaryDirectory(prefix="pipedrive-", dir=work_dir) as tmp,
            Spool(Path(tmp)) as spool,
        ):
            reader = Reader(client, spool)  # type: ignore[arg-type]  # duck-typed: .stats
            cursor, mode = None, "full"
            if group is None:
                landings = _read_reference(reader)
            else:
                stored = read_cursor(con, CURSOR_SCHEMA, group.name, company)
                since = None if full or stored is None else _minus(stored, overlap)
                mode = "full" if since is None else "incremental"
                progress(
                    f"pipedrive {group.name}: {mode} read" + (f" since {since}" if since else "")
                )
                read = _read_deals if group is DEALS else _read_activities
                landings, cursor = read(reader, since)
                cursor = cursor or stored
            spool.close()
            landed = _land(
                con,
                landings,
                cursor=(group.name, cursor) if group else None,
                company=company,
                load_id=load_id,
                loaded_at=loaded_at,
            )
        for name, result in landed.items():
            tally = reader.tallies.get(name, Tally())
            stats[name] = ObjectStats(
                name,
                mode,
                result.rows_read,
                result.rows_inserted,
                result.rows_quarantined,
                result.rows_vanished,
                tally.pages,
                tally.requests,
                tally.retries,
                cursor if group and name == group.name else None,
            )
            progress(
                f"raw_pipedrive.{name}: {result.rows_read:,} read in {tally.pages:,} pages "
                f"({tally.requests:,} requests, {tally.retries:,} retries), "
                f"{result.rows_inserted:,} new versions, {result.rows_quarantined:,} quarantined, "
                f"{result.rows_vanished:,} vanished"
            )
    return stats


def _minus(cursor: str, overlap: timedelta) -> str:
    moment = datetime.strptime(cursor, V2_TIME).replace(tzinfo=UTC)
    return (moment - overlap).strftime(V2_TIME)


def _landing(reader: Reader, obj: RawObject, complete: bool) -> Landing:
    return Landing(obj, complete, f"read_parquet('{reader.spool.path(obj.name)}')")


def _read_reference(reader: Reader) -> list[Landing]:
    """Every pipeline, stage, user, team, person and organization: complete snapshots.

    Their columns are whatever fields the records have, known only once all are read, so
    pages go to a JSON-lines file first (persons grow with the account; memory must not)
    and are spooled from it with the columns of all of them."""
    landings = []
    reads = [(obj, lambda path=path: reader.client.pages(path)) for obj, path in REFERENCE_PATHS]
    # Teams land before users: a user's version then sees the teams of its own sync
    # (stg_pipedrive__user_versions dates team moves by the loads' order).
    reads.append((TEAMS, lambda: iter([_teams(reader.client)])))
    reads.append((USERS, lambda: iter([reader.client.get("/v1/users").get("data") or []])))
    for obj, pages in reads:
        columns: dict[str, None] = {}
        lines = reader.spool.folder / f"{obj.name}.jsonl"
        with reader.charge(obj.name) as tally, lines.open("w") as out:
            for page in pages():
                tally.pages += 1
                for record in page:
                    columns.update(dict.fromkeys(record))
                    out.write(json.dumps(record) + "\n")
        names = list(columns) or ["id"]
        reader.spool.open(obj.name, records.strings(names))
        with lines.open() as saved:
            while chunk := list(itertools.islice(saved, REFERENCE_BATCH)):
                batch = records.reference_batch([json.loads(line) for line in chunk], names)
                reader.spool.add(obj.name, batch)
        landings.append(_landing(reader, obj, complete=True))
    return landings


def _teams(client: PipedriveClient) -> list[dict]:
    """The company's legacy teams; none when its plan has no teams (HTTP 403), so teams
    landed before a downgrade vanish, as they did from the account."""
    try:
        return client.get("/v1/legacyTeams").get("data") or []
    except PipedriveRequestError as exc:
        if exc.status == 403:
            return []
        raise


def _read_deals(reader: Reader, since: str | None) -> tuple[list[Landing], str | None]:
    """Deals changed since ``since`` (all when None), deleted ones included, and their flow;
    returns the landings and the newest ``update_time`` read."""
    client, spool = reader.client, reader.spool
    with reader.charge(DEALS.name) as tally:
        fields = [f for page in client.v1_pages("/v1/dealFields") for f in page]
        custom, labels = records.custom_columns(fields), records.option_labels(fields)
        spool.open(DEALS.name, records.deal_schema(custom))
        spool.open(DEAL_FLOW.name, records.strings(records.FLOW_COLUMNS))
        base = {"sort_by": "update_time", "sort_direction": "asc"}
        if since:
            base["updated_since"] = since
        deal_ids: list[int] = []
        newest = None
        for status in (None, "deleted"):
            params = {**base, "status": status} if status else base
            for page in client.pages("/api/v2/deals", params):
                tally.pages += 1
                spool.add(DEALS.name, records.deal_batch(page, custom, labels))
                deal_ids.extend(d["id"] for d in page)
                newest = max([newest or "", *(d["update_time"] or "" for d in page)]) or None
    with reader.charge(DEAL_FLOW.name) as tally:
        for deal_id in dict.fromkeys(deal_ids):
            for page in client.v1_pages(f"/v1/deals/{deal_id}/flow", {"items": "dealChange"}):
                tally.pages += 1
                spool.add(DEAL_FLOW.name, records.flow_batch(deal_id, page))
    return [
        _landing(reader, DEALS, complete=since is None),
        _landing(reader, DEAL_FLOW, False),
    ], newest


def _read_activities(reader: Reader, since: str | None) -> tuple[list[Landing], str | None]:
    """Activities changed since ``since`` (all when None), deleted ones flagged; returns the
    landing and the newest ``update_time`` read."""
    reader.spool.open(ACTIVITIES.name, records.strings(records.ACTIVITY_COLUMNS))
    params = {"sort_by": "update_time", "sort_direction": "asc"}
    if since:
        params["updated_since"] = since
    newest = None
    pages = reader.client.pages("/api/v2/activities", params)
    for page in reader.counted(ACTIVITIES.name, pages):
        reader.spool.add(ACTIVITIES.name, records.activity_batch(page))
        newest = max([newest or "", *(a["update_time"] or "" for a in page)]) or None
    return [_landing(reader, ACTIVITIES, complete=since is None)], newest


def _land(
    con: duckdb.DuckDBPyConnection,
    landings: list[Landing],
    *,
    cursor: tuple[str, str | None] | None,
    company: str,
    load_id: str,
    loaded_at: datetime,
) -> dict[str, LoadStats]:
    """Land one group, and its (object, cursor) if it has one, in a single transaction."""
    common = {"source_instance": company, "load_id": load_id, "loaded_at": loaded_at}
    with transaction(con):
        results = {
            item.obj.name: load_snapshot(
                con, item.obj, item.relation, complete=item.complete, **common
            )
            for item in landings
        }
        if cursor is not None:
            name, value = cursor
            write_cursor(
                con, CURSOR_SCHEMA, name, company, value, load_id=load_id, updated_at=loaded_at
            )
    return results
