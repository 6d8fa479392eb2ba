"""The world's paid campaigns as Google Ads customers and Meta ad accounts, with their spend.

An ad account has one currency, so the world's paid-search campaigns become one Google Ads
customer per currency and its paid-social campaigns one Meta ad account per currency. What
the APIs serve is this state, not the world's files: tests restate recent days
(:meth:`AdAccounts.restate`), move the platform's "today" (only days up to it are served)
or withhold a day, then check the connector landed exactly what was served.

By default each platform withholds one campaign-day of its world's spend, as platforms'
reporting sometimes loses a day: Google Ads the middle day of its first campaign, Meta the
first day of its first campaign (a gap no reported day precedes, seen only against the
campaign's own start date). The warehouse must report both, never invent the spend.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from ingestion.simulator.io import load_manifest, read_table

GOOGLE_ADS = "google_ads"
META_ADS = "meta_ads"
PLATFORMS = (GOOGLE_ADS, META_ADS)


@dataclass(frozen=True)
class CampaignDay:
    """One campaign's metrics on one day, in its account's currency."""

    day: date
    campaign_id: str
    campaign_name: str
    campaign_start: date  # the campaign's own dates, as its platform's campaign object has them
    campaign_end: date
    cost: float
    clicks: int
    impressions: int


@dataclass
class Account:
    platform: str
    account_id: str
    name: str
    currency: str
    days: list[CampaignDay]  # by (day, campaign id)


def account_id(platform: str, seed_id: str, index: int) -> str:
    """A stable id: a 10-digit Google Ads customer id, or a 15-digit Meta ad account id."""
    base = int(seed_id)
    if platform == GOOGLE_ADS:
        return str(1_000_000_000 + (base * 7 + index * 104_729) % 9_000_000_000)
    return str(100_000_000_000_000 + base * 1_000 + index)


class AdAccounts:
    """Every ad account of both platforms, behind one lock (the server's threads share it)."""

    def __init__(self, world_dir: Path, *, withhold_default_gaps: bool = True) -> None:
        world_dir = Path(world_dir)
        manifest = load_manifest(world_dir)
        self.lock = threading.RLock()
        self.today = date.fromisoformat(manifest["end_date"])
        campaigns = {
            row["campaign_id"]: row for row in read_table(world_dir, "campaigns").to_pylist()
        }
        by_account: dict[tuple[str, str], list[CampaignDay]] = {}
        for row in read_table(world_dir, "ad_spend").to_pylist():
            key = (row["platform"], row["currency"])
            by_account.setdefault(key, []).append(
                CampaignDay(
                    day=row["date"],
                    campaign_id=row["campaign_id"],
                    campaign_name=campaigns[row["campaign_id"]]["name"],
                    campaign_start=campaigns[row["campaign_id"]]["start_date"],
                    campaign_end=campaigns[row["campaign_id"]]["end_date"],
                    cost=row["cost"],
                    clicks=row["clicks"],
                    impressions=row["impressions"],
                )
            )
        self.accounts: dict[str, Account] = {}
        for index, (platform, currency) in enumerate(sorted(by_account)):
            ident = account_id(platform, manifest["portal_id"], index)
            label = "Google Ads" if platform == GOOGLE_ADS else "Meta"
            days = sorted(by_account[(platform, currency)], key=lambda d: (d.day, d.campaign_id))
            self.accounts[ident] = Account(
                platform, ident, f"Funnelhouse {label} ({currency})", currency, days
            )
        self.withheld: list[tuple[str, str, date]] = []  # (account, campaign, day)
        if withhold_default_gaps:
            for platform in PLATFORMS:
                self._withhold_default(platform)

    def of(self, platform: str) -> list[Account]:
        return [a for a in self.accounts.values() if a.platform == platform]

    def served(self, account: str, since: date, until: date) -> list[CampaignDay]:
        """What the platform reports for the account between two days (both included)."""
        with self.lock:
            last = min(until, self.today)
            return [d for d in self.accounts[account].days if since <= d.day <= last]

    def restate(self, since: date, factor: float, platform: str | None = None) -> int:
        """Change every served day from ``since`` to today (cost, clicks and impressions times
        ``factor``) of one platform or both, as platforms restate their latest days; returns
        the rows changed."""
        changed = 0
        with self.lock:
            for account in self.accounts.values():
                if platform not in (None, account.platform):
                    continue
                for i, d in enumerate(account.days):
                    if since <= d.day <= self.today:
                        account.days[i] = replace(
                            d,
                            cost=round(d.cost * factor, 2),
                            clicks=round(d.clicks * factor),
                            impressions=round(d.impressions * factor),
                        )
                        changed += 1
        return changed

    def withhold(self, account: str, campaign_id: str, day: date) -> None:
        """Stop serving one campaign-day (the platform lost it)."""
        with self.lock:
            days = self.accounts[account].days
            days[:] = [d for d in days if (d.campaign_id, d.day) != (campaign_id, day)]
            self.withheld.append((account, campaign_id, day))

    def campaigns(self, account: str) -> dict[str, CampaignDay]:
        """Each campaign of the account (by id) with one of its days, for its name and dates."""
        with self.lock:
            return {d.campaign_id: d for d in self.accounts[account].days}

    def _withhold_default(self, platform: str) -> None:
        accounts = self.of(platform)
        if not accounts:
            return
        account = accounts[0]
        first = min(d.campaign_id for d in account.days)
        days = [d.day for d in account.days if d.campaign_id == first]
        if len(days) >= 3:
            day = days[0] if platform == META_ADS else days[len(days) // 2]
            self.withhold(account.account_id, first, day)
