"""A daily run's incremental build leaves every incremental model exactly as a full rebuild.

The session's warehouse (built in full) gets one more day of CRM changes (an edit, new
deals and activities, deleted and merged deals, deleted activities), landed by the raw
loader as a daily sync would; then the incremental build and a full rebuild of the same
raw tables must hold the same rows, and a rerun with nothing new must change nothing.
Learned parameters are kept between relearnings, so the full rebuild keeps them too, and
a run due to learn them again is checked on its own. The day is the first of a month, so
the forecasts learned per as-of date learn every date again, as the full rebuild does; a
run the day after keeps them.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from background_runs import follow_up, follow_up_result
from dbt_commands import run_dbt
from python_models import load_python_model

from ingestion.demo import land_demo_world
from ingestion.simulator.next_day import NextDay, write_next_day

# A row's columns but when the run that wrote it started (`_built_at`): what two builds of
# the same rows agree on.
WRITTEN = "columns(lambda c: c <> '_built_at')"


def _dbt_run(settings, as_of, target: Path, *args: str) -> None:
    done = run_dbt(settings, as_of, target, "run", *args)
    assert done.returncode == 0, done.stdout + done.stderr


def _differences(left: Path, right: Path, table: str) -> tuple[int, int]:
    """Rows of ``table`` in ``left`` and not in ``right``, and the other way round
    (duplicates counted), but for when the run that wrote them started (`_built_at`)."""
    rows = f"select {WRITTEN} from"
    with duckdb.connect(str(left), read_only=True) as con:
        con.execute(f"attach '{right}' as other (read_only)")
        only_left, only_right = (
            con.execute(f"select count(*) from ({rows} {a} except all {rows} {b})").fetchone()[0]
            for a, b in ((table, f"other.{table}"), (f"other.{table}", table))
        )
    return only_left, only_right


def _incremental_models(pipeline_run) -> list[str]:
    """Every incremental model but two: pipeline_daily_snapshots keeps the days before its
    window as they were built, by design, and the fingerprinted simulations have tests of
    their own (tests/forecasting/test_incremental_simulations.py)."""
    manifest = pipeline_run.settings.home / "dbt_target" / "manifest.json"  # the run's own
    nodes = json.loads(manifest.read_text())["nodes"].values()
    models = [
        f"{node['schema']}.{node['name']}"
        for node in nodes
        if node["resource_type"] == "model"
        and node["config"]["materialized"] == "incremental"
        and node["name"] not in ("pipeline_daily_snapshots", "int_forecast_simulations")
    ]
    assert {"intermediate.int_activities", *BY_FINGERPRINT} <= set(models)
    return models


@follow_up("next_day", runs=1)  # seven dbt builds, one of every model
def _build_the_next_day(pipeline_run) -> tuple[NextDay, dict, list[str]]:
    """The session's warehouse with one more day landed, built incrementally
    (``incremental``), rebuilt in full but for the learned parameters (``full``), built
    again with nothing new (``rerun``, a copy of ``incremental``), tampered with and its
    fingerprinted models built again (``tampered``), and its learned parameters learned
    again (``relearned``), and its forecasts and month movements (whole) built for the day
    after (``day_after``); and the incremental models. Seven dbt runs: a follow-up, so
    they overlap the tests reading the run."""
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
    # The learned parameters stay as learned at the session's run, as the day's run keeps them.
    full = ["--full-refresh", "--exclude", *LEARNED]
    for name, extra in (("incremental", []), ("full", full)):
        settings = replace(pipeline_run.settings, warehouse=warehouses[name])
        _dbt_run(settings, day.day, folder / f"target_{name}", *selection, *extra)
    shutil.copy(warehouses["incremental"], warehouses["rerun"])
    settings = replace(pipeline_run.settings, warehouse=warehouses["rerun"])
    _dbt_run(settings, day.day, folder / "target_rerun", *selection)
    warehouses["tampered"] = folder / "tampered.duckdb"
    shutil.copy(warehouses["incremental"], warehouses["tampered"])
    _tamper_with_fingerprinted_models(warehouses["tampered"])
    settings = replace(pipeline_run.settings, warehouse=warehouses["tampered"])
    tampered = [model.split(".")[1] for model in (*BY_FINGERPRINT, RECODED)]
    _dbt_run(settings, day.day, folder / "target_tampered", "--select", *tampered)
    warehouses["relearned"] = folder / "relearned.duckdb"
    shutil.copy(warehouses["incremental"], warehouses["relearned"])
    settings = replace(
        pipeline_run.settings, warehouse=warehouses["relearned"], attribution_relearn_every_days=1
    )
    _dbt_run(settings, day.day, folder / "target_relearned", "--select", *LEARNED)
    warehouses["day_after"] = folder / "day_after.duckdb"
    shutil.copy(warehouses["incremental"], warehouses["day_after"])
    _tamper_with_past_forecasts(warehouses["day_after"], day.day)
    settings = replace(pipeline_run.settings, warehouse=warehouses["day_after"])
    _dbt_run(
        settings, day.day + timedelta(days=1), folder / "target_day_after", "--select", *FORECASTS
    )
    movements = MONTH_MOVEMENTS.split(".")[1]
    target = folder / "target_day_after_movements"
    _dbt_run(settings, day.day + timedelta(days=1), target, "--full-refresh", "--select", movements)
    return day, warehouses, models


# The models incremental by deal through a fingerprint of each deal's inputs, and the
# column each tampers with.
BY_FINGERPRINT = {
    "marts.deal_activity_timeline": "pipeline_id",
    "marts.deal_state_history": "pipeline_id",
    "intermediate.int_attribution_weights": "rule",
    "marts.attribution_credits": "rule",
    "intermediate.int_deal_month_movements": "pipeline_id",
    "intermediate.int_deal_time_to_close": "pipeline_id",
    "intermediate.int_deal_touch_paths": "channel",
    "intermediate.int_attribution_deal_touches": "channel",
    "intermediate.int_attribution_touches": "channel",
}
# The learned parameters (macros/learned_parameters.sql) and the credits learned from them.
LEARNED = ("int_attribution_channel_paths", "int_attribution_channel_credits")
# The forecasts learned per as-of date (macros/learned_parameters.sql), what they are
# built from that moves with the as-of date, and the column the day after's copy tampers
# with in each, on its last month end.
FORECASTS = (
    "int_forecast_as_of_dates",
    "int_forecast_periods",
    "int_fx_rates_daily",
    "int_forecast_open_deals",
    "int_forecast_close_curves",
    "int_deal_period_win_probabilities",
)
LEARNED_BY_AS_OF_DATE = {
    "int_forecast_open_deals": "amount_reporting",
    "int_forecast_close_curves": "survival",
    "int_deal_period_win_probabilities": "win_probability",
}
GHOST_DEAL = "hubspot:ghost:1"
# Incremental by deal with the as-of month in its fingerprint: a later day of the month
# moves nothing for a deal whose states did not change.
MONTH_MOVEMENTS = "intermediate.int_deal_month_movements"
# An incremental model whose code the tampered copy records as changed since its build.
RECODED = "intermediate.int_activities"
VERSIONS = "dbt_bookkeeping.incremental_model_versions"


def _tamper_with_fingerprinted_models(warehouse: Path) -> None:
    """Edits behind each model's back, one deal of each kind the models tell apart: the
    first deal's rows altered, fingerprint kept (``kept``); the second's altered with a
    stale fingerprint (``stale``); the third's rows deleted (``missing``); and rows of a
    deal that has no inputs (GHOST_DEAL); and every row of RECODED, recorded as built by
    other code."""
    with duckdb.connect(str(warehouse)) as con:
        for model, column in BY_FINGERPRINT.items():
            kept, stale, missing = _tampered_deals(con, model)
            con.execute(f"update {model} set {column} = 'tampered' where deal_key = ?", [kept])
            con.execute(
                f"update {model} set {column} = 'tampered', _inputs_fingerprint = -1 "
                "where deal_key = ?",
                [stale],
            )
            con.execute(f"delete from {model} where deal_key = ?", [missing])
            con.execute(
                f"insert into {model} select * replace ('{GHOST_DEAL}' as deal_key) "
                f"from {model} where deal_key = ?",
                [kept],
            )
        con.execute(f"update {RECODED} set activity_type = 'tampered'")
        con.execute(
            f"update {VERSIONS} set checksum = 'older code' where unique_id like '%.int_activities'"
        )


def _tamper_with_past_forecasts(warehouse: Path, day: date) -> None:
    """Each forecast learned per as-of date altered at its latest past date, behind its back."""
    with duckdb.connect(str(warehouse)) as con:
        for model, column in LEARNED_BY_AS_OF_DATE.items():
            con.execute(
                f"update intermediate.{model} set {column} = -1 where as_of_date = "
                f"(select max(as_of_date) from intermediate.{model} where as_of_date < ?)",
                [day],
            )


def _tampered_deals(con: duckdb.DuckDBPyConnection, model: str) -> list[str]:
    """Three live deals of the model's, none another tampered model's: the weights a
    credit is built from are tampered with for other deals than the credit's."""
    offset = 3 * list(BY_FINGERPRINT).index(model)
    deals = con.execute(
        f"select distinct deal_key from {model} where deal_key in "
        "(select deal_key from marts.deals where not is_excluded_from_metrics) "
        f"order by 1 limit 3 offset {offset}"
    ).fetchall()
    return [deal for (deal,) in deals]


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
        contacts = dict(
            con.execute(
                "select contact_id, (is_vanished, lifecycle_stage, became_mql_at is not null) "
                "from staging.stg_hubspot__contacts where _load_sequence = ("
                "select max(_load_sequence) from raw_hubspot.contacts)"
            ).fetchall()
        )
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
    deleted_contacts = set(day.deleted_contact_ids)
    assert {
        contact: contacts.get(contact, (None,))[0] for contact in deleted_contacts
    } == dict.fromkeys(deleted_contacts, True)
    assert {
        contact: row for contact, row in contacts.items() if contact not in deleted_contacts
    } == {
        **dict.fromkeys(day.qualified_contact_ids, (False, "marketingqualifiedlead", True)),
        **dict.fromkeys(day.new_contact_ids, (False, "lead", False)),
    }


