"""Where each object's incremental sync resumes: ``raw_hubspot._cursors``.

A cursor is the newest last-modified timestamp among records already committed. It is
written in the same DuckDB transaction as those records, so it can never be ahead of
the data: a sync that dies midway leaves both as they were, and the rerun re-reads.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from ingestion.hubspot.objects import DEALS

TABLE = f"{DEALS.schema}._cursors"


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {DEALS.schema}")
    con.execute(
        f"""create table if not exists {TABLE} (
            object varchar not null, source_instance varchar not null,
            cursor_value varchar, updated_load_id varchar not null,
            updated_at timestamptz not null, primary key (object, source_instance))"""
    )


def read_cursor(con: duckdb.DuckDBPyConnection, obj: str, source_instance: str) -> str | None:
    """The stored cursor (an ISO timestamp as HubSpot writes it), or None before any sync."""
    _ensure(con)
    row = con.execute(
        f"select cursor_value from {TABLE} where object = ? and source_instance = ?",
        [obj, source_instance],
    ).fetchone()
    return row[0] if row else None


def write_cursor(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    source_instance: str,
    value: str | None,
    *,
    load_id: str,
    updated_at: datetime,
) -> None:
    """Record the cursor inside the caller's transaction (the one landing the data)."""
    _ensure(con)
    con.execute(
        f"insert or replace into {TABLE} values (?, ?, ?, ?, ?)",
        [obj, source_instance, value, load_id, updated_at],
    )
