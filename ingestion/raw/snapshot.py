"""Land one read of a source object in its raw table, keeping every version ever seen.

Raw tables are append-only. A record whose content is unchanged since its latest
version adds nothing, so a rerun neither duplicates nor drops rows; a changed record
adds a version; when a read is a complete snapshot, a record that has vanished from
the source gets a tombstone version (``_vanished``), so history never depends on what
the source still remembers. Records that break a rule go to quarantine instead.

Everything for one object happens in the caller's transaction: a failure leaves the
previous raw table and quarantine exactly as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from ingestion.raw import quarantine
from ingestion.raw.objects import ObjectKind, RawObject

METADATA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_instance", "varchar"),
    ("_record_hash", "varchar"),
    ("_vanished", "boolean"),
    ("_load_id", "varchar"),
    ("_load_sequence", "bigint"),
    ("_loaded_at", "timestamptz"),
)
LOADS_TABLE = "_loads"


@dataclass(frozen=True)
class LoadStats:
    object: str
    rows_read: int
    rows_inserted: int
    rows_quarantined: int
    rows_vanished: int


def quote(identifier: str) -> str:
    """``identifier`` (a column's name, as a file gave it) quoted for SQL."""
    return '"' + identifier.replace('"', '""') + '"'


def ensure_raw_table(
    con: duckdb.DuckDBPyConnection, obj: RawObject, source_columns: list[tuple[str, str]]
) -> None:
    """Create ``obj``'s raw, loads and quarantine tables if missing; add new source columns."""
    con.execute(f"create schema if not exists {obj.schema}")
    con.execute(
        f"""create table if not exists {obj.schema}.{LOADS_TABLE} (
            load_id varchar, load_sequence bigint, object varchar, source_instance varchar,
            complete_snapshot boolean, rows_read bigint, rows_inserted bigint,
            rows_quarantined bigint, rows_vanished bigint, loaded_at timestamptz)"""
    )
    wanted = source_columns + list(METADATA_COLUMNS)
    # DuckDB names are case-insensitive: another export's "Manager" is this one's "manager".
    existing = {
        row[0].lower()
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [obj.schema, obj.name],
        ).fetchall()
    }
    quarantine.ensure_table(con, obj.quarantine_table)
    if not existing:
        columns = ", ".join(f"{quote(name)} {kind}" for name, kind in wanted)
        con.execute(f"create table {obj.table} ({columns})")
        return
    # Schema drift: a new source column becomes a new raw column; a vanished one stays, null.
    for name, kind in wanted:
        if name.lower() not in existing:
            con.execute(f"alter table {obj.table} add column {quote(name)} {kind}")


def _first_broken_rule(obj: RawObject) -> tuple[str, str]:
    """SQL for the name and the reason of the first rule a record breaks (null if none)."""
    if not obj.rules:
        return "cast(null as varchar)", "cast(null as varchar)"
    names = " ".join(f"when {r.violated} then '{r.name}'" for r in obj.rules)
    reasons = " ".join(f"when {r.violated} then {r.reason}" for r in obj.rules)
    return f"case {names} end", f"case {reasons} end"


def _record_key_sql(obj: RawObject) -> str:
    parts = ", ".join(f"coalesce(cast({quote(c)} as varchar), '<null>')" for c in obj.key)
    return f"concat_ws('|', {parts})"


def _content_hash_sql(names: list[str]) -> str:
    # A unit-separator-joined rendering with an explicit null marker, so that ('a', null)
    # and (null, 'a') differ; cheaper than hashing a JSON rendering of every row.
    parts = ", ".join(f"coalesce(cast({quote(n)} as varchar), chr(0))" for n in names)
    return f"md5(concat_ws(chr(31), {parts}))"


def _payload_sql(names: list[str]) -> str:
    return f"to_json(struct_pack({', '.join(f'{quote(n)} := {quote(n)}' for n in names)}))"


def _latest_versions_sql(obj: RawObject) -> str:
    key = ", ".join(quote(c) for c in obj.key)
    return f"""(select * from {obj.table} where _source_instance = $instance
        qualify row_number() over (partition by {key} order by _load_sequence desc) = 1)"""


def _insert_tombstones(
    con: duckdb.DuckDBPyConnection, obj: RawObject, condition: str, metadata: dict
) -> int:
    """Add a vanished version of every live record (latest version) matching ``condition``,
    SQL over the raw row aliased ``l``."""
    return con.execute(
        f"""insert into {obj.table} by name
        select * replace (true as _vanished, $load_id as _load_id,
            $sequence as _load_sequence, $loaded_at as _loaded_at)
        from {_latest_versions_sql(obj)} l
        where not l._vanished and ({condition})""",
        metadata,
    ).fetchone()[0]


def _next_sequence(con: duckdb.DuckDBPyConnection, obj: RawObject) -> int:
    return con.execute(
        f"select coalesce(max(load_sequence), 0) + 1 from {obj.schema}.{LOADS_TABLE}"
    ).fetchone()[0]


def _log_load(
    con: duckdb.DuckDBPyConnection,
    obj: RawObject,
    stats: LoadStats,
    metadata: dict,
    *,
    complete: bool,
) -> None:
    con.execute(
        f"insert into {obj.schema}.{LOADS_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            metadata["load_id"],
            metadata["sequence"],
            obj.name,
            metadata["instance"],
            complete,
            stats.rows_read,
            stats.rows_inserted,
            stats.rows_quarantined,
            stats.rows_vanished,
            metadata["loaded_at"],
        ],
    )


