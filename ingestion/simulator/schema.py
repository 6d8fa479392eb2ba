"""The simulator's output contract: every file it writes, with its exact columns.

A world is a folder. ``hubspot/`` holds what HubSpot's API would return for the
world today, flattened one row per record (HubSpot sends every property value as a
string, so these columns are strings too); ``marketing/`` holds campaigns, ad spend
and touches; ``ground_truth/`` holds what really happened, for tests to check the
warehouse against. Large tables are written as numbered Parquet parts so memory
stays bounded; small ones as a single ``part-00000.parquet``.

Loaders and tests read these schemas instead of guessing column names.
"""

from __future__ import annotations

import pyarrow as pa

STR = pa.string()
TS = pa.timestamp("ms", tz="UTC")

# --- hubspot/: what the HubSpot v3 API returns, flattened -----------------------

HUBSPOT_DEALS = pa.schema(
    [
        ("id", STR),
        ("dealname", STR),
        ("amount", STR),  # decimal string, or null; malformed rows may hold junk
        ("deal_currency_code", STR),  # ISO 4217
        ("pipeline", STR),  # pipeline id
        ("dealstage", STR),  # stage id, current
        ("closedate", STR),  # ISO timestamp (expected or actual close)
        ("createdate", STR),  # ISO timestamp, e.g. 2024-01-10T09:15:02.113Z
        ("hs_lastmodifieddate", STR),
        ("hubspot_owner_id", STR),
        ("hs_forecast_category", STR),  # PIPELINE / BEST_CASE / COMMIT / CLOSED / OMIT
        ("closed_lost_reason", STR),
        ("hs_merged_object_ids", STR),  # ';'-separated ids merged into this deal, or null
        ("archived", pa.bool_()),  # true for deleted deals (listed with archived=true)
        ("archived_at", STR),
    ]
)

# One row per entry of propertiesWithHistory, for dealstage, amount, closedate,
# hs_forecast_category and hubspot_owner_id. Entries are in no particular order.
HUBSPOT_DEAL_PROPERTY_HISTORY = pa.schema(
    [
        ("deal_id", STR),
        ("property", STR),
        ("value", STR),
        ("timestamp", STR),  # ISO with milliseconds and Z
        ("source_type", STR),  # CRM_UI, API, AUTOMATION...
        ("source_id", STR),
        ("updated_by_user_id", STR),
    ]
)

HUBSPOT_CONTACTS = pa.schema(
    [
        ("id", STR),
        ("email", STR),
        ("firstname", STR),
        ("lastname", STR),
        ("lifecyclestage", STR),  # lead / marketingqualifiedlead / ... / customer
        ("createdate", STR),
        ("lastmodifieddate", STR),
        ("hs_lifecyclestage_lead_date", STR),
        ("hs_lifecyclestage_marketingqualifiedlead_date", STR),
        ("hs_lifecyclestage_salesqualifiedlead_date", STR),
        ("hs_lifecyclestage_opportunity_date", STR),
        ("hs_lifecyclestage_customer_date", STR),
        ("hs_analytics_source", STR),  # ORGANIC_SEARCH, PAID_SEARCH, ...
        ("hs_analytics_source_data_1", STR),
        ("hs_analytics_source_data_2", STR),
        ("hs_latest_source", STR),
        ("associatedcompanyid", STR),
        ("hs_merged_object_ids", STR),  # ';'-separated ids of contacts merged into this one
        ("archived", pa.bool_()),
    ]
)

HUBSPOT_COMPANIES = pa.schema(
    [
        ("id", STR),
        ("name", STR),
        ("domain", STR),
        ("industry", STR),
        ("country", STR),
        ("numberofemployees", STR),
        ("annualrevenue", STR),
        ("createdate", STR),
        ("hs_lastmodifieddate", STR),
        ("archived", pa.bool_()),
    ]
)

HUBSPOT_OWNERS = pa.schema(
    [
        ("id", STR),
        ("email", STR),
        ("first_name", STR),
        ("last_name", STR),
        ("user_id", STR),
        ("team_id", STR),  # the owner's primary team
        ("team_name", STR),
        ("archived", pa.bool_()),
        ("created_at", STR),
        ("updated_at", STR),
    ]
)

