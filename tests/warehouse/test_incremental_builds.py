"""A daily run's incremental build leaves every incremental model exactly as a full rebuild.

The session's warehouse (built in full) gets one more day of CRM changes (an edit, new
deals and activities, deleted and merged deals, deleted activities), landed by the raw
loader as a daily sync would; then the incremental build and a full rebuild of the same
raw tables must hold the same rows, and a rerun with nothing new must change nothing.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from background_runs import follow_up, follow_up_result
from dbt_commands import run_dbt

from ingestion.demo import land_demo_world
from ingestion.simulator.next_day import NextDay, write_next_day
from orchestration.dbt_manifest import models_watermarked_on_raw_loads


def _dbt_run(settings, as_of, target: Path, *args: str) -> None:
    done = run_dbt(settings, as_of, target, "run", *args)
    assert done.returncode == 0, done.stdout + done.stderr


def _differences(left: Path, right: Path, table: str) -> tuple[int, int]:
    """Rows of ``table`` in ``left`` and not in ``right``, and the other way round
    (duplicates counted)."""
    with duckdb.connect(str(left), read_only=True) as con:
        con.execute(f"attach '{right}' as other (read_only)")
        only_left, only_right = (
            con.execute(
                f"select count(*) from (select * from {a} except all select * from {b})"
            ).fetchone()[0]
            for a, b in ((table, f"other.{table}"), (f"other.{table}", table))
        )
    return only_left, only_right


def _incremental_models(pipeline_run) -> list[str]:
    """The models watermarked on raw loads. (pipeline_daily_snapshots keeps the days before
    its window as they were built, by design; the fingerprinted simulations have tests of
    their own, tests/forecasting/test_incremental_simulations.py.)"""
    manifest = pipeline_run.settings.home / "dbt_target" / "manifest.json"  # the run's own
    models = [f"{schema}.{table}" for schema, table in models_watermarked_on_raw_loads(manifest)]
    assert "intermediate.int_activities" in models
    return models


@follow_up("next_day")
def _build_the_next_day(pipeline_run) -> tuple[NextDay, dict, list[str]]:
    """The session's warehouse with one more day landed, built incrementally
    (``incremental``), rebuilt in full (``full``) and built again with nothing new
    (``rerun``, beside a copy of ``incremental`` taken before it); and the incremental
    models. Three dbt runs: a follow-up, so they overlap the tests reading the run."""
    folder = pipeline_run.settings.home.parent / "incremental"
    folder.mkdir()
    models = _incremental_models(pipeline_run)
    day = write_next_day(pipeline_run.world_dir, folder / "world")
    warehouses = {name: folder / f"{name}.duckdb" for name in ("incremental", "full", "rerun")}
    shutil.copy(pipeline_run.settings.warehouse_path, warehouses["incremental"])
    with duckdb.connect(str(warehouses["incremental"])) as con:
        land_demo_world(con, folder / "world", load_id="next-day", loaded_at=datetime.now(UTC))
    shutil.copy(warehouses["incremental"], warehouses["full"])
    selection = ["--select", "+" + " +".join(m.split(".")[1] for m in models)]
    for name, extra in (("incremental", []), ("full", ["--full-refresh"])):
        settings = replace(pipeline_run.settings, warehouse=warehouses[name])
        _dbt_run(settings, day.day, folder / f"target_{name}", *selection, *extra)
    shutil.copy(warehouses["incremental"], warehouses["rerun"])
    settings = replace(pipeline_run.settings, warehouse=warehouses["rerun"])
    _dbt_run(settings, day.day, folder / "target_rerun", *selection)
    return day, warehouses, models


@pytest.fixture(scope="module")
def next_day(pipeline_run) -> tuple[NextDay, dict]:
    day, warehouses, _ = follow_up_result("next_day", pipeline_run)
    return day, warehouses


@pytest.fixture(scope="module")
def incremental_models(pipeline_run) -> list[str]:
    return follow_up_result("next_day", pipeline_run)[2]


def test_the_day_holds_every_kind_of_change(next_day, pipeline_run):
    day, warehouses = next_day
    portal = pipeline_run.query("select distinct _source_instance from raw_hubspot.deals")[0][0]
    with duckdb.connect(str(warehouses["incremental"]), read_only=True) as con:
        landed = dict(
            con.execute(
                "select _vanished, count(*) from raw_hubspot.deals where _load_id = 'next-day' "
                "group by _vanished"
            ).fetchall()
        )
        counted_on = dict(
            con.execute(
                "select logged_deal_key, any_value(deal_key) from intermediate.int_activities "
                "group by logged_deal_key"
            ).fetchall()
        )
        activities = {
            key.split(":")[-1]
            for (key,) in con.execute(
                "select activity_key from intermediate.int_activities"
            ).fetchall()
        }
    assert landed[True] == len(day.deleted_deal_ids) + len(day.merged_deal_ids)
    assert landed[False] == len(day.edited_deal_ids) + len(day.new_deal_ids) + len(
        day.merged_deal_ids
    )
    key = f"hubspot:{portal}:"
    for merged_away, survivor in day.merged_deal_ids.items():
        if key + merged_away in counted_on:  # a merged-away deal without activities moves none
            assert counted_on[key + merged_away] == key + survivor
    assert any(key + deal in counted_on for deal in day.new_deal_ids)
    assert not activities & set(day.deleted_activity_ids)


def test_incremental_build_equals_a_full_rebuild(next_day, incremental_models):
    _, warehouses = next_day
    for model in incremental_models:
        assert _differences(warehouses["incremental"], warehouses["full"], model) == (0, 0), model


def test_a_rerun_with_nothing_new_changes_nothing(next_day, incremental_models):
    _, warehouses = next_day
    for model in incremental_models:
        assert _differences(warehouses["rerun"], warehouses["incremental"], model) == (0, 0), model
