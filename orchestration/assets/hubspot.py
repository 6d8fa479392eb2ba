"""HubSpot into raw_hubspot: one asset per object, synced over HubSpot's API.

With no HubSpot configured, the embedded demo serves the simulated world through the
same API on a loopback port, so the main job always runs the real connector.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg

from ingestion.demo import ensure_demo_world
from ingestion.hubspot.landing import land_hubspot_api, land_hubspot_demo
from ingestion.hubspot.objects import DEALS, OBJECTS
from ingestion.warehouse import connect
from orchestration.progress import reporter
from orchestration.resources import SettingsResource
from orchestration.retries import SOURCE_RETRY_POLICY, retried_only_when_unavailable

WAREHOUSE_POOL = "duckdb_warehouse"

RULES_CHECK = "records_pass_rules"
LANDED_CHECK = "deals_landed"


def _key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["raw_hubspot", name])


@dg.multi_asset(
    name="hubspot_raw",
    specs=[
        dg.AssetSpec(
            _key(obj.name),
            group_name="ingestion",
            kinds={"hubspot", "duckdb"},
            description=f"HubSpot {obj.name}, every version seen, in {obj.table}.",
        )
        for obj in OBJECTS
    ],
    check_specs=[
        *(
            dg.AssetCheckSpec(
                RULES_CHECK,
                asset=_key(obj.name),
                description="Records breaking a rule went to quarantine (hygiene: warns only).",
            )
            for obj in OBJECTS
        ),
        dg.AssetCheckSpec(
            LANDED_CHECK,
            asset=_key(DEALS.name),
            blocking=True,
            description="The read returned deals: an empty read must not rebuild the marts.",
        ),
    ],
    pool=WAREHOUSE_POOL,
    retry_policy=SOURCE_RETRY_POLICY,
)
def hubspot_raw(
    context: dg.AssetExecutionContext, settings: SettingsResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    config = settings.load()
    progress = reporter(context, "load")
    sync = {
        "load_id": context.run.run_id,
        "loaded_at": datetime.now(UTC),
        "work_dir": config.temp_directory,
        "progress": progress,
    }
    landing = connect(config, memory_limit=config.landing_memory_limit)
    with retried_only_when_unavailable(), landing as con:
        if config.hubspot_base_url:
            by_object = land_hubspot_api(con, config.hubspot_base_url, **sync)
        else:
            by_object = land_hubspot_demo(con, ensure_demo_world(config, progress), **sync)
        stats = list(by_object.values())
        reasons = dict(
            con.execute(
                "select object, string_agg(distinct rule, ', ' order by rule) from ("
                + " union all ".join(
                    f"select object, rule from {obj.quarantine_table} where load_id = ?"
                    for obj in OBJECTS
                )
                + ") group by object",
                [context.run.run_id] * len(OBJECTS),
            ).fetchall()
        )
    for result in stats:
        yield dg.MaterializeResult(
            asset_key=_key(result.object),
            metadata={
                "mode": result.mode,
                "rows_read": result.rows_read,
                "new_versions": result.rows_inserted,
                "quarantined": result.rows_quarantined,
                "vanished": result.rows_vanished,
                "pages": result.pages,
                "requests": result.requests,
                "retries": result.retries,
                "cursor": result.cursor or "",
            },
        )
        yield dg.AssetCheckResult(
            check_name=RULES_CHECK,
            asset_key=_key(result.object),
            passed=result.rows_quarantined == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "quarantined": result.rows_quarantined,
                "rules": reasons.get(result.object, ""),
                "quarantine_table": f"quarantine.hubspot__{result.object}",
            },
        )
    deals = next(result for result in stats if result.object == DEALS.name)
    yield dg.AssetCheckResult(
        check_name=LANDED_CHECK,
        asset_key=_key(DEALS.name),
        passed=deals.rows_read > 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"rows_read": deals.rows_read},
    )
