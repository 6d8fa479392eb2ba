"""The world honours its contract: schemas, identities, and consistency between tables."""

import re

import pyarrow.parquet as pq
import pytest

from ingestion.simulator import load_manifest, read_table
from ingestion.simulator.channels import HUBSPOT_SOURCE
from ingestion.simulator.pipelines import DEFAULT, EXPANSION
from ingestion.simulator.schema import CHANNELS, TABLES

from .conftest import WORLD_CONFIG, scalar

END = "TIMESTAMPTZ '2025-12-31 23:59:59.999+00'"
START = "TIMESTAMPTZ '2024-01-01 00:00:00+00'"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

# Event timestamps (ISO strings) that must fall inside the world. Not closedate: an open
# deal's expected close date may lie after the world's end, as in any CRM.
ISO_EVENT_COLUMNS = {
    "deals": ["createdate", "hs_lastmodifieddate", "archived_at"],
    "deal_property_history": ["timestamp"],
    "contacts": [
        "createdate",
        "lastmodifieddate",
        "hs_lifecyclestage_lead_date",
        "hs_lifecyclestage_marketingqualifiedlead_date",
        "hs_lifecyclestage_salesqualifiedlead_date",
        "hs_lifecyclestage_opportunity_date",
        "hs_lifecyclestage_customer_date",
    ],
    "companies": ["createdate", "hs_lastmodifieddate"],
    "engagements": ["timestamp"],
}
TS_COLUMNS = {
    "touches": ["occurred_at"],
    "truth_deals": ["created_at", "closed_at"],
    "truth_stage_visits": ["entered_at", "exited_at"],
    "truth_contacts": ["lead_at", "mql_at", "sql_at", "opportunity_at", "customer_at"],
}


@pytest.mark.parametrize("name", list(TABLES))
def test_every_part_has_the_exact_schema(world, name):
    folder, schema = TABLES[name]
    parts = sorted((world / folder).glob("part-*.parquet"))
    assert parts
    assert [p.name for p in parts] == [f"part-{i:05d}.parquet" for i in range(len(parts))]
    for part in parts:
        assert pq.read_schema(part).equals(schema), part


def test_manifest_counts_what_was_written(world):
    m = load_manifest(world)
    assert m["generator_version"] == 1
    assert (m["seed"], m["n_deals"]) == (WORLD_CONFIG.seed, WORLD_CONFIG.n_deals)
    assert (m["start_date"], m["end_date"]) == ("2024-01-01", "2025-12-31")
    assert re.fullmatch(r"[1-9]\d{7}", m["portal_id"])
    assert set(m["tables"]) == set(TABLES)
    for name, entry in m["tables"].items():
        assert entry["rows"] == read_table(world, name).num_rows, name


@pytest.mark.parametrize(("table", "columns"), list(ISO_EVENT_COLUMNS.items()))
def test_iso_event_times_are_well_formed_and_inside_the_world(db, table, columns):
    for col in columns:
        values = db.execute(f"SELECT {col} FROM {table} WHERE {col} IS NOT NULL").fetchall()
        bad = [v for (v,) in values if not ISO.match(v)]
        if table == "deals" and col == "createdate":  # malformed records hold junk here
            assert len(bad) == scalar(
                db, "SELECT count(*) FROM truth_deals WHERE malformed_field = 'createdate'"
            )
            continue
        assert bad == [], (table, col, bad[:3])
        late = scalar(db, f"SELECT count(*) FROM {table} WHERE {col}::TIMESTAMPTZ > {END}")
        assert late == 0, (table, col)


@pytest.mark.parametrize(("table", "columns"), list(TS_COLUMNS.items()))
def test_truth_and_touch_times_are_inside_the_world(db, table, columns):
    for col in columns:
        outside = scalar(db, f"SELECT count(*) FROM {table} WHERE {col} > {END} OR {col} < {START}")
        assert outside == 0, (table, col)