def test_incremental_build_equals_a_full_rebuild(next_day, incremental_models):
    _, warehouses = next_day
    for model in incremental_models:
        assert _differences(warehouses["incremental"], warehouses["full"], model) == (0, 0), model


def test_a_rerun_with_nothing_new_changes_nothing(next_day, incremental_models):
    _, warehouses = next_day
    for model in incremental_models:
        assert _differences(warehouses["rerun"], warehouses["incremental"], model) == (0, 0), model


@pytest.mark.parametrize("model", list(BY_FINGERPRINT))
def test_only_the_deals_whose_inputs_changed_are_rebuilt(next_day, model):
    """The tampered copy was built again with nothing new: the deal whose rows kept their
    fingerprint was left as it was (so it was not rebuilt), the stale and missing deals
    are rebuilt as the incremental build had them, and the deal without inputs is gone."""
    _, warehouses = next_day
    with duckdb.connect(str(warehouses["incremental"]), read_only=True) as con:
        kept, stale, missing = _tampered_deals(con, model)
        expected = con.execute(
            f"select {WRITTEN} from {model} where deal_key in (?, ?) order by all",
            [stale, missing],
        ).fetchall()
        expected_deals = con.execute(
            f"select distinct deal_key from {model} where deal_key in (?, ?)", [stale, missing]
        ).fetchall()
    with duckdb.connect(str(warehouses["tampered"]), read_only=True) as con:
        kept_values = con.execute(
            f"select distinct {BY_FINGERPRINT[model]} from {model} where deal_key = ?", [kept]
        ).fetchall()
        rebuilt = con.execute(
            f"select {WRITTEN} from {model} where deal_key in (?, ?) order by all",
            [stale, missing],
        ).fetchall()
        ghost_rows = con.execute(
            f"select count(*) from {model} where deal_key = ?", [GHOST_DEAL]
        ).fetchone()[0]
    assert kept_values == [("tampered",)]
    assert len(expected_deals) == 2 and rebuilt == expected
    assert ghost_rows == 0


