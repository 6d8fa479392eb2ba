"""Land a folder of HubSpot records, flattened one row per record as the API returns them.

The simulator writes its world in this shape, and a bulk export can be laid out the
same way: ``<folder>/<object>/*.parquet`` for each object in :data:`OBJECTS`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from ingestion.hubspot.objects import OBJECTS
from ingestion.raw.snapshot import LoadStats, load_snapshot


def land_hubspot_files(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    *,
    portal_id: str,
    load_id: str,
    loaded_at: datetime,
    progress: Callable[[str], None] = lambda _: None,
) -> list[LoadStats]:
    """Land every object's files as one complete snapshot, in a single transaction."""
    missing = [obj.name for obj in OBJECTS if not any((folder / obj.name).glob("*.parquet"))]
    if missing:
        raise FileNotFoundError(
            f"{folder} has no Parquet files for {', '.join(missing)}: "
            "expected <folder>/<object>/*.parquet for every HubSpot object"
        )
    stats = []
    con.execute("begin transaction")
    try:
        for number, obj in enumerate(OBJECTS, start=1):
            pattern = str(folder / obj.name / "*.parquet").replace("'", "''")
            result = load_snapshot(
                con,
                obj,
                f"read_parquet('{pattern}')",
                source_instance=portal_id,
                load_id=load_id,
                loaded_at=loaded_at,
                complete=True,
            )
            progress(
                f"[{number}/{len(OBJECTS)}] {obj.table}: {result.rows_read:,} read, "
                f"{result.rows_inserted:,} new versions, {result.rows_quarantined:,} quarantined, "
                f"{result.rows_vanished:,} vanished"
            )
            stats.append(result)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return stats
