"""What a report section is made of, and how the page's filters become chart variants.

A section is one function, registered with ``sections.section``, that reads marts from the
serving copy and returns charts and tables. A chart names the columns its filters act on
(pipeline, team, period); the report draws it once per combination of filter values
present in its data, so the page's filters work offline with plain JavaScript.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go

from orchestration.serving import Publication

# The page's filters, in the order a variant's key lists them.
FILTERS = ("pipeline", "team", "period")
ALL = "*"
# Period filter: trailing months ending with the as-of month (None: all time).
PERIODS: dict[str, int | None] = {
    "All time": None,
    "Last 12 months": 12,
    "Last 6 months": 6,
    "Last 3 months": 3,
}
CHART_HEIGHT = 380


@dataclass(frozen=True)
class Chart:
    """A plotly figure drawn by ``draw`` from ``frame``; ``by`` maps a filter to its column."""

    title: str
    frame: pd.DataFrame
    draw: Callable[[pd.DataFrame], go.Figure]
    by: Mapping[str, str] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Table:
    """An HTML table of ``columns`` (column -> heading); ``by`` as for charts."""

    title: str
    frame: pd.DataFrame
    columns: Mapping[str, str]
    by: Mapping[str, str] = field(default_factory=dict)
    note: str = ""


Item = Chart | Table


@dataclass
class ReportData:
    """The serving copy as the sections see it: one read-only connection, one version."""

    con: duckdb.DuckDBPyConnection
    publication: Publication
    pipelines: dict[str, str]  # pipeline id -> label
    teams: list[str]

    def frame(self, sql: str) -> pd.DataFrame:
        return self.con.sql(sql).df()

    def has(self, mart: str, *columns: str) -> bool:
        published = self.publication.columns()
        return mart in published and set(columns) <= published[mart]

    def missing(self, needs: Mapping[str, Sequence[str]]) -> list[str]:
        """``mart.column`` for each needed column the serving copy lacks."""
        published = self.publication.columns()
        return [
            f"{mart}.{column}"
            for mart, columns in needs.items()
            for column in columns
            if column not in published.get(mart, ())
        ]

    @property
    def currency(self) -> str:
        return self.publication.reporting_currency

    def pipeline_label(self, pipeline_id: str) -> str:
        return self.pipelines.get(pipeline_id, pipeline_id)


@dataclass(frozen=True)
class SectionSpec:
    title: str
    needs: Mapping[str, Sequence[str]]  # mart -> the columns the section reads
    build: Callable[[ReportData], list[Item]]
    intro: str = ""


def figure(title: str, **layout: Any) -> go.Figure:
    """An empty figure with the report's look (the page adds one shared template)."""
    fig = go.Figure()
    look = {
        "height": CHART_HEIGHT,
        "margin": {"l": 60, "r": 20, "t": 60, "b": 60},
        "legend": {"orientation": "h", "y": -0.2},
    }
    fig.update_layout(title={"text": title, "x": 0.01}, **{**look, **layout})
    return fig


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


@dataclass(frozen=True)
class FilterOptions:
    """The values each filter offers, shared by every chart (keys use their positions)."""

    pipelines: list[str]
    teams: list[str]
    as_of: date

    def values(self, name: str) -> list[str]:
        return {"pipeline": self.pipelines, "team": self.teams, "period": list(PERIODS)}[name]

    def select(self, frame: pd.DataFrame, name: str, column: str, index: str) -> pd.DataFrame:
        """The rows of ``frame`` that filter ``name`` keeps at option ``index``."""
        if index == ALL:
            return frame
        value = self.values(name)[int(index)]
        if name != "period":
            return frame[frame[column] == value]
        months = PERIODS[value]
        if months is None:
            return frame
        first = (pd.Timestamp(self.as_of).to_period("M") - (months - 1)).to_timestamp()
        return frame[pd.to_datetime(frame[column]) >= first]

    def keys(self, frame: pd.DataFrame, by: Mapping[str, str]) -> Iterator[tuple[str, ...]]:
        """Every combination of options, per filter the chart has, that its rows hold."""
        choices = []
        for name in (f for f in FILTERS if f in by):
            values = self.values(name)
            if name == "period":
                present = [str(i) for i in range(len(values)) if PERIODS[values[i]]]
            else:
                held = set(frame[by[name]].dropna())
                present = [str(i) for i, value in enumerate(values) if value in held]
            choices.append([ALL, *present])
        yield from itertools.product(*choices)

    def variants(self, chart: Chart) -> dict[str, list[dict]]:
        """Variant key ("*|2|0": pipeline all, team 2, period 0) -> the figure's traces."""
        dims = [f for f in FILTERS if f in chart.by]
        drawn = {}
        for key in self.keys(chart.frame, chart.by):
            rows = chart.frame
            for name, index in zip(dims, key, strict=True):
                rows = self.select(rows, name, chart.by[name], index)
            if rows.empty:
                continue
            drawn["|".join(key)] = chart.draw(rows).to_plotly_json()["data"]
        return drawn
