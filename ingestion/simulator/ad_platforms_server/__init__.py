"""Simulated Google Ads and Meta Marketing APIs over a generated world's ad spend."""

from ingestion.simulator.ad_platforms_server.accounts import AdAccounts
from ingestion.simulator.ad_platforms_server.httpd import AdPlatformsServer

__all__ = ["AdAccounts", "AdPlatformsServer"]