def test_deal_records_equal_their_latest_history_values(db):
    for prop in ("dealstage", "amount", "closedate", "hs_forecast_category", "hubspot_owner_id"):
        mismatches = scalar(
            db,
            f"""
            WITH latest AS (
                SELECT deal_id, arg_max(value, timestamp) AS value
                FROM deal_property_history WHERE property = '{prop}' GROUP BY deal_id
            )
            SELECT count(*) FROM deals d LEFT JOIN latest l ON l.deal_id = d.id
            JOIN truth_deals t ON t.deal_id = d.id
            WHERE l.value IS DISTINCT FROM d.{prop}
              AND NOT ('{prop}' = 'amount' AND t.malformed_field = 'amount')
            """,
        )
        assert mismatches == 0, prop


def test_history_timestamps_distinct_and_initial_values_at_createdate(db):
    dupes = scalar(
        db,
        """SELECT count(*) FROM (SELECT deal_id, property, timestamp FROM deal_property_history
           GROUP BY ALL HAVING count(*) > 1)""",
    )
    assert dupes == 0
    not_at_creation = scalar(
        db,
        """SELECT count(*) FROM (
             SELECT h.deal_id, h.property, min(h.timestamp::TIMESTAMPTZ) AS first_ts
             FROM deal_property_history h GROUP BY ALL) f
           JOIN truth_deals t ON t.deal_id = f.deal_id WHERE f.first_ts <> t.created_at""",
    )
    assert not_at_creation == 0
    assert scalar(db, "SELECT count(DISTINCT property) FROM deal_property_history") == 5
    lastmod = scalar(
        db,
        """SELECT count(*) FROM deals d JOIN (
             SELECT deal_id, max(timestamp) AS ts FROM deal_property_history GROUP BY 1) h
           ON h.deal_id = d.id WHERE h.ts <> d.hs_lastmodifieddate""",
    )
    assert lastmod == 0


def test_stage_history_matches_ground_truth_visits(db):
    differing = scalar(
        db,
        """
        WITH h AS (SELECT deal_id, string_agg(value, '>' ORDER BY timestamp) AS path
                   FROM deal_property_history WHERE property = 'dealstage' GROUP BY 1),
             v AS (SELECT deal_id, string_agg(stage_id, '>' ORDER BY visit_number) AS path
                   FROM truth_stage_visits GROUP BY 1)
        SELECT count(*) FROM deals d JOIN h ON h.deal_id = d.id JOIN v ON v.deal_id = d.id
        WHERE h.path <> v.path
        """,
    )
    assert differing == 0
    open_visits = scalar(
        db,
        """SELECT count(*) FROM truth_stage_visits v JOIN truth_deals t USING (deal_id)
           WHERE v.exited_at IS NULL""",
    )
    assert open_visits == WORLD_CONFIG.n_deals  # exactly the last visit of every deal
    assert scalar(db, "SELECT count(*) FROM truth_stage_visits WHERE exited_at <= entered_at") == 0


def test_stage_ids_belong_to_their_pipeline(db):
    assert scalar(db, "SELECT count(*) FROM pipeline_stages") == 14
    for sql in (
        "SELECT pipeline, dealstage FROM deals",
        """SELECT d.pipeline, h.value FROM deal_property_history h JOIN deals d ON d.id = h.deal_id
           WHERE h.property = 'dealstage'""",
        "SELECT pipeline_id, stage_id FROM truth_stage_visits",
    ):
        orphans = scalar(
            db,
            f"""SELECT count(*) FROM ({sql}) x(pipeline_id, stage_id)
                ANTI JOIN pipeline_stages s USING (pipeline_id, stage_id)""",
        )
        assert orphans == 0, sql


def test_pipeline_constants_are_the_agreed_ids():
    assert DEFAULT.id == "default" and DEFAULT.label == "New Business"
    assert DEFAULT.stage_ids == (
        "prospect",
        "contacted",
        "qualifiedtobuy",
        "presentationscheduled",
        "contractsent",
        "closedwon",
        "closedlost",
    )
    assert EXPANSION.id == "7654321" and EXPANSION.label == "Expansion"
    assert EXPANSION.stage_ids == tuple(str(i) for i in range(1001, 1008))


