"""The serving copy as a Dagster asset: published after every mart, so only when dbt's
blocking checks passed (a failed one fails the dbt step and skips this one, and BI tools
keep the previous version).

Each mart's row count, published columns and a few rows go to the mart's own page in the
UI as an observation, taken from the published copy, so personal columns never show;
columns naming an employee are left out of those rows too (see serving/personal.py).
"""

import json
from collections.abc import Iterable

import dagster as dg
import pandas as pd

from ingestion.demo import resolve_as_of
from orchestration.assets.hubspot import WAREHOUSE_POOL
from orchestration.dbt_manifest import MANIFEST_PATH
from orchestration.progress import reporter
from orchestration.resources import SettingsResource
from orchestration.serving import MartCopy, open_serving, personal_columns, publish
from orchestration.serving.personal import MARTS_SCHEMA, employee_columns

SERVING_GROUP = "serving"
SERVING_COPY_KEY = dg.AssetKey([SERVING_GROUP, "serving_copy"])
PREVIEW_ROWS = 5


def _markdown(frame: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        return "" if value is None or value is pd.NaT else str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + " --- |" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(False)]
    return "\n".join(lines)


def _observation(mart: MartCopy, preview: pd.DataFrame, version: str) -> dg.AssetObservation:
    schema = dg.TableSchema(columns=[dg.TableColumn(name, kind) for name, kind in mart.columns])
    return dg.AssetObservation(
        asset_key=[MARTS_SCHEMA, mart.name],
        metadata={
            "dagster/row_count": mart.rows,
            "dagster/column_schema": schema,
            "preview": dg.MetadataValue.md(_markdown(preview)),
            "serving_version": version,
            "personal_columns_left_out": ", ".join(mart.left_out) or "none",
        },
    )


def mart_keys(upstream: Iterable[dg.AssetsDefinition]) -> list[dg.AssetKey]:
    """The assets of the marts schema, whichever asset builds them (dbt or Python)."""
    return sorted(
        {key for assets in upstream for key in assets.keys if key.path[0] == MARTS_SCHEMA},
        key=lambda key: key.to_user_string(),
    )


def build_serving_copy(marts: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The serving-copy asset, downstream of every mart."""

    @dg.asset(
        key=SERVING_COPY_KEY,
        deps=marts,
        group_name=SERVING_GROUP,
        kinds={"duckdb", "parquet"},
        description="Every mart table, published atomically to a read-only DuckDB file and "
        "to Parquet for BI tools; personal columns left out unless allowed.",
        pool=WAREHOUSE_POOL,
    )
    def serving_copy(
        context: dg.AssetExecutionContext, settings: SettingsResource
    ) -> dg.MaterializeResult:
        config = settings.load()
        progress = reporter(context, "publish")
        manifest = json.loads(MANIFEST_PATH.read_text())
        publication = publish(config, resolve_as_of(config), personal_columns(manifest))
        progress(f"serving version {publication.version}: {len(publication.marts)} marts")
        employees = employee_columns(manifest)
        with open_serving(config) as con:
            for mart in publication.marts:
                hidden = employees.get(mart.name, frozenset())
                shown = ", ".join(f'"{name}"' for name, _ in mart.columns if name not in hidden)
                preview = con.sql(
                    f'select {shown} from {MARTS_SCHEMA}."{mart.name}" limit {PREVIEW_ROWS}'
                ).df()
                context.log_event(_observation(mart, preview, publication.version))
        left_out = {m.name: ", ".join(m.left_out) for m in publication.marts if m.left_out}
        return dg.MaterializeResult(
            metadata={
                "version": publication.version,
                "database": dg.MetadataValue.path(str(config.serving_path)),
                "parquet": dg.MetadataValue.path(str(config.serving_parquet_dir / "current")),
                "marts": dg.MetadataValue.md(
                    _markdown(
                        pd.DataFrame(
                            [(m.name, m.rows, len(m.columns)) for m in publication.marts],
                            columns=["mart", "rows", "columns"],
                        )
                    )
                ),
                "personal_columns_left_out": dg.MetadataValue.json(left_out),
            }
        )

    return serving_copy
