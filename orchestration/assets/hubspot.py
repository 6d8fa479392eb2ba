"""HubSpot into raw_hubspot: one asset per object, landed together in one transaction.

Until the HTTP connector lands, the source is the embedded demo: the simulator's world,
written in the API's flattened shape, landed by the same versioned raw loader.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg

from ingestion.demo import ensure_demo_world, hubspot_folder
from ingestion.hubspot.files import land_hubspot_files
from ingestion.hubspot.objects import DEALS, OBJECTS
from ingestion.simulator import load_manifest
from ingestion.warehouse import connect
from orchestration.progress import reporter
from orchestration.resources import SettingsResource

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
)
def hubspot_raw(
    context: dg.AssetExecutionContext, settings: SettingsResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    config = settings.load()
    progress = reporter(context, "load")
    world_dir = ensure_demo_world(config, progress)
    portal_id = load_manifest(world_dir)["portal_id"]
    with connect(config) as con:
        stats = land_hubspot_files(
            con,
            hubspot_folder(world_dir),
            portal_id=portal_id,
            load_id=context.run.run_id,
            loaded_at=datetime.now(UTC),
            progress=progress,
        )
        reasons = dict(
            con.execute(
                "select object, string_agg(distinct rule, ', ') from ("
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
                "portal_id": portal_id,
                "rows_read": result.rows_read,
                "new_versions": result.rows_inserted,
                "quarantined": result.rows_quarantined,
                "vanished": result.rows_vanished,
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