def test_merged_deals_are_gone_and_listed_on_their_survivor(db):
    losers = db.execute(
        "SELECT deal_id, merged_into_deal_id, company_id FROM truth_deals "
        "WHERE merged_into_deal_id IS NOT NULL"
    ).fetchall()
    assert losers
    for loser, survivor, company in losers:
        assert scalar(db, f"SELECT count(*) FROM deals WHERE id = '{loser}'") == 0
        assert (
            scalar(db, f"SELECT count(*) FROM deal_property_history WHERE deal_id = '{loser}'") == 0
        )
        merged = scalar(db, f"SELECT hs_merged_object_ids FROM deals WHERE id = '{survivor}'")
        assert loser in merged.split(";")
        assert (
            scalar(db, f"SELECT company_id FROM truth_deals WHERE deal_id = '{survivor}'")
            == company
        )
    assert scalar(db, "SELECT count(*) FROM deals") == WORLD_CONFIG.n_deals - len(losers)


def test_deleted_deals_are_listed_as_archived_after_their_last_change(db):
    rows = db.execute(
        """SELECT d.archived, d.archived_at, d.hs_lastmodifieddate, t.is_deleted
           FROM deals d JOIN truth_deals t ON t.deal_id = d.id"""
    ).fetchall()
    assert all(archived == deleted for archived, _, _, deleted in rows)
    assert all((at is not None) == archived for archived, at, _, _ in rows)
    assert all(at >= lastmod for archived, at, lastmod, _ in rows if archived)


def test_malformed_records_match_ground_truth(db):
    truth = db.execute(
        "SELECT deal_id, malformed_field FROM truth_deals WHERE is_malformed"
    ).fetchall()
    assert len(truth) >= 1
    for deal_id, field in truth:
        value = scalar(db, f"SELECT {field} FROM deals WHERE id = '{deal_id}'")
        cast = "DOUBLE" if field == "amount" else "TIMESTAMPTZ"
        assert scalar(db, f"SELECT try_cast('{value}' AS {cast})") is None, value
    unparsable = scalar(
        db,
        """SELECT count(*) FROM deals WHERE try_cast(amount AS DOUBLE) IS NULL
           OR try_cast(createdate AS TIMESTAMPTZ) IS NULL""",
    )
    assert unparsable == len(truth)


def test_lifecycle_dates_are_monotone_and_match_the_record(db):
    stages = ["lead_at", "mql_at", "sql_at", "opportunity_at", "customer_at"]
    for i, a in enumerate(stages):
        for b in stages[i + 1 :]:
            assert scalar(db, f"SELECT count(*) FROM truth_contacts WHERE {a} > {b}") == 0, (a, b)
    assert scalar(db, "SELECT count(*) FROM truth_contacts WHERE lead_at IS NULL") == 0
    mismatch = scalar(
        db,
        """SELECT count(*) FROM contacts c JOIN truth_contacts t ON t.contact_id = c.id
           WHERE c.hs_lifecyclestage_lead_date::TIMESTAMPTZ IS DISTINCT FROM t.lead_at
              OR c.hs_lifecyclestage_marketingqualifiedlead_date::TIMESTAMPTZ
                 IS DISTINCT FROM t.mql_at
              OR c.hs_lifecyclestage_customer_date::TIMESTAMPTZ IS DISTINCT FROM t.customer_at
              OR c.lifecyclestage <> CASE
                   WHEN t.customer_at IS NOT NULL THEN 'customer'
                   WHEN t.opportunity_at IS NOT NULL THEN 'opportunity'
                   WHEN t.sql_at IS NOT NULL THEN 'salesqualifiedlead'
                   WHEN t.mql_at IS NOT NULL THEN 'marketingqualifiedlead'
                   ELSE 'lead' END""",
    )
    assert mismatch == 0
    # A deal's primary contact becomes an opportunity when the deal is created.
    late = scalar(
        db,
        """SELECT count(*) FROM truth_deals d JOIN truth_contacts c
           ON c.contact_id = d.primary_contact_id WHERE c.opportunity_at <> d.created_at""",
    )
    assert late == 0


def test_merged_contacts_are_gone_and_listed_on_their_survivor(db):
    pairs = db.execute(
        "SELECT contact_id, merged_into_contact_id FROM truth_contacts "
        "WHERE merged_into_contact_id IS NOT NULL"
    ).fetchall()
    assert pairs
    listed = dict(db.execute("SELECT id, hs_merged_object_ids FROM contacts").fetchall())
    for loser, survivor in pairs:
        assert loser not in listed
        assert loser in listed[survivor].split(";")


