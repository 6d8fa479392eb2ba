"""Marketing and sales touches of a chunk's people, plus anonymous visitors who never convert.

A person's journey: 0-3 touches through their original channel before becoming a lead, the
converting touch at lead creation (form fill, event attendance or sales outreach), 0-3
nurture touches before the opportunity (or until the lead goes cold) and, for deals'
primary contacts, 0-3 touches during the sales phase: 1-10 in all. Web touches carry the
person's cookie as anonymous_id; contact_id is always the true identity. HubSpot's
original source of a contact is derived from their earliest touch, as HubSpot does.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.simulator.channels import (
    AD_CLICK,
    EMAIL,
    EMAIL_CLICK,
    EVENT,
    EVENTS,
    FORM_FILL,
    FORM_PAGES,
    HAS_UTM,
    HUBSPOT_SOURCE,
    NURTURE_MIX,
    OFFLINE_CHANNELS,
    OFFLINE_DATA_1,
    ORGANIC_SEARCH,
    OUTBOUND,
    OUTREACH,
    PAGES,
    PAID_SEARCH,
    PAID_SOCIAL,
    PARTNER_DOMAINS,
    REFERRAL,
    SALES_MIX,
    SEARCH_REFERRERS,
    SITE,
    SOCIAL_REFERRERS,
    TOUCH_TYPES,
    VISITOR_MIX,
    WEB_SESSION,
)
from ingestion.simulator.config import DAY, MINUTE, WorldConfig, categorical, growth_times, stream
from ingestion.simulator.io import choose, int_strings, make_table, ts_array
from ingestion.simulator.marketing import Campaigns
from ingestion.simulator.names import hex_ids
from ingestion.simulator.people import PRIMARY, People
from ingestion.simulator.schema import CHANNELS

TOUCH_ID_BASE = 1_000_000_000
TOUCH_BLOCK = 10_000_000  # touch ids of chunk k start at base + k * block
VISITORS_PER_DEAL = 1.5
COUNT_MIX = np.array([0.28, 0.34, 0.24, 0.14])  # 0-3 touches per journey segment
PRE_LEAD_WINDOW = 45 * DAY
REFERRERS = (
    SEARCH_REFERRERS + SOCIAL_REFERRERS + tuple(f"https://www.{d}/" for d in PARTNER_DOMAINS)
)
_WEB_TYPES = [WEB_SESSION, FORM_FILL, EMAIL_CLICK, AD_CLICK]


def make_touches(
    config: WorldConfig, campaigns: Campaigns, people: People
) -> tuple[pa.Table, dict[str, pa.Array]]:
    """(touches table, source fields per contact for hubspot/contacts)."""
    rng = stream(config.seed, "touches", people.chunk)
    vrng = stream(config.seed, "visitors", people.chunk)
    person, t, channel, touch_type = _journeys(rng, config, people)
    n_visitors = round(np.count_nonzero(people.kind == PRIMARY) * VISITORS_PER_DEAL)
    visitor, v_t, v_channel, v_type = _visitors(vrng, config, n_visitors)
    cookies = pa.concat_arrays([hex_ids(rng, people.n), hex_ids(vrng, n_visitors)])
    # Each population draws its own per-touch randoms: visitors never shift people's touches.
    u = np.concatenate([rng.random((3, t.size)), vrng.random((3, v_t.size))], axis=1)

    who = np.concatenate([person, people.n + visitor])  # index into cookies
    t = np.concatenate([t, v_t])
    order = np.argsort(t, kind="stable")
    who, t, u = who[order], t[order], u[:, order]
    channel = np.concatenate([channel, v_channel])[order]
    touch_type = np.concatenate([touch_type, v_type])[order]
    camp = campaigns.pick(channel, (t - config.start_ms) // DAY, u[0])
    is_person = who < people.n
    columns = {
        "touch_id": int_strings(TOUCH_ID_BASE + people.chunk * TOUCH_BLOCK + np.arange(t.size)),
        "anonymous_id": cookies.take(pa.array(who)),
        "contact_id": int_strings(people.ids[np.where(is_person, who, 0)], mask=~is_person),
        "occurred_at": ts_array(t),
        "touch_type": choose(TOUCH_TYPES, touch_type),
        "channel": choose(CHANNELS, channel),
        "campaign_id": int_strings(campaigns.ids[camp], mask=camp < 0),
    }
    columns |= _web_columns(campaigns, camp, channel, touch_type, u[1], u[2])
    web = pa.array(np.isin(touch_type, _WEB_TYPES))
    columns["anonymous_id"] = pc.if_else(
        web, columns["anonymous_id"], pa.nulls(t.size, pa.string())
    )
    table = make_table("touches", columns)
    first = _first_per_person(who, people.n)
    last = t.size - 1 - _first_per_person(who[::-1], people.n)
    return table, _sources(table, channel, camp, campaigns, first, last)


def _journeys(
    rng: np.random.Generator, config: WorldConfig, p: People
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every person's touches: (person, time, channel, touch type), unordered."""
    lead, opp = p.stages[0], p.stages[3]
    primary = p.kind == PRIMARY
    pre_lo = np.maximum(config.start_ms, lead - PRE_LEAD_WINDOW)
    n_pre = _counts(rng, p.n, ~OFFLINE_CHANNELS[p.channel] & (lead - pre_lo > MINUTE))
    mid_end = np.where(primary, opp, p.journey_end)
    n_mid = _counts(rng, p.n, mid_end - lead > MINUTE)
    n_late = _counts(rng, p.n, primary & (p.journey_end - opp > MINUTE))

    pre = np.repeat(np.arange(p.n), n_pre)
    mid = np.repeat(np.arange(p.n), n_mid)
    late = np.repeat(np.arange(p.n), n_late)
    mid_mix = np.where(primary[mid][:, None], NURTURE_MIX, SALES_MIX)  # secondaries: sales-led
    person = np.concatenate([pre, np.arange(p.n), mid, late])
    t = np.concatenate(
        [
            _within(rng, pre_lo[pre], lead[pre]),
            lead,
            _within(rng, lead[mid] + 1, mid_end[mid]),
            _within(rng, opp[late] + 1, p.journey_end[late]),
        ]
    )
    channel = np.concatenate(
        [
            p.channel[pre],
            p.channel,
            categorical(rng, mid_mix),
            rng.choice(len(CHANNELS), size=late.size, p=SALES_MIX),
        ]
    )
    converting = np.zeros(person.size, dtype=bool)
    converting[pre.size : pre.size + p.n] = True
    return person, t, channel, _touch_types(rng, channel, converting)


