"""The HTML report as a Dagster asset: rebuilt from each new serving version."""

import dagster as dg

from orchestration.assets.hubspot import WAREHOUSE_POOL
from orchestration.assets.serving import SERVING_COPY_KEY, SERVING_GROUP
from orchestration.progress import reporter
from orchestration.report import build_report
from orchestration.resources import SettingsResource


@dg.asset(
    key=[SERVING_GROUP, "html_report"],
    deps=[SERVING_COPY_KEY],
    group_name=SERVING_GROUP,
    kinds={"html", "plotly"},
    description="One self-contained HTML page of charts (works offline), read from the "
    "serving copy, never the warehouse.",
    # It reads only the serving copy; it joins the warehouse pool anyway, so the main job's
    # steps run one at a time on a small machine.
    pool=WAREHOUSE_POOL,
)
def html_report(
    context: dg.AssetExecutionContext, settings: SettingsResource
) -> dg.MaterializeResult:
    report = build_report(settings.load())
    reporter(context, "report")(f"{report.charts} charts written to {report.path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(report.path)),
            "open": dg.MetadataValue.url(report.path.as_uri()),
            "serving_version": report.version,
            "sections": ", ".join(report.sections),
            "waiting_for_marts": ", ".join(report.waiting) or "none",
            "charts": report.charts,
        }
    )