def test_associations_and_identities(db):
    assert scalar(db, "SELECT count(*) - count(DISTINCT email) FROM contacts") == 0
    assert scalar(db, "SELECT count(DISTINCT domain) FROM companies") == WORLD_CONFIG.n_deals // 2
    no_primary = scalar(
        db,
        """SELECT count(*) FROM truth_deals t WHERE merged_into_deal_id IS NULL AND NOT EXISTS (
             SELECT 1 FROM deal_contacts a WHERE a.deal_id = t.deal_id
             AND a.contact_id = t.primary_contact_id)""",
    )
    assert no_primary == 0
    assert scalar(db, "SELECT count(*) FROM deal_companies") == scalar(
        db, "SELECT count(*) FROM deals"
    )
    assert scalar(db, "SELECT DISTINCT association_type_id FROM deal_contacts") == 3
    assert scalar(db, "SELECT DISTINCT association_type_id FROM deal_companies") == 5
    dangling = scalar(
        db,
        """SELECT count(*) FROM deal_contacts a ANTI JOIN contacts c ON c.id = a.contact_id""",
    )
    assert dangling == 0


def test_touches_start_before_the_lead_and_convert_at_it(db):
    late_first = scalar(
        db,
        """SELECT count(*) FROM (SELECT contact_id, min(occurred_at) AS first FROM touches
             WHERE contact_id IS NOT NULL GROUP BY 1) f
           JOIN truth_contacts c USING (contact_id) WHERE f.first > c.lead_at""",
    )
    assert late_first == 0
    no_conversion = scalar(
        db,
        """SELECT count(*) FROM truth_contacts c WHERE NOT EXISTS (
             SELECT 1 FROM touches t WHERE t.contact_id = c.contact_id
             AND t.occurred_at = c.lead_at
             AND t.touch_type IN ('form_fill', 'event', 'outreach'))""",
    )
    assert no_conversion == 0
    per_person = db.execute(
        "SELECT min(n), max(n) FROM (SELECT count(*) n FROM touches "
        "WHERE contact_id IS NOT NULL GROUP BY contact_id)"
    ).fetchone()
    assert per_person[0] >= 1 and per_person[1] <= 10
    assert scalar(db, "SELECT count(*) FROM touches WHERE contact_id IS NULL") > 0
    untagged = scalar(
        db,
        """SELECT count(*) FROM touches WHERE utm_campaign IS NOT NULL
           AND page_url NOT LIKE '%utm_campaign=' || utm_campaign""",
    )
    assert untagged == 0


def test_original_source_follows_the_first_touch(db):
    mapping = ", ".join(f"('{c}', '{s}')" for c, s in zip(CHANNELS, HUBSPOT_SOURCE, strict=True))
    wrong = scalar(
        db,
        f"""
        WITH first AS (SELECT contact_id, arg_min(channel, occurred_at) AS channel
                       FROM touches WHERE contact_id IS NOT NULL GROUP BY 1),
             m(channel, source) AS (VALUES {mapping})
        SELECT count(*) FROM contacts c JOIN first f ON f.contact_id = c.id
        JOIN truth_contacts t ON t.contact_id = c.id JOIN m ON m.channel = f.channel
        WHERE c.hs_analytics_source <> m.source OR t.original_channel <> f.channel
        """,
    )
    assert wrong == 0


def test_engagements_are_owned_by_the_owner_at_the_time_and_stop_at_close(db):
    checked = """
        FROM engagements e JOIN truth_deals t ON t.deal_id = e.deal_id
        WHERE NOT EXISTS (SELECT 1 FROM truth_deals l WHERE l.merged_into_deal_id = e.deal_id)
    """
    after_close = scalar(
        db, f"SELECT count(*) {checked} AND e.timestamp::TIMESTAMPTZ > t.closed_at"
    )
    assert after_close == 0
    wrong_owner = scalar(
        db,
        f"""
        WITH owners AS (SELECT deal_id, timestamp::TIMESTAMPTZ AS ts, value AS owner_id
                        FROM deal_property_history WHERE property = 'hubspot_owner_id'),
             e AS (SELECT e.deal_id, e.timestamp::TIMESTAMPTZ AS ts, e.owner_id {checked})
        SELECT count(*) FROM e ASOF JOIN owners o ON o.deal_id = e.deal_id AND e.ts >= o.ts
        WHERE o.owner_id <> e.owner_id
        """,
    )
    assert wrong_owner == 0
    counts = scalar(
        db,
        """SELECT count(*) FROM truth_deals t LEFT JOIN (
             SELECT deal_id, count(*) AS n FROM engagements GROUP BY 1) e USING (deal_id)
           WHERE coalesce(e.n, 0) <> t.n_activities""",
    )
    assert counts == 0


