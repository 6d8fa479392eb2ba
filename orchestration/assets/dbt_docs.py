"""dbt docs with each run: the lineage graph and every model and column described, as one
static page (`dbt docs generate --static`) that opens from the file, offline."""

import json
import os
import shutil

import dagster as dg
from dagster_dbt import DbtCliResource

from ingestion.demo import resolve_as_of
from orchestration.assets.dbt import DBT_PROJECT
from orchestration.assets.hubspot import WAREHOUSE_POOL
from orchestration.assets.serving import SERVING_GROUP
from orchestration.progress import reporter
from orchestration.resources import SettingsResource


def build_dbt_docs(marts: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The docs asset, after the marts are built (its catalog reads the warehouse)."""

    @dg.asset(
        key=[SERVING_GROUP, "dbt_docs"],
        deps=marts,
        group_name=SERVING_GROUP,
        kinds={"dbt", "html"},
        description="dbt's docs site (lineage, models, columns, tests) as one static page.",
        pool=WAREHOUSE_POOL,
    )
    def dbt_docs(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: SettingsResource
    ) -> dg.MaterializeResult:
        config = settings.load()
        dbt_vars = config.dbt_vars(resolve_as_of(config))
        invocation = dbt.cli(
            ["docs", "generate", "--static", "--vars", json.dumps(dbt_vars)],
            manifest=DBT_PROJECT.manifest_path,
        ).wait()
        out = config.docs_path
        out.parent.mkdir(parents=True, exist_ok=True)
        staged = out.with_name(f".{out.name}.partial")
        shutil.copyfile(invocation.target_path / "static_index.html", staged)
        os.replace(staged, out)
        reporter(context, "docs")(f"dbt docs written to {out}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(out)),
                "open": dg.MetadataValue.url(out.as_uri()),
            }
        )

    return dbt_docs
