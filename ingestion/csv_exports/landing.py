"""Land CSV exports in ``raw_csv``, accounting for every row.

Each mapping's files are one read of its export or, with a snapshot file-name pattern,
one read per file in time order. Each read lands through :func:`load_snapshot`, so a
rerun adds nothing, a changed record adds a version and a bad row goes to quarantine,
exactly as for an API source. Per read, rows in = rows landed + rows quarantined + exact
duplicates collapsed; ``raw_csv._export_reads`` keeps those counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import duckdb

from ingestion.csv_exports.history import derive_stage_history
from ingestion.csv_exports.mapping import CsvExportError, ExportMapping, load_mapping
from ingestion.csv_exports.objects import (
    DEALS,
    KINDS,
    LOCATION_COLUMN,
    SOURCE_SYSTEM,
    STAGE_HISTORY,
    location_sql,
    raw_object,
    sql_literal,
)
from ingestion.csv_exports.reads import (
    ExportStats,
    Read,
    ensure_reads_table,
    history_exported,
    log_read,
    plan_reads,
)
from ingestion.csv_exports.records import FILE_COLUMN, LINE_COLUMN, read_records
from ingestion.raw.snapshot import ensure_raw_table, load_snapshot
from ingestion.warehouse import transaction

Progress = Callable[[str], None]


def _dates_sql(mapping: ExportMapping) -> str:
    """Rewrite values in a declared date format as ISO text, so dbt needs no mapping."""
    rewritten = [
        f"coalesce(cast(try_strptime({field}, [{', '.join(map(sql_literal, formats))}]) "
        f"as varchar), {field}) as {field}"
        for field, formats in mapping.date_formats.items()
    ]
    return f"* replace ({', '.join(rewritten)})" if rewritten else "*"


def _land_read(
    con: duckdb.DuckDBPyConnection,
    mapping: ExportMapping,
    read: Read,
    *,
    load_id: str,
    loaded_at: datetime,
) -> ExportStats:
    # load_snapshot counts a load's quarantine by load id, so each read gets its own.
    read_id = f"{load_id}:{mapping.instance}"
    if read.snapshot_at is not None:
        read_id += f"@{read.snapshot_at.isoformat()}"
    obj = raw_object(mapping.kind, mapping.date_formats)
    con.register("_csv_read", read_records(mapping, read.files))
    try:
        con.execute(
            f"""create or replace temp table _csv_rows as
            select * exclude ({FILE_COLUMN}, {LINE_COLUMN}),
                {location_sql(obj, FILE_COLUMN, LINE_COLUMN)} as {LOCATION_COLUMN}
            from (select {_dates_sql(mapping)} from _csv_read)"""
        )
    finally:
        con.unregister("_csv_read")
    rows_in, duplicates = con.execute(
        f"""select count(*), count(*) filter (where {LOCATION_COLUMN} is null)
            - (select count(*) from (select distinct * from _csv_rows
               where {LOCATION_COLUMN} is null))
        from _csv_rows"""
    ).fetchone()
    loaded = load_snapshot(
        con,
        obj,
        "_csv_rows",
        source_instance=mapping.instance,
        load_id=read_id,
        loaded_at=loaded_at,
        complete=mapping.complete,
    )
    con.execute("drop table _csv_rows")
    history = None
    snapshot = mapping.kind is DEALS and read.snapshot_at is not None
    if snapshot and not history_exported(con, mapping.instance):
        history = derive_stage_history(
            con,
            mapping,
            deals_load_id=read_id,
            snapshot_at=read.snapshot_at,
            files=read.files,
            loaded_at=loaded_at,
        )
    stats = ExportStats(
        mapping=str(mapping.path),
        kind=mapping.kind.name,
        source_instance=mapping.instance,
        load_id=read_id,
        files=tuple(path.name for path in read.files),
        snapshot_at=read.snapshot_at,
        rows_in=rows_in,
        rows_landed=rows_in - loaded.rows_quarantined - duplicates,
        rows_quarantined=loaded.rows_quarantined,
        duplicates_collapsed=duplicates,
        new_versions=loaded.rows_inserted,
        vanished=loaded.rows_vanished,
        history_rows=history,
    )
    log_read(con, stats, loaded_at)
    return stats


def _describe(mapping: ExportMapping, stats: ExportStats) -> str:
    when = f" of {stats.snapshot_at}" if stats.snapshot_at else ""
    text = (
        f"{mapping.name} -> raw_{SOURCE_SYSTEM}.{stats.kind} ({', '.join(stats.files)}{when}): "
        f"{stats.rows_in:,} rows = {stats.rows_landed:,} landed + {stats.rows_quarantined:,} "
        f"quarantined + {stats.duplicates_collapsed:,} duplicates; "
        f"{stats.new_versions:,} new versions, {stats.vanished:,} vanished"
    )
    if stats.history_rows is not None:
        return f"{text}; {stats.history_rows:,} stage-history rows"
    if mapping.kind is DEALS and stats.snapshot_at is None:
        return f"{text}; no stage history derived: the mapping gives no snapshot time"
    return text


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every raw_csv table with its canonical columns if no export has landed yet,
    so the dbt staging models always have a (possibly empty) table to read."""
    for kind in KINDS.values():
        columns = [(field, "VARCHAR") for field in (*kind.fields, LOCATION_COLUMN)]
        ensure_raw_table(con, raw_object(kind, {}), columns)


