"""The activity marts (timeline, deal engagement, rep activity) and the follow-up list
recover the simulator's engagements exactly, and bad activities are kept and flagged."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd
import pytest
from dbt_commands import run_dbt
from ground_truth import naive_utc

from ingestion.settings import DBT_PROJECT_DIR

TYPES = ("call", "email", "meeting", "note", "task")
COLUMNS = {
    "call": "calls",
    "email": "emails",
    "meeting": "meetings",
    "note": "notes",
    "task": "tasks",
}
TO_DO = {"NOT_STARTED", "SCHEDULED"}  # the simulator's statuses of activities not yet done


def _frame(run, sql: str) -> pd.DataFrame:
    return run.arrow(sql).to_pandas()


def _days(start: pd.Series, end: pd.Series | pd.Timestamp) -> pd.Series:
    """Days between timestamps as the warehouse counts them: whole-second boundaries."""
    return (end - start.dt.floor("s")) / pd.Timedelta(days=1)


def _week(series: pd.Series) -> pd.Series:
    """The Monday starting each timestamp's week (UTC, the default reporting time zone)."""
    day = naive_utc(series).dt.normalize()
    return (day - pd.to_timedelta(day.dt.weekday, unit="D")).dt.date


@pytest.fixture(scope="module")
def as_of_end(pipeline_run) -> pd.Timestamp:
    """The exclusive end of the as-of day: what happened before it has happened."""
    return pd.Timestamp(pipeline_run.as_of) + pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def portal(pipeline_run) -> str:
    return pipeline_run.query("select min(source_instance) from marts.deals")[0][0]


@pytest.fixture(scope="module")
def engagements(pipeline_run, as_of_end) -> pd.DataFrame:
    e = pipeline_run.truth("engagements").to_pandas()
    e["type"] = e.type.str.lower()
    e["occurred"] = naive_utc(e.timestamp)
    e["completed"] = ~e.status.isin(TO_DO)
    e["done_by_as_of"] = e.completed & (e.occurred < as_of_end)
    return e


@pytest.fixture(scope="module")
def kept_deals(listed_deals) -> pd.DataFrame:
    """The deals in marts.deals: listed and not quarantined (deleted ones included)."""
    return listed_deals[~listed_deals.is_malformed].set_index("deal_id").sort_index()


@pytest.fixture(scope="module")
def engagement(pipeline_run, kept_deals) -> pd.DataFrame:
    mart = _frame(
        pipeline_run,
        "select split_part(deal_key, ':', 3) as deal_id, * from marts.deal_engagement",
    )
    return mart.set_index("deal_id").loc[kept_deals.index]


@pytest.fixture(scope="module")
def staged(engagements, pipeline_run, metric_deals) -> pd.DataFrame:
    """Each engagement on a metric deal with the true stage visit it fell in."""
    visits = pipeline_run.truth("truth_stage_visits").to_pandas()
    visits = visits[visits.deal_id.isin(set(metric_deals.deal_id))]
    visits = visits.assign(entered_at=naive_utc(visits.entered_at)).sort_values("entered_at")
    visits["exited_at"] = naive_utc(visits.exited_at)
    on_metric = engagements[engagements.deal_id.isin(set(metric_deals.deal_id))]
    joined = pd.merge_asof(
        on_metric.sort_values("occurred"),
        visits[["deal_id", "entered_at", "exited_at", "canonical_stage"]],
        left_on="occurred",
        right_on="entered_at",
        by="deal_id",
    )
    inside = joined.exited_at.isna() | (joined.occurred < joined.exited_at)
    joined["canonical_stage"] = joined.canonical_stage.where(inside)
    return joined


def test_activity_counts_per_deal_and_type_equal_the_simulators_engagements(
    engagements, kept_deals, engagement
):
    truth = engagements.groupby(["deal_id", "type"]).size().unstack(fill_value=0)
    truth = truth.reindex(index=kept_deals.index, columns=list(TYPES), fill_value=0)
    assert truth.to_numpy().sum() > 20_000 and (truth.sum() > 0).all()
    for kind in TYPES:
        assert list(engagement[COLUMNS[kind]]) == list(truth[kind]), kind
    assert list(engagement.activities) == list(kept_deals.n_activities)
    # Merged-away deals' activities are listed on (and counted for) their survivors.
    assert kept_deals.n_activities.sum() == len(
        engagements[engagements.deal_id.isin(set(kept_deals.index))]
    )


