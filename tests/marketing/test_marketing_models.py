"""The marketing models of the demo run against the simulator: spend as served, gaps
reported, sessions, identities and every deal's touch path as the world really had them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from ingestion.simulator.ad_platforms_server import AdAccounts
from ingestion.simulator.web_events import read_truth
from tests.marketing.ground_truth import (
    expected_deal_paths,
    expected_sessions,
    identified_cookies,
)


@pytest.fixture(scope="module")
def served(pipeline_run) -> AdAccounts:
    """What the demo's simulated platforms served (the same default state the run saw)."""
    return AdAccounts(pipeline_run.world_dir)


def _naive(moment):
    return moment.replace(tzinfo=None)


def test_spend_reconciles_per_campaign_and_day_with_what_the_simulator_served(pipeline_run, served):
    expected = {
        (f"{a.platform}:{a.account_id}:{d.campaign_id}", d.day): (d.cost, d.clicks, a.currency)
        for a in served.accounts.values()
        for d in served.served(a.account_id, date.min, pipeline_run.as_of)
    }
    rows = pipeline_run.query(
        "select campaign_key, spend_date, cost, clicks, currency_code, channel "
        "from intermediate.int_ad_spend_daily"
    )
    landed = {
        (key, day): (float(cost), clicks, currency) for key, day, cost, clicks, currency, _ in rows
    }
    assert len(expected) > 1000 and landed.keys() == expected.keys()
    for key, (cost, clicks, currency) in expected.items():
        assert landed[key][0] == pytest.approx(cost, abs=1e-6), key
        assert landed[key][1:] == (clicks, currency), key
    channels = {key.split(":")[0]: channel for key, *_, channel in rows}
    assert channels == {"google_ads": "paid_search", "meta_ads": "paid_social"}


def test_a_missing_day_of_spend_is_reported_not_invented(pipeline_run, served):
    withheld = {(f"{served.accounts[a].platform}:{a}:{c}", day) for a, c, day in served.withheld}
    assert len(withheld) == 2  # one per platform in the demo
    gaps = pipeline_run.query(
        "select campaign_key, missing_date from intermediate.int_ad_spend_gaps"
    )
    assert set(gaps) == withheld
    invented = pipeline_run.query(
        "select count(*) from intermediate.int_ad_spend_daily "
        "where list_contains(?, campaign_key || '@' || spend_date)",
        [[f"{k}@{d.isoformat()}" for k, d in withheld]],
    )
    assert invented == [(0,)]


def test_sessions_equal_the_worlds_visits_with_their_true_channels(pipeline_run):
    expected = {
        (s.cookie, _naive(s.started_at), s.n_events, s.landing_event_id, s.channel)
        for s in expected_sessions(pipeline_run.world_dir)
    }
    got = set(
        pipeline_run.query(
            "select visitor_id, started_at, n_events, landing_event_id, channel "
            "from intermediate.int_web_sessions"
        )
    )
    assert len(expected) > 10_000
    assert got == expected


def test_bots_and_staff_are_flagged_and_make_no_session(pipeline_run):
    truth = read_truth(pipeline_run.world_dir).to_pylist()
    roles = defaultdict(int)
    for event in truth:
        roles[{"bot": "bot", "internal": "internal"}.get(event["role"], "visitor")] += 1
    unparsable = sum(e["timestamp_defect"] == "unparsable" for e in truth)
    landed = dict(
        pipeline_run.query(
            "select traffic_type, count(*) from intermediate.int_web_events group by 1"
        )
    )
    assert landed == {**roles, "visitor": roles["visitor"] - unparsable}
    filtered_cookies = {e["anonymous_id"] for e in truth if e["role"] in ("bot", "internal")}
    sessions = {
        v for (v,) in pipeline_run.query("select visitor_id from intermediate.int_web_sessions")
    }
    assert filtered_cookies and not filtered_cookies & sessions


def test_visitors_are_stitched_to_their_contact_by_their_first_identifying_event(pipeline_run):
    portal = pipeline_run.query("select distinct _source_instance from raw_hubspot.contacts")[0][0]
    expected = {
        cookie: f"hubspot:{portal}:{contact}"
        for cookie, contact in identified_cookies(pipeline_run.world_dir).items()
    }
    rows = pipeline_run.query(
        "select visitor_id, person_key, identified_by_event_id, identified_at, identities_seen "
        "from intermediate.int_identity_stitches"
    )
    assert {visitor: person for visitor, person, *_ in rows} == expected
    events = pipeline_run.query(
        "select event_id, visitor_id, occurred_at, user_id, email from intermediate.int_web_events"
    )
    first: dict[str, tuple] = {}
    for event_id, visitor, at, user_id, email in events:
        if (user_id or email) and (visitor not in first or (at, event_id) < first[visitor]):
            first[visitor] = (at, event_id)
    for visitor, _, event_id, at, identities in rows:
        assert (at, event_id) == first[visitor] and identities == 1


def test_every_deal_touch_path_equals_the_worlds_ground_truth(pipeline_run):
    expected = {
        deal: [(_naive(at), channel, source) for at, channel, source in path]
        for deal, path in expected_deal_paths(pipeline_run.world_dir).items()
    }
    live = {
        key
        for (key,) in pipeline_run.query(
            "select deal_key from intermediate.int_deals "
            "where not is_deleted and merged_into_deal_key is null"
        )
    }
    got: dict[str, list] = defaultdict(list)
    for deal, number, at, channel, source in pipeline_run.query(
        "select deal_key, touch_number, occurred_at, channel, touch_source "
        "from intermediate.int_deal_touch_paths order by deal_key, touch_number"
    ):
        assert number == len(got[deal]) + 1
        got[deal].append((at, channel, source))
    assert got.keys() <= live
    for deal in live:
        assert got.get(deal, []) == expected.get(deal, []), deal
    assert sum(1 for deal in live if got.get(deal)) / len(live) > 0.95  # nearly every deal
    forms = sum(source == "hubspot_form_submission" for path in got.values() for *_, source in path)
    assert forms > 500  # the form fills are there, each once, as form-fill touches


def test_every_form_submission_landed_and_names_its_contact(pipeline_run):
    truth = pipeline_run.truth("truth_form_submissions").to_pylist()
    landed = dict(
        pipeline_run.query(
            "select conversion_id, submitted_at from staging.stg_hubspot__form_submissions"
        )
    )
    assert landed == {row["conversion_id"]: _naive(row["submitted_at"]) for row in truth}


def test_each_web_touch_names_the_event_that_tied_it_to_its_person(pipeline_run):
    untraceable = pipeline_run.query(
        "select count(*) from intermediate.int_marketing_touches as touches "
        "left join intermediate.int_web_events as events "
        "on touches.identified_by_event_id = events.event_id "
        "where touches.touch_source = 'web_session' and events.event_id is null"
    )
    assert untraceable == [(0,)]
