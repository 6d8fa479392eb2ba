"""Land a folder of HubSpot records, flattened one row per record as the API returns them.

The simulator writes its world in this shape (see ingestion/simulator/schema.py), and a
bulk export can be laid out the same way: ``<folder>/<object>/*.parquet``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from ingestion.hubspot.objects import OBJECTS
from ingestion.raw.parquet_folder import land_parquet_folders
from ingestion.raw.snapshot import LoadStats


def land_hubspot_files(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    *,
    portal_id: str,
    load_id: str,
    loaded_at: datetime,
    progress: Callable[[str], None] = lambda _: None,
) -> list[LoadStats]:
    """Land every HubSpot object's files as one complete snapshot, in one transaction."""
    return land_parquet_folders(
        con,
        [(obj, folder / obj.name) for obj in OBJECTS],
        source_instance=portal_id,
        load_id=load_id,
        loaded_at=loaded_at,
        progress=progress,
    )