def _visitors(
    rng: np.random.Generator, config: WorldConfig, n_visitors: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Anonymous visitors' 1-3 web visits within a month: (visitor, time, channel, type)."""
    visits = 1 + rng.choice(3, size=n_visitors, p=[0.6, 0.28, 0.12])
    visitor = np.repeat(np.arange(n_visitors), visits)
    first = growth_times(rng, n_visitors, config.start_ms, config.limit_ms)
    later = (rng.random(visitor.size) * 30 * DAY).astype(np.int64)
    t = np.minimum(first[visitor] + later, config.limit_ms)
    channel = rng.choice(len(CHANNELS), size=n_visitors, p=VISITOR_MIX)[visitor]
    return visitor, t, channel, _touch_types(rng, channel, np.zeros(visitor.size, dtype=bool))


def _web_columns(
    campaigns: Campaigns,
    camp: np.ndarray,
    channel: np.ndarray,
    touch_type: np.ndarray,
    u_page: np.ndarray,
    u_referrer: np.ndarray,
) -> dict[str, pa.Array]:
    """UTM parameters, landing page (tagged with the UTMs) and referrer of web touches."""
    web = np.isin(touch_type, _WEB_TYPES)
    utm = web & HAS_UTM[channel] & (camp >= 0)
    utm_source = choose(campaigns.utm_source, camp, mask=~utm)
    utm_medium = choose(campaigns.utm_medium, camp, mask=~utm)
    utm_campaign = choose(campaigns.utm_campaign, camp, mask=~utm)
    page = pc.binary_join_element_wise(
        SITE,
        pc.if_else(
            pa.array(touch_type == FORM_FILL),
            choose(FORM_PAGES, (u_page * len(FORM_PAGES)).astype(np.int64)),
            choose(PAGES, (u_page * len(PAGES)).astype(np.int64)),
        ),
        "",
    )
    tagged = pc.binary_join_element_wise(
        page,
        "?utm_source=",
        utm_source,
        "&utm_medium=",
        utm_medium,
        "&utm_campaign=",
        utm_campaign,
        "",
    )
    page_url = pc.if_else(pa.array(utm), tagged, page)
    return {
        "utm_source": utm_source,
        "utm_medium": utm_medium,
        "utm_campaign": utm_campaign,
        "page_url": pc.if_else(pa.array(web), page_url, pa.nulls(len(camp), pa.string())),
        "referrer": _referrers(channel, touch_type, u_referrer),
    }


def _counts(rng: np.random.Generator, n: int, allowed: np.ndarray) -> np.ndarray:
    return np.where(allowed, rng.choice(COUNT_MIX.size, size=n, p=COUNT_MIX), 0)


def _within(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Uniform times in [lo, hi)."""
    return lo + (rng.random(lo.size) * (hi - lo)).astype(np.int64)


def _touch_types(
    rng: np.random.Generator, channel: np.ndarray, converting: np.ndarray
) -> np.ndarray:
    """Offline channels meet people at events or by outreach; the rest on the web."""
    u = rng.random(channel.size)
    paid = (channel == PAID_SEARCH) | (channel == PAID_SOCIAL)
    kind = np.full(channel.size, WEB_SESSION)
    kind[paid & (u < 0.35)] = AD_CLICK
    kind[(channel == EMAIL) & (u < 0.6)] = EMAIL_CLICK
    kind[converting] = FORM_FILL
    kind[channel == EVENTS] = EVENT
    kind[channel == OUTBOUND] = OUTREACH
    return kind


def _referrers(channel: np.ndarray, touch_type: np.ndarray, u: np.ndarray) -> pa.Array:
    """Where a web visit came from: search engines, social networks or partner sites."""
    n_search, n_social = len(SEARCH_REFERRERS), len(SOCIAL_REFERRERS)
    idx = np.full(channel.size, -1)
    idx[channel == ORGANIC_SEARCH] = np.where(u < 0.85, 0, 1)[channel == ORGANIC_SEARCH]
    idx[channel == PAID_SEARCH] = 0
    social = channel == PAID_SOCIAL
    idx[social] = n_search + (u[social] * n_social).astype(np.int64)
    partner = channel == REFERRAL
    idx[partner] = n_search + n_social + (u[partner] * len(PARTNER_DOMAINS)).astype(np.int64)
    idx[~np.isin(touch_type, [WEB_SESSION, FORM_FILL])] = -1
    return choose(REFERRERS, np.maximum(idx, 0), mask=idx < 0)


def _first_per_person(who: np.ndarray, n_people: int) -> np.ndarray:
    """Row of each person's first touch in the given order (every person has one)."""
    first = np.full(n_people, -1, dtype=np.int64)
    people_rows = np.flatnonzero(who < n_people)
    uniq, at = np.unique(who[people_rows], return_index=True)
    first[uniq] = people_rows[at]
    return first


def _sources(
    touches: pa.Table,
    channel: np.ndarray,
    camp: np.ndarray,
    campaigns: Campaigns,
    first: np.ndarray,
    last: np.ndarray,
) -> dict[str, pa.Array]:
    """HubSpot's source fields: original source and its drill-downs, and the latest source."""
    ch = channel[first]
    rows = pa.array(first)
    utm_source = touches["utm_source"].combine_chunks().take(rows)
    utm_campaign = touches["utm_campaign"].combine_chunks().take(rows)
    referrer = touches["referrer"].combine_chunks().take(rows)
    domain = pc.replace_substring_regex(referrer, r"^https?://([^/]+)/.*$", r"\1")
    campaign_name = choose(campaigns.names, camp[first], mask=camp[first] < 0)
    # Direct traffic has no drill-down: it keeps nulls.
    none = pa.nulls(len(first), pa.string())
    data_1, data_2 = none, none
    rules_1 = {
        PAID_SEARCH: utm_source,
        PAID_SOCIAL: utm_source,
        EMAIL: utm_campaign,
        ORGANIC_SEARCH: domain,
        REFERRAL: domain,
        EVENTS: pa.array([OFFLINE_DATA_1[EVENTS]] * len(first), pa.string()),
        OUTBOUND: pa.array([OFFLINE_DATA_1[OUTBOUND]] * len(first), pa.string()),
    }
    rules_2 = {
        PAID_SEARCH: utm_campaign,
        PAID_SOCIAL: utm_campaign,
        REFERRAL: referrer,
        EVENTS: campaign_name,
    }
    for c, values in rules_1.items():
        data_1 = pc.if_else(pa.array(ch == c), values, data_1)
    for c, values in rules_2.items():
        data_2 = pc.if_else(pa.array(ch == c), values, data_2)
    return {
        "source": choose(HUBSPOT_SOURCE, ch),
        "data_1": data_1,
        "data_2": data_2,
        "latest": choose(HUBSPOT_SOURCE, channel[last]),
    }
