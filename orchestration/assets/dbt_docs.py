"""dbt docs with each run: the lineage graph and every model and column described, as one
static page (`dbt docs generate --static`) that opens from the file, offline.

The page is made from the manifest the run parsed before its build (`--no-compile`), with
the catalog read from the warehouse just built: compiling every node again only for the
docs cost a run about 30 s. The docs show each model's SQL as written; the compiled SQL
of a run is in dbt's target folder (`dbt compile` writes it too)."""

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
        # `--no-compile` reads the manifest from the invocation's own target folder.
        target = DBT_PROJECT.target_path / f"docs-{context.run_id}"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DBT_PROJECT.manifest_path, target / "manifest.json")
        out = config.docs_path
        try:
            dbt.cli(
                ["docs", "generate", "--static", "--no-compile", "--vars", json.dumps(dbt_vars)],
                manifest=DBT_PROJECT.manifest_path,
                target_path=target,
            ).wait()
            out.parent.mkdir(parents=True, exist_ok=True)
            staged = out.with_name(f".{out.name}.partial")
            shutil.copyfile(target / "static_index.html", staged)
            os.replace(staged, out)
        finally:
            shutil.rmtree(target, ignore_errors=True)
        reporter(context, "docs")(f"dbt docs written to {out}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(out)),
                "open": dg.MetadataValue.url(out.as_uri()),
            }
        )

    return dbt_docs
