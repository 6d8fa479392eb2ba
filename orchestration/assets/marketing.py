"""Marketing sources into raw_google_ads, raw_meta_ads and raw_web_events.

Ad spend is synced from each platform configured (a real API root, or "demo" for the
simulated accounts); web events are landed from the configured export folder. With
nothing configured and HubSpot the demo, both come from the demo world, so the demo's
marketing models have data. Unconfigured sources keep empty raw tables for dbt staging.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg

from ingestion.ad_platforms.landing import DEMO, PLATFORMS, land_ad_spend
from ingestion.demo import ensure_demo_world, resolve_as_of
from ingestion.raw.objects import RawObject
from ingestion.simulator.web_events import write_web_event_export
from ingestion.warehouse import connect
from ingestion.web_events.landing import ensure_raw_tables as ensure_web_event_tables
from ingestion.web_events.landing import land_web_events
from ingestion.web_events.objects import EVENTS
from orchestration.assets.hubspot import RULES_CHECK, WAREHOUSE_POOL
from orchestration.progress import reporter
from orchestration.resources import SettingsResource
from orchestration.retries import SOURCE_RETRY_POLICY, retried_only_when_unavailable


def _rules_check(key: list[str]) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        RULES_CHECK,
        asset=key,
        description="Records breaking a rule went to quarantine (hygiene: warns only).",
    )


def _rules_result(raw: RawObject, quarantined: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=RULES_CHECK,
        asset_key=[raw.schema, raw.name],
        passed=quarantined == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"quarantined": quarantined, "quarantine_table": raw.quarantine_table},
    )


AD_KEYS = {platform: [raw.schema, raw.name] for platform, raw, _ in PLATFORMS}
AD_RAW = {platform: raw for platform, raw, _ in PLATFORMS}


@dg.multi_asset(
    name="ad_spend_raw",
    specs=[
        dg.AssetSpec(
            key,
            group_name="ingestion",
            kinds={platform, "duckdb"},
            description=f"Campaign x day spend, clicks and impressions, every version seen, "
            f"in {'.'.join(key)}.",
        )
        for platform, key in AD_KEYS.items()
    ],
    check_specs=[_rules_check(key) for key in AD_KEYS.values()],
    pool=WAREHOUSE_POOL,
    retry_policy=SOURCE_RETRY_POLICY,
)
def ad_spend_raw(
    context: dg.AssetExecutionContext, settings: SettingsResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    config = settings.load()
    progress = reporter(context, "load")
    targets = {
        "google_ads": config.marketing_target(config.google_ads_base_url),
        "meta_ads": config.marketing_target(config.meta_base_url),
    }
    landing = connect(config, memory_limit=config.landing_memory_limit)
    with retried_only_when_unavailable(), landing as con:
        stats = land_ad_spend(
            con,
            targets,
            until=resolve_as_of(config),
            load_id=context.run.run_id,
            loaded_at=datetime.now(UTC),
            world_dir=lambda: ensure_demo_world(config, progress),
            window_days=config.ad_spend_window_days,
            work_dir=config.temp_directory,
            progress=progress,
        )
    for platform, key in AD_KEYS.items():
        result = stats.get(platform)
        if result is None:
            progress(f"{platform}: not configured, not synced")
            yield dg.MaterializeResult(asset_key=key, metadata={"synced": False})
            yield _rules_result(AD_RAW[platform], 0)
            continue
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "source": "simulated" if targets[platform] == DEMO else "api",
                "mode": result.mode,
                "accounts": result.pages,
                "rows_read": result.rows_read,
                "new_versions": result.rows_inserted,
                "quarantined": result.rows_quarantined,
                "requests": result.requests,
                "retries": result.retries,
                "read_through": result.cursor or "",
            },
        )
        yield _rules_result(AD_RAW[platform], result.rows_quarantined)


WEB_EVENTS_KEY = [EVENTS.schema, EVENTS.name]


@dg.asset(
    key=WEB_EVENTS_KEY,
    group_name="ingestion",
    kinds={"duckdb"},
    description="Website events from exports (Segment JSONL or CSV): new and changed files.",
    check_specs=[_rules_check(WEB_EVENTS_KEY)],
    pool=WAREHOUSE_POOL,
)
def web_events_raw(
    context: dg.AssetExecutionContext, settings: SettingsResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    config = settings.load()
    progress = reporter(context, "load")
    source = config.web_events
    if source is None and config.marketing_target(None) == DEMO:
        source = write_web_event_export(ensure_demo_world(config, progress))
    with connect(config) as con:
        if source is None:
            ensure_web_event_tables(con)
            progress("web events: no export configured, none landed")
            yield dg.MaterializeResult(metadata={"landed": False})
            yield _rules_result(EVENTS, 0)
            return
        landing = land_web_events(
            con,
            source,
            site=source.stem,
            load_id=context.run.run_id,
            loaded_at=datetime.now(UTC),
            progress=progress,
        )
    stats = landing.stats
    yield dg.MaterializeResult(
        metadata={
            "source": str(source),
            "files_read": len(landing.files_read),
            "files_unchanged": landing.files_skipped,
            "rows_read": stats.rows_read,
            "new_events": stats.rows_inserted,
            "rows_replaced": landing.rows_replaced,
            "quarantined": stats.rows_quarantined,
        }
    )
    yield _rules_result(EVENTS, stats.rows_quarantined)
