"""The session run's HTML report in a real headless Chromium: it renders offline with no
console errors, every chart is drawn, and the figures (with filters applied) are the marts'."""

from __future__ import annotations

import pytest

CORE_CHARTS = {
    "Lead funnel: leads to customers",
    "Lead-to-customer rate by channel",
    "Cohort conversion by stage",
    "Days in stage (completed stays)",
    "How stays end",
    "Open pipeline due in the month",
    "Movement in ",
    "Win rate by month of close",
    "Sales velocity (expected revenue per day)",
    "Average sales cycle of deals won (days)",
    "Deals needing follow-up per owner (top 25)",
    "Revenue forecast",
    "Hygiene score by team",
    "Open deals with each problem",
}
FLOWS = (
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
TRACES_BY_TITLE = """title => {
    const div = Array.from(document.querySelectorAll('.js-plotly-plot'))
        .find(d => d.layout.title.text.startsWith(title));
    return div.data.map(t => ({name: t.name, x: Array.from(t.x || []),
        y: Array.from(t.y || []), customdata: t.customdata}));
}"""


@pytest.fixture
def page(browser, pipeline_run):
    """The report opened from its file, with console messages and requests recorded."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.problems, page.requests = [], []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(pipeline_run.settings.report_path.as_uri())
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    yield page
    page.close()


def traces(page, title: str) -> list[dict]:
    return page.evaluate(TRACES_BY_TITLE, title)


def test_renders_offline_with_no_console_errors_and_keeps_a_screenshot(page, artifacts):
    assert page.problems == []
    assert all(url.startswith("file://") for url in page.requests), page.requests
    html = page.content()
    assert "<script src=" not in html, "plotly.js must be inline, not fetched"
    assert html.count("* plotly.js v") == 1, "plotly.js is embedded exactly once"
    shot = artifacts / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000


def test_every_chart_is_drawn_with_data(page):
    titles = page.evaluate(
        "Array.from(document.querySelectorAll('.js-plotly-plot')).map(d => d.layout.title.text)"
    )
    for expected in CORE_CHARTS:
        assert any(t.startswith(expected) for t in titles), (expected, titles)
    empty = page.evaluate(
        "Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".filter(d => d.data.length === 0).map(d => d.layout.title.text)"
    )
    assert empty == []
    assert page.locator("div.chart").count() == len(titles)


def test_funnel_shows_the_lead_funnel_mart(page, serving):
    (funnel,) = traces(page, "Lead funnel")
    expected = serving(
        "select sum(leads), sum(mqls), sum(sqls), sum(opportunities), sum(customers) "
        "from marts.lead_funnel"
    )[0]
    assert funnel["x"] == list(expected)
    assert funnel["y"] == ["Leads", "MQLs", "SQLs", "Opportunities", "Customers"]


def test_forecast_band_and_lines_are_the_total_rows(page, serving):
    by_name = {trace["name"]: trace["y"] for trace in traces(page, "Revenue forecast")}
    rows = serving(
        "select method, list(forecast_amount_reporting order by period_start_date), "
        "list(p10_amount_reporting order by period_start_date), "
        "list(p90_amount_reporting order by period_start_date) "
        "from marts.revenue_forecast where is_current and aggregation_level = 'total' "
        "group by method"
    )
    for method, forecast, p10, p90 in rows:
        assert by_name[method.replace("_", " ").capitalize()] == pytest.approx(forecast)
        if method == "monte_carlo":
            assert by_name["P10-P90"] == pytest.approx(p10)
            assert by_name["P90"] == pytest.approx(p90)
    assert {"Weighted", "Monte carlo", "New deals"} <= set(by_name)


def test_waterfall_follows_the_pipeline_filter(page, serving):
    sums = ", ".join(f"sum({flow})" for flow in FLOWS)
    latest = "(select max(period_month) from marts.pipeline_movement)"
    everything = serving(
        f"select {sums} from marts.pipeline_movement where period_month = {latest}"
    )
    (waterfall,) = traces(page, "Movement in ")
    assert waterfall["customdata"] == pytest.approx(list(everything[0]))

    pipeline_id, label = serving(
        "select pipeline_id, any_value(pipeline_label) from marts.deals group by 1 order by 1"
    )[-1]
    page.select_option("#filter-pipeline", label=label)
    one = serving(
        f"select {sums} from marts.pipeline_movement "
        f"where period_month = {latest} and pipeline_id = ?",
        [pipeline_id],
    )
    (waterfall,) = traces(page, "Movement in ")
    assert waterfall["customdata"] == pytest.approx(list(one[0]))
    assert one[0] != everything[0]
    # Movement reconciles: starting + flows = ending, as the mart guarantees.
    start, created, pulled, reopened, change, won, lost, slipped, ending = one[0]
    assert start + created + pulled + reopened + change - won - lost - slipped == pytest.approx(
        ending, abs=0.01
    )


def test_win_rate_follows_pipeline_team_and_period(page, serving):
    pipeline_id, label = serving(
        "select pipeline_id, any_value(pipeline_label) from marts.deals group by 1 order by 1"
    )[0]
    (team,) = serving(
        "select team_at_close from marts.win_rates where pipeline_id = ? "
        "group by 1 order by sum(won_deals + lost_deals) desc limit 1",
        [pipeline_id],
    )[0]
    page.select_option("#filter-pipeline", label=label)
    page.select_option("#filter-team", label=team)
    rows = serving(
        "select strftime(close_month, '%Y-%m-%d'), sum(won_deals) / sum(won_deals + lost_deals) "
        "from marts.win_rates where pipeline_id = ? and team_at_close = ? group by 1 order by 1",
        [pipeline_id, team],
    )
    by_count = traces(page, "Win rate by month of close")[0]
    assert by_count["name"] == "by count"
    assert by_count["x"] == [month for month, _ in rows]
    assert by_count["y"] == pytest.approx([rate for _, rate in rows])

    page.select_option("#filter-period", label="Last 3 months")
    by_count = traces(page, "Win rate by month of close")[0]
    assert by_count["x"] == [month for month, _ in rows][-3:]
    # The lead funnel has no pipeline or team: it says so instead of pretending to filter.
    note = page.locator("#chart-lead-funnel-unsplit").inner_text()
    assert note == "Not split by pipeline or team: showing all."


def test_follow_up_list_per_owner_without_personal_data(page, serving):
    rows = page.locator("#follow-up-list-per-owner tbody tr")
    per_owner = serving(
        "select least(count(*), 10) from marts.deals_needing_follow_up group by owner_name"
    )
    assert rows.count() == sum(n for (n,) in per_owner)
    # Deal names are personal data the serving copy leaves out: the list shows deal keys.
    first_deal = rows.first.locator("td").nth(1).inner_text()
    assert first_deal.startswith("hubspot:")

    (team,) = serving(
        "select team_name from marts.deals_needing_follow_up group by 1 order by count(*) desc"
    )[0]
    page.select_option("#filter-team", label=team)
    shown = page.locator("#follow-up-list-per-owner tbody tr:visible")
    in_team = serving(
        "select least(count(*), 10) from marts.deals_needing_follow_up "
        "where team_name = ? group by owner_name",
        [team],
    )
    assert shown.count() == sum(n for (n,) in in_team)
    assert len(in_team) <= 25, "the chart shows 25 owners: pick a smaller team"
    bars = {trace["name"]: sum(trace["x"]) for trace in traces(page, "Deals needing follow-up")}
    stale, past, idle = serving(
        "select count(*) filter (is_stale), count(*) filter (is_past_close_date), "
        "count(*) filter (is_idle) from marts.deals_needing_follow_up where team_name = ?",
        [team],
    )[0]
    assert bars == {"stale in stage": stale, "past close date": past, "idle": idle}
