"""The report's one HTML page: plotly.js inline once, the figures as JSON, plain-JS filters.

No template engine and no network: the page is a string template filled with escaped
HTML and one JSON payload, and works from a file opened offline.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from string import Template
from typing import Any

import pandas as pd
import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.utils import PlotlyJSONEncoder

from orchestration.report.elements import (
    ALL,
    FILTERS,
    PERIODS,
    Chart,
    FilterOptions,
    Item,
    Table,
    slug,
)

# One plotly template for every chart, sent once (drawing each variant with it is slow).
TEMPLATE = "plotly_white"


@dataclass(frozen=True)
class RenderedSection:
    title: str
    intro: str
    items: Sequence[Item]
    problem: str = ""  # why the section could not be drawn (a mart lacks a column)


PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
  color: #1f2933; background: #f5f7fa; }
header { background: #1f2933; color: #fff; padding: 1rem 2rem; }
header h1 { margin: 0 0 .3rem; font-size: 1.5rem; }
header p { margin: 0; color: #cbd2d9; font-size: .9rem; }
nav.filters { position: sticky; top: 0; z-index: 10; background: #fff; padding: .6rem 2rem;
  border-bottom: 1px solid #d9e2ec; display: flex; gap: 1.5rem; flex-wrap: wrap; }
nav.filters label { font-size: .9rem; }
nav.toc { padding: .5rem 2rem; font-size: .9rem; }
nav.toc a { margin-right: 1rem; color: #2f80ed; }
main { padding: 0 2rem 2rem; }
section { background: #fff; border-radius: 6px; margin: 1rem 0; padding: 1rem 1.5rem;
  box-shadow: 0 1px 2px rgba(0,0,0,.08); }
section h2 { margin-top: 0; }
.intro, .note, .unsplit { color: #52606d; font-size: .9rem; }
.unsplit { font-style: italic; min-height: 1em; }
.problem { color: #b42318; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 1rem; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e4e7eb; }
th { background: #f0f4f8; position: sticky; top: 3rem; }
.table-wrap { max-height: 32rem; overflow: auto; }
footer { padding: 0 2rem 2rem; color: #52606d; font-size: .85rem; }
</style>
</head>
<body>
<header>
<h1>$title</h1>
<p>$subtitle</p>
</header>
<nav class="filters">$filters</nav>
<nav class="toc">$toc</nav>
<main>
$sections
</main>
<footer>$footer</footer>
<script>$plotlyjs</script>
<script type="application/json" id="fh-report-data">$payload</script>
<script>
(function () {
  "use strict";
  var payload = JSON.parse(document.getElementById("fh-report-data").textContent);
  var filters = payload.filters;
  var state = {};
  filters.forEach(function (name) { state[name] = "*"; });
  var config = {responsive: true, displaylogo: false};

  function draw(id, first) {
    var chart = payload.charts[id];
    var div = document.getElementById(id);
    var key = chart.dims.map(function (name) { return state[name]; }).join("|");
    var data = chart.variants[key];
    var layout = JSON.parse(JSON.stringify(chart.layout));
    layout.template = payload.template;
    if (!data) {
      data = [];
      layout.annotations = [{text: "No data for this selection", showarrow: false,
        xref: "paper", yref: "paper", x: 0.5, y: 0.5}];
    }
    (first ? Plotly.newPlot : Plotly.react)(div, data, layout, config);
    var unsplit = filters.filter(function (name) {
      return state[name] !== "*" && chart.dims.indexOf(name) < 0;
    });
    document.getElementById(id + "-unsplit").textContent =
      unsplit.length ? "Not split by " + unsplit.join(" or ") + ": showing all." : "";
  }

  function filterTables() {
    document.querySelectorAll("tr[data-row]").forEach(function (row) {
      var shown = filters.every(function (name) {
        var value = row.getAttribute("data-" + name);
        return state[name] === "*" || value === null || value === state[name];
      });
      row.style.display = shown ? "" : "none";
    });
  }

  function redraw(first) {
    Object.keys(payload.charts).forEach(function (id) { draw(id, first); });
    filterTables();
  }

  document.querySelectorAll("select[data-filter]").forEach(function (select) {
    select.addEventListener("change", function () {
      state[select.getAttribute("data-filter")] = select.value;
      redraw(false);
    });
  });
  redraw(true);
  document.body.setAttribute("data-ready", "true");
})();
</script>
</body>
</html>
""")


