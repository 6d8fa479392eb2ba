"""Publishing the marts to a read-only serving DuckDB file and to Parquet, atomically.

DuckDB lets one process write a file or many read it, never both: a BI tool holding the
warehouse open would stop the next run. So BI tools and the report read this copy. Each
publish writes a complete new version beside the current one and swaps it in with one
atomic rename: a reader holding the old file open neither blocks the publish nor sees a
mix of versions; it keeps the version it opened until it reconnects.

    <serving>/funnelhouse.duckdb                  schema marts, and main.publication
    <serving>/parquet/versions/<version>/         <mart>.parquet, publication.json
    <serving>/parquet/current -> versions/<version>
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from ingestion.settings import Settings
from ingestion.warehouse import connect, open_connection
from orchestration.serving.personal import MARTS_SCHEMA

PUBLICATION_TABLE = "publication"
# Parquet versions kept (the current one and those before it) for readers still on one.
KEPT_PARQUET_VERSIONS = 3
READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


@dataclass(frozen=True)
class MartCopy:
    name: str
    rows: int
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type), as published
    left_out: tuple[str, ...] = ()  # personal columns not published


@dataclass(frozen=True)
class Publication:
    version: str
    as_of: date
    reporting_currency: str
    includes_personal_data: bool
    marts: tuple[MartCopy, ...]

    def mart(self, name: str) -> MartCopy:
        return next(mart for mart in self.marts if mart.name == name)

    def columns(self) -> dict[str, set[str]]:
        """Mart -> the names of its published columns."""
        return {mart.name: {name for name, _ in mart.columns} for mart in self.marts}


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _new_version() -> str:
    """Sortable and unique per publish; only names the version, no logic reads it."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _copy_marts(
    con: duckdb.DuckDBPyConnection, personal: Mapping[str, frozenset[str]], include: bool
) -> list[MartCopy]:
    """Every mart table into the attached `serving` database, personal columns left out."""
    con.execute(f"create schema serving.{MARTS_SCHEMA}")
    tables = con.execute(
        "select table_name from duckdb_tables() "
        "where database_name = current_database() and schema_name = ? order by 1",
        [MARTS_SCHEMA],
    ).fetchall()
    copies = []
    for (table,) in tables:
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where database_name = current_database() and schema_name = ? and table_name = ? "
            "order by column_index",
            [MARTS_SCHEMA, table],
        ).fetchall()
        # Bookkeeping columns (a leading underscore: the fingerprints of models built
        # incrementally) serve the warehouse's builds, not its readers.
        columns = [(name, kind) for name, kind in columns if not name.startswith("_")]
        left_out = () if include else tuple(c for c, _ in columns if c in personal.get(table, ()))
        kept = [(name, kind) for name, kind in columns if name not in left_out]
        select = ", ".join(f'"{name}"' for name, _ in kept)
        con.execute(
            f'create table serving.{MARTS_SCHEMA}."{table}" as '
            f'select {select} from {MARTS_SCHEMA}."{table}"'
        )
        rows = con.execute(f'select count(*) from serving.{MARTS_SCHEMA}."{table}"').fetchone()[0]
        copies.append(MartCopy(table, rows, tuple(kept), left_out))
    return copies


def _record(con: duckdb.DuckDBPyConnection, publication: Publication, published_at: str) -> None:
    con.execute(
        f"create table serving.main.{PUBLICATION_TABLE} (version varchar, published_at varchar, "
        "as_of date, reporting_currency varchar, includes_personal_data boolean, "
        "mart varchar, row_count bigint, left_out_columns varchar)"
    )
    con.executemany(
        f"insert into serving.main.{PUBLICATION_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                publication.version,
                published_at,
                publication.as_of,
                publication.reporting_currency,
                publication.includes_personal_data,
                mart.name,
                mart.rows,
                ", ".join(mart.left_out),
            ]
            for mart in publication.marts
        ],
    )


def _manifest(publication: Publication, published_at: str) -> str:
    return json.dumps(
        {
            "version": publication.version,
            "published_at": published_at,
            "as_of": publication.as_of.isoformat(),
            "reporting_currency": publication.reporting_currency,
            "includes_personal_data": publication.includes_personal_data,
            "marts": {
                mart.name: {"rows": mart.rows, "columns": dict(mart.columns)}
                for mart in publication.marts
            },
        },
        indent=2,
    )


