"""Building the HTML report from the serving copy (never the warehouse the pipeline writes)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion.settings import Settings
from orchestration.report.elements import Chart, FilterOptions, ReportData
from orchestration.report.page import RenderedSection, render
from orchestration.report.sections import SECTIONS
from orchestration.serving import open_serving, read_publication


@dataclass(frozen=True)
class Report:
    path: Path
    version: str  # the serving version it was built from
    sections: tuple[str, ...]  # drawn
    waiting: tuple[str, ...]  # sections whose marts are not published yet
    charts: int


def _data(con: duckdb.DuckDBPyConnection) -> ReportData:
    publication = read_publication(con)
    pipelines = dict(
        con.execute(
            # A source without pipeline labels (Salesforce's Type) shows its ids.
            "select pipeline_id, "
            "coalesce(any_value(pipeline_label order by created_at desc), pipeline_id) "
            "from marts.deals where not is_excluded_from_metrics group by 1 order by 1"
        ).fetchall()
    )
    teams = [
        team
        for (team,) in con.execute(
            "select distinct team_name from marts.deals where team_name is not null order by 1"
        ).fetchall()
    ]
    return ReportData(con, publication, pipelines, teams)


def build_report(settings: Settings, out: Path | None = None) -> Report:
    """Write the report for the serving copy's current version to ``out`` (default: the
    settings' report path), replacing the previous one only once it is complete."""
    out = out or settings.report_path
    with open_serving(settings) as con:
        data = _data(con)
        drawn, waiting = [], []
        for spec in SECTIONS:
            if not all(data.has(mart) for mart in spec.needs):
                waiting.append(spec.title)
                continue
            missing = data.missing(spec.needs)
            if missing:
                problem = f"Not drawn: the serving copy lacks {', '.join(missing)}."
                drawn.append(RenderedSection(spec.title, spec.intro, (), problem))
                continue
            drawn.append(RenderedSection(spec.title, spec.intro, tuple(spec.build(data))))
    publication = data.publication
    options = FilterOptions(list(data.pipelines), data.teams, publication.as_of)
    subtitle = (
        f"As of {publication.as_of.isoformat()} · amounts in {publication.reporting_currency} · "
        f"serving version {publication.version}"
    )
    footer = (
        "Built from the serving copy (marts published after a run whose blocking checks "
        "passed). " + (f"Waiting for their marts: {', '.join(waiting)}." if waiting else "")
    )
    page = render("Funnelhouse pipeline report", subtitle, drawn, options, data.pipelines, footer)
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = out.with_name(f".{out.name}.partial")
    staged.write_text(page, encoding="utf-8")
    os.replace(staged, out)
    charts = sum(isinstance(item, Chart) for s in drawn for item in s.items)
    return Report(out, publication.version, tuple(s.title for s in drawn), tuple(waiting), charts)
