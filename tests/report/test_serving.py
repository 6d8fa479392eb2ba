"""The serving copy: every mart published, personal columns left out unless allowed, and
atomic swaps that a reader holding the copy open neither blocks nor sees half done."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace

import duckdb
import pytest
from conftest import published_version
from report.serving_reader import Reader

from ingestion.settings import load_settings
from orchestration.dbt_manifest import MANIFEST_PATH
from orchestration.serving import (
    open_serving,
    personal_columns,
    publish,
    publishing,
)


def _parquet_version(settings) -> str:
    current = settings.serving_parquet_dir / "current"
    return json.loads((current / "publication.json").read_text())["version"]


@pytest.fixture
def two_warehouses(pipeline_run, tmp_path):
    """The run's warehouse, and a copy whose marts differ (so versions tell apart)."""
    changed = tmp_path / "changed.duckdb"
    shutil.copy(pipeline_run.settings.warehouse_path, changed)
    with duckdb.connect(str(changed)) as con:
        con.execute("delete from marts.deals where deal_key like '%3'")
        con.execute("delete from marts.pipeline_movement where period_month < '2025-01-01'")
    first = replace(pipeline_run.settings, serving_dir=tmp_path / "serving")
    return first, replace(first, warehouse=changed), pipeline_run.as_of


def test_the_run_published_every_mart_table(pipeline_run, serving):
    tables = pipeline_run.query(
        "select table_name from information_schema.tables "
        "where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"
    )
    published = serving("select mart, row_count from main.publication order by mart")
    assert [mart for mart, _ in published] == [name for (name,) in tables]
    for mart, rows in published:
        assert pipeline_run.query(f"select count(*) from marts.{mart}")[0][0] == rows
    settings = pipeline_run.settings
    assert _parquet_version(settings) == published_version(settings)
    money = "select round(sum(amount_reporting), 2) from "
    parquet = settings.serving_parquet_dir / "current" / "deals.parquet"
    with duckdb.connect() as con:
        from_parquet = con.execute(money + "read_parquet(?)", [str(parquet)]).fetchall()
    assert serving(money + "marts.deals") == pipeline_run.query(money + "marts.deals")
    assert from_parquet == pipeline_run.query(money + "marts.deals")
    assert settings.serving_path.stat().st_mode & 0o222 == 0, "the serving file is read-only"


def test_personal_columns_are_tagged_in_the_marts_yaml():
    tagged = personal_columns(MANIFEST_PATH)
    assert "deal_name" in tagged["deals"]
    assert "deal_name" in tagged["deals_needing_follow_up"]


def test_personal_columns_are_left_out_unless_allowed(pipeline_run, serving, tmp_path, monkeypatch):
    columns = {
        name
        for (name,) in serving(
            "select column_name from duckdb_columns() where table_name = 'deals'"
        )
    }
    assert "deal_name" not in columns and "deal_key" in columns
    parquet = pipeline_run.settings.serving_parquet_dir / "current" / "deals.parquet"
    with duckdb.connect() as con:
        names = {
            row[0]
            for row in con.execute(
                "describe select * from read_parquet(?)", [str(parquet)]
            ).fetchall()
        }
    assert "deal_name" not in names
    assert serving("select left_out_columns from main.publication where mart = 'deals'") == [
        ("deal_name",)
    ]

    monkeypatch.setenv("FUNNELHOUSE_SERVING_INCLUDE_PERSONAL_DATA", "true")
    allowed = load_settings(
        home=pipeline_run.settings.home,
        warehouse=pipeline_run.settings.warehouse_path,
        serving_dir=tmp_path / "serving",
    )
    assert allowed.serving_include_personal_data
    publication = publish(allowed, pipeline_run.as_of, personal_columns(MANIFEST_PATH))
    assert publication.mart("deals").left_out == ()
    with open_serving(allowed) as con:
        names = con.execute("select deal_key, deal_name from marts.deals order by 1").fetchall()
    assert names == pipeline_run.query("select deal_key, deal_name from marts.deals order by 1")


def test_readers_never_block_a_publish_and_see_one_whole_version(two_warehouses, tmp_path):
    first, second, as_of = two_warehouses
    personal = personal_columns(MANIFEST_PATH)
    opened = publish(first, as_of, personal).version
    stop = tmp_path / "stop"
    holder = Reader(first.serving_root, "hold", stop)
    looper = Reader(first.serving_root, "loop", stop)
    versions = [opened]
    try:
        for i in range(6):
            started = time.monotonic()
            source = second if i % 2 == 0 else first
            versions.append(publish(source, as_of, personal).version)
            assert time.monotonic() - started < 60
            time.sleep(0.2)
    finally:
        stop.touch()
    held, looped = holder.result(), looper.result()
    assert held["versions"] == [opened] and held["problems"] == []
    assert held["reads"] > 10, "the holder kept reading while every publish went through"
    assert looped["problems"] == []
    assert len(looped["versions"]) >= 3 and set(looped["versions"]) <= set(versions)
    assert len(looped["parquet_versions"]) >= 3
    assert published_version(first) == versions[-1] == _parquet_version(first)
    kept = sorted(p.name for p in (first.serving_parquet_dir / "versions").iterdir())
    assert kept == versions[-publishing.KEPT_PARQUET_VERSIONS :]


def test_a_failed_publish_keeps_the_previous_version(two_warehouses, monkeypatch):
    first, _, as_of = two_warehouses
    personal = personal_columns(MANIFEST_PATH)
    before = publish(first, as_of, personal).version

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(publishing, "_record", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        publish(first, as_of, personal)
    assert published_version(first) == before == _parquet_version(first)
    assert [p.name for p in first.serving_root.rglob(".*")] == [], "no half-made version left"
