"""The metric marts (win rates, cycle, conversion, funnel, movement, follow-up, money)
recompute the simulated world's ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ground_truth import month_start, naive_utc

CLOSED = ("closed_won", "closed_lost")


def _frame(run, sql: str) -> pd.DataFrame:
    return run.arrow(sql).to_pandas()


def test_win_rates_count_every_closed_deal_once(pipeline_run, metric_deals):
    closed = metric_deals[metric_deals.outcome != "open"].assign(
        close_month=lambda d: month_start(d.closed_at)
    )
    expected = (
        closed.groupby(["close_month", "pipeline_id", "outcome"]).size().unstack(fill_value=0)
    )
    mart = _frame(
        pipeline_run,
        "select close_month, pipeline_id, sum(won_deals) as won, sum(lost_deals) as lost "
        "from marts.win_rates group by 1, 2",
    ).set_index(["close_month", "pipeline_id"])
    mart = mart.loc[expected.index]
    assert list(mart.won) == list(expected.won)
    assert list(mart.lost) == list(expected.lost)
    overall = closed.outcome.eq("won").mean()
    rates = pipeline_run.query(
        "select sum(won_deals) * 1.0 / sum(won_deals + lost_deals) from marts.win_rates"
    )[0][0]
    assert rates == pytest.approx(overall)


def test_win_rates_credit_the_owner_at_close(pipeline_run, metric_deals):
    won = metric_deals[metric_deals.outcome == "won"]
    expected = won.groupby("owner_at_close_id").size().sort_index()
    mart = _frame(
        pipeline_run,
        "select split_part(owner_at_close_key, ':', 3) as owner, sum(won_deals) as won "
        "from marts.win_rates group by 1",
    ).set_index("owner")
    assert mart.won[mart.won > 0].sort_index().to_dict() == expected.to_dict()


def test_sales_cycle_matches_ground_truth(pipeline_run, metric_deals):
    won = metric_deals[metric_deals.outcome == "won"].assign(
        close_month=lambda d: month_start(d.closed_at),
        cycle=lambda d: (
            (naive_utc(d.closed_at) - naive_utc(d.created_at)).dt.total_seconds() / 86400
        ),
    )
    mart = _frame(
        pipeline_run,
        "select pipeline_id, sum(won_deals) as won, "
        "sum(mean_cycle_days * won_deals) / sum(won_deals) as mean_cycle "
        "from marts.sales_cycle group by 1",
    ).set_index("pipeline_id")
    expected = won.groupby("pipeline_id").cycle.agg(["size", "mean"])
    assert mart.won.to_dict() == expected["size"].to_dict()
    for pipeline, mean in expected["mean"].items():
        assert mart.mean_cycle[pipeline] == pytest.approx(mean, abs=1e-3)


def _cohort_conversion(visits: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    """Cohort conversion straight from the true visits, by the metric definitions."""
    sort = stages.set_index("canonical_stage").sort_order
    visits = visits.assign(sort_order=visits.canonical_stage.map(sort))
    open_visits = visits[~visits.canonical_stage.isin(CLOSED)]
    entries = open_visits.groupby(["deal_id", "pipeline_id", "canonical_stage"], as_index=False)[
        "entered_at"
    ].min()
    rows = []
    progressive = visits[visits.canonical_stage != "closed_lost"]
    later = entries.merge(progressive, on="deal_id", suffixes=("", "_later"))
    later = later[later.entered_at_later > later.entered_at]
    furthest = later.groupby(["deal_id", "canonical_stage"]).sort_order.max()
    for entry in entries.itertuples():
        reach = furthest.get((entry.deal_id, entry.canonical_stage), -1)
        for to_stage, to_sort in sort.items():
            if to_sort > sort[entry.canonical_stage] and to_stage != "closed_lost":
                rows.append(
                    (
                        entry.entered_at,
                        entry.pipeline_id,
                        entry.canonical_stage,
                        to_stage,
                        reach >= to_sort,
                    )
                )
    frame = pd.DataFrame(
        rows, columns=["entered_at", "pipeline_id", "from_stage", "to_stage", "reached"]
    )
    frame["cohort_month"] = month_start(frame.entered_at)
    keys = ["cohort_month", "pipeline_id", "from_stage", "to_stage"]
    return frame.groupby(keys).reached.agg(entered="size", reached="sum").sort_index()


def test_cohort_stage_conversion_matches_ground_truth(pipeline_run, truth_visits):
    stages = _frame(
        pipeline_run, "select canonical_stage, sort_order from reference.canonical_stages"
    )
    expected = _cohort_conversion(truth_visits, stages)
    mart = (
        _frame(
            pipeline_run,
            "select cohort_month, pipeline_id, from_stage, to_stage, sum(entered) as entered, "
            "sum(reached) as reached from marts.stage_conversion group by 1, 2, 3, 4",
        )
        .set_index(["cohort_month", "pipeline_id", "from_stage", "to_stage"])
        .sort_index()
    )
    assert len(mart) == len(expected)
    assert list(mart.entered) == list(expected.entered)
    assert list(mart.reached) == list(expected.reached)


def test_stage_bottlenecks_summarise_the_true_stays(pipeline_run, truth_visits):
    open_stays = truth_visits[~truth_visits.canonical_stage.isin(CLOSED)]
    completed = open_stays[open_stays.exited_at.notna()].assign(
        days=lambda v: (naive_utc(v.exited_at) - naive_utc(v.entered_at)).dt.total_seconds() / 86400
    )
    expected = completed.groupby(["pipeline_id", "canonical_stage"]).days.agg(
        ["size", "median", lambda d: d.quantile(0.9)]
    )
    mart = (
        _frame(
            pipeline_run,
            "select pipeline_id, canonical_stage, visits, completed_visits, median_days_in_stage, "
            "p90_days_in_stage, bottleneck_rank from marts.stage_bottlenecks",
        )
        .set_index(["pipeline_id", "canonical_stage"])
        .loc[expected.index]
    )
    assert list(mart.completed_visits) == list(expected["size"])
    assert np.allclose(mart.median_days_in_stage, expected["median"], atol=1e-6)
    assert np.allclose(mart.p90_days_in_stage, expected["<lambda_0>"], atol=1e-6)
    assert mart.visits.sum() == len(open_stays)
    ranks = mart.reset_index().groupby("pipeline_id").bottleneck_rank.apply(sorted)
    assert all(list(r) == list(range(1, len(r) + 1)) for r in ranks)


def test_stage_bottlenecks_count_the_close_date_slips_made_during_each_stay(
    pipeline_run, truth_visits
):
    """A slip is a change of HubSpot's closedate to a later day (metrics.md), counted in the
    open stage the deal was in when it was made."""
    history = pipeline_run.truth("deal_property_history").to_pandas()
    close_dates = (
        history[history.property == "closedate"]
        .assign(
            changed_at=lambda h: naive_utc(h.timestamp),
            close_date=lambda h: naive_utc(h.value).dt.floor("D"),
        )
        .sort_values(["deal_id", "changed_at"])
    )
    slips = close_dates[close_dates.close_date > close_dates.groupby("deal_id").close_date.shift()]
    open_stays = truth_visits[~truth_visits.canonical_stage.isin(CLOSED)].assign(
        entered_at=lambda v: naive_utc(v.entered_at), exited_at=lambda v: naive_utc(v.exited_at)
    )
    pairs = open_stays.merge(slips[["deal_id", "changed_at"]], on="deal_id")
    during = (pairs.changed_at >= pairs.entered_at) & (
        pairs.exited_at.isna() | (pairs.changed_at < pairs.exited_at)
    )
    expected = pairs[during].groupby(["pipeline_id", "canonical_stage"]).size()
    mart = _frame(
        pipeline_run,
        "select pipeline_id, canonical_stage, close_date_slips from marts.stage_bottlenecks "
        "where close_date_slips > 0",
    ).set_index(["pipeline_id", "canonical_stage"])
    assert expected.sum() > 100
    assert mart.close_date_slips.sort_index().to_dict() == expected.sort_index().to_dict()


def test_lead_funnel_matches_true_lifecycles(pipeline_run):
    contacts = pipeline_run.truth("truth_contacts").to_pandas()
    contacts = contacts[contacts.merged_into_contact_id.isna() & ~contacts.is_deleted]
    steps = ["mql_at", "sql_at", "opportunity_at", "customer_at"]
    reached = {step: contacts[steps[i:]].notna().any(axis=1) for i, step in enumerate(steps)}
    truth = pd.DataFrame(
        {
            "lead_month": month_start(contacts.lead_at),
            "channel": contacts.original_channel.fillna("unattributed"),
            "leads": 1,
            **{step.removesuffix("_at"): reached[step].astype(int) for step in steps},
        }
    )
    expected = truth.groupby(["lead_month", "channel"]).sum().sort_index()
    mart = (
        _frame(
            pipeline_run,
            "select lead_month, original_channel as channel, sum(leads) as leads, "
            "sum(mqls) as mql, sum(sqls) as sql, sum(opportunities) as opportunity, "
            "sum(customers) as customer "
            "from marts.lead_funnel group by 1, 2",
        )
        .set_index(["lead_month", "channel"])
        .sort_index()
    )
    pd.testing.assert_frame_equal(mart, expected[mart.columns], check_dtype=False)
    by_source = pipeline_run.query("select sum(new_leads) from marts.new_leads_by_source")[0][0]
    assert by_source == len(contacts)


def test_money_converts_at_each_facts_own_date(pipeline_run, metric_deals):
    rates = pipeline_run.truth("fx_rates").to_pandas()
    rate = rates.set_index(["date", "currency"]).usd_per_unit
    mart = _frame(
        pipeline_run,
        "select deal_id, amount_at_creation, amount_at_creation_reporting, amount_at_close, "
        "amount_at_close_reporting, is_closed, created_at, closed_at from marts.deals",
    ).set_index("deal_id")
    truth = metric_deals.set_index("deal_id")
    mart = mart.loc[truth.index]
    assert np.allclose(mart.amount_at_creation.astype(float), truth.amount_at_creation, atol=0.005)
    created_rates = [
        rate[(d, c)]
        for d, c in zip(naive_utc(truth.created_at).dt.date, truth.currency, strict=True)
    ]
    assert np.allclose(
        mart.amount_at_creation_reporting, truth.amount_at_creation * created_rates, rtol=1e-9
    )
    closed = truth[truth.outcome != "open"]
    closed_rates = [
        rate[(d, c)]
        for d, c in zip(naive_utc(closed.closed_at).dt.date, closed.currency, strict=True)
    ]
    assert np.allclose(
        mart.loc[closed.index].amount_at_close_reporting,
        mart.loc[closed.index].amount_at_close.astype(float) * closed_rates,
        rtol=1e-9,
    )
    assert set(truth.currency) >= {"USD", "EUR", "GBP"}


def test_state_history_ends_in_the_deals_current_state(pipeline_run):
    mismatches = pipeline_run.query(
        """select count(*) from marts.deal_state_history as s
        join marts.deals as d using (deal_key)
        where s.is_current and (s.canonical_stage <> d.canonical_stage
            or s.amount is distinct from d.amount or s.owner_key is distinct from d.owner_key)"""
    )[0][0]
    assert mismatches == 0
    overlaps = pipeline_run.query(
        """select count(*) from marts.deal_state_history as a
        join marts.deal_state_history as b
            on a.deal_key = b.deal_key and a.state_number + 1 = b.state_number
        where a.valid_to <> b.valid_from"""
    )[0][0]
    assert overlaps == 0


def test_snapshots_give_each_deal_once_per_day(pipeline_run):
    day = pipeline_run.as_of.replace(month=6, day=30)
    rows = pipeline_run.query(
        "select count(*), count(distinct deal_key) from marts.deal_daily_snapshots "
        "where snapshot_date = ?",
        [day],
    )[0]
    existing = pipeline_run.query(
        "select count(*) from marts.deals where cast(created_at as date) <= ?", [day]
    )[0][0]
    assert rows[0] == rows[1] == existing


def test_pipeline_movement_starts_from_the_snapshot_at_the_month_start(pipeline_run):
    starting = pipeline_run.query(
        "select period_month, pipeline_id, starting_deals, ending_deals "
        "from marts.pipeline_movement order by 1, 2"
    )
    snapshot = {
        (row[0], row[1]): row[2]
        for row in pipeline_run.query(
            """select date_trunc('month', snapshot_date + 1)::date, pipeline_id, count(*)
            from marts.deal_daily_snapshots
            where snapshot_date = last_day(snapshot_date) and not is_closed
                and not is_excluded_from_metrics
                and date_trunc('month', close_date) = date_trunc('month', snapshot_date + 1)
            group by 1, 2"""
        )
    }
    checked = 0
    for month, pipeline, starting_deals, _ in starting:
        if (month, pipeline) in snapshot:
            assert starting_deals == snapshot[(month, pipeline)], (month, pipeline)
            checked += 1
    assert checked >= 20
    assert sum(row[3] for row in starting) > 0


def test_follow_up_flags_every_overdue_open_deal(pipeline_run):
    overdue = {
        row[0]
        for row in pipeline_run.query(
            "select deal_key from marts.deals where not is_closed and not is_excluded_from_metrics "
            "and cast(close_date_at as date) < ?",
            [pipeline_run.as_of],
        )
    }
    flagged = {
        row[0]: row[1]
        for row in pipeline_run.query("select deal_key, reasons from marts.deals_needing_follow_up")
    }
    assert overdue and overdue <= set(flagged)
    assert all("past close date" in flagged[key] for key in overdue)
    reasons = " ".join(flagged.values())
    assert "stale in stage" in reasons and "no recent activity" in reasons
