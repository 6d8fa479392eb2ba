"""Forgets whose raw edits committed but whose completion has not: ``main.pending_forgets``.

`funnelhouse forget` edits the raw and quarantine tables in one transaction, then rebuilds
everything downstream, removes the serving copy's earlier versions and rewrites the
warehouse file. Until all of that has finished, marts, earlier serving versions and the
file's free blocks still hold the person while raw no longer does, so a rerun for the same
person finds nothing to do. The raw edits therefore add a row here in their own
transaction, each step is struck off it as the step finishes, and the row goes once none
is left; the next `forget` finishes what any row lists, whomever it is asked to forget, or
no one.

A row says when and what is left, never whom: it outlives the forget, and naming the person
would keep what was to be forgotten. It lives in the warehouse's ``main`` schema, as the
serving copy's ``publication`` table lives in its own: bookkeeping of the file as a
whole, of no source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from ingestion.warehouse import WarehouseError, transaction

SCHEMA, NAME = "main", "pending_forgets"
TABLE = f"{SCHEMA}.{NAME}"
# What follows the raw edits, in the order it must happen.
REBUILD, SERVING_CLEANUP, FILE_REWRITE = "rebuild", "serving cleanup", "file rewrite"
STEPS = (REBUILD, SERVING_CLEANUP, FILE_REWRITE)


@dataclass(frozen=True)
class PendingForget:
    raw_edited_at: datetime  # UTC
    steps_left: tuple[str, ...]  # of STEPS, in order

    def __str__(self) -> str:
        return f"{self.raw_edited_at:%Y-%m-%d %H:%M:%S} UTC: {', '.join(self.steps_left)} left"


class ForgetPendingError(WarehouseError):
    """A forget has not finished: building on the warehouse now would report success while
    the person is still in it."""


def record_pending_forget(con: duckdb.DuckDBPyConnection) -> None:
    """Record that every step after the raw edits is owed; call inside their transaction."""
    con.execute(
        f"create table if not exists {TABLE} (raw_edited_at timestamp, steps_left varchar[])"
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute(f"insert into {TABLE} values (?, ?)", [now, list(STEPS)])


def pending_forgets(con: duckdb.DuckDBPyConnection) -> list[PendingForget]:
    """The forgets not finished yet, oldest first."""
    exists = con.execute(
        "select count(*) from duckdb_tables() "
        "where database_name = current_database() and schema_name = ? and table_name = ?",
        [SCHEMA, NAME],
    ).fetchone()[0]
    if not exists:
        return []
    rows = con.execute(f"select raw_edited_at, steps_left from {TABLE} order by 1").fetchall()
    return [PendingForget(edited_at, tuple(left)) for edited_at, left in rows]


def steps_owed(pending: list[PendingForget]) -> list[str]:
    """Every step any of ``pending`` has left, in order."""
    return [step for step in STEPS if any(step in forget.steps_left for forget in pending)]


def strike_step(con: duckdb.DuckDBPyConnection, step: str, upto: datetime) -> None:
    """``step`` has finished for the forgets whose raw edits committed by ``upto`` (those
    it covered: a forget committed meanwhile may have missed the rebuild); a forget with
    nothing left goes."""
    with transaction(con):
        con.execute(
            f"update {TABLE} set steps_left = list_filter(steps_left, lambda s: s <> ?) "
            "where raw_edited_at <= ?",
            [step, upto],
        )
        con.execute(f"delete from {TABLE} where len(steps_left) = 0")


def refuse_while_forget_pending(con: duckdb.DuckDBPyConnection) -> None:
    """Raise :class:`ForgetPendingError` if a forget has not finished. A run rebuilds the
    marts but not whole incremental models, and neither removes earlier serving versions
    nor rewrites the file: it would succeed and leave the person there."""
    pending = pending_forgets(con)
    if pending:
        raise ForgetPendingError(
            f"a forget has not finished (interrupted on {pending[0]}): the person it removed "
            "from the raw tables may still be in the marts, earlier serving-copy versions "
            "and the warehouse file's free blocks. Run `funnelhouse forget` on this "
            "warehouse (no person needed) to finish it, then run again."
        )
