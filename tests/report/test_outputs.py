"""What the run leaves for people: the summary's pointers, the marts' pages in Dagster,
the dbt docs, and `funnelhouse report`."""

from __future__ import annotations

import dagster as dg

from orchestration.serving import open_serving, read_publication


def test_summary_says_where_the_results_are(pipeline_run):
    settings, summary = pipeline_run.settings, pipeline_run.summary
    outputs = {
        "Report": settings.report_path,
        "Serving copy (BI tools, read-only)": settings.serving_path,
        "Parquet (a file per mart)": settings.serving_parquet_dir / "current",
        "dbt docs (lineage)": settings.docs_path,
    }
    for label, path in outputs.items():
        assert f"{label}: {path}\n" in summary
        assert path.exists()
    for phase in ("publish (serving copy)", "report (HTML)", "docs (dbt lineage)"):
        assert f"  {phase} " in summary


def test_each_mart_shows_rows_columns_and_a_preview_in_dagster(pipeline_run, serving):
    instance = dg.DagsterInstance.from_config(str(pipeline_run.settings.dagster_home))
    (observation,) = instance.fetch_observations(dg.AssetKey(["marts", "deals"]), limit=1).records
    metadata = observation.asset_observation.metadata
    deals = serving("select count(*) from marts.deals")[0][0]
    assert metadata["dagster/row_count"].value == deals
    columns = [column.name for column in metadata["dagster/column_schema"].schema.columns]
    published = serving(
        "select column_name from duckdb_columns() where table_name = 'deals' order by column_index"
    )
    assert columns == [name for (name,) in published]
    assert "deal_name" not in columns
    preview = metadata["preview"].value.splitlines()
    assert preview[0].startswith("| deal_key | source_system |")
    assert len(preview) == 2 + 5
    # Published, but an employee's name: the event log keeps previews beyond `forget`.
    assert "owner_name" in columns
    assert "| owner_name |" not in preview[0]

    report = instance.get_latest_materialization_event(dg.AssetKey(["serving", "html_report"]))
    report_metadata = report.asset_materialization.metadata
    assert report_metadata["path"].path == str(pipeline_run.settings.report_path)


def test_dbt_docs_hold_the_lineage_of_every_mart(pipeline_run):
    page = pipeline_run.settings.docs_path.read_text()
    assert '"parent_map"' in page, "the static page embeds the manifest (lineage)"
    for model in ("model.funnelhouse.deals_needing_follow_up", "model.funnelhouse.lead_funnel"):
        assert model in page
    # ...and the catalog, read from the warehouse the run built: each mart's real columns.
    assert (
        '"model.funnelhouse.deals_needing_follow_up": {"metadata": {"type": "BASE TABLE", '
        '"schema": "marts"'
    ) in page
    assert '"deal_key": {"type": "VARCHAR", "index": 1, "name": "deal_key"' in page


def test_report_command_rebuilds_the_report(pipeline_run, cli, tmp_path):
    out = tmp_path / "report.html"
    code, printed = cli(["report", "--home", str(pipeline_run.settings.home), "--out", str(out)])
    assert code == 0, printed
    with open_serving(pipeline_run.settings) as con:
        version = read_publication(con).version
    assert printed.startswith(f"report written to {out}: ")
    assert f"serving version {version}" in printed
    assert version in out.read_text()


def test_report_command_without_a_serving_copy_is_one_line(cli, tmp_path, capsys):
    code, _ = cli(["report", "--home", str(tmp_path)])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"funnelhouse: no serving copy at {tmp_path}/serving/funnelhouse.duckdb: "
        "run `funnelhouse run` first (it publishes one)"
    ]
