"""Campaigns, their daily ad spend, and the lookup that attributes touches to campaigns.

Every channel has an always-on campaign spanning the whole world (so every campaign-tracked
touch finds one) plus dated bursts whose number grows with the world. Ad spend scales with
n_deals so cost per deal stays comparable between world sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ingestion.simulator.channels import (
    DIRECT,
    EMAIL,
    EVENTS,
    HAS_CAMPAIGN_TOUCHES,
    ORGANIC_SEARCH,
    OUTBOUND,
    PAID_SEARCH,
    PAID_SOCIAL,
    PLATFORM,
    REFERRAL,
)
from ingestion.simulator.config import WorldConfig, stream
from ingestion.simulator.io import choose, int_strings, make_table
from ingestion.simulator.portal import CURRENCIES
from ingestion.simulator.schema import CHANNELS

CAMPAIGN_ID_BASE = 70_001_000
ALWAYS_ON = {
    PAID_SEARCH: ("Brand", "Non-brand"),
    PAID_SOCIAL: ("Prospecting",),
    ORGANIC_SEARCH: ("SEO content",),
    EMAIL: ("Newsletter",),
    EVENTS: ("Webinars",),
    REFERRAL: ("Partner program",),
    DIRECT: ("Brand awareness",),
    OUTBOUND: ("SDR sequences",),
}
BURST_THEMES = {
    PAID_SEARCH: (
        "Competitor terms",
        "Pipeline analytics",
        "Forecasting software",
        "CRM reporting",
    ),
    PAID_SOCIAL: ("Retargeting", "Lookalike", "Webinar promo", "Ebook promo"),
    EMAIL: ("Product launch", "Nurture track", "Event invite", "Win-back"),
    EVENTS: ("SaaStr", "Web Summit", "Dreamforce", "RevOps Summit", "Roadshow"),
    OUTBOUND: ("ABM enterprise", "Mid-market blitz"),
}
BURST_CHANNEL_MIX = {
    PAID_SEARCH: 0.30,
    PAID_SOCIAL: 0.30,
    EMAIL: 0.20,
    EVENTS: 0.15,
    OUTBOUND: 0.05,
}
# Typical daily spend per 5,000 deals, in the campaign's currency.
DAILY_SPEND = np.array([180.0, 120.0, 40.0, 15.0, 90.0, 30.0, 20.0, 60.0])
UTM = {
    PAID_SEARCH: (("google",), "cpc"),
    PAID_SOCIAL: (("facebook", "instagram"), "paid_social"),
    EMAIL: (("hubspot",), "email"),
}


@dataclass(frozen=True)
class Campaigns:
    """Campaign attributes by campaign index, plus the per-day active lists per channel."""

    ids: np.ndarray
    names: list[str]
    channel: np.ndarray
    utm_source: list[str | None]
    utm_medium: list[str | None]
    utm_campaign: list[str]
    start_day: np.ndarray  # day offsets from the world's start, inclusive
    end_day: np.ndarray
    currency: np.ndarray
    daily: np.ndarray
    active: np.ndarray  # (channel, day, slot) -> campaign index, -1 padding
    n_active: np.ndarray  # (channel, day)

    def pick(self, channel: np.ndarray, day: np.ndarray, u: np.ndarray) -> np.ndarray:
        """A campaign of the channel active on that day (uniform), or -1 if untracked."""
        count = self.n_active[channel, day]
        slot = np.minimum((u * count).astype(np.int64), np.maximum(count - 1, 0))
        found = self.active[channel, day, slot]
        return np.where(HAS_CAMPAIGN_TOUCHES[channel] & (count > 0), found, -1)


def make_campaigns(config: WorldConfig) -> Campaigns:
    rng = stream(config.seed, "campaigns")
    n_days = config.n_days
    rows: list[tuple[int, str, int, int]] = []  # channel, theme, start day, end day
    for ch in range(len(CHANNELS)):
        rows += [(ch, theme, 0, n_days - 1) for theme in ALWAYS_ON[ch]]
    n_bursts = int(np.clip(config.n_deals // 250, 8, 300))
    burst_channels = np.array(list(BURST_CHANNEL_MIX))
    mix = np.array(list(BURST_CHANNEL_MIX.values()))
    for ch in rng.choice(burst_channels, size=n_bursts, p=mix / mix.sum()):
        themes = BURST_THEMES[int(ch)]
        length = int(rng.integers(1, 4) if ch == EVENTS else rng.integers(14, 91))
        start = int(rng.integers(0, max(n_days - length, 1)))
        theme = themes[int(rng.integers(len(themes)))]
        rows.append((int(ch), theme, start, min(start + length - 1, n_days - 1)))
    n = len(rows)
    channel = np.array([r[0] for r in rows])
    start_day = np.array([r[2] for r in rows])
    end_day = np.array([r[3] for r in rows])
    names, slugs, sources, mediums = [], [], [], []
    for i, (ch, theme, start, _) in enumerate(rows):  # a few hundred campaigns at most
        month = str(np.datetime64(config.start_date) + np.timedelta64(start, "D"))[:7]
        label = CHANNELS[ch].replace("_", " ").title()
        names.append(f"{label} - {theme} - {month}")
        slug = f"{CHANNELS[ch]}_{theme}_{month}_{i}".lower().replace(" ", "_").replace("-", "_")
        slugs.append(slug)
        src, medium = UTM.get(ch, ((None,), None))
        sources.append(src[int(rng.integers(len(src)))])
        mediums.append(medium)
    currency = rng.choice(len(CURRENCIES), size=n, p=[0.5, 0.3, 0.2])
    daily = DAILY_SPEND[channel] * rng.uniform(0.5, 1.5, n) * max(config.n_deals, 500) / 5000
    active_lists = [[[] for _ in range(n_days)] for _ in CHANNELS]
    for i in range(n):
        for d in range(start_day[i], end_day[i] + 1):
            active_lists[channel[i]][d].append(i)
    width = max(len(day) for per_ch in active_lists for day in per_ch)
    active = np.full((len(CHANNELS), n_days, width), -1, dtype=np.int64)
    n_active = np.zeros((len(CHANNELS), n_days), dtype=np.int64)
    for ch, per_ch in enumerate(active_lists):
        for d, members in enumerate(per_ch):
            active[ch, d, : len(members)] = members
            n_active[ch, d] = len(members)
    return Campaigns(
        ids=CAMPAIGN_ID_BASE + np.arange(n, dtype=np.int64),
        names=names,
        channel=channel,
        utm_source=sources,
        utm_medium=mediums,
        utm_campaign=slugs,
        start_day=start_day,
        end_day=end_day,
        currency=currency,
        daily=daily,
        active=active,
        n_active=n_active,
    )


def _dates(config: WorldConfig, days: np.ndarray) -> pa.Array:
    return pa.array(np.datetime64(config.start_date, "D") + days.astype("timedelta64[D]"))


def campaigns_table(config: WorldConfig, c: Campaigns) -> pa.Table:
    days = c.end_day - c.start_day + 1
    return make_table(
        "campaigns",
        {
            "campaign_id": int_strings(c.ids),
            "name": pa.array(c.names, pa.string()),
            "channel": choose(CHANNELS, c.channel),
            "platform": choose(PLATFORM, c.channel),
            "utm_source": pa.array(c.utm_source, pa.string()),
            "utm_medium": pa.array(c.utm_medium, pa.string()),
            "utm_campaign": pa.array(c.utm_campaign, pa.string()),
            "start_date": _dates(config, c.start_day),
            "end_date": _dates(config, c.end_day),
            "currency": choose(CURRENCIES, c.currency),
            "budget": np.round(c.daily * days, -1),
        },
    )


def ad_spend_table(config: WorldConfig, c: Campaigns) -> pa.Table:
    """Daily cost, clicks and impressions of the ad-platform campaigns, by date then campaign."""
    rng = stream(config.seed, "ad_spend")
    paid = np.flatnonzero(np.isin(c.channel, [PAID_SEARCH, PAID_SOCIAL]))
    days = c.end_day[paid] - c.start_day[paid] + 1
    camp = np.repeat(paid, days)
    day = c.start_day[camp] + (np.arange(len(camp)) - np.repeat(np.cumsum(days) - days, days))
    order = np.lexsort((camp, day))
    camp, day = camp[order], day[order]
    weekday = (np.datetime64(config.start_date, "D") + day.astype("timedelta64[D]")).astype(
        "datetime64[D]"
    ).astype(np.int64) % 7  # 0 = Thursday for the epoch; 2, 3 = Saturday, Sunday
    weekend = np.isin(weekday, [2, 3])
    cost = np.round(
        c.daily[camp] * rng.lognormal(0.0, 0.3, len(camp)) * np.where(weekend, 0.55, 1.0), 2
    )
    search = c.channel[camp] == PAID_SEARCH
    cpc = np.where(search, 3.2, 1.1) * rng.lognormal(0.0, 0.2, len(camp))
    clicks = rng.poisson(cost / cpc)
    ctr = np.where(search, 0.045, 0.009)
    impressions = clicks + rng.poisson(clicks * (1.0 / ctr - 1.0))
    return make_table(
        "ad_spend",
        {
            "date": _dates(config, day),
            "campaign_id": int_strings(c.ids[camp]),
            "platform": choose(PLATFORM, c.channel[camp]),
            "currency": choose(CURRENCIES, c.currency[camp]),
            "cost": cost,
            "clicks": clicks.astype(np.int64),
            "impressions": impressions.astype(np.int64),
        },
    )
