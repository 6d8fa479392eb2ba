"""CSV exports into raw_csv: CRMs without an API and sales targets, from YAML-mapped files.

With HubSpot the demo, the demo world's targets export lands too, so the target marts
have a plan to measure against out of the box.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg

from ingestion.csv_exports import KIND_NAMES, ensure_raw_tables, land_csv_exports, mapping_files
from ingestion.demo import ensure_demo_world
from ingestion.simulator.targets import write_targets_export
from ingestion.warehouse import connect
from orchestration.assets.hubspot import WAREHOUSE_POOL
from orchestration.progress import reporter
from orchestration.resources import SettingsResource


@dg.multi_asset(
    name="csv_exports_raw",
    specs=[
        dg.AssetSpec(
            ["raw_csv", kind],
            group_name="ingestion",
            kinds={"csv", "duckdb"},
            description=f"CSV-exported {kind.replace('_', ' ')}, every version seen.",
        )
        for kind in KIND_NAMES
    ],
    pool=WAREHOUSE_POOL,
)
def csv_exports_raw(
    context: dg.AssetExecutionContext, settings: SettingsResource
) -> Iterator[dg.MaterializeResult]:
    config = settings.load()
    progress = reporter(context, "load")
    mappings = mapping_files(config.csv_mappings) if config.csv_mappings else []
    if config.crm_is_demo:
        mappings.append(write_targets_export(ensure_demo_world(config, progress)))
    with connect(config) as con:
        ensure_raw_tables(con)
        stats = []
        if mappings:
            stats = land_csv_exports(
                con,
                mappings,
                load_id=context.run.run_id,
                loaded_at=datetime.now(UTC),
                progress=progress,
            )
        else:
            progress("no CSV exports configured (FUNNELHOUSE_CSV_MAPPINGS)")
    for kind in KIND_NAMES:
        reads = [s for s in stats if s.kind == kind]
        yield dg.MaterializeResult(
            asset_key=["raw_csv", kind],
            metadata={
                "exports": len(reads),
                "rows_in": sum(s.rows_in for s in reads),
                "rows_landed": sum(s.rows_landed for s in reads),
                "rows_quarantined": sum(s.rows_quarantined for s in reads),
                "new_versions": sum(s.new_versions for s in reads),
            },
        )