def test_activities_of_unknown_and_deleted_deals_are_kept_and_flagged(
    pipeline_run, engagements, listed_deals
):
    quarantined = set(listed_deals[listed_deals.is_malformed].deal_id)
    deleted = set(listed_deals[listed_deals.is_deleted & ~listed_deals.is_malformed].deal_id)
    timeline = _frame(
        pipeline_run,
        "select split_part(activity_key, ':', 3) as id, is_orphan, is_on_deleted_deal, "
        "is_excluded_from_metrics, canonical_stage from marts.deal_activity_timeline",
    )
    assert sorted(timeline.id) == sorted(engagements.id), "no activity is dropped"
    orphans = set(engagements[engagements.deal_id.isin(quarantined)].id)
    on_deleted = set(engagements[engagements.deal_id.isin(deleted)].id)
    assert orphans and on_deleted
    assert set(timeline[timeline.is_orphan].id) == orphans
    assert set(timeline[timeline.is_on_deleted_deal].id) == on_deleted
    assert set(timeline[timeline.is_excluded_from_metrics].id) == orphans | on_deleted
    assert timeline[timeline.is_orphan].canonical_stage.isna().all()


def test_first_and_last_completed_activity_and_days_since(engagement, engagements, as_of_end):
    done = engagements[engagements.done_by_as_of].groupby("deal_id").occurred
    first = done.min().reindex(engagement.index)
    last = done.max().reindex(engagement.index)
    assert last.notna().sum() > 1000 and last.isna().any()
    pd.testing.assert_series_equal(naive_utc(engagement.last_activity_at), last, check_names=False)
    pd.testing.assert_series_equal(
        naive_utc(engagement.first_activity_at), first, check_names=False
    )
    assert np.allclose(engagement.days_since_last_activity, _days(last, as_of_end), equal_nan=True)
    assert list(engagement.completed_activities) == list(
        engagements[engagements.done_by_as_of]
        .groupby("deal_id")
        .size()
        .reindex(engagement.index, fill_value=0)
    )


def test_open_and_overdue_tasks_per_deal(engagement, engagements, as_of_end):
    tasks = engagements[(engagements.type == "task") & ~engagements.completed]
    open_tasks = tasks.groupby("deal_id").size().reindex(engagement.index, fill_value=0)
    overdue = tasks[tasks.occurred < as_of_end].groupby("deal_id").size()
    overdue = overdue.reindex(engagement.index, fill_value=0)
    assert overdue.sum() > 50
    assert list(engagement.open_tasks) == list(open_tasks)
    assert list(engagement.overdue_open_tasks) == list(overdue)


def test_timeline_orders_activities_and_places_them_in_the_true_stage(pipeline_run, staged):
    timeline = _frame(
        pipeline_run,
        "select split_part(activity_key, ':', 3) as id, activity_number, canonical_stage "
        "from marts.deal_activity_timeline where not is_excluded_from_metrics",
    ).set_index("id")
    ordered = staged.sort_values(["deal_id", "occurred", "id"])
    ordered["activity_number"] = ordered.groupby("deal_id").cumcount() + 1
    ordered = ordered.set_index("id").loc[timeline.index]
    assert list(timeline.activity_number) == list(ordered.activity_number)
    assert ordered.canonical_stage.notna().all()
    assert list(timeline.canonical_stage) == list(ordered.canonical_stage)
    assert {"prospecting", "qualification", "proposal_negotiation"} <= set(ordered.canonical_stage)


def test_idle_deals_at_the_as_of_date_are_exactly_the_true_ones(
    pipeline_run, metric_deals, engagements, as_of_end
):
    thresholds = pd.read_csv(DBT_PROJECT_DIR / "seeds" / "canonical_stages.csv")
    idle_after = thresholds.set_index("canonical_stage").idle_after_days
    open_deals = metric_deals[metric_deals.outcome == "open"].set_index("deal_id")
    last = engagements[engagements.done_by_as_of].groupby("deal_id").occurred.max()
    since = last.reindex(open_deals.index).fillna(naive_utc(open_deals.created_at))
    days = (as_of_end - since) / pd.Timedelta(days=1)
    limit = open_deals.final_stage.map(idle_after)
    truly_idle = set(open_deals.index[days > limit])
    flagged = _frame(
        pipeline_run,
        "select split_part(deal_key, ':', 3) as deal_id, days_since_last_activity "
        "from marts.deals_needing_follow_up where is_idle",
    )
    assert 20 < len(truly_idle) < len(open_deals)
    assert set(flagged.deal_id) == truly_idle
    # Per-stage thresholds matter: some deals are idle only because their stage's is short.
    assert (flagged.days_since_last_activity <= 14).any()