def _point_current(parquet_dir: Path, version: str) -> None:
    """Swap the `current` link to the new version in one rename."""
    link = parquet_dir / f".current-{version}"
    link.symlink_to(Path("versions") / version)
    os.replace(link, parquet_dir / "current")


def _prune(serving_root: Path, versions: Path) -> None:
    """Drop leftovers of interrupted publishes and all but the newest Parquet versions."""
    for leftover in serving_root.glob(".funnelhouse-*.duckdb*"):
        leftover.unlink(missing_ok=True)
    for leftover in versions.glob(".*.partial"):
        shutil.rmtree(leftover, ignore_errors=True)
    for old in sorted(p for p in versions.iterdir() if not p.name.startswith("."))[
        :-KEPT_PARQUET_VERSIONS
    ]:
        shutil.rmtree(old, ignore_errors=True)


def publish(settings: Settings, as_of: date, personal: Mapping[str, frozenset[str]]) -> Publication:
    """Copy every mart table of the warehouse into a new serving version and swap it in.

    ``personal``: mart -> columns tagged personal (see personal.py). The warehouse is only
    read; run this where no writer holds it (inside the warehouse pool).
    """
    root, versions = settings.serving_root, settings.serving_parquet_dir / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    _prune(root, versions)
    version, published_at = _new_version(), datetime.now(UTC).isoformat(timespec="seconds")
    staged_db = root / f".funnelhouse-{version}.duckdb"
    staged_parquet = versions / f".{version}.partial"
    staged_parquet.mkdir()
    include = settings.serving_include_personal_data
    try:
        with connect(settings, read_only=True) as con:
            con.execute(f"attach {_literal(staged_db)} as serving (read_write)")
            publication = Publication(
                version,
                as_of,
                settings.reporting_currency,
                include,
                tuple(_copy_marts(con, personal, include)),
            )
            _record(con, publication, published_at)
            for mart in publication.marts:
                target = staged_parquet / f"{mart.name}.parquet"
                con.execute(
                    f'copy serving.{MARTS_SCHEMA}."{mart.name}" to {_literal(target)} '
                    "(format parquet, compression zstd)"
                )
            con.execute("detach serving")
        (staged_parquet / "publication.json").write_text(_manifest(publication, published_at))
        for path in (staged_db, *staged_parquet.iterdir()):
            path.chmod(READ_ONLY)
        staged_parquet.rename(versions / version)
        os.replace(staged_db, settings.serving_path)
        _point_current(settings.serving_parquet_dir, version)
    except BaseException:
        for path in root.glob(f"{staged_db.name}*"):  # with its write-ahead log, if any
            path.unlink()
        shutil.rmtree(staged_parquet, ignore_errors=True)
        raise
    _prune(root, versions)
    return publication


def drop_earlier_versions(settings: Settings) -> int:
    """Remove every Parquet version but the current one; returns how many went. After
    `forget`, earlier versions still hold what was forgotten (an employee's name, personal
    columns when they are published); a reader still on one loses it."""
    versions = settings.serving_parquet_dir / "versions"
    current = (settings.serving_parquet_dir / "current").resolve()
    earlier = [path for path in versions.iterdir() if path.resolve() != current]
    for path in earlier:
        shutil.rmtree(path)
    return len(earlier)


def open_serving(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the serving copy, with the project's resource limits."""
    path = settings.serving_path
    if not path.exists():
        raise FileNotFoundError(
            f"no serving copy at {path}: run `funnelhouse run` first (it publishes one)"
        )
    return open_connection(replace(settings, warehouse=path), read_only=True)


def read_publication(con: duckdb.DuckDBPyConnection) -> Publication:
    """The version an open serving connection sees, from its publication table."""
    rows = con.execute(
        "select version, as_of, reporting_currency, includes_personal_data, mart, row_count, "
        f"left_out_columns from main.{PUBLICATION_TABLE} order by mart"
    ).fetchall()
    marts = []
    for *_, mart, row_count, left_out in rows:
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where schema_name = ? and table_name = ? order by column_index",
            [MARTS_SCHEMA, mart],
        ).fetchall()
        left_out_columns = tuple(filter(None, left_out.split(", ")))
        marts.append(MartCopy(mart, row_count, tuple(columns), left_out_columns))
    version, as_of, currency, includes, *_ = rows[0]
    return Publication(version, as_of, currency, includes, tuple(marts))
