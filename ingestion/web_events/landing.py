"""Land event exports: every ``*.jsonl`` / ``*.json`` (Segment messages, one per line) and
``*.csv`` (flat columns) under a folder, into ``raw_web_events.events``.

Segment messages are flattened in DuckDB: ``messageId``, ``type``, ``event``,
``anonymousId``, ``userId``, ``timestamp``, ``context.page.url`` / ``.referrer``,
``context.campaign.*`` (utm_*), ``context.traits.email`` (or the identify call's
``traits.email``), ``context.userAgent``, ``context.ip``. CSV files name the same
columns as ``raw_web_events.events`` or GA4's (``user_pseudo_id``, ``event_timestamp``,
``page_location``...); timestamps stay text so an unparsable one is quarantined with its
reason instead of failing the load. The whole folder is read every time: an event id
already landed adds nothing, and a redelivered copy in the same read collapses into one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from ingestion.raw.snapshot import LoadStats, ensure_raw_table, load_snapshot
from ingestion.warehouse import transaction
from ingestion.web_events.objects import COLUMNS, EVENTS

SEGMENT_COLUMNS = {
    "messageId": "VARCHAR",
    "type": "VARCHAR",
    "event": "VARCHAR",
    "anonymousId": "VARCHAR",
    "userId": "VARCHAR",
    "timestamp": "VARCHAR",
    "context": "JSON",
    "traits": "JSON",
}
SEGMENT_SELECT = {
    "event_id": '"messageId"',
    "event_type": '"type"',
    "event_name": '"event"',
    "anonymous_id": '"anonymousId"',
    "user_id": '"userId"',
    "email": "coalesce(context->>'$.traits.email', traits->>'$.email')",
    "timestamp": '"timestamp"',
    "page_url": "context->>'$.page.url'",
    "page_referrer": "context->>'$.page.referrer'",
    "utm_source": "context->>'$.campaign.source'",
    "utm_medium": "context->>'$.campaign.medium'",
    "utm_campaign": "context->>'$.campaign.name'",
    "utm_term": "context->>'$.campaign.term'",
    "utm_content": "context->>'$.campaign.content'",
    "user_agent": "context->>'$.userAgent'",
    "ip": "context->>'$.ip'",
}
# GA4's flat export names -> the raw columns.
CSV_ALIASES = {
    "user_pseudo_id": "anonymous_id",
    "event_timestamp": "timestamp",
    "page_location": "page_url",
    "event_bundle_sequence_id": "event_id",
    "source": "utm_source",
    "medium": "utm_medium",
    "campaign": "utm_campaign",
}


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The raw table, empty, for dbt's staging when no export is configured."""
    ensure_raw_table(con, EVENTS, [(column, "VARCHAR") for column in COLUMNS])


def _files(source: Path, *patterns: str) -> list[str]:
    if source.is_file():
        return [str(source)] if any(source.match(p) for p in patterns) else []
    return sorted(str(p) for pattern in patterns for p in source.rglob(pattern))


def _list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _segment_sql(paths: list[str]) -> str:
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in SEGMENT_COLUMNS.items())
    select = ", ".join(f"{expr} as {name}" for name, expr in SEGMENT_SELECT.items())
    return (
        f"select {select} from read_json({_list(paths)}, "
        f"format = 'newline_delimited', columns = {{{columns}}})"
    )


def _csv_sql(con: duckdb.DuckDBPyConnection, path: str) -> str:
    relation = (
        f"read_csv('{path.replace(chr(39), chr(39) * 2)}', header = true, all_varchar = true)"
    )
    present = {row[0] for row in con.execute(f"describe select * from {relation}").fetchall()}
    named = {CSV_ALIASES.get(column, column): column for column in present}
    select = ", ".join(
        f'"{named[c]}" as {c}' if c in named else f"cast(null as varchar) as {c}" for c in COLUMNS
    )
    return f"select {select} from {relation}"


def land_web_events(
    con: duckdb.DuckDBPyConnection,
    source: Path,
    *,
    site: str,
    load_id: str,
    loaded_at: datetime,
    progress: Callable[[str], None] = lambda _: None,
) -> LoadStats:
    """Land every export file under ``source`` (a folder or one file) as one load; ``site``
    names the tracked website (the raw rows' source instance)."""
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"web events: {source} does not exist")
    ensure_raw_tables(con)
    jsonl = _files(source, "*.jsonl", "*.json")
    csv = _files(source, "*.csv")
    parts = ([_segment_sql(jsonl)] if jsonl else []) + [_csv_sql(con, p) for p in csv]
    progress(f"web events: {len(jsonl)} JSONL and {len(csv)} CSV files in {source}")
    if not parts:
        return LoadStats(EVENTS.name, 0, 0, 0, 0)
    relation = "(" + " union all ".join(parts) + ")"
    with transaction(con):
        return load_snapshot(
            con,
            EVENTS,
            relation,
            source_instance=site,
            load_id=load_id,
            loaded_at=loaded_at,
            complete=False,
        )
