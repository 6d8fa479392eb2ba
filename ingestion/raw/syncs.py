"""What every API connector's sync shares: the stats it reports per raw object, and the
daily call that lands a source from its cursors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NotRequired, TypedDict, Unpack

import duckdb


@dataclass(frozen=True)
class ObjectStats:
    """One object's part of a sync, for Dagster metadata and logs."""

    object: str
    mode: str  # "full" or "incremental"
    rows_read: int
    rows_inserted: int
    rows_quarantined: int
    rows_vanished: int
    pages: int  # API pages (or batch responses) this object's rows came from
    requests: int  # HTTP requests made for it, retries included
    retries: int
    cursor: str | None  # the stored cursor after the sync (engagements: the oldest type's)


class SyncRun(TypedDict):
    """What a landing call is told of the run it is part of."""

    load_id: str
    loaded_at: datetime
    work_dir: Path  # the temporary Parquet spool's folder
    progress: NotRequired[Callable[[str], None]]


# A connector's sync: (connection, client, full=..., **SyncRun) -> stats per raw object.
Sync = Callable[..., dict[str, ObjectStats]]


def sync_from_cursors(
    sync: Sync, con: duckdb.DuckDBPyConnection, client: Any, **run: Unpack[SyncRun]
) -> dict[str, ObjectStats]:
    """``sync`` run incrementally, as the daily job does: each object from its cursor, an
    object without a cursor yet (the first sync) read whole."""
    run["work_dir"].mkdir(parents=True, exist_ok=True)
    return sync(con, client, full=False, **run)
