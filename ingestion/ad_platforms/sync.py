"""Sync ad spend incrementally by date, re-reading the days platforms restate.

Ad platforms keep changing their latest days (late conversions, invalid-click refunds),
so each read starts ``window_days`` before the last day the previous read covered and ends
at the run's logical date: the re-read days whose values changed land as new versions
(raw keeps the old ones), unchanged ones add nothing. A day the platform does not report
is not invented: it stays missing, and dbt's ``int_ad_spend_gaps`` lists it.

Per account (Google Ads customer, Meta ad account), the rows and the account's cursor (the
last day read) commit in one DuckDB transaction, so a failed read leaves the account as
its last commit left it and the rerun reads the same days again.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.raw.cursors import read_cursor, write_cursor
from ingestion.raw.objects import RawObject
from ingestion.raw.snapshot import ensure_raw_table, load_snapshot
from ingestion.raw.syncs import ObjectStats
from ingestion.retrying_http import RequestStats
from ingestion.warehouse import transaction

WINDOW_DAYS = 3


class AdClient(Protocol):
    platform: str
    stats: RequestStats

    def accounts(self) -> list[str]: ...

    def campaign_days(self, account: str, since: date, until: date) -> list[dict[str, str]]: ...


def first_day_to_read(stored: str | None, first_date: date, window_days: int) -> date:
    """The first day to read: ``first_date`` before any sync, else the restatement window
    before the last day read."""
    if stored is None:
        return first_date
    return max(first_date, date.fromisoformat(stored) - timedelta(days=window_days - 1))


def ensure_raw_tables(
    con: duckdb.DuckDBPyConnection, raw: RawObject, columns: tuple[str, ...]
) -> None:
    """Create the raw table with its columns, empty, so dbt staging always has one to read."""
    ensure_raw_table(con, raw, [(column, "VARCHAR") for column in columns])


def sync_ad_spend(
    con: duckdb.DuckDBPyConnection,
    client: AdClient,
    raw: RawObject,
    columns: tuple[str, ...],
    *,
    until: date,
    first_date: date,
    load_id: str,
    loaded_at: datetime,
    window_days: int = WINDOW_DAYS,
    progress: Callable[[str], None] = lambda _: None,
    work_dir: Path | None = None,
) -> ObjectStats:
    """Read every account of the platform from its cursor's window to ``until`` and land
    it in ``raw``; call outside a transaction (each account commits on its own). Each
    read is spooled to Parquet in ``work_dir`` (a temporary folder) before landing."""
    if window_days < 1:
        raise ValueError(f"window_days is {window_days}: re-read at least the last day")
    ensure_raw_tables(con, raw, columns)
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([(column, pa.string()) for column in columns])
    totals = {"read": 0, "inserted": 0, "quarantined": 0, "accounts": 0}
    before = (client.stats.requests, client.stats.retries)
    modes = set()
    for account in client.accounts():
        stored = read_cursor(con, raw.schema, raw.name, account)
        since = first_day_to_read(stored, first_date, window_days)
        modes.add("full" if stored is None else "incremental")
        if since > until:
            continue
        progress(f"{raw.source_system} account {account}: {since} to {until}")
        rows = client.campaign_days(account, since, until)
        read = pa.Table.from_pylist(
            [{column: _text(row.get(column)) for column in columns} for row in rows], schema
        )
        with tempfile.TemporaryDirectory(prefix="ad-spend-", dir=work_dir) as tmp, transaction(con):
            spooled = Path(tmp) / "read.parquet"
            pq.write_table(read, spooled)
            stats = load_snapshot(
                con,
                raw,
                f"read_parquet('{_quoted(spooled)}')",
                source_instance=account,
                load_id=load_id,
                loaded_at=loaded_at,
                complete=False,
            )
            newest = max(until.isoformat(), stored or "")
            write_cursor(
                con, raw.schema, raw.name, account, newest, load_id=load_id, updated_at=loaded_at
            )
        totals["read"] += stats.rows_read
        totals["inserted"] += stats.rows_inserted
        totals["quarantined"] += stats.rows_quarantined
        totals["accounts"] += 1
    return ObjectStats(
        object=raw.name,
        mode="incremental" if modes == {"incremental"} else "full",
        rows_read=totals["read"],
        rows_inserted=totals["inserted"],
        rows_quarantined=totals["quarantined"],
        rows_vanished=0,
        pages=totals["accounts"],  # one searchStream / insights read per account
        requests=client.stats.requests - before[0],
        retries=client.stats.retries - before[1],
        cursor=until.isoformat(),
    )


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _text(value: object) -> str | None:
    return None if value is None else str(value)