def test_open_deals_with_overdue_tasks_are_followed_up(
    pipeline_run, metric_deals, engagements, as_of_end
):
    open_ids = set(metric_deals[metric_deals.outcome == "open"].deal_id)
    overdue = engagements[
        (engagements.type == "task") & ~engagements.completed & (engagements.occurred < as_of_end)
    ]
    truth = set(overdue.deal_id) & open_ids
    flagged = dict(
        pipeline_run.query(
            "select split_part(deal_key, ':', 3), reasons from marts.deals_needing_follow_up "
            "where has_overdue_tasks"
        )
    )
    assert truth and set(flagged) == truth
    assert all("overdue tasks" in reasons for reasons in flagged.values())


def test_rep_activity_counts_each_owners_completed_activities_per_week(
    pipeline_run, engagements, portal
):
    done = engagements[engagements.done_by_as_of].assign(
        owner_key=lambda e: f"hubspot:{portal}:" + e.owner_id, week=lambda e: _week(e.occurred)
    )
    truth = done.groupby(["owner_key", "week", "type"]).size().unstack(fill_value=0)
    truth["deals_touched"] = done.groupby(["owner_key", "week"]).deal_id.nunique()
    mart = _frame(pipeline_run, "select * from marts.rep_activity where activities > 0")
    mart = mart.set_index(["owner_key", "week_start_date"]).sort_index()
    truth = truth.sort_index()
    assert list(mart.index) == list(truth.index)
    for kind in TYPES:
        assert list(mart[COLUMNS[kind]]) == list(truth[kind]), kind
    assert list(mart.deals_touched) == list(truth.deals_touched)
    assert mart.activities.sum() == len(done) > 20_000


def test_rep_response_time_to_new_deals(pipeline_run, metric_deals, engagements, portal):
    history = pipeline_run.truth("deal_property_history").to_pandas()
    owners = history[history.property == "hubspot_owner_id"].assign(
        occurred=lambda h: naive_utc(h.timestamp)
    )
    first_owner = owners.sort_values("occurred").groupby("deal_id").value.first()
    deals = metric_deals.set_index("deal_id")
    deals = deals.assign(
        owner_id=first_owner.reindex(deals.index), created=naive_utc(deals.created_at)
    )
    done = engagements[engagements.done_by_as_of].merge(
        deals[["owner_id", "created"]].reset_index(), on=["deal_id", "owner_id"]
    )
    first = done[done.occurred >= done.created].groupby("deal_id").occurred.min()
    deals["hours"] = 24 * _days(deals.created, first.reindex(deals.index).dt.floor("s"))
    deals["owner_key"] = f"hubspot:{portal}:" + deals.owner_id
    deals["week"] = _week(deals.created)
    truth = deals.groupby(["owner_key", "week"]).agg(
        new_deals=("hours", "size"), responded=("hours", "count"), avg_hours=("hours", "mean")
    )
    mart = _frame(pipeline_run, "select * from marts.rep_activity where new_deals > 0")
    mart = mart.set_index(["owner_key", "week_start_date"]).sort_index()
    truth = truth.sort_index()
    assert list(mart.index) == list(truth.index)
    assert list(mart.new_deals) == list(truth.new_deals)
    assert list(mart.responded_new_deals) == list(truth.responded)
    assert np.allclose(mart.avg_response_hours, truth.avg_hours, equal_nan=True)
    assert truth.responded.sum() > 0.8 * truth.new_deals.sum()


