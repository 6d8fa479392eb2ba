"""The sales marts recover the simulated world's ground truth exactly."""

from __future__ import annotations

import pandas as pd
import pytest
from ground_truth import naive_utc, reopens_per_deal


@pytest.fixture(scope="module")
def mart_deals(pipeline_run) -> pd.DataFrame:
    return pipeline_run.arrow("select * from marts.deals").to_pandas()


def test_every_listed_deal_is_in_the_mart_or_in_quarantine(pipeline_run, listed_deals, mart_deals):
    malformed = listed_deals[listed_deals.is_malformed]
    assert len(malformed) > 0, "the world should exercise quarantine"
    assert set(mart_deals.deal_id) == set(listed_deals[~listed_deals.is_malformed].deal_id)
    quarantined = pipeline_run.query(
        "select record_key, rule, reason from quarantine.hubspot__deals"
    )
    assert {key for key, _, _ in quarantined} == set(malformed.deal_id)
    fields = dict(zip(malformed.deal_id, malformed.malformed_field, strict=True))
    for key, rule, reason in quarantined:
        assert rule.startswith(fields[key]), (key, rule)
        assert reason.startswith(fields[key] + " "), reason


def test_deal_state_matches_ground_truth(pipeline_run, listed_deals, mart_deals):
    truth = listed_deals[~listed_deals.is_malformed].set_index("deal_id").sort_index()
    mart = mart_deals.set_index("deal_id").loc[truth.index]
    portal = mart.source_instance.iloc[0]

    assert list(mart.canonical_stage) == list(truth.final_stage)
    assert list(mart.outcome) == list(truth.outcome)
    assert list(mart.currency_code) == list(truth.currency)
    assert list(mart.is_deleted) == list(truth.is_deleted)
    assert list(mart.owner_key) == [f"hubspot:{portal}:{o}" for o in truth.owner_id]
    closed = truth.outcome != "open"
    assert list(mart.owner_at_close_key[closed]) == [
        f"hubspot:{portal}:{o}" for o in truth.owner_at_close_id[closed]
    ]
    assert mart.owner_at_close_key[~closed].isna().all()
    pd.testing.assert_series_equal(
        mart.amount.astype(float), truth.amount, check_names=False, atol=0.005
    )
    pd.testing.assert_series_equal(
        naive_utc(mart.created_at), naive_utc(truth.created_at), check_names=False
    )
    pd.testing.assert_series_equal(
        naive_utc(mart.closed_at), naive_utc(truth.closed_at), check_names=False
    )
    assert (mart.is_excluded_from_metrics == mart.is_deleted).all()


def test_every_deal_has_a_team_and_a_first_touch_channel(mart_deals):
    assert mart_deals.team_name.notna().all()
    assert mart_deals.pipeline_label.notna().all()
    channels = set(mart_deals.first_touch_channel)
    assert {"paid_search", "events", "outbound", "referral"} <= channels
    assert "other" not in channels, "every simulated source value has a channel rule"


def test_stage_visits_match_ground_truth_exactly(pipeline_run, listed_deals):
    kept = set(listed_deals[~listed_deals.is_malformed].deal_id)
    truth = pipeline_run.truth("truth_stage_visits").to_pandas()
    truth = truth[truth.deal_id.isin(kept)].sort_values(["deal_id", "visit_number"])
    mart = pipeline_run.arrow(
        "select split_part(deal_key, ':', 3) as deal_id, visit_number, stage_id, "
        "canonical_stage, entered_at, exited_at from marts.deal_stage_visits"
    ).to_pandas()
    mart = mart.sort_values(["deal_id", "visit_number"])
    assert len(mart) == len(truth)
    for column in ("deal_id", "stage_id", "canonical_stage"):
        assert list(mart[column]) == list(truth[column]), column
    assert list(mart.visit_number) == list(truth.visit_number)
    for column in ("entered_at", "exited_at"):
        pd.testing.assert_series_equal(
            naive_utc(mart[column]).reset_index(drop=True),
            naive_utc(truth[column]).reset_index(drop=True),
        )


def test_skips_and_regressions_match_ground_truth(pipeline_run, listed_deals):
    truth = listed_deals[~listed_deals.is_malformed].set_index("deal_id").sort_index()
    counts = pipeline_run.arrow(
        "select split_part(deal_key, ':', 3) as deal_id, "
        "count(*) filter (where entered_by_skip) as skips, "
        "count(*) filter (where entered_by_regression) as regressions "
        "from marts.deal_stage_visits group by 1"
    ).to_pandas()
    counts = counts.set_index("deal_id").loc[truth.index]
    visits = pipeline_run.truth("truth_stage_visits").to_pandas()
    reopens = reopens_per_deal(visits).reindex(truth.index, fill_value=0)
    assert truth.n_skips.sum() > 0 and truth.n_regressions.sum() > 0 and reopens.sum() > 0
    assert list(counts.skips) == list(truth.n_skips)
    assert list(counts.regressions) == list(truth.n_regressions + reopens)


def test_open_visits_are_censored_at_the_end_of_the_as_of_day(pipeline_run):
    rows = pipeline_run.query(
        "select count(*), min(days_in_stage), "
        "max(abs(days_in_stage - date_diff('second', entered_at, "
        "cast(? as date) + interval 1 day) / 86400.0)) "
        "from marts.deal_stage_visits where is_censored",
        [pipeline_run.as_of],
    )[0]
    censored, shortest, deviation = rows
    assert censored > 100
    assert shortest >= 0
    assert deviation < 1e-6


def test_contacts_carry_their_true_original_channel(pipeline_run):
    truth = pipeline_run.truth("truth_contacts").to_pandas()
    truth = truth[truth.merged_into_contact_id.isna()].set_index("contact_id").sort_index()
    mapped = pipeline_run.arrow(
        "select contact_id, original_channel from intermediate.int_contacts"
    ).to_pandas()
    mapped = mapped.set_index("contact_id").loc[truth.index]
    expected = truth.original_channel.fillna("unattributed")
    assert list(mapped.original_channel) == list(expected)


def test_calendar_covers_its_range_with_fiscal_periods(pipeline_run):
    days, first, last, mismatched = pipeline_run.query(
        "select count(*), min(date_day), max(date_day), "
        "count(*) filter (where fiscal_year <> calendar_year or fiscal_month <> calendar_month) "
        "from marts.calendar_days"
    )[0]
    assert (str(first), str(last)) == ("2015-01-01", "2035-12-31")
    assert days == (last - first).days + 1
    assert mismatched == 0  # fiscal year starting in January equals the calendar year
    flagged = pipeline_run.query(
        "select max(date_day) from marts.calendar_days where is_on_or_before_as_of"
    )[0][0]
    assert flagged == pipeline_run.as_of
