"""The ~2,000-deal world looks like a B2B sales business, within stated bounds."""

import itertools
import math

from ingestion.simulator.pipelines import PIPELINES, win_probabilities

from .conftest import WORLD_CONFIG, scalar

N = WORLD_CONFIG.n_deals


def test_outcomes(db):
    won, lost, open_ = db.execute(
        "SELECT count_if(outcome = 'won'), count_if(outcome = 'lost'), count_if(outcome = 'open') "
        "FROM truth_deals"
    ).fetchone()
    assert 0.15 <= won / (won + lost) <= 0.45
    assert 0.08 <= open_ / N <= 0.35  # censored by the world's end, or stalled


def test_paths_have_skips_regressions_reopens_and_late_starts(db):
    assert scalar(db, "SELECT count_if(n_skips > 0) FROM truth_deals") / N >= 0.05
    assert scalar(db, "SELECT count_if(n_regressions > 0) FROM truth_deals") / N >= 0.03
    reopens = scalar(
        db,
        """SELECT count(*) FROM truth_stage_visits v JOIN truth_stage_visits p
           ON p.deal_id = v.deal_id AND p.visit_number = v.visit_number - 1
           WHERE p.canonical_stage LIKE 'closed%' AND v.canonical_stage NOT LIKE 'closed%'""",
    )
    closed = scalar(db, "SELECT count(*) FROM truth_deals WHERE outcome <> 'open'")
    assert 0.005 <= reopens / closed <= 0.05
    late_start = scalar(
        db,
        "SELECT count(*) FROM truth_stage_visits WHERE visit_number = 1 "
        "AND canonical_stage <> 'prospecting'",
    )
    assert 0.1 <= late_start / N <= 0.35
    assert scalar(db, "SELECT count_if(n_close_date_pushes > 0) FROM truth_deals") / N >= 0.2


def test_dwell_times_are_right_skewed(db):
    mean, median = db.execute(
        """SELECT avg(d), median(d) FROM (
             SELECT epoch(exited_at - entered_at) / 86400 AS d FROM truth_stage_visits
             WHERE exited_at IS NOT NULL AND canonical_stage NOT LIKE 'closed%')"""
    ).fetchone()
    assert mean > 1.3 * median
    assert 2 <= median <= 30


def test_mix_of_pipelines_currencies_deletions_merges(db):
    expansion = scalar(db, "SELECT count_if(pipeline_id = '7654321') FROM truth_deals") / N
    assert 0.18 <= expansion <= 0.32
    assert scalar(db, "SELECT count(DISTINCT deal_currency_code) FROM deals") >= 3
    deleted = scalar(db, "SELECT count_if(is_deleted) FROM truth_deals") / N
    merged = scalar(db, "SELECT count(merged_into_deal_id) FROM truth_deals") / N
    assert 0.003 <= deleted <= 0.02
    assert 0.001 <= merged <= 0.01
    reassigned = scalar(
        db,
        """SELECT count(*) FROM (SELECT deal_id FROM deal_property_history
           WHERE property = 'hubspot_owner_id' GROUP BY 1 HAVING count(*) > 1)""",
    )
    assert 0.02 <= reassigned / N <= 0.09
    medians = dict(
        db.execute(
            "SELECT pipeline_id, median(amount_at_creation) FROM truth_deals GROUP BY 1"
        ).fetchall()
    )
    assert medians["default"] > 1.5 * medians["7654321"]


def test_worked_deals_win_and_have_more_activities(db):
    won, lost = db.execute(
        "SELECT avg(n_activities) FILTER (outcome = 'won'), "
        "avg(n_activities) FILTER (outcome = 'lost') FROM truth_deals"
    ).fetchone()
    assert won > 1.3 * lost


def test_empirical_win_rates_approach_the_true_probabilities(db):
    """Deals created in prospecting during the first year, nearly all resolved by the end.

    Tolerance: four binomial standard errors plus 0.03 for the few slow deals still open
    (mostly neglected ones, which win less, so resolved deals slightly overstate wins).
    """
    for pipe in PIPELINES:
        truth = win_probabilities(pipe)
        for stage, p in zip(
            ("prospecting", "qualification", "proposal_negotiation"), truth[::2], strict=True
        ):
            n, won = db.execute(
                f"""
                WITH cohort AS (
                    SELECT deal_id, outcome FROM truth_deals d
                    WHERE pipeline_id = '{pipe.id}'
                      AND created_at < TIMESTAMPTZ '2025-01-01 00:00:00+00'
                      AND outcome <> 'open'
                      AND (SELECT canonical_stage FROM truth_stage_visits v
                           WHERE v.deal_id = d.deal_id AND visit_number = 1) = 'prospecting')
                SELECT count(*), count_if(outcome = 'won') FROM cohort c
                WHERE EXISTS (SELECT 1 FROM truth_stage_visits v
                              WHERE v.deal_id = c.deal_id AND v.canonical_stage = '{stage}')
                """
            ).fetchone()
            assert n >= 30, (pipe.id, stage, n)
            tolerance = 4 * math.sqrt(p * (1 - p) / n) + 0.03
            assert abs(won / n - p) <= tolerance, (pipe.id, stage, won / n, p, n)


def test_truth_table_holds_the_exact_probabilities(db):
    rows = db.execute(
        "SELECT pipeline_id, canonical_stage, win_probability FROM truth_stage_win_probabilities"
    ).fetchall()
    assert len(rows) == 10
    for pipe in PIPELINES:
        mine = [p for pid, _, p in rows if pid == pipe.id]
        assert mine == win_probabilities(pipe)
        assert all(a < b for a, b in itertools.pairwise(mine))  # later stages win more


def test_people_and_channels(db):
    contacts = scalar(db, "SELECT count(*) FROM contacts")
    assert 2.5 <= contacts / N <= 3.0
    merged = scalar(db, "SELECT count(merged_into_contact_id) FROM truth_contacts")
    assert 0.005 <= merged / (contacts + merged) <= 0.02
    rates = dict(
        db.execute(
            "SELECT original_channel, avg((opportunity_at IS NOT NULL)::INT) FROM truth_contacts "
            "GROUP BY 1"
        ).fetchall()
    )
    assert min(rates["events"], rates["referral"]) > rates["paid_social"] + 0.2
    mql = dict(
        db.execute(
            "SELECT original_channel, avg((mql_at IS NOT NULL)::INT) FROM truth_contacts GROUP BY 1"
        ).fetchall()
    )
    assert mql["outbound"] == 0  # sales-sourced leads skip MQL
    anonymous = scalar(db, "SELECT count(*) FROM touches WHERE contact_id IS NULL")
    assert anonymous / scalar(db, "SELECT count(*) FROM touches") >= 0.05
