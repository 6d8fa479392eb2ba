"""The quarantine contract: where records that fail a rule go, with the reason, never lost.

Schema ``quarantine`` holds one table per source object, named ``<source>__<object>``,
all with the same columns, so a data engineer can union them, fix the cause and
replay a record from its raw payload.
"""

from __future__ import annotations

import duckdb

SCHEMA = "quarantine"

COLUMNS: tuple[tuple[str, str], ...] = (
    ("load_id", "varchar not null"),
    ("source_system", "varchar not null"),
    ("object", "varchar not null"),
    ("record_key", "varchar"),
    ("rule", "varchar not null"),
    ("reason", "varchar not null"),
    ("raw_payload", "json not null"),
    ("quarantined_at", "timestamptz not null"),
)


def ensure_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Create ``table`` (schema-qualified) with the contract's columns if it is missing."""
    columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(f"create table if not exists {table} ({columns})")
