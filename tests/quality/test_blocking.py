"""What a failed expectation stops: an ERROR stops what is downstream, a WARN nothing.

On stand-in assets first (fast), then on the main job itself: a bad raw deal injected
between two runs leaves the previous marts and the published copy in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from background_runs import follow_up, follow_up_result, run_funnelhouse
from conftest import PipelineRun
from quality.crafted import AS_OF, RAW

from orchestration.assets.quality_checks import CHECK_NAME, mart_checks, raw_deal_checks
from orchestration.quality.suites import MART_SUITES, RAW_DEAL_SUITES
from orchestration.resources import SettingsResource

RAW_KEYS = [dg.AssetKey(list(suite.asset_key)) for suite in RAW_DEAL_SUITES]
MART_KEYS = [dg.AssetKey(list(suite.asset_key)) for suite in MART_SUITES]
HUBSPOT = RAW["raw_hubspot_deals"]


@dg.multi_asset(specs=[dg.AssetSpec(key) for key in RAW_KEYS])
def land_raw_deals() -> Iterator[dg.MaterializeResult]:
    """Stands in for the connectors: the crafted warehouse holds their raw deals."""
    for key in RAW_KEYS:
        yield dg.MaterializeResult(asset_key=key)


@dg.multi_asset(specs=[dg.AssetSpec(key, deps=RAW_KEYS) for key in MART_KEYS])
def rebuild_marts() -> Iterator[dg.MaterializeResult]:
    """Stands in for the dbt build, which reads every source's raw deals."""
    for key in MART_KEYS:
        yield dg.MaterializeResult(asset_key=key)


@dg.asset(key=["stand_in", "serving_copy"], deps=MART_KEYS)
def publish() -> None:
    """Stands in for the publish step, which reads the marts."""


def _materialize(
    warehouse: Path, *definitions, instance: dg.DagsterInstance | None = None
) -> dg.ExecuteInProcessResult:
    settings = SettingsResource(
        home=str(warehouse.parent), warehouse=str(warehouse), as_of=AS_OF.isoformat()
    )
    return dg.materialize(
        [land_raw_deals, *definitions],
        resources={"settings": settings},
        raise_on_error=False,
        instance=instance,
    )


def _spoil(warehouse: Path, sql: str) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(sql)


def _evaluations(result: dg.ExecuteInProcessResult) -> dict[str, tuple[bool, str]]:
    return {
        e.asset_key.to_user_string(): (e.passed, e.severity.value)
        for e in result.get_asset_check_evaluations()
    }


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    """What was materialized downstream of the connectors' stand-in."""
    return {
        event.asset_key.to_user_string()
        for event in result.get_asset_materialization_events()
        if event.asset_key not in RAW_KEYS
    }


def test_an_error_on_raw_deals_stops_the_rebuild(crafted_warehouse):
    _spoil(
        crafted_warehouse,
        f"update {HUBSPOT.relation} set {HUBSPOT.column('stage')} = 'nope' "
        f"where {HUBSPOT.column('deal_id')} = 'd2'",
    )
    result = _materialize(crafted_warehouse, raw_deal_checks, rebuild_marts)
    assert not result.success
    evaluations = _evaluations(result)
    assert evaluations.pop("raw_hubspot/deals") == (False, "ERROR")
    assert set(evaluations.values()) == {(True, "ERROR")}, "the other sources pass"
    assert _materialized(result) == set()
    (check,) = [
        e for e in result.get_asset_check_evaluations() if not e.passed
    ]  # the failing rule and its row, in the check's metadata
    assert check.metadata["failed"].value == (
        "stage ids are in the stage mapping seed: FAILED: 1 of 5 rows, e.g. hubspot|default|nope"
    )
    assert (
        "1 of 5 rows, e.g. hubspot|default|nope"
        in check.metadata["ERROR stage ids are in the stage mapping seed"].value
    )


def test_an_error_on_a_mart_stops_publishing(crafted_warehouse):
    _spoil(crafted_warehouse, "update marts.deals set amount = -5 where deal_id = 'd1'")
    result = _materialize(crafted_warehouse, rebuild_marts, mart_checks, publish)
    assert not result.success
    assert _evaluations(result) == {
        "marts/deals": (False, "ERROR"),
        "marts/deal_stage_visits": (True, "ERROR"),
    }
    assert _materialized(result) == {"marts/deals", "marts/deal_stage_visits"}


def test_a_warning_stops_nothing(crafted_warehouse):
    # Close dates before creation: CRM hygiene, in a raw table and in a mart.
    _spoil(
        crafted_warehouse,
        f"update {HUBSPOT.relation} set {HUBSPOT.column('close')} = '2025-01-01' "
        f"where {HUBSPOT.column('deal_id')} = 'd2'",
    )
    _spoil(crafted_warehouse, "update marts.deals set close_date_at = '2025-01-01'")
    result = _materialize(crafted_warehouse, raw_deal_checks, mart_checks, rebuild_marts, publish)
    assert result.success
    evaluations = _evaluations(result)
    assert evaluations["raw_hubspot/deals"] == (False, "WARN")
    assert evaluations["marts/deals"] == (False, "WARN")
    assert _materialized(result) == {
        "marts/deals",
        "marts/deal_stage_visits",
        "stand_in/serving_copy",
    }
    index = crafted_warehouse.parent / "data_docs" / "index.html"
    listed = index.read_text()
    assert "marts_deals" in listed, "the Data Docs list the validations"
    assert 'class="WARN"' in listed


