"""Where a source's incremental reads resume: ``raw_<source>._cursors``.

A cursor is the newest change marker (a last-modified time) among records already
committed. Connectors write it in the same DuckDB transaction as those records, so it can
never be ahead of the data: a sync that dies midway leaves both as they were, and the
rerun re-reads.
"""

from __future__ import annotations

from datetime import datetime

import duckdb


def _table(schema: str) -> str:
    return f"{schema}._cursors"


def _ensure(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    con.execute(f"create schema if not exists {schema}")
    con.execute(
        f"""create table if not exists {_table(schema)} (
            object varchar not null, source_instance varchar not null,
            cursor_value varchar, updated_load_id varchar not null,
            updated_at timestamptz not null, primary key (object, source_instance))"""
    )


def read_cursor(
    con: duckdb.DuckDBPyConnection, schema: str, obj: str, source_instance: str
) -> str | None:
    """The stored cursor, exactly as the source writes it, or None before any sync."""
    _ensure(con, schema)
    row = con.execute(
        f"select cursor_value from {_table(schema)} where object = ? and source_instance = ?",
        [obj, source_instance],
    ).fetchone()
    return row[0] if row else None


def write_cursor(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    obj: str,
    source_instance: str,
    value: str | None,
    *,
    load_id: str,
    updated_at: datetime,
) -> None:
    """Record the cursor inside the caller's transaction (the one landing the data)."""
    _ensure(con, schema)
    con.execute(
        f"insert or replace into {_table(schema)} values (?, ?, ?, ?, ?)",
        [obj, source_instance, value, load_id, updated_at],
    )