# GET /crm/v3/pipelines/deals, one row per stage; metadata values stay strings.
HUBSPOT_PIPELINE_STAGES = pa.schema(
    [
        ("pipeline_id", STR),
        ("pipeline_label", STR),
        ("pipeline_display_order", pa.int32()),
        ("stage_id", STR),
        ("stage_label", STR),
        ("stage_display_order", pa.int32()),
        ("is_closed", STR),  # "true" / "false"
        ("probability", STR),  # "0.2"
        ("archived", pa.bool_()),
    ]
)

HUBSPOT_DEAL_CONTACTS = pa.schema(
    [("deal_id", STR), ("contact_id", STR), ("association_type_id", pa.int32())]
)
HUBSPOT_DEAL_COMPANIES = pa.schema(
    [("deal_id", STR), ("company_id", STR), ("association_type_id", pa.int32())]
)

# Engagements (calls, emails, meetings, notes, tasks) associated with a deal.
HUBSPOT_ENGAGEMENTS = pa.schema(
    [
        ("id", STR),
        ("type", STR),  # CALL / EMAIL / MEETING / NOTE / TASK
        ("timestamp", STR),
        ("owner_id", STR),
        ("deal_id", STR),
        ("contact_id", STR),
        ("status", STR),  # e.g. COMPLETED, NO_ANSWER, SCHEDULED, NOT_STARTED
        ("duration_ms", STR),
    ]
)

# GET /form-integrations/v1/submissions/forms/{guid}, one row per submission: the email,
# first and last name typed (the values of objectTypeId 0-1, contact properties).
HUBSPOT_FORM_SUBMISSIONS = pa.schema(
    [
        ("conversion_id", STR),
        ("form_id", STR),  # the form's guid
        ("submitted_at", STR),  # epoch milliseconds, as HubSpot sends submittedAt
        ("page_url", STR),  # with the visit's UTM parameters
        ("email", STR),
        ("firstname", STR),
        ("lastname", STR),
    ]
)

# --- marketing/ ---------------------------------------------------------------

CAMPAIGNS = pa.schema(
    [
        ("campaign_id", STR),
        ("name", STR),
        ("channel", STR),  # canonical channel, see CHANNELS
        ("platform", STR),  # google_ads / meta_ads / hubspot_email / events / none
        ("utm_source", STR),
        ("utm_medium", STR),
        ("utm_campaign", STR),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
        ("currency", STR),
        ("budget", pa.float64()),
    ]
)

AD_SPEND = pa.schema(
    [
        ("date", pa.date32()),
        ("campaign_id", STR),
        ("platform", STR),
        ("currency", STR),
        ("cost", pa.float64()),
        ("clicks", pa.int64()),
        ("impressions", pa.int64()),
    ]
)

# Every marketing or sales touch of a person, true identities included.
TOUCHES = pa.schema(
    [
        ("touch_id", STR),
        ("anonymous_id", STR),
        ("contact_id", STR),  # the HubSpot contact this person becomes, or null
        ("occurred_at", TS),
        ("touch_type", STR),  # web_session / form_fill / email_click / ad_click / event / outreach
        ("channel", STR),
        ("campaign_id", STR),
        ("utm_source", STR),
        ("utm_medium", STR),
        ("utm_campaign", STR),
        ("page_url", STR),
        ("referrer", STR),
    ]
)

# --- ground_truth/ --------------------------------------------------------------

TRUTH_DEALS = pa.schema(
    [
        ("deal_id", STR),
        ("pipeline_id", STR),
        ("company_id", STR),
        ("primary_contact_id", STR),
        ("created_at", TS),
        ("amount", pa.float64()),  # current amount, deal currency
        ("amount_at_creation", pa.float64()),
        ("currency", STR),
        ("owner_id", STR),  # current owner
        ("owner_at_close_id", STR),  # null while open
        ("source_channel", STR),
        ("final_stage", STR),  # canonical stage now (or at deletion)
        ("outcome", STR),  # won / lost / open
        ("closed_at", TS),  # last move into a closed stage, null while open
        ("is_deleted", pa.bool_()),
        ("merged_into_deal_id", STR),  # set for merge losers, which the API no longer lists
        ("is_malformed", pa.bool_()),  # the API record carries a deliberate defect
        ("malformed_field", STR),
        ("n_stage_changes", pa.int32()),
        ("n_regressions", pa.int32()),
        ("n_skips", pa.int32()),
        ("n_close_date_pushes", pa.int32()),
        ("n_activities", pa.int32()),
    ]
)

