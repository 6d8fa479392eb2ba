"""Salesforce and Pipedrive into raw_salesforce / raw_pipedrive, when configured.

Each is synced only when its setting names an API root (a real one, or "demo" for the
simulated world served on loopback); otherwise its raw tables are only created, empty,
for dbt's staging models.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from ingestion.demo import ensure_demo_world
from ingestion.pipedrive.landing import ensure_raw_tables as ensure_pipedrive_tables
from ingestion.pipedrive.landing import land_pipedrive_api, land_pipedrive_demo
from ingestion.pipedrive.objects import OBJECTS as PIPEDRIVE_OBJECTS
from ingestion.salesforce.landing import ensure_raw_tables as ensure_salesforce_tables
from ingestion.salesforce.landing import land_salesforce_api, land_salesforce_demo
from ingestion.salesforce.objects import OBJECTS as SALESFORCE_OBJECTS
from ingestion.settings import Settings
from ingestion.warehouse import connect
from orchestration.assets.hubspot import WAREHOUSE_POOL
from orchestration.progress import reporter
from orchestration.resources import SettingsResource
from orchestration.retries import SOURCE_RETRY_POLICY, retried_only_when_unavailable

DEMO = "demo"


def _crm_api_asset(
    source: str,
    objects: list[str],
    target: Callable[[Settings], str | None],
    land_api: Callable[..., dict[str, Any]],
    land_demo: Callable[..., dict[str, Any]],
    ensure_tables: Callable[[Any], None],
) -> dg.AssetsDefinition:
    schema = f"raw_{source}"

    @dg.multi_asset(
        name=f"{source}_raw",
        specs=[
            dg.AssetSpec(
                [schema, name],
                group_name="ingestion",
                kinds={source, "duckdb"},
                description=f"{source.title()} {name}, every version seen, in {schema}.{name}.",
            )
            for name in objects
        ],
        pool=WAREHOUSE_POOL,
        retry_policy=SOURCE_RETRY_POLICY,
    )
    def sync(
        context: dg.AssetExecutionContext, settings: SettingsResource
    ) -> Iterator[dg.MaterializeResult]:
        config = settings.load()
        where = target(config)
        progress = reporter(context, "load")
        if not where:
            # dbt stages these sources whether or not they are synced: keep empty tables.
            with connect(config) as con:
                ensure_tables(con)
            progress(f"{source}: not configured, not synced")
            for name in objects:
                yield dg.MaterializeResult(asset_key=[schema, name], metadata={"synced": False})
            return
        run = {
            "load_id": context.run.run_id,
            "loaded_at": datetime.now(UTC),
            "work_dir": config.temp_directory,
            "progress": progress,
        }
        landing = connect(config, memory_limit=config.landing_memory_limit)
        with retried_only_when_unavailable(), landing as con:
            if where == DEMO:
                stats = land_demo(con, ensure_demo_world(config, progress), **run)
            else:
                stats = land_api(con, where, **run)
        for name, result in stats.items():
            yield dg.MaterializeResult(
                asset_key=[schema, name],
                metadata={
                    "mode": result.mode,
                    "rows_read": result.rows_read,
                    "new_versions": result.rows_inserted,
                    "quarantined": result.rows_quarantined,
                    "vanished": result.rows_vanished,
                    "requests": result.requests,
                    "retries": result.retries,
                    "cursor": result.cursor or "",
                },
            )

    return sync


salesforce_raw = _crm_api_asset(
    "salesforce",
    [obj.sobject for obj in SALESFORCE_OBJECTS],
    lambda s: s.salesforce_instance_url,
    land_salesforce_api,
    land_salesforce_demo,
    ensure_salesforce_tables,
)
pipedrive_raw = _crm_api_asset(
    "pipedrive",
    [obj.name for obj in PIPEDRIVE_OBJECTS],
    lambda s: s.pipedrive_base_url,
    land_pipedrive_api,
    land_pipedrive_demo,
    ensure_pipedrive_tables,
)