def test_raw_tables_no_source_ever_landed_are_checked_as_empty(crafted_warehouse):
    """The transform job checks the raw deals before its dbt step: on a warehouse HubSpot
    never reached, the check makes its tables, empty, and finds nothing wrong."""
    _spoil(crafted_warehouse, "drop schema raw_hubspot cascade")
    result = _materialize(crafted_warehouse, raw_deal_checks, rebuild_marts)
    assert result.success
    (evaluation,) = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key == dg.AssetKey(["raw_hubspot", "deals"])
    ]
    assert evaluation.passed
    assert evaluation.metadata["rows"].value == 0
    with duckdb.connect(str(crafted_warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw_hubspot.engagements").fetchone() == (0,)


def test_row_counts_are_compared_with_the_last_runs(crafted_warehouse):
    instance = dg.DagsterInstance.ephemeral()
    first = _materialize(crafted_warehouse, raw_deal_checks, instance=instance)
    _spoil(
        crafted_warehouse,
        f"delete from {HUBSPOT.relation} where {HUBSPOT.column('deal_id')} <> 'd1'",
    )
    second = _materialize(crafted_warehouse, raw_deal_checks, instance=instance)
    assert first.success and second.success, "row counts only warn"
    (evaluation,) = [
        e
        for e in second.get_asset_check_evaluations()
        if e.asset_key == dg.AssetKey(["raw_hubspot", "deals"])
    ]
    assert (evaluation.passed, evaluation.severity.value) == (False, "WARN")
    assert evaluation.metadata["rows"].value == 1
    assert evaluation.metadata["WARN row count within 0.5x-2x the last run's 5"].value == (
        "FAILED: 1"
    )


def _fingerprint(con: duckdb.DuckDBPyConnection) -> tuple:
    return con.execute(
        "select count(*), md5(string_agg(d::varchar, chr(10) order by deal_key)) "
        "from marts.deals as d"
    ).fetchone()


@dataclass
class BadRawDealRun:
    run: PipelineRun  # on a copy of the session's home
    published: Path  # the Parquet version BI tools read before it
    marts_before: tuple
    code: int
    summary: str


@follow_up("bad_raw_deal_run", runs=0.5)
def _run_with_a_bad_raw_deal(pipeline_run: PipelineRun) -> BadRawDealRun:
    """The session's run again, on a copy of its home whose raw deals gained one in a
    stage no pipeline has."""
    run = pipeline_run.copy("bad_raw_deal_home")
    published = (run.settings.serving_parquet_dir / "current").resolve()
    with duckdb.connect(str(run.settings.warehouse_path)) as con:
        before = _fingerprint(con)
        con.execute(
            "insert into raw_hubspot.deals select * replace ('999000001' as id, "
            "'no_such_stage' as dealstage) from raw_hubspot.deals "
            "where id = (select min(id) from raw_hubspot.deals) limit 1"
        )
    code, summary = run_funnelhouse(run.cli_args, run.settings.home)
    return BadRawDealRun(run, published, before, code, summary)


@pytest.fixture
def bad_raw_deal_run(pipeline_run) -> BadRawDealRun:
    return follow_up_result("bad_raw_deal_run", pipeline_run)


def test_a_bad_raw_deal_keeps_the_previous_marts(bad_raw_deal_run):
    code, summary = bad_raw_deal_run.code, bad_raw_deal_run.summary
    settings = bad_raw_deal_run.run.settings
    current = settings.serving_parquet_dir / "current"
    assert code != 0, summary
    assert f"ERROR raw_hubspot/deals {CHECK_NAME}" in summary
    assert "hubspot|default|no_such_stage" in summary
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert _fingerprint(con) == bad_raw_deal_run.marts_before
        assert con.execute(
            "select count(*) from marts.deals where deal_id = '999000001'"
        ).fetchone() == (0,)
    assert current.resolve() == bad_raw_deal_run.published, "BI tools keep the last copy"
    instance = dg.DagsterInstance.from_config(str(settings.dagster_home))
    (run,) = instance.get_runs(limit=1)
    events = [e.dagster_event for e in instance.all_logs(run.run_id) if e.dagster_event]
    started = {e.step_key for e in events if e.event_type_value == "STEP_START"}
    failed = {e.step_key for e in events if e.event_type_value == "STEP_FAILURE"}
    assert failed == {"raw_deal_expectations"}
    assert "hubspot_raw" in started, "the sources were read"
    assert not started & {"funnelhouse_dbt", "mart_expectations", "serving__serving_copy"}
    evaluation = next(
        e.event_specific_data
        for e in events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.event_specific_data.asset_check_key
        == dg.AssetCheckKey(dg.AssetKey(["raw_hubspot", "deals"]), CHECK_NAME)
    )
    # The previous run's evaluation in the instance gave the row count its bounds.
    assert any("the last run's" in key for key in evaluation.metadata), evaluation.metadata
