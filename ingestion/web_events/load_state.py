"""Which export files were landed, so each landing reads only new and changed ones.

``raw_web_events._files`` keeps, per site and file (its path relative to the folder
landed), the size, modification time and SHA-256 of the content last landed. A file whose
size and modification time are unchanged is skipped without being opened; one whose
modification time moved but whose bytes hash the same (copied, touched) is skipped too.
The state is written in the transaction that lands the files, so it never claims a file
whose rows did not commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from ingestion.web_events.objects import EVENTS

TABLE = f"{EVENTS.schema}._files"


@dataclass(frozen=True)
class ExportFile:
    path: Path
    name: str  # relative to the folder landed: what raw rows name in export_file
    size: int
    mtime_ns: int

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def export_files(source: Path, paths: list[Path]) -> list[ExportFile]:
    """The files with their names relative to ``source`` (a folder, or the file itself)."""
    root = source if source.is_dir() else source.parent
    found = []
    for path in paths:
        stat = path.stat()
        found.append(
            ExportFile(path, path.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns)
        )
    return found


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {EVENTS.schema}")
    con.execute(
        f"""create table if not exists {TABLE} (
            source_instance varchar not null, export_file varchar not null,
            size_bytes bigint not null, mtime_ns bigint not null, sha256 varchar not null,
            load_id varchar not null, loaded_at timestamptz not null,
            primary key (source_instance, export_file))"""
    )


def to_land(
    con: duckdb.DuckDBPyConnection, site: str, files: list[ExportFile]
) -> tuple[list[tuple[ExportFile, str]], list[tuple[ExportFile, str]]]:
    """(files to land, files unchanged since they were landed), each with its content hash."""
    _ensure(con)
    known = {
        name: (size, mtime, sha)
        for name, size, mtime, sha in con.execute(
            f"select export_file, size_bytes, mtime_ns, sha256 from {TABLE} "
            "where source_instance = ?",
            [site],
        ).fetchall()
    }
    changed, unchanged = [], []
    for file in files:
        size, mtime, sha = known.get(file.name, (None, None, None))
        if (size, mtime) == (file.size, file.mtime_ns):
            unchanged.append((file, sha))
            continue
        digest = file.sha256()
        (unchanged if (size, sha) == (file.size, digest) else changed).append((file, digest))
    return changed, unchanged


def remember(
    con: duckdb.DuckDBPyConnection,
    site: str,
    landed: list[tuple[ExportFile, str]],
    unchanged: list[tuple[ExportFile, str]],
    *,
    load_id: str,
    loaded_at: datetime,
) -> None:
    """Record the files landed, and the modification time of unchanged ones (so the next
    landing skips them unopened), inside the caller's transaction: the one landing them."""
    _ensure(con)
    for file, digest in landed:
        con.execute(
            f"insert or replace into {TABLE} values (?, ?, ?, ?, ?, ?, ?)",
            [site, file.name, file.size, file.mtime_ns, digest, load_id, loaded_at],
        )
    for file, _ in unchanged:
        con.execute(
            f"update {TABLE} set mtime_ns = ? where source_instance = ? and export_file = ?",
            [file.mtime_ns, site, file.name],
        )