def test_a_later_day_of_the_month_moves_no_deal_whose_states_did_not_change(next_day):
    """The day after, in the same month and with nothing new, the deals' month movements
    built whole are the rows the day's build left (fingerprints included), so a daily run
    keeps them without rebuilding."""
    _, warehouses = next_day
    rebuilt, kept = warehouses["day_after"], warehouses["incremental"]
    assert _differences(rebuilt, kept, MONTH_MOVEMENTS) == (0, 0)
    with duckdb.connect(str(warehouses["day_after"]), read_only=True) as con:
        assert con.execute(f"select count(distinct deal_key) from {MONTH_MOVEMENTS}").fetchone()[0]


def test_an_incremental_model_whose_code_changed_is_built_whole(next_day):
    """The tampered copy recorded int_activities as built by other code: the build dropped
    it and built it whole (no row kept the tampering), and recorded the code it used."""
    _, warehouses = next_day
    assert _differences(warehouses["tampered"], warehouses["incremental"], RECODED) == (0, 0)
    with duckdb.connect(str(warehouses["tampered"]), read_only=True) as con:
        recorded = con.execute(
            f"select checksum from {VERSIONS} where unique_id like '%.int_activities'"
        ).fetchall()
    with duckdb.connect(str(warehouses["incremental"]), read_only=True) as con:
        built = con.execute(
            f"select checksum from {VERSIONS} where unique_id like '%.int_activities'"
        ).fetchall()
    assert recorded == built and len(built) == 1 and built[0][0] != "older code"