def test_rep_activity_per_won_deal(pipeline_run, metric_deals, engagements, portal):
    won = metric_deals[metric_deals.outcome == "won"].set_index("deal_id")
    won = won.assign(closed=naive_utc(won.closed_at))
    done = engagements[engagements.done_by_as_of].join(won.closed, on="deal_id", how="inner")
    effort = done[done.occurred <= done.closed].groupby("deal_id").size()
    won = won.assign(
        activities=effort.reindex(won.index, fill_value=0),
        owner_key=f"hubspot:{portal}:" + won.owner_at_close_id,
        week=_week(won.closed),
    )
    truth = won.groupby(["owner_key", "week"]).agg(
        won_deals=("activities", "size"), activities=("activities", "sum")
    )
    mart = _frame(pipeline_run, "select * from marts.rep_activity where won_deals > 0")
    mart = mart.set_index(["owner_key", "week_start_date"]).sort_index()
    truth = truth.sort_index()
    assert list(mart.index) == list(truth.index)
    assert list(mart.won_deals) == list(truth.won_deals)
    assert list(mart.activities_on_won_deals) == list(truth.activities)
    assert truth.activities.sum() > 1000


def test_rep_stage_performance_counts_activities_in_each_stage(
    pipeline_run, metric_deals, staged, portal
):
    owner = metric_deals.set_index("deal_id").owner_id
    pipeline = metric_deals.set_index("deal_id").pipeline_id
    done = staged[
        staged.done_by_as_of & ~staged.canonical_stage.isin(["closed_won", "closed_lost"])
    ]
    done = done.assign(
        owner_key=f"hubspot:{portal}:" + done.deal_id.map(owner),
        pipeline_id=done.deal_id.map(pipeline),
    )
    truth = done.groupby(["owner_key", "pipeline_id", "canonical_stage"]).size()
    mart = (
        _frame(
            pipeline_run,
            "select owner_key, pipeline_id, canonical_stage, activities "
            "from marts.rep_stage_performance",
        )
        .set_index(["owner_key", "pipeline_id", "canonical_stage"])
        .activities
    )
    truth = truth.reindex(mart.index, fill_value=0)
    assert mart.sum() == len(done) > 10_000
    assert list(mart) == list(truth)


def test_bad_activities_are_kept_flagged_and_warned_about(pipeline_run, tmp_path, portal):
    """Three bad activities in a copy of the warehouse: one done after the as-of day, one
    dated before its deal existed, one on a deal nobody has. dbt keeps and flags them and
    each of the two date checks warns about exactly one row, without failing the build."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(pipeline_run.settings.warehouse_path, warehouse)
    deal_id, created = pipeline_run.query(
        "select deal_id, created_at from marts.deals where not is_excluded_from_metrics "
        "order by deal_id limit 1"
    )[0]
    early = (created - pd.Timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    late = (pd.Timestamp(pipeline_run.as_of) + pd.Timedelta(days=5)).strftime("%Y-%m-%dT12:00:00Z")
    rows = [
        ("bad-late", "CALL", late, deal_id, "COMPLETED"),
        ("bad-early", "NOTE", early, deal_id, None),
        ("bad-orphan", "TASK", early, "999999", "NOT_STARTED"),
    ]
    with duckdb.connect(str(warehouse)) as con:
        for row in rows:
            con.execute(
                "insert into raw_hubspot.engagements (id, type, timestamp, owner_id, deal_id, "
                "status, _source_instance, _vanished, _load_id, _load_sequence) "
                "values (?, ?, ?, null, ?, ?, ?, false, 'test', 1000000)",
                [*row[:4], row[4], portal],
            )
    settings = replace(pipeline_run.settings, warehouse=warehouse)
    models = "stg_hubspot__activities int_activities deal_activity_timeline"
    done = run_dbt(settings, pipeline_run.as_of, tmp_path / "target", "build", "--select", models)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    outcome = {r["unique_id"].split(".")[2]: (r["status"], r["failures"]) for r in results}
    assert outcome["completed_activities_dated_after_as_of"] == ("warn", 1)
    assert outcome["activities_dated_before_their_deal"] == ("warn", 1)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        flags = dict(
            (key.split(":")[-1], (orphan, stage))
            for key, orphan, stage in con.execute(
                "select activity_key, is_orphan, canonical_stage from marts.deal_activity_timeline "
                "where activity_key like '%:bad-%'"
            ).fetchall()
        )
    assert flags == {"bad-early": (False, None), "bad-orphan": (True, None)}
