"""The Dagster definitions load, and the asset graph reads ingestion -> dbt -> checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg


def _graph(defs):
    return defs.resolve_asset_graph()


def test_assets_mirror_the_layers(defs):
    graph = _graph(defs)
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups["raw_hubspot/deals"] == "ingestion"
    assert groups["staging/stg_hubspot__deals"] == "staging"
    assert groups["intermediate/int_deals"] == "intermediate"
    assert groups["marts/deals"] == "marts"
    assert groups["reference/stage_mapping"] == "reference"


def test_staging_reads_the_ingestion_asset(defs):
    graph = _graph(defs)
    parents = graph.get(dg.AssetKey(["staging", "stg_hubspot__deals"])).parent_keys
    assert dg.AssetKey(["raw_hubspot", "deals"]) in parents


def test_checks_cover_ingestion_and_marts(defs):
    graph = _graph(defs)
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert ("raw_hubspot/deals", "deals_landed") in checks
    assert ("raw_hubspot/contacts", "records_pass_rules") in checks
    assert ("marts/deals", "unique_deals_deal_key") in checks
    blocking = {
        spec.name
        for assets_def in graph.assets_defs
        for spec in assets_def.check_specs
        if spec.blocking
    }
    assert "deals_landed" in blocking
    assert "unique_deals_deal_key" in blocking, "dbt errors must block downstream assets"


def test_every_warehouse_step_is_in_the_single_writer_pool(defs):
    for assets_def in defs.resolve_asset_graph().assets_defs:
        if assets_def.is_executable:
            assert assets_def.op.pool == "duckdb_warehouse", assets_def.op.name


def test_daily_schedule_exists_and_is_off_by_default(defs):
    schedule = defs.resolve_schedule_def("daily_main")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 3, 2, 5, tzinfo=UTC)
    )
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.run_config["resources"]["settings"]["config"]["as_of"] == "2026-03-01"


def test_marts_have_a_freshness_policy_and_sources_a_retry_policy(defs):
    graph = _graph(defs)
    policy = graph.get(dg.AssetKey(["marts", "deals"])).freshness_policy
    windows = (policy.warn_window.to_timedelta(), policy.fail_window.to_timedelta())
    assert windows == (timedelta(hours=25), timedelta(hours=48))
    assert graph.get(dg.AssetKey(["staging", "stg_hubspot__deals"])).freshness_policy is None
    retried = {
        assets_def.op.name: assets_def.op.retry_policy
        for assets_def in graph.assets_defs
        if assets_def.is_executable and assets_def.op.retry_policy
    }
    assert set(retried) == {"hubspot_raw", "salesforce_raw", "pipedrive_raw", "ad_spend_raw"}


def test_the_transform_job_checks_raw_deals_before_dbt(defs):
    job = defs.resolve_job_def("transform")
    steps = {node.name for node in job.graph.nodes}
    assert {"raw_deal_expectations", "funnelhouse_dbt", "serving__serving_copy"} <= steps
    assert not steps & {"hubspot_raw", "csv_exports_raw", "ad_spend_raw"}, "no source is read"
    upstream = job.graph.dependency_structure.input_to_upstream_outputs_for_node("funnelhouse_dbt")
    feeding = {output.node_name for outputs in upstream.values() for output in outputs}
    assert feeding == {"raw_deal_expectations"}


def test_daily_snapshots_are_partitioned_by_day_and_backfilled_in_one_run(defs):
    graph, key = _graph(defs), dg.AssetKey(["marts", "pipeline_daily_snapshots"])
    snapshots = graph.get(key)
    assert isinstance(snapshots.partitions_def, dg.DailyPartitionsDefinition)
    assert snapshots.partitions_def.start.date().isoformat() == "2015-01-01"
    assert snapshots.assets_def.backfill_policy == dg.BackfillPolicy.single_run()
    assert graph.get(dg.AssetKey(["marts", "deals"])).partitions_def is None
    # The main job builds it too (no partition: the default window).
    assert key in defs.resolve_job_def("main").asset_layer.executable_asset_keys