TRUTH_STAGE_VISITS = pa.schema(
    [
        ("deal_id", STR),
        ("visit_number", pa.int32()),  # 1-based, in time order
        ("pipeline_id", STR),
        ("stage_id", STR),
        ("canonical_stage", STR),
        ("entered_at", TS),
        ("exited_at", TS),  # null when the deal is still in the stage at the world's end
    ]
)

# Per pipeline and canonical open stage: P(eventually won | entered the stage), exact,
# from the generating Markov chain.
TRUTH_STAGE_WIN_PROBABILITIES = pa.schema(
    [
        ("pipeline_id", STR),
        ("canonical_stage", STR),
        ("win_probability", pa.float64()),
    ]
)

TRUTH_CONTACTS = pa.schema(
    [
        ("contact_id", STR),
        ("original_channel", STR),
        ("lead_at", TS),
        ("mql_at", TS),
        ("sql_at", TS),
        ("opportunity_at", TS),
        ("customer_at", TS),
        ("merged_into_contact_id", STR),
        ("is_deleted", pa.bool_()),
    ]
)

# Every form submission with the true touch (a form fill) it came from.
TRUTH_FORM_SUBMISSIONS = pa.schema(
    [
        ("conversion_id", STR),
        ("touch_id", STR),
        ("contact_id", STR),
        ("submitted_at", TS),
    ]
)

FX_RATES = pa.schema([("date", pa.date32()), ("currency", STR), ("usd_per_unit", pa.float64())])

CHANNELS = (
    "paid_search",
    "paid_social",
    "organic_search",
    "email",
    "events",
    "referral",
    "direct",
    "outbound",
)

CANONICAL_STAGES = (
    "prospecting",
    "contact_nurture",
    "qualification",
    "demo_trial",
    "proposal_negotiation",
    "closed_won",
    "closed_lost",
)

# name -> (folder, schema); the folder is relative to the world root.
TABLES: dict[str, tuple[str, pa.Schema]] = {
    "deals": ("hubspot/deals", HUBSPOT_DEALS),
    "deal_property_history": ("hubspot/deal_property_history", HUBSPOT_DEAL_PROPERTY_HISTORY),
    "contacts": ("hubspot/contacts", HUBSPOT_CONTACTS),
    "companies": ("hubspot/companies", HUBSPOT_COMPANIES),
    "owners": ("hubspot/owners", HUBSPOT_OWNERS),
    "pipeline_stages": ("hubspot/pipeline_stages", HUBSPOT_PIPELINE_STAGES),
    "deal_contacts": ("hubspot/deal_contacts", HUBSPOT_DEAL_CONTACTS),
    "deal_companies": ("hubspot/deal_companies", HUBSPOT_DEAL_COMPANIES),
    "engagements": ("hubspot/engagements", HUBSPOT_ENGAGEMENTS),
    "form_submissions": ("hubspot/form_submissions", HUBSPOT_FORM_SUBMISSIONS),
    "campaigns": ("marketing/campaigns", CAMPAIGNS),
    "ad_spend": ("marketing/ad_spend", AD_SPEND),
    "touches": ("marketing/touches", TOUCHES),
    "truth_deals": ("ground_truth/deals", TRUTH_DEALS),
    "truth_stage_visits": ("ground_truth/stage_visits", TRUTH_STAGE_VISITS),
    "truth_stage_win_probabilities": (
        "ground_truth/stage_win_probabilities",
        TRUTH_STAGE_WIN_PROBABILITIES,
    ),
    "truth_contacts": ("ground_truth/contacts", TRUTH_CONTACTS),
    "truth_form_submissions": ("ground_truth/form_submissions", TRUTH_FORM_SUBMISSIONS),
    "fx_rates": ("ground_truth/fx_rates", FX_RATES),
}