def vanish(
    con: duckdb.DuckDBPyConnection,
    obj: RawObject,
    condition: str,
    *,
    source_instance: str,
    load_id: str,
    loaded_at: datetime,
) -> int:
    """Tombstone the live records of ``obj`` matching ``condition`` (SQL over the raw row,
    aliased ``l``) that a source says are gone although its read was not complete, such as
    records merged away. Logged as a load of its own; returns the rows marked vanished."""
    metadata = {
        "instance": source_instance,
        "load_id": load_id,
        "sequence": _next_sequence(con, obj),
        "loaded_at": loaded_at,
    }
    vanished = _insert_tombstones(con, obj, condition, metadata)
    if vanished:
        _log_load(con, obj, LoadStats(obj.name, 0, 0, 0, vanished), metadata, complete=False)
    return vanished


def load_snapshot(
    con: duckdb.DuckDBPyConnection,
    obj: RawObject,
    relation: str,
    *,
    source_instance: str,
    load_id: str,
    loaded_at: datetime,
    complete: bool,
) -> LoadStats:
    """Land the records of ``relation`` (any DuckDB relation SQL) as one load of ``obj``.

    ``complete`` says the relation holds every live record of the source object, so
    records missing from it have vanished from the source.
    """
    source_columns = [
        (row[0], row[1]) for row in con.execute(f"describe select * from {relation}").fetchall()
    ]
    names = [name for name, _ in source_columns]
    column_list = ", ".join(quote(n) for n in names)
    ensure_raw_table(con, obj, source_columns)

    key = ", ".join(quote(c) for c in obj.key)
    rule_name, rule_reason = _first_broken_rule(obj)
    con.execute(
        f"""create or replace temp table _checked as
        select *,
            {rule_name} as _rule_name,
            {rule_reason} as _rule_reason,
            {_content_hash_sql(names)} as _record_hash
        from {relation}"""
    )
    # Several copies of one key in a load: identical ones collapse, the newest otherwise wins
    # and the older copies are quarantined, so nothing is dropped without a trace. Only the
    # (rare) duplicated keys are ranked, to keep large loads cheap.
    order = f"{quote(obj.updated_column)} desc nulls last, " if obj.updated_column else ""
    con.execute(
        f"""create or replace temp table _copies as
        select *,
            row_number() over (partition by {key} order by {order}_record_hash) as _copy_rank,
            first_value(_record_hash) over (
                partition by {key} order by {order}_record_hash) as _winner_hash
        from _checked
        where _rule_name is null and ({key}) in (
            select ({key}) from _checked where _rule_name is null
            group by {key} having count(*) > 1)"""
    )
    con.execute(
        f"""create or replace temp view _accepted as
        select * exclude (_rule_name, _rule_reason) from _checked
        where _rule_name is null and ({key}) not in (select ({key}) from _copies)
        union all by name
        select * exclude (_rule_name, _rule_reason, _copy_rank, _winner_hash) from _copies
        where _copy_rank = 1"""
    )
    params = [load_id, obj.source_system, obj.name, loaded_at]
    con.execute(
        f"""insert into {obj.quarantine_table}
        select ?, ?, ?, {_record_key_sql(obj)}, _rule_name, _rule_reason,
            {_payload_sql(names)}, ?
        from _checked where _rule_name is not null""",
        params,
    )
    con.execute(
        f"""insert into {obj.quarantine_table}
        select ?, ?, ?, {_record_key_sql(obj)}, 'duplicate_key',
            'another copy of this key in the same load is newer', {_payload_sql(names)}, ?
        from _copies where _copy_rank > 1 and _record_hash <> _winner_hash""",
        params,
    )
    rows_quarantined = con.execute(
        f"select count(*) from {obj.quarantine_table} where load_id = ?", [load_id]
    ).fetchone()[0]

    metadata = {
        "instance": source_instance,
        "load_id": load_id,
        "sequence": _next_sequence(con, obj),
        "loaded_at": loaded_at,
    }
    if obj.kind is ObjectKind.EVENT:
        # An event is identified by its key, so a change in how hashes are computed can
        # never make a known event look new.
        same_event = " and ".join(f"t.{quote(c)} = r.{quote(c)}" for c in obj.key)
        new_rows = f"""select {column_list}, _record_hash from _accepted r
            where not exists (
                select 1 from {obj.table} t
                where t._source_instance = $instance and {same_event})"""
    else:
        new_rows = f"""select {column_list}, _record_hash from _accepted r
            where not exists (
                select 1 from {_latest_versions_sql(obj)} l
                where l._record_hash = r._record_hash and not l._vanished)"""
    inserted = con.execute(
        f"""insert into {obj.table} by name
        select {column_list}, _record_hash, $instance as _source_instance, false as _vanished,
            $load_id as _load_id, $sequence as _load_sequence, $loaded_at as _loaded_at
        from ({new_rows})""",
        metadata,
    ).fetchone()[0]

    vanished = 0
    if complete and obj.kind is ObjectKind.ENTITY:
        # A quarantined record is still in the source, so only keys absent from the read vanish.
        # A key part may be null (a target names a team or an owner): null matches null.
        same_key = " and ".join(f"r.{quote(c)} is not distinct from l.{quote(c)}" for c in obj.key)
        vanished = _insert_tombstones(
            con, obj, f"not exists (select 1 from _checked r where {same_key})", metadata
        )

    rows_read = con.execute("select count(*) from _checked").fetchone()[0]
    stats = LoadStats(obj.name, rows_read, inserted, rows_quarantined, vanished)
    _log_load(con, obj, stats, metadata, complete=complete)
    con.execute("drop view _accepted")
    for temp in ("_checked", "_copies"):
        con.execute(f"drop table {temp}")
    return stats
