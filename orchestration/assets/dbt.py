"""The dbt project as Dagster assets: one asset per model and seed, dbt tests as checks.

One translator decides how dbt nodes become assets: the key is the warehouse relation
(schema, name) and the group is the dbt folder's layer, so the asset graph mirrors
dbt_project/models. Sources link to the ingestion assets through their
``meta.dagster.asset_key``.

The point-in-time mart ``pipeline_daily_snapshots`` is daily-partitioned on its own: a
backfill over any range of days is one run and one dbt invocation with the range's first
and last day as vars; a run without partitions (the main job) rebuilds its default window.
"""

import json
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from ingestion.demo import resolve_as_of
from ingestion.pending_forgets import refuse_while_forget_pending
from ingestion.settings import DBT_PROJECT_DIR
from ingestion.sources import ensure_every_raw_table
from ingestion.warehouse import connect
from orchestration.assets.hubspot import WAREHOUSE_POOL
from orchestration.dbt_manifest import (
    DBT_TARGET_DIR,
    dbt_project_var,
    prune_invocation_folders,
)
from orchestration.progress import reporter
from orchestration.resources import SettingsResource
from orchestration.run_guard import FINISHING_FORGET_TAG

DBT_PROJECT = DbtProject(
    project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=DBT_TARGET_DIR
)
# `dagster dev` re-parses the project; everywhere else the manifest is prepared beforehand
# (`funnelhouse run` and the tests run `dbt parse` first), never at import.
DBT_PROJECT.prepare_if_dev()


# The marts are rebuilt daily: a day and an hour without a rebuild warns, two days fail.
MART_FRESHNESS = dg.FreshnessPolicy.time_window(
    warn_window=timedelta(hours=25), fail_window=timedelta(hours=48)
)


class FunnelhouseTranslator(DagsterDbtTranslator):
    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id)
        if node is None:  # a source: its key comes from meta.dagster.asset_key
            return spec
        layer = node["fqn"][1] if node["resource_type"] == "model" else "reference"
        return spec.replace_attributes(
            key=dg.AssetKey([node["schema"], node["name"]]),
            group_name=layer,
            freshness_policy=MART_FRESHNESS if layer == "marts" else None,
        )


SNAPSHOT_MODEL = "pipeline_daily_snapshots"
# Days exist from the dbt calendar's first day (calendar_days).
SNAPSHOT_PARTITIONS = dg.DailyPartitionsDefinition(
    start_date=str(dbt_project_var("calendar_start_date"))
)


def _describe(event: Any) -> str | None:
    """A progress line for a built model or a failed test; passing tests stay quiet."""
    if isinstance(event, dg.Output):
        return f"built {event.output_name}"
    if isinstance(event, dg.AssetCheckResult) and not event.passed:
        return f"test FAILED: {event.check_name} on {event.asset_key.to_user_string()}"
    return None


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    settings: SettingsResource,
    extra_vars: Mapping[str, str],
) -> Iterator[Any]:
    """`dbt build` of the context's selection with the run's settings as vars.

    Unit tests are left out, as dbt advises for production: their inputs are fixed rows,
    so they test the project's SQL, not the data, and the test suite runs them."""
    config = settings.load()
    dbt_vars = {**config.dbt_vars(resolve_as_of(config)), **extra_vars}
    progress = reporter(context, "dbt")
    with connect(config) as con:
        # `funnelhouse run` refuses before it starts; a run launched from the UI stops here.
        if FINISHING_FORGET_TAG not in context.run.tags:
            refuse_while_forget_pending(con)
        # A job that lands nothing first (transform, forget's rebuild) may meet a warehouse
        # made before one of the tables dbt's sources name existed.
        ensure_every_raw_table(con)
    args = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(dbt_vars)]
    prune_invocation_folders()
    invocation = dbt.cli(args, context=context)
    try:
        for event in invocation.stream():
            message = _describe(event)
            if message:
                progress(message)
            yield event
    finally:
        # If the step dies while streaming, dbt must not live on holding the warehouse lock.
        if invocation.process.poll() is None:
            invocation.process.terminate()
            invocation.process.wait()


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=FunnelhouseTranslator(),
    exclude=SNAPSHOT_MODEL,
    pool=WAREHOUSE_POOL,
)
def funnelhouse_dbt(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: SettingsResource
) -> Iterator[Any]:
    yield from _build(context, dbt, settings, {})


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=FunnelhouseTranslator(),
    select=SNAPSHOT_MODEL,
    name="pipeline_daily_snapshots_dbt",
    partitions_def=SNAPSHOT_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
)
def pipeline_daily_snapshots_dbt(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: SettingsResource
) -> Iterator[Any]:
    window: dict[str, str] = {}
    if context.has_partition_key_range:
        days = context.partition_key_range
        window = {"snapshot_start_date": days.start, "snapshot_end_date": days.end}
    yield from _build(context, dbt, settings, window)
