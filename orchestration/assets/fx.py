"""FX rates into raw_fx.rates: the input of every reporting-currency conversion.

The embedded demo lands the simulated world's daily rates.
"""

from datetime import UTC, datetime

import dagster as dg

from ingestion.demo import DEMO_FX_PROVIDER, ensure_demo_world, fx_rates_folder
from ingestion.fx import RATES, land_fx_rates
from ingestion.warehouse import connect
from orchestration.assets.hubspot import WAREHOUSE_POOL
from orchestration.progress import reporter
from orchestration.resources import SettingsResource


@dg.asset(
    key=["raw_fx", RATES.name],
    group_name="ingestion",
    kinds={"duckdb"},
    description="Daily FX rates (US dollars per unit of each currency), every version seen.",
    pool=WAREHOUSE_POOL,
)
def fx_rates_raw(
    context: dg.AssetExecutionContext, settings: SettingsResource
) -> dg.MaterializeResult:
    config = settings.load()
    progress = reporter(context, "load")
    world_dir = ensure_demo_world(config, progress)
    with connect(config) as con:
        (stats,) = land_fx_rates(
            con,
            fx_rates_folder(world_dir),
            provider=DEMO_FX_PROVIDER,
            load_id=context.run.run_id,
            loaded_at=datetime.now(UTC),
            progress=progress,
        )
    return dg.MaterializeResult(
        metadata={
            "provider": DEMO_FX_PROVIDER,
            "rows_read": stats.rows_read,
            "new_versions": stats.rows_inserted,
            "quarantined": stats.rows_quarantined,
        }
    )
