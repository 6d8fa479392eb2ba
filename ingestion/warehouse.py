"""Opening the DuckDB warehouse: one writer at a time, bounded memory, clear lock errors.

DuckDB lets one process write a database file, or many read it, never both. Every
connection Funnelhouse opens goes through :func:`connect`, so each one gets the
configured memory limit, threads and spill directory, and a lock held elsewhere
becomes a :class:`WarehouseLockedError` that names the holder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ingestion.settings import Settings

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened; the message says why and what to do."""


class WarehouseLockedError(WarehouseError):
    """Another process holds the warehouse file's lock."""


def _describe_process(pid: int, program: str) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        cmdline = ""
    return f"PID {pid} ({cmdline or program})"


def _translate(exc: duckdb.Error, path: Path) -> WarehouseError:
    message = str(exc)
    holder = _LOCK_HOLDER.search(message)
    if holder:
        who = _describe_process(int(holder["pid"]), holder["program"])
        return WarehouseLockedError(
            f"warehouse {path} is locked by another process: {who}. "
            "Wait for it to finish or stop it, then run again."
        )
    return WarehouseError(f"cannot open warehouse {path}: {message.splitlines()[0]}")


def _ensure_writable_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseError(
            f"cannot create the warehouse folder {path.parent}: {exc.strerror}. "
            "Choose a writable path with --warehouse or FUNNELHOUSE_WAREHOUSE."
        ) from exc


def open_connection(
    settings: Settings, read_only: bool = False, *, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse with the project's resource limits applied
    (``memory_limit`` instead of the usual one: a connector's landing uses less)."""
    path = settings.warehouse_path
    if not read_only:
        _ensure_writable_parent(path)
    settings.temp_directory.mkdir(parents=True, exist_ok=True)
    config = {
        "memory_limit": memory_limit or settings.duckdb_memory_limit,
        "threads": settings.duckdb_threads,
        "temp_directory": str(settings.temp_directory),
        # Row order in a table carries no meaning here; not keeping it lets large inserts
        # stream instead of buffering.
        "preserve_insertion_order": False,
    }
    try:
        return duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.Error as exc:
        raise _translate(exc, path) from exc


@contextmanager
def connect(
    settings: Settings, read_only: bool = False, *, memory_limit: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse for the length of a ``with`` block, and always close it."""
    con = open_connection(settings, read_only=read_only, memory_limit=memory_limit)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All of the block's writes, or none of them: a failure leaves tables as they were."""
    con.execute("begin transaction")
    try:
        yield
    except duckdb.OutOfMemoryException as exc:
        con.execute("rollback")
        raise WarehouseError(
            f"the warehouse ran out of memory ({str(exc).splitlines()[0]}); nothing of this "
            "step was saved. Raise FUNNELHOUSE_LANDING_MEMORY_LIMIT (a connector's landing) "
            "or FUNNELHOUSE_DUCKDB_MEMORY_LIMIT (everything else) and run again."
        ) from exc
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def rewrite_warehouse(settings: Settings) -> None:
    """Copy the warehouse into a fresh file and swap it in, so rows deleted from it (a
    forgotten person) leave no bytes behind in free blocks. The old file stays in place
    until the copy is complete."""
    path = settings.warehouse_path
    fresh = path.with_name(f"{path.stem}.rewrite{path.suffix}")
    fresh.unlink(missing_ok=True)
    with connect(settings) as con:
        con.execute(f"attach '{fresh}' as fresh")
        con.execute(f"copy from database {_database_name(con)} to fresh")
        con.execute("detach fresh")
    os.replace(fresh, path)


def _database_name(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_database()").fetchone()[0]