def _filter_controls(options: FilterOptions, pipeline_labels: dict[str, str]) -> str:
    everything = {"pipeline": "All pipelines", "team": "All teams", "period": "All time"}
    controls = []
    for name in FILTERS:
        values = options.values(name)
        choices = [f'<option value="{ALL}">{everything[name]}</option>']
        for index, value in enumerate(values):
            if name == "period" and PERIODS[value] is None:
                continue
            label = pipeline_labels.get(value, value) if name == "pipeline" else value
            choices.append(f'<option value="{index}">{html.escape(label)}</option>')
        controls.append(
            f'<label>{name.capitalize()} <select data-filter="{name}" id="filter-{name}">'
            + "".join(choices)
            + "</select></label>"
        )
    return "\n".join(controls)


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(str(value))


def _table(table: Table, options: FilterOptions) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.columns.values())
    positions = {
        name: {value: str(i) for i, value in enumerate(options.values(name))} for name in table.by
    }
    rows = []
    for record in table.frame.to_dict("records"):
        attributes = "".join(
            f' data-{name}="{positions[name].get(record[column], "none")}"'
            for name, column in table.by.items()
        )
        cells = "".join(f"<td>{_cell(record[column])}</td>" for column in table.columns)
        rows.append(f"<tr data-row{attributes}>{cells}</tr>")
    return (
        f'<h3>{html.escape(table.title)}</h3><div class="table-wrap">'
        f'<table id="{slug(table.title)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _chart(chart: Chart) -> str:
    chart_id = f"chart-{slug(chart.title)}"
    return (
        f'<div><div class="chart" id="{chart_id}"></div>'
        f'<p class="unsplit" id="{chart_id}-unsplit"></p></div>'
    )


def _section(rendered: RenderedSection, options: FilterOptions) -> str:
    parts = [f'<section id="{slug(rendered.title)}"><h2>{html.escape(rendered.title)}</h2>']
    if rendered.intro:
        parts.append(f'<p class="intro">{html.escape(rendered.intro)}</p>')
    if rendered.problem:
        parts.append(f'<p class="problem">{html.escape(rendered.problem)}</p>')
    charts = [item for item in rendered.items if isinstance(item, Chart)]
    if charts:
        parts.append('<div class="grid">' + "".join(_chart(c) for c in charts) + "</div>")
    for item in rendered.items:
        if item.note:
            parts.append(f'<p class="note">{html.escape(item.note)}</p>')
        if isinstance(item, Table):
            parts.append(_table(item, options))
    parts.append("</section>")
    return "\n".join(parts)


def _payload(sections: Sequence[RenderedSection], options: FilterOptions) -> str:
    charts = {}
    for rendered in sections:
        for chart in (item for item in rendered.items if isinstance(item, Chart)):
            charts[f"chart-{slug(chart.title)}"] = {
                "dims": [name for name in FILTERS if name in chart.by],
                "layout": chart.draw(chart.frame).to_plotly_json()["layout"],
                "variants": options.variants(chart),
            }
    template = pio.templates[TEMPLATE].to_plotly_json()
    text = json.dumps(
        {"filters": list(FILTERS), "template": template, "charts": charts}, cls=PlotlyJSONEncoder
    )
    return text.replace("</", "<\\/")


def render(
    title: str,
    subtitle: str,
    sections: Sequence[RenderedSection],
    options: FilterOptions,
    pipeline_labels: dict[str, str],
    footer: str,
) -> str:
    toc = " ".join(f'<a href="#{slug(s.title)}">{html.escape(s.title)}</a>' for s in sections)
    return PAGE.substitute(
        title=html.escape(title),
        subtitle=html.escape(subtitle),
        filters=_filter_controls(options, pipeline_labels),
        toc=toc,
        sections="\n".join(_section(s, options) for s in sections),
        footer=html.escape(footer),
        plotlyjs=get_plotlyjs(),
        payload=_payload(sections, options),
    )
