"""Marketing channels: how each one converts, how it looks in touches, and how HubSpot names it.

Channel codes are indices into schema.CHANNELS. The funnel rates make the channel matter:
events and referrals convert far better than paid social, so a warehouse attributing
pipeline by channel sees real differences.
"""

from __future__ import annotations

import numpy as np

from ingestion.simulator.schema import CHANNELS

(PAID_SEARCH, PAID_SOCIAL, ORGANIC_SEARCH, EMAIL, EVENTS, REFERRAL, DIRECT, OUTBOUND) = range(
    len(CHANNELS)
)

# Mix of channels through which new leads arrive.
LEAD_MIX = np.array([0.20, 0.16, 0.18, 0.08, 0.09, 0.06, 0.10, 0.13])
# Per channel: P(MQL | lead), P(SQL | MQL), P(opportunity | SQL). Outbound leads are
# sales-sourced and skip MQL (their first rate is 1: they go straight to the SQL decision).
P_MQL = np.array([0.72, 0.55, 0.78, 0.72, 0.92, 0.95, 0.78, 1.00])
P_SQL = np.array([0.72, 0.60, 0.75, 0.70, 0.90, 0.92, 0.75, 0.62])
P_OPP = np.array([0.85, 0.75, 0.85, 0.80, 0.90, 0.92, 0.85, 0.85])
SKIPS_MQL = np.array([c == OUTBOUND for c in range(len(CHANNELS))])
P_LEAD_TO_OPP = P_MQL * P_SQL * P_OPP
# Mix of channels among anonymous web visitors (no events or outbound: those are offline).
VISITOR_MIX = np.array([0.30, 0.25, 0.28, 0.05, 0.0, 0.04, 0.08, 0.0])

# Channels of touches after the lead exists: marketing nurture, then the sales phase.
NURTURE_MIX = np.array([0.10, 0.05, 0.12, 0.35, 0.08, 0.0, 0.20, 0.10])
SALES_MIX = np.array([0.03, 0.02, 0.08, 0.30, 0.10, 0.0, 0.12, 0.35])

# HubSpot's hs_analytics_source values per channel. Events and outbound both land as
# OFFLINE; their source_data_1 tells them apart as HubSpot does (list import vs. typed in).
HUBSPOT_SOURCE = (
    "PAID_SEARCH",
    "PAID_SOCIAL",
    "ORGANIC_SEARCH",
    "EMAIL_MARKETING",
    "OFFLINE",
    "REFERRALS",
    "DIRECT_TRAFFIC",
    "OFFLINE",
)
OFFLINE_DATA_1 = {EVENTS: "IMPORT", OUTBOUND: "CRM_UI"}

PLATFORM = ("google_ads", "meta_ads", "none", "hubspot_email", "events", "none", "none", "none")
# Channels whose touches name a campaign; organic and direct visits cannot be attributed.
HAS_CAMPAIGN_TOUCHES = np.array([True, True, False, True, True, True, False, True])
# Channels whose web visits carry utm parameters (taken from the campaign).
HAS_UTM = np.array([True, True, False, True, False, False, False, False])

# Touch types, by code.
TOUCH_TYPES = ("web_session", "form_fill", "email_click", "ad_click", "event", "outreach")
WEB_SESSION, FORM_FILL, EMAIL_CLICK, AD_CLICK, EVENT, OUTREACH = range(len(TOUCH_TYPES))
OFFLINE_CHANNELS = np.array([c in (EVENTS, OUTBOUND) for c in range(len(CHANNELS))])

SEARCH_REFERRERS = ("https://www.google.com/", "https://www.bing.com/")
SOCIAL_REFERRERS = ("https://l.facebook.com/", "https://l.instagram.com/")
PARTNER_DOMAINS = (
    "g2.com",
    "capterra.com",
    "partnerstack.com",
    "saasworthy.com",
    "techradar.com",
    "medium.com",
    "producthunt.com",
    "reddit.com",
)
PAGES = ("/", "/pricing", "/product", "/blog/pipeline-velocity", "/blog/forecasting", "/customers")
FORM_PAGES = ("/demo", "/contact", "/resources/ebook")
SITE = "https://www.funnelhouse.example"
