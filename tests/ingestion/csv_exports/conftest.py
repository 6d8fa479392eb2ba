"""Fixtures for the CSV-export source: a fresh warehouse, files written on the fly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from textwrap import dedent

import duckdb
import pytest
from shared_datasets import DATASETS, lay_out_csv_examples

import ingestion.csv_exports


@pytest.fixture(scope="session")
def csv_exports():
    return ingestion.csv_exports


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def datasets() -> Path:
    """The shared public exports, read in place (never copied into the repository)."""
    if not DATASETS.is_dir():
        pytest.fail(f"the shared public data sets are expected at {DATASETS} (../shared/datasets)")
    return DATASETS


@pytest.fixture(scope="session")
def examples(tmp_path_factory, datasets) -> Path:
    return lay_out_csv_examples(tmp_path_factory.mktemp("csv_examples"))


@pytest.fixture
def write(tmp_path):
    """Write a file (a mapping, a CSV) given as an indented literal into the test's folder."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def land(con, csv_exports):
    """Land mappings (paths or a folder) as load ``load_id``, collecting progress lines."""
    messages: list[str] = []

    def _land(mappings, load_id="L1"):
        messages.clear()
        at = datetime(2025, 1, 1, tzinfo=UTC)
        return csv_exports.land_csv_exports(
            con, mappings, load_id=load_id, loaded_at=at, progress=messages.append
        )

    _land.messages = messages
    return _land


@pytest.fixture
def counts(con):
    """Rows per table in raw_csv and quarantine: a fingerprint of everything landed."""

    def _counts() -> dict[str, int]:
        tables = con.execute(
            """select table_schema || '.' || table_name from information_schema.tables
            where table_schema in ('raw_csv', 'quarantine') order by 1"""
        ).fetchall()
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for (t,) in tables}

    return _counts
