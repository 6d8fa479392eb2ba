"""`funnelhouse backfill`: one run rebuilds pipeline_daily_snapshots over a range of days,
each day equal to the open pipeline computed from deal_daily_snapshots; days built before
are replaced exactly, and every day outside the range is left alone."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import duckdb
import pytest
from background_runs import follow_up, follow_up_result, run_funnelhouse

from orchestration.jobs import DAILY_SNAPSHOTS_JOB_NAME

GRAIN = "snapshot_date, pipeline_id, canonical_stage, owner_key"
MART = f"""select {GRAIN}, open_deals, open_amount_reporting, weighted_amount_reporting,
    past_due_deals, past_due_amount_reporting, deals_without_amount
from marts.pipeline_daily_snapshots
where snapshot_date between ? and ?
order by all"""
# The same figures from the view of every deal at the end of every day.
FROM_DEAL_SNAPSHOTS = f"""select {GRAIN}, count(*),
    coalesce(sum(amount_reporting), 0),
    coalesce(sum(amount_reporting * stages.default_probability), 0),
    count(case when close_date < snapshot_date then 1 end),
    coalesce(sum(case when close_date < snapshot_date then amount_reporting end), 0),
    count(case when amount_reporting is null then 1 end)
from marts.deal_daily_snapshots
inner join reference.canonical_stages as stages using (canonical_stage)
where not deal_daily_snapshots.is_closed and not is_excluded_from_metrics
    and snapshot_date between ? and ?
group by all
order by all"""
WINDOW_DAYS = 90  # snapshot_window_days in dbt_project.yml
RANGE_TAG = "dagster/asset_partition_range"


def _query(home, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _assert_same_rows(actual: list[tuple], expected: list[tuple]) -> None:
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert got[:4] == want[:4]  # the grain
        assert got[4:] == pytest.approx(want[4:], rel=1e-9, abs=1e-6), got


def _runs(home) -> list[dg.DagsterRun]:
    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    return instance.get_runs(filters=dg.RunsFilter(job_name=DAILY_SNAPSHOTS_JOB_NAME))


def test_the_main_run_builds_the_default_window(pipeline_run):
    first = pipeline_run.as_of - timedelta(days=WINDOW_DAYS - 1)
    days = pipeline_run.query(
        "select min(snapshot_date), max(snapshot_date), count(distinct snapshot_date) "
        "from marts.pipeline_daily_snapshots"
    )
    assert days == [(first, pipeline_run.as_of, WINDOW_DAYS)]
    params = [pipeline_run.as_of - timedelta(days=6), pipeline_run.as_of]
    _assert_same_rows(
        pipeline_run.query(MART, params), pipeline_run.query(FROM_DEAL_SNAPSHOTS, params)
    )


@follow_up("backfill", runs=0.5)
def _backfill_15_days(pipeline_run):
    """A copy of the session's run backfilled over 15 days: the 10 before the default
    window, which the session's run did not build, and the first 5 of it, which it did."""
    home = pipeline_run.copy("backfill_home", leave_out=("worlds",)).settings.home
    window_start = pipeline_run.as_of - timedelta(days=WINDOW_DAYS - 1)
    first, last = window_start - timedelta(days=10), window_start + timedelta(days=4)
    everything = [date(2000, 1, 1), pipeline_run.as_of]
    before = _query(home, MART, everything)
    args = ["backfill", "--from", first.isoformat(), "--to", last.isoformat(), "--home", str(home)]
    code, output = run_funnelhouse([*args, "--as-of", pipeline_run.as_of.isoformat()], home)
    return home, first, last, before, _query(home, MART, everything), code, output


@pytest.fixture(scope="module")
def backfill(pipeline_run):
    return follow_up_result("backfill", pipeline_run)


def test_a_backfill_is_one_run_over_its_range(backfill):
    home, first, last, _, _, code, output = backfill
    assert code == 0, output
    rows = _query(
        home,
        "select count(*) from marts.pipeline_daily_snapshots where snapshot_date between ? and ?",
        [first, last],
    )[0][0]
    assert f"backfill: {first} .. {last}: {rows:,} rows written for 15 of 15 days" in output
    (run,) = _runs(home)  # one run for the whole range, not one per day
    assert (run.tags[f"{RANGE_TAG}_start"], run.tags[f"{RANGE_TAG}_end"]) == (
        first.isoformat(),
        last.isoformat(),
    )


def test_backfilled_days_equal_the_deal_snapshots(backfill):
    home, first, last, *_ = backfill
    _assert_same_rows(
        _query(home, MART, [first, last]), _query(home, FROM_DEAL_SNAPSHOTS, [first, last])
    )


def test_rebuilt_days_are_replaced_exactly_and_others_untouched(backfill):
    _, first, last, before, after, *_ = backfill

    def outside(rows: list[tuple]) -> list[tuple]:
        return [row for row in rows if not first <= row[0] <= last]

    assert outside(after) == outside(before)
    # The days the session's run had built come out of the rebuild as they were, none
    # doubled or dropped.
    overlap = [row for row in before if first <= row[0] <= last]
    assert overlap
    _assert_same_rows([row for row in after if overlap[0][0] <= row[0] <= last], overlap)


def test_bad_ranges_are_refused_naming_the_option(pipeline_run, cli, capsys):
    as_of = pipeline_run.as_of
    home = ["--home", str(pipeline_run.settings.home), "--as-of", as_of.isoformat()]
    later = (as_of + timedelta(days=1)).isoformat()
    cases = {
        ("2025-13-01", "2025-12-01"): "argument --from: '2025-13-01' is not a date",
        ("2025-06-14", "2025-06-01"): "--from 2025-06-14 is after --to 2025-06-01",
        ("2025-06-01", later): f"--to {later} is after the as-of date {as_of}",
        ("2001-01-01", "2025-06-01"): "--from 2001-01-01 is before the calendar",
    }
    for (first, last), message in cases.items():
        code, _ = cli(["backfill", "--from", first, "--to", last, *home])
        assert code == 2, message
        assert message in capsys.readouterr().err
