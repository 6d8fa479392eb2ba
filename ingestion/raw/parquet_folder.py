"""Land folders of Parquet files, one folder per object, as one complete snapshot.

The simulator writes its world this way and a bulk export can be laid out the same.
Everything lands in one transaction, so a failure leaves every raw table as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import duckdb

from ingestion.raw.objects import RawObject
from ingestion.raw.snapshot import LoadStats, load_snapshot
from ingestion.warehouse import transaction


def land_parquet_folders(
    con: duckdb.DuckDBPyConnection,
    folders: Sequence[tuple[RawObject, Path]],
    *,
    source_instance: str,
    load_id: str,
    loaded_at: datetime,
    progress: Callable[[str], None] = lambda _: None,
) -> list[LoadStats]:
    """Land each object from the ``*.parquet`` files of its folder."""
    missing = [str(folder) for _, folder in folders if not any(folder.glob("*.parquet"))]
    if missing:
        raise FileNotFoundError(f"no Parquet files in {', '.join(missing)}")
    stats = []
    with transaction(con):
        for number, (obj, folder) in enumerate(folders, start=1):
            pattern = str(folder / "*.parquet").replace("'", "''")
            result = load_snapshot(
                con,
                obj,
                f"read_parquet('{pattern}')",
                source_instance=source_instance,
                load_id=load_id,
                loaded_at=loaded_at,
                complete=True,
            )
            progress(
                f"[{number}/{len(folders)}] {obj.table}: {result.rows_read:,} read, "
                f"{result.rows_inserted:,} new versions, {result.rows_quarantined:,} quarantined, "
                f"{result.rows_vanished:,} vanished"
            )
            stats.append(result)
    return stats
