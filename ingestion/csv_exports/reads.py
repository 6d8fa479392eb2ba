"""The reads of an export: which files, of which snapshot time, in what order; and their log.

``raw_csv._export_reads`` keeps one row per read landed, with its files, snapshot time and
row accounting. It is how the next run knows the last snapshot of an export (so an older
one is refused, and files landed before are skipped) and whether an instance's stage
history comes from an export rather than from snapshots.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple, dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import duckdb

from ingestion.csv_exports.mapping import ExportMapping
from ingestion.csv_exports.objects import SOURCE_SYSTEM, STAGE_HISTORY

READS_TABLE = f"raw_{SOURCE_SYSTEM}._export_reads"


@dataclass(frozen=True)
class ExportStats:
    """One read of one export: ``rows_in`` = landed + quarantined + duplicates collapsed."""

    mapping: str
    kind: str
    source_instance: str
    load_id: str
    files: tuple[str, ...]
    snapshot_at: datetime | None
    rows_in: int
    # Records of the read now current in raw: new versions plus unchanged ones.
    rows_landed: int
    rows_quarantined: int
    duplicates_collapsed: int
    new_versions: int
    vanished: int
    # Stage-history rows derived from this deals snapshot; None when none were derived.
    history_rows: int | None


@dataclass(frozen=True)
class Read:
    snapshot_at: datetime | None
    files: tuple[Path, ...]

    @property
    def names(self) -> str:
        return ", ".join(path.name for path in self.files)


def ensure_reads_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists raw_{SOURCE_SYSTEM}")
    con.execute(
        f"""create table if not exists {READS_TABLE} (
            mapping varchar, kind varchar, source_instance varchar, load_id varchar,
            files varchar[], snapshot_at timestamp, rows_in bigint, rows_landed bigint,
            rows_quarantined bigint, duplicates_collapsed bigint, new_versions bigint,
            vanished bigint, history_rows bigint, loaded_at timestamptz)"""
    )


def log_read(con: duckdb.DuckDBPyConnection, stats: ExportStats, loaded_at: datetime) -> None:
    row = [*astuple(stats), loaded_at]
    con.execute(f"insert into {READS_TABLE} values ({', '.join('?' * len(row))})", row)


def history_exported(con: duckdb.DuckDBPyConnection, instance: str) -> bool:
    """Whether a stage_history export of ``instance`` ever landed (then none is derived)."""
    return con.execute(
        f"select count(*) > 0 from {READS_TABLE} where source_instance = ? and kind = ?",
        [instance, STAGE_HISTORY.name],
    ).fetchone()[0]


def plan_reads(
    con: duckdb.DuckDBPyConnection, mapping: ExportMapping, progress: Callable[[str], None]
) -> list[Read]:
    """The reads to land, oldest first; refuses a new snapshot older than the last landed.

    A file landed before as an older snapshot is skipped, so a folder that keeps every
    daily export can be landed again and again; the latest one is reread, adding nothing.
    """
    files = mapping.find_files()
    if mapping.snapshot_file_name is None:
        reads = [Read(mapping.snapshot_at, tuple(files))]
    else:
        reads = sorted(
            (Read(mapping.snapshot_time(f), (f,)) for f in files), key=lambda r: r.snapshot_at
        )
    for earlier, later in pairwise(reads):
        if earlier.snapshot_at == later.snapshot_at:
            mapping.fail(
                f"{earlier.names} and {later.names} are both snapshots of {later.snapshot_at}"
            )
    landed = set(
        con.execute(
            f"""select file, snapshot_at from {READS_TABLE}, unnest(files) as f(file)
            where source_instance = ? and kind = ? and snapshot_at is not null""",
            [mapping.instance, mapping.kind.name],
        ).fetchall()
    )
    last = max((at for _, at in landed), default=None)
    planned = []
    for read in reads:
        if last is None or read.snapshot_at is None or read.snapshot_at >= last:
            planned.append(read)
        elif all((path.name, read.snapshot_at) in landed for path in read.files):
            progress(f"{mapping.name}: {read.names} ({read.snapshot_at}) landed before, skipped")
        else:
            mapping.fail(
                f"snapshot {read.names} is of {read.snapshot_at}, older than the last "
                f"{mapping.kind.name} snapshot landed for instance {mapping.instance!r} "
                f"({last}); snapshots must land oldest first"
            )
    return planned
