"""The report's sections, one function each, in the order the page shows them.

Each reads the marts it names from the serving copy and returns charts and tables. A
section whose marts are not published yet (forecast, attribution, ROI, ...) is left out,
so it appears by itself once the mart lands. Rates are re-derived from the marts' counts
and amounts, never averaged, so every filter combination stays exact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from orchestration.report.elements import Chart, Item, ReportData, SectionSpec, Table, figure

FOLLOW_UPS_PER_OWNER = 10

SECTIONS: list[SectionSpec] = []
Build = Callable[[ReportData], list[Item]]


def section(
    title: str, needs: Mapping[str, Sequence[str]], intro: str = ""
) -> Callable[[Build], Build]:
    """Register a section (``needs``: mart -> the columns it reads). It is drawn when every
    mart it needs is published, so sections for marts still to come wait for them."""

    def register(build: Build) -> Build:
        SECTIONS.append(SectionSpec(title, needs, build, intro))
        return build

    return register


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _months(series: pd.Series) -> list[str]:
    return [value.strftime("%Y-%m-%d") for value in pd.to_datetime(series)]


def _ratio(numerator: pd.Series, denominator: pd.Series) -> list[float | None]:
    return [n / d if d else None for n, d in zip(numerator, denominator, strict=True)]


def _by_pipeline(frame: pd.DataFrame, data: ReportData) -> list[tuple[str, pd.DataFrame]]:
    return [(data.pipeline_label(p), rows) for p, rows in frame.groupby("pipeline_id", sort=True)]


@section(
    "Lead funnel",
    needs={"lead_funnel": ("lead_month", "original_channel", "leads", "mqls", "sqls")},
    intro="Contacts by the month they became leads, and how many reached each later step by "
    "the as-of date. Young cohorts are still converting.",
)
def lead_funnel(data: ReportData) -> list[Item]:
    steps = {
        "leads": "Leads",
        "mqls": "MQLs",
        "sqls": "SQLs",
        "opportunities": "Opportunities",
        "customers": "Customers",
    }
    frame = data.frame(
        "select lead_month, original_channel, "
        + ", ".join(f"sum({step})::bigint as {step}" for step in steps)
        + " from marts.lead_funnel group by all"
    )

    def funnel(rows: pd.DataFrame) -> go.Figure:
        fig = figure("Lead funnel: leads to customers")
        fig.add_trace(
            go.Funnel(
                y=list(steps.values()),
                x=[int(rows[step].sum()) for step in steps],
                textinfo="value+percent initial",
            )
        )
        return fig

    def by_channel(rows: pd.DataFrame) -> go.Figure:
        totals = rows.groupby("original_channel")[["leads", "customers"]].sum()
        totals = totals.assign(rate=totals.customers / totals.leads).sort_values("rate")
        fig = figure("Lead-to-customer rate by channel", xaxis={"tickformat": ".0%"})
        fig.add_trace(
            go.Bar(
                x=totals.rate.tolist(),
                y=[_label(c) for c in totals.index],
                orientation="h",
                customdata=totals[["leads", "customers"]].to_numpy().tolist(),
                hovertemplate="%{x:.1%} (%{customdata[1]} of %{customdata[0]} leads)",
                name="lead to customer",
            )
        )
        return fig

    period = {"period": "lead_month"}
    return [
        Chart("Lead funnel", frame, funnel, period),
        Chart("Lead-to-customer rate by channel", frame, by_channel, period),
    ]


@section(
    "Stage conversion",
    needs={
        "stage_conversion": (
            "cohort_month",
            "pipeline_id",
            "team_name",
            "from_stage",
            "to_stage",
            "entered",
            "reached",
        )
    },
    intro="Cohort conversion: of the deals that first entered a stage, the share that later "
    "reached the next stage (or beyond), and the share that was won. Skipped stages count as "
    "passed; the period filter picks cohorts by the month they entered the stage.",
)
def stage_conversion(data: ReportData) -> list[Item]:
    frame = data.frame(
        "select cohort_month, pipeline_id, team_name, from_stage, to_stage, "
        "sum(entered)::bigint as entered, sum(reached)::bigint as reached "
        "from marts.stage_conversion group by all"
    )
    # A stage reaches every later one: the more stages follow it, the earlier it is.
    order = frame.groupby("from_stage").to_stage.nunique().sort_values(ascending=False).index
    stages = list(order)
    won = next(s for s in frame.to_stage.unique() if s not in stages)

    def draw(rows: pd.DataFrame) -> go.Figure:
        sums = rows.groupby(["from_stage", "to_stage"])[["entered", "reached"]].sum()
        fig = figure("Cohort conversion by stage", yaxis={"tickformat": ".0%"})
        targets = {
            "to the next stage": [*stages[1:], won],
            f"to {_label(won).lower()}": [won] * len(stages),
        }
        for name, to_stages in targets.items():
            pairs = [(s, t) for s, t in zip(stages, to_stages, strict=True) if (s, t) in sums.index]
            picked = sums.loc[pairs]
            fig.add_trace(
                go.Bar(
                    x=[_label(s) for s, _ in pairs],
                    y=_ratio(picked.reached, picked.entered),
                    customdata=picked[["reached", "entered"]].to_numpy().tolist(),
                    hovertemplate="%{y:.1%} (%{customdata[0]} of %{customdata[1]})",
                    name=name,
                )
            )
        return fig

    by = {"pipeline": "pipeline_id", "team": "team_name", "period": "cohort_month"}
    return [Chart("Cohort conversion by stage", frame, draw, by)]


@section(
    "Time in stage and bottlenecks",
    needs={
        "stage_bottlenecks": (
            "pipeline_id",
            "canonical_stage",
            "sort_order",
            "median_days_in_stage",
            "p90_days_in_stage",
            "conversion_to_next_stage",
            "drop_off_rate",
            "bottleneck_rank",
        )
    },
    intro="Completed stays per open stage: how long they took, and how they ended. The "
    "bottleneck of a pipeline is the stage with the longest P90 stay.",
)
def bottlenecks(data: ReportData) -> list[Item]:
    frame = data.frame("select * from marts.stage_bottlenecks order by pipeline_id, sort_order")
    worst = frame[frame.bottleneck_rank == 1]
    note = "Bottleneck: " + "; ".join(
        f"{data.pipeline_label(row.pipeline_id)}: {_label(row.canonical_stage)} "
        f"(P90 {row.p90_days_in_stage:.0f} days)"
        for row in worst.itertuples()
    )

    def days(rows: pd.DataFrame) -> go.Figure:
        fig = figure("Days in stage (completed stays)", barmode="group", yaxis={"title": "days"})
        for label, stays in _by_pipeline(rows, data):
            stages = [_label(s) for s in stays.canonical_stage]
            fig.add_trace(
                go.Bar(x=stages, y=stays.median_days_in_stage.tolist(), name=f"{label}: median")
            )
            fig.add_trace(
                go.Bar(x=stages, y=stays.p90_days_in_stage.tolist(), name=f"{label}: P90")
            )
        return fig

    def outcomes(rows: pd.DataFrame) -> go.Figure:
        fig = figure("How stays end", barmode="group", yaxis={"tickformat": ".0%"})
        for label, stays in _by_pipeline(rows, data):
            stages = [_label(s) for s in stays.canonical_stage]
            fig.add_trace(
                go.Bar(
                    x=stages, y=stays.conversion_to_next_stage.tolist(), name=f"{label}: advanced"
                )
            )
            fig.add_trace(go.Bar(x=stages, y=stays.drop_off_rate.tolist(), name=f"{label}: lost"))
        return fig

    by = {"pipeline": "pipeline_id"}
    return [
        Chart("Days in stage", frame, days, by, note),
        Chart("How stays end", frame, outcomes, by),
    ]


@section(
    "Pipeline trend and movement",
    needs={
        "pipeline_movement": (
            "period_month",
            "pipeline_id",
            "starting_amount",
            "created_amount",
            "pulled_in_amount",
            "reopened_amount",
            "amount_change",
            "won_amount",
            "lost_amount",
            "slipped_amount",
            "ending_amount",
        )
    },
    intro="The open pipeline due to close in each month, from the month's start to its end, "
    "and what moved it (amounts in the reporting currency).",
)
def pipeline_movement(data: ReportData) -> list[Item]:
    frame = data.frame("select * from marts.pipeline_movement order by period_month")
    latest = frame.period_month.max()
    flows = {
        "starting_amount": ("Starting", "absolute", 1),
        "created_amount": ("Created", "relative", 1),
        "pulled_in_amount": ("Pulled in", "relative", 1),
        "reopened_amount": ("Reopened", "relative", 1),
        "amount_change": ("Amount change", "relative", 1),
        "won_amount": ("Won", "relative", -1),
        "lost_amount": ("Lost", "relative", -1),
        "slipped_amount": ("Slipped", "relative", -1),
        "ending_amount": ("Ending", "total", 1),
    }
    money = {"tickformat": ",.0f", "title": data.currency}

    def trend(rows: pd.DataFrame) -> go.Figure:
        months = rows.groupby("period_month")[["starting_amount", "ending_amount"]].sum()
        fig = figure("Open pipeline due in the month", yaxis=money)
        for column, name in (("starting_amount", "at the start"), ("ending_amount", "at the end")):
            fig.add_trace(
                go.Scatter(
                    x=_months(months.index),
                    y=months[column].tolist(),
                    name=name,
                    mode="lines+markers",
                )
            )
        return fig

    def waterfall(rows: pd.DataFrame) -> go.Figure:
        month = rows[rows.period_month == latest]
        fig = figure(f"Movement in {pd.Timestamp(latest):%B %Y} (the as-of month)", yaxis=money)
        fig.add_trace(
            go.Waterfall(
                x=[name for name, _, _ in flows.values()],
                measure=[measure for _, measure, _ in flows.values()],
                y=[
                    0.0 if measure == "total" else sign * float(month[column].sum())
                    for column, (_, measure, sign) in flows.items()
                ],
                customdata=[float(month[column].sum()) for column in flows],
                hovertemplate="%{x}: %{customdata:,.0f}<extra></extra>",
                name="movement",
            )
        )
        return fig

    by = {"pipeline": "pipeline_id"}
    return [
        Chart("Open pipeline due in the month", frame, trend, {**by, "period": "period_month"}),
        Chart("Movement waterfall", frame, waterfall, by),
    ]


@section(
    "Win rate and velocity",
    needs={
        "win_rates": (
            "close_month",
            "pipeline_id",
            "team_at_close",
            "won_deals",
            "lost_deals",
            "won_amount_reporting",
            "lost_amount_reporting",
        ),
        "sales_velocity": (
            "period_month",
            "pipeline_id",
            "won_deals",
            "average_cycle_days",
            "velocity_reporting_per_day",
        ),
    },
    intro="Deals closed per month: the share won by count and by value (owner's team at "
    "close), and sales velocity: open opportunities x average won size x win rate / cycle.",
)
def win_rate_and_velocity(data: ReportData) -> list[Item]:
    rates = data.frame(
        "select close_month, pipeline_id, team_at_close, sum(won_deals)::bigint as won, "
        "sum(lost_deals)::bigint as lost, sum(won_amount_reporting) as won_amount, "
        "sum(lost_amount_reporting) as lost_amount from marts.win_rates group by all"
    )
    velocity = data.frame("select * from marts.sales_velocity order by period_month")

    def win_rate(rows: pd.DataFrame) -> go.Figure:
        months = rows.groupby("close_month")[["won", "lost", "won_amount", "lost_amount"]].sum()
        fig = figure("Win rate by month of close", yaxis={"tickformat": ".0%"})
        fig.add_trace(
            go.Scatter(
                x=_months(months.index),
                y=_ratio(months.won, months.won + months.lost),
                customdata=months[["won", "lost"]].to_numpy().tolist(),
                hovertemplate="%{y:.1%} (%{customdata[0]} won, %{customdata[1]} lost)",
                name="by count",
                mode="lines+markers",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=_months(months.index),
                y=_ratio(months.won_amount, months.won_amount + months.lost_amount),
                name="by value",
                mode="lines+markers",
            )
        )
        return fig

    def velocity_trend(rows: pd.DataFrame) -> go.Figure:
        months = rows.groupby("period_month").velocity_reporting_per_day.sum()
        fig = figure(
            "Sales velocity (expected revenue per day)",
            yaxis={"tickformat": ",.0f", "title": f"{data.currency} per day"},
        )
        fig.add_trace(
            go.Scatter(
                x=_months(months.index), y=months.tolist(), name="velocity", mode="lines+markers"
            )
        )
        return fig

    def cycle(rows: pd.DataFrame) -> go.Figure:
        weighted = rows.assign(days=rows.average_cycle_days.fillna(0) * rows.won_deals)
        months = weighted.groupby("period_month")[["days", "won_deals"]].sum()
        fig = figure("Average sales cycle of deals won (days)", yaxis={"title": "days"})
        fig.add_trace(
            go.Scatter(
                x=_months(months.index),
                y=_ratio(months.days, months.won_deals),
                name="cycle",
                mode="lines+markers",
            )
        )
        return fig

    by = {"pipeline": "pipeline_id", "period": "period_month"}
    return [
        Chart(
            "Win rate by month of close",
            rates,
            win_rate,
            {"pipeline": "pipeline_id", "team": "team_at_close", "period": "close_month"},
        ),
        Chart("Sales velocity", velocity, velocity_trend, by),
        Chart("Sales cycle", velocity, cycle, by),
    ]


@section(
    "Follow-up list",
    needs={
        "deals_needing_follow_up": (
            "deal_key",
            "pipeline_id",
            "canonical_stage",
            "owner_name",
            "team_name",
            "amount_reporting",
            "days_in_stage",
            "expected_close_date",
            "is_stale",
            "is_past_close_date",
            "is_idle",
            "reasons",
            "priority_rank",
        )
    },
    intro="Open deals that need attention: stale in their stage, past their expected close "
    "date, or idle. The list shows each owner's most urgent deals (most reasons, then the "
    "largest amount).",
)
def follow_up(data: ReportData) -> list[Item]:
    # Deal names can carry a contact's name: shown only when the serving copy holds them.
    name = "deal_name" if data.has("deals_needing_follow_up", "deal_name") else "deal_key"
    frame = data.frame(
        f"select *, {name} as deal, coalesce(owner_name, '(no owner)') as owner "
        "from marts.deals_needing_follow_up order by priority_rank"
    )
    reasons = {
        "is_stale": "stale in stage",
        "is_past_close_date": "past close date",
        "is_idle": "idle",
    }

    def per_owner(rows: pd.DataFrame) -> go.Figure:
        counts = rows.groupby("owner")[list(reasons)].sum()
        counts = counts.assign(deals=rows.groupby("owner").size()).nlargest(25, "deals")[::-1]
        fig = figure("Deals needing follow-up per owner (top 25)", barmode="stack", height=600)
        for column, label in reasons.items():
            fig.add_trace(
                go.Bar(
                    y=counts.index.tolist(), x=counts[column].tolist(), orientation="h", name=label
                )
            )
        return fig

    top = (
        frame.groupby("owner", group_keys=False)
        .head(FOLLOW_UPS_PER_OWNER)
        .sort_values(["owner", "priority_rank"])
    )
    top = top.assign(
        amount=top.amount_reporting.map(lambda v: f"{v:,.0f}" if pd.notna(v) else ""),
        stage=top.canonical_stage.map(_label),
        days=top.days_in_stage.map(lambda v: f"{v:.0f}" if pd.notna(v) else ""),
        expected=top.expected_close_date.map(lambda d: f"{d:%Y-%m-%d}" if pd.notna(d) else ""),
        pipeline=top.pipeline_id.map(data.pipeline_label),
    )
    columns = {
        "owner": "Owner",
        "deal": "Deal",
        "pipeline": "Pipeline",
        "stage": "Stage",
        "amount": f"Amount ({data.currency})",
        "days": "Days in stage",
        "expected": "Expected close",
        "reasons": "Reasons",
    }
    by = {"pipeline": "pipeline_id", "team": "team_name"}
    note = f"{len(frame):,} deals need follow-up; up to {FOLLOW_UPS_PER_OWNER} per owner shown."
    return [
        Chart("Follow-up per owner", frame, per_owner, by),
        Table("Follow-up list per owner", top, columns, by, note),
    ]


@section(
    "Revenue forecast",
    needs={
        "revenue_forecast": (
            "is_current",
            "period_start_date",
            "aggregation_level",
            "pipeline_id",
            "method",
            "forecast_amount_reporting",
            "p10_amount_reporting",
            "p90_amount_reporting",
        )
    },
    intro="Revenue the open pipeline is expected to win per fiscal month, by each method, with "
    "the Monte Carlo P10-P90 band; deals not created yet are their own line.",
)
def revenue_forecast(data: ReportData) -> list[Item]:
    frame = data.frame(
        "select * from marts.revenue_forecast where is_current "
        "and aggregation_level in ('total', 'pipeline') order by period_start_date"
    )

    def draw(rows: pd.DataFrame) -> go.Figure:
        # Quantiles do not add up across pipelines: draw one grain's own rows.
        level = "total" if (rows.aggregation_level == "total").any() else "pipeline"
        rows = rows[rows.aggregation_level == level]
        fig = figure("Revenue forecast", yaxis={"tickformat": ",.0f", "title": data.currency})
        band = rows[rows.method == "monte_carlo"]
        for quantile, name, fill in (("p90", "P90", None), ("p10", "P10-P90", "tonexty")):
            fig.add_trace(
                go.Scatter(
                    x=_months(band.period_start_date),
                    y=band[f"{quantile}_amount_reporting"].tolist(),
                    name=name,
                    fill=fill,
                    line={"width": 0},
                )
            )
        for method, of_method in rows.groupby("method"):
            fig.add_trace(
                go.Scatter(
                    x=_months(of_method.period_start_date),
                    y=of_method.forecast_amount_reporting.tolist(),
                    name=_label(method),
                    mode="lines+markers",
                )
            )
        return fig

    return [Chart("Revenue forecast", frame, draw, {"pipeline": "pipeline_id"})]


@section(
    "Attribution by channel",
    needs={
        "attribution_by_channel": (
            "month",
            "channel",
            "model",
            "attributed_pipeline",
            "attributed_revenue",
        )
    },
    intro="Pipeline and revenue credited to each channel; pick the attribution model with the "
    "buttons above the chart.",
)
def attribution(data: ReportData) -> list[Item]:
    frame = data.frame(
        "select month, channel, model, sum(attributed_pipeline) as pipeline, "
        "sum(attributed_revenue) as revenue from marts.attribution_by_channel group by all"
    )
    models = sorted(frame.model.unique())

    def draw(rows: pd.DataFrame) -> go.Figure:
        fig = figure("Attributed revenue by channel", barmode="group", yaxis={"tickformat": ",.0f"})
        for i, model in enumerate(models):
            totals = rows[rows.model == model].groupby("channel")[["pipeline", "revenue"]].sum()
            for measure in ("pipeline", "revenue"):
                fig.add_trace(
                    go.Bar(
                        x=[_label(c) for c in totals.index],
                        y=totals[measure].tolist(),
                        name=f"{measure} ({_label(model)})",
                        visible=i == 0,
                    )
                )
        buttons = [
            {
                "label": _label(model),
                "method": "restyle",
                "args": [{"visible": [j // 2 == i for j in range(2 * len(models))]}],
            }
            for i, model in enumerate(models)
        ]
        fig.update_layout(
            updatemenus=[
                {"type": "buttons", "direction": "right", "x": 0, "y": 1.15, "buttons": buttons}
            ]
        )
        return fig

    return [Chart("Attribution by channel", frame, draw, {"period": "month"})]


@section(
    "Marketing ROI",
    needs={"marketing_roi": ("channel", "spend", "return_on_ad_spend")},
    intro="Spend and return on ad spend by channel.",
)
def marketing_roi(data: ReportData) -> list[Item]:
    frame = data.frame("select * from marts.marketing_roi")

    def draw(rows: pd.DataFrame) -> go.Figure:
        totals = rows.groupby("channel")[["spend", "return_on_ad_spend"]].agg(
            {"spend": "sum", "return_on_ad_spend": "mean"}
        )
        fig = figure("Return on ad spend by channel", yaxis={"title": "revenue / spend"})
        fig.add_trace(
            go.Bar(
                x=[_label(c) for c in totals.index],
                y=totals.return_on_ad_spend.tolist(),
                name="ROAS",
            )
        )
        return fig

    return [Chart("Marketing ROI", frame, draw)]


@section(
    "Data-quality scorecard",
    needs={
        "data_quality_scorecard": (
            "scope",
            "pipeline_id",
            "team_name",
            "open_deals",
            "deals_with_issues",
            "missing_amount",
            "missing_close_date",
            "missing_owner",
            "past_close_date",
            "stale",
            "idle",
            "regressed",
            "suspected_duplicates",
        )
    },
    intro="CRM hygiene of the open pipeline: the problems RevOps acts on, and the share of "
    "open deals with none (the hygiene score).",
)
def data_quality(data: ReportData) -> list[Item]:
    problems = [
        "missing_amount",
        "missing_close_date",
        "missing_owner",
        "past_close_date",
        "stale",
        "idle",
        "regressed",
        "suspected_duplicates",
    ]
    teams = data.frame("select * from marts.data_quality_scorecard where scope = 'team'")

    def score(rows: pd.DataFrame) -> go.Figure:
        totals = rows.groupby("team_name")[["open_deals", "deals_with_issues"]].sum()
        clean = 1 - totals.deals_with_issues / totals.open_deals
        fig = figure("Hygiene score by team", yaxis={"tickformat": ".0%", "range": [0, 1]})
        fig.add_trace(go.Bar(x=clean.index.tolist(), y=clean.tolist(), name="hygiene score"))
        return fig

    def counts(rows: pd.DataFrame) -> go.Figure:
        totals = rows[problems].sum()
        fig = figure("Open deals with each problem")
        fig.add_trace(
            go.Bar(x=[_label(p) for p in problems], y=totals.astype(int).tolist(), name="deals")
        )
        return fig

    by = {"pipeline": "pipeline_id", "team": "team_name"}
    return [Chart("Hygiene score", teams, score, by), Chart("Problems", teams, counts, by)]
