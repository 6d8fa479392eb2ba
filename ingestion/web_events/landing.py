"""Land event exports: every ``*.jsonl`` / ``*.json`` (Segment messages, one per line) and
``*.csv`` (flat columns) under a folder, into ``raw_web_events.events``.

Segment messages are flattened in DuckDB: ``messageId``, ``type``, ``event``,
``anonymousId``, ``userId``, ``timestamp``, ``context.page.url`` / ``.referrer``,
``context.campaign.*`` (utm_*), ``context.traits.email`` (or the identify call's
``traits.email``), ``context.userAgent``, ``context.ip``. CSV files name the same
columns as ``raw_web_events.events`` or GA4's (``user_pseudo_id``, ``event_timestamp``,
``page_location``...); timestamps stay text so an unparsable one is quarantined with its
reason instead of failing the load.

Landing is incremental per file (load_state.py): files unchanged since they were landed
are not read; a new file lands its events; a changed file (an exporter rewrote it)
replaces its previous rows exactly, in one transaction. Each raw row names its file in
``export_file`` and is keyed by (export_file, event_id), so a redelivered copy within a
file collapses into one, and an event delivered in two files is kept by each (staging
keeps one), so that rewriting either file never drops it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from ingestion.raw.snapshot import LoadStats, ensure_raw_table, load_snapshot
from ingestion.warehouse import transaction
from ingestion.web_events import load_state
from ingestion.web_events.objects import COLUMNS, EVENTS, FILE_COLUMN

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
    columns = [FILE_COLUMN, *COLUMNS]
    ensure_raw_table(con, EVENTS, [(column, "VARCHAR") for column in columns])


@dataclass(frozen=True)
class WebEventsLanding:
    """One landing: the raw load, the files read and skipped, the rows files replaced."""

    stats: LoadStats
    files_read: tuple[str, ...]
    files_skipped: int
    rows_replaced: int  # previous rows of changed files, removed before their new content


def _files(source: Path, *patterns: str) -> list[Path]:
    if source.is_file():
        return [source] if any(source.match(p) for p in patterns) else []
    return sorted(p for pattern in patterns for p in source.rglob(pattern))


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _segment_sql(file: load_state.ExportFile) -> str:
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in SEGMENT_COLUMNS.items())
    select = ", ".join(f"{expr} as {name}" for name, expr in SEGMENT_SELECT.items())
    return (
        f"select {_text(file.name)} as {FILE_COLUMN}, {select} "
        f"from read_json({_text(str(file.path))}, "
        f"format = 'newline_delimited', columns = {{{columns}}})"
    )


def _csv_sql(con: duckdb.DuckDBPyConnection, file: load_state.ExportFile) -> str:
    relation = f"read_csv({_text(str(file.path))}, header = true, all_varchar = true)"
    present = {row[0] for row in con.execute(f"describe select * from {relation}").fetchall()}
    named = {CSV_ALIASES.get(column, column): column for column in present}
    select = ", ".join(
        f'"{named[c]}" as {c}' if c in named else f"cast(null as varchar) as {c}" for c in COLUMNS
    )
    return f"select {_text(file.name)} as {FILE_COLUMN}, {select} from {relation}"


def land_web_events(
    con: duckdb.DuckDBPyConnection,
    source: Path,
    *,
    site: str,
    load_id: str,
    loaded_at: datetime,
    progress: Callable[[str], None] = lambda _: None,
) -> WebEventsLanding:
    """Land the new and changed export files under ``source`` (a folder or one file) as one
    load; ``site`` names the tracked website (the raw rows' source instance)."""
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"web events: {source} does not exist")
    ensure_raw_tables(con)
    files = load_state.export_files(source, _files(source, "*.jsonl", "*.json", "*.csv"))
    changed, unchanged = load_state.to_land(con, site, files)
    progress(
        f"web events: {len(changed)} new or changed and {len(unchanged)} unchanged files "
        f"in {source}"
    )
    parts = [
        _csv_sql(con, file) if file.path.suffix == ".csv" else _segment_sql(file)
        for file, _ in changed
    ]
    with transaction(con):
        names = [file.name for file, _ in changed]
        replaced = con.execute(
            f"delete from {EVENTS.table} where _source_instance = ? "
            f"and list_contains(?::varchar[], {FILE_COLUMN})",
            [site, names],
        ).fetchone()[0]
        stats = LoadStats(EVENTS.name, 0, 0, 0, 0)
        if parts:
            stats = load_snapshot(
                con,
                EVENTS,
                "(" + " union all ".join(parts) + ")",
                source_instance=site,
                load_id=load_id,
                loaded_at=loaded_at,
                complete=False,
            )
        load_state.remember(con, site, changed, unchanged, load_id=load_id, loaded_at=loaded_at)
    return WebEventsLanding(stats, tuple(names), len(unchanged), replaced)