def land_csv_export(
    con: duckdb.DuckDBPyConnection,
    mapping: ExportMapping,
    *,
    load_id: str,
    loaded_at: datetime,
    progress: Progress = lambda _: None,
) -> list[ExportStats]:
    """Land one mapping's export in the caller's transaction, one stats entry per read.

    Like :func:`load_snapshot`, it leaves the transaction to the caller, so several
    exports can land all or nothing; :func:`land_csv_exports` does that.
    """
    ensure_reads_table(con)
    stats = []
    for read in plan_reads(con, mapping, progress):
        stats.append(_land_read(con, mapping, read, load_id=load_id, loaded_at=loaded_at))
        progress(_describe(mapping, stats[-1]))
    return stats


def mapping_files(mappings: Path | str | Sequence[Path | str]) -> list[Path]:
    """The mapping files named: a list of them, one file, or every *.yml in a folder."""
    if not isinstance(mappings, Path | str):
        return [Path(path) for path in mappings]
    path = Path(mappings)
    if not path.is_dir():
        return [path]
    found = sorted([*path.glob("*.yml"), *path.glob("*.yaml")])
    if not found:
        raise CsvExportError(f"{path} holds no mapping files (*.yml, *.yaml)")
    return found


def land_csv_exports(
    con: duckdb.DuckDBPyConnection,
    mappings: Path | str | Sequence[Path | str],
    *,
    load_id: str,
    loaded_at: datetime,
    progress: Progress = lambda _: None,
) -> list[ExportStats]:
    """Land the exports of some mapping files (or a folder of them) in one transaction.

    Every mapping is checked before anything is read, and a failure anywhere leaves the
    raw and quarantine tables as they were. Stage-history exports land first, so a deals
    export of the same instance knows not to derive history of its own.
    """
    exports = sorted(
        (load_mapping(path) for path in mapping_files(mappings)),
        key=lambda mapping: mapping.kind is not STAGE_HISTORY,
    )
    owners: dict[tuple[str, str], ExportMapping] = {}
    for mapping in exports:
        owner = owners.setdefault((mapping.instance, mapping.kind.name), mapping)
        if owner is not mapping:
            raise CsvExportError(
                f"mappings {owner.path} and {mapping.path} both land {mapping.kind.name} of "
                f"instance {mapping.instance!r}: one export is one mapping (its files a glob)"
            )
    stats = []
    with transaction(con):
        for mapping in exports:
            stats += land_csv_export(
                con, mapping, load_id=load_id, loaded_at=loaded_at, progress=progress
            )
    return stats