def test_fx_rates_cover_every_day_and_currency(db):
    rows = db.execute(
        "SELECT currency, count(*), min(usd_per_unit), max(usd_per_unit) FROM fx_rates GROUP BY 1"
    ).fetchall()
    by_currency = {c: (n, lo, hi) for c, n, lo, hi in rows}
    assert set(by_currency) == {"USD", "EUR", "GBP"}
    assert all(n == 731 for n, _, _ in by_currency.values())
    assert by_currency["USD"][1:] == (1.0, 1.0)
    assert by_currency["EUR"][1] > 0.95 and by_currency["EUR"][2] < 1.25
    assert by_currency["GBP"][1] > 1.10 and by_currency["GBP"][2] < 1.45


def test_marketing_tables_hang_together(db):
    assert scalar(db, "SELECT count(DISTINCT channel) FROM campaigns") == len(CHANNELS)
    outside = scalar(
        db,
        """SELECT count(*) FROM ad_spend s JOIN campaigns c USING (campaign_id)
           WHERE s.date < c.start_date OR s.date > c.end_date
              OR c.platform NOT IN ('google_ads', 'meta_ads') OR s.currency <> c.currency""",
    )
    assert outside == 0
    unknown = scalar(
        db,
        "SELECT count(*) FROM touches t ANTI JOIN campaigns c USING (campaign_id) "
        "WHERE t.campaign_id IS NOT NULL",
    )
    assert unknown == 0
    assert scalar(db, "SELECT count(DISTINCT utm_campaign) FROM campaigns") == scalar(
        db, "SELECT count(*) FROM campaigns"
    )


def test_owners_and_teams(db):
    teams = db.execute("SELECT count(DISTINCT team_id) FROM owners").fetchone()[0]
    assert 4 <= teams <= 8
    assert scalar(db, "SELECT count(*) FROM owners") == WORLD_CONFIG.n_deals // 60
    assert scalar(db, "SELECT count(*) FROM owners WHERE archived") >= 1
    assert (
        scalar(db, "SELECT count(*) FROM deals d ANTI JOIN owners o ON o.id = d.hubspot_owner_id")
        == 0
    )


def test_deals_go_to_active_owners_and_leavers_hand_over_open_deals(db):
    hired_or_gone = scalar(
        db,
        """WITH first_owner AS (
             SELECT deal_id, arg_min(value, timestamp) AS owner_id, min(timestamp) AS created
             FROM deal_property_history WHERE property = 'hubspot_owner_id' GROUP BY 1)
           SELECT count(*) FROM first_owner f JOIN owners o ON o.id = f.owner_id
           WHERE f.created < o.created_at OR (o.archived AND f.created >= o.updated_at)""",
    )
    assert hired_or_gone == 0
    orphaned = scalar(
        db,
        """SELECT count(*) FROM deals d JOIN owners o ON o.id = d.hubspot_owner_id
           JOIN pipeline_stages s ON s.pipeline_id = d.pipeline AND s.stage_id = d.dealstage
           WHERE o.archived AND s.is_closed = 'false' AND NOT d.archived""",
    )
    assert orphaned == 0


def test_expansion_deals_mostly_follow_an_earlier_win(db):
    share = scalar(
        db,
        """SELECT avg(EXISTS (SELECT 1 FROM truth_stage_visits v JOIN truth_deals w
                                USING (deal_id)
                              WHERE w.company_id = e.company_id AND w.pipeline_id = 'default'
                                AND v.canonical_stage = 'closed_won'
                                AND v.entered_at < e.created_at)::INT)
           FROM truth_deals e
           WHERE pipeline_id = '7654321' AND created_at >= TIMESTAMPTZ '2024-07-01 00:00:00+00'""",
    )
    assert share >= 0.9
