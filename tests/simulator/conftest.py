"""A shared ~2,000-deal world, generated once per test session, and SQL access to it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingestion.simulator import WorldConfig, generate_world
from ingestion.simulator.schema import TABLES

WORLD_CONFIG = WorldConfig(seed=7, n_deals=2000)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("worlds") / "w2k"
    generate_world(WORLD_CONFIG, out)
    return out


@pytest.fixture(scope="session")
def db(world: Path) -> duckdb.DuckDBPyConnection:
    """DuckDB with one view per table, named as in schema.TABLES."""
    con = duckdb.connect()
    for name, (folder, _) in TABLES.items():
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM '{world / folder}/*.parquet'")
    return con


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]