def _learned(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            model: con.execute(
                f"select distinct learned_as_of, learned_with from intermediate.{model}"
            ).fetchall()
            for model in LEARNED
        }


def test_the_learned_parameters_are_kept_until_they_are_due(next_day, pipeline_run):
    """The day's run (relearning every 7 days) applied the paths and credits learned at the
    session's run, the day before; a run learning every day learned them again from the
    day's data: every converting deal's path counted once, credits as the model's own
    functions give them for those paths."""
    day, warehouses = next_day
    learned = [(pipeline_run.as_of, "attribution_lookback_days=None")]
    assert _learned(warehouses["incremental"]) == dict.fromkeys(LEARNED, learned)
    relearned = [(day.day, "attribution_lookback_days=None")]
    assert _learned(warehouses["relearned"]) == dict.fromkeys(LEARNED, relearned)
    with duckdb.connect(str(warehouses["relearned"]), read_only=True) as con:
        paths = con.execute("select * from intermediate.int_attribution_channel_paths").df()
        credits = con.execute(
            "select conversion, model, channel, score, credit "
            "from intermediate.int_attribution_channel_credits order by all"
        ).df()
        deals = dict(
            con.execute(
                "select conversion, count(distinct deal_key) "
                "from intermediate.int_attribution_touches group by all"
            ).fetchall()
        )
    assert paths.groupby("conversion").conversions.sum().to_dict() == deals
    expected = load_python_model("attribution", "int_attribution_channel_credits").channel_credits(
        paths
    )
    expected = expected.sort_values(["conversion", "model", "channel", "score", "credit"])
    pd.testing.assert_frame_equal(credits, expected.reset_index(drop=True), check_dtype=False)


def _learned_by_as_of_date(warehouse: Path) -> dict[str, list[tuple]]:
    """Per model learned per as-of date: each date, when it was learned, its rows and its
    tampered rows."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            model: con.execute(
                "select as_of_date::date, learned_as_of, count(*), "
                f"count(*) filter ({column} = -1) from intermediate.{model} "
                "group by all order by all"
            ).fetchall()
            for model, column in LEARNED_BY_AS_OF_DATE.items()
        }


def test_past_forecasts_are_kept_until_they_are_learned_again(next_day):
    """The day (a month's first) learned every as-of date's forecast again (and matches the
    full rebuild, above). The day after kept the past dates, tampering included, built its
    own as-of date and dropped the day's (no month end). The curves and win probabilities
    follow the open deals' learning: their learned_as_of is the open deals' oldest."""
    day, warehouses = next_day
    after = day.day + timedelta(days=1)
    learned = _learned_by_as_of_date(warehouses["incremental"])
    kept = _learned_by_as_of_date(warehouses["day_after"])
    for model, rows in learned.items():
        assert {learned_as_of for _, learned_as_of, *_ in rows} == {day.day}, model
        assert rows[-1][0] == day.day and not any(tampered for *_, tampered in rows), model
        past = [(as_of, learned_as_of, count) for as_of, learned_as_of, count, _ in rows[:-1]]
        assert [row[:3] for row in kept[model][:-1]] == past, model
        assert [row[0] for row in kept[model] if row[3]] == [past[-1][0]], model
        own_learning = after if model == "int_forecast_open_deals" else day.day
        assert kept[model][-1][:2] == (after, own_learning) and kept[model][-1][2] > 0, model
