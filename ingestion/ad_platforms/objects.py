"""The ad-spend objects landed in ``raw_google_ads`` / ``raw_meta_ads``: campaign x day.

Every value lands as the API's text (Google's int64 strings, Meta's decimal strings):
staging casts. A campaign-day is an entity keyed by (account, campaign, day), so a
platform restating a recent day adds a version and raw keeps both.
"""

from __future__ import annotations

from ingestion.raw.objects import RawObject, Rule, decimal_string, non_negative, required


def _date(field: str) -> Rule:
    return Rule(
        name=f"{field}_unparsable",
        field=field,
        violated=f"try_cast({field} as date) is null",
        reason=f"'{field} ' || coalesce('''' || {field} || '''', 'null') || ' is not a date'",
    )


def _metrics(*fields: str) -> tuple[Rule, ...]:
    return tuple(rule for f in fields for rule in (decimal_string(f), non_negative(f)))


GOOGLE_ADS_COLUMNS = (
    "customer_id",
    "currency_code",
    "campaign_id",
    "campaign_name",
    "campaign_start_date",
    "campaign_end_date",
    "date",
    "cost_micros",
    "clicks",
    "impressions",
)
GOOGLE_ADS_CAMPAIGN_DAYS = RawObject(
    "google_ads",
    "campaign_days",
    key=("customer_id", "campaign_id", "date"),
    rules=(
        required("customer_id"),
        required("campaign_id"),
        _date("date"),
        required("currency_code"),
        *_metrics("cost_micros", "clicks", "impressions"),
    ),
)

META_ADS_COLUMNS = (
    "account_id",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "campaign_start_time",
    "campaign_stop_time",
    "date_start",
    "date_stop",
    "spend",
    "impressions",
    "clicks",
)
META_ADS_CAMPAIGN_DAYS = RawObject(
    "meta_ads",
    "campaign_days",
    key=("account_id", "campaign_id", "date_start"),
    rules=(
        required("account_id"),
        required("campaign_id"),
        _date("date_start"),
        required("account_currency"),
        *_metrics("spend", "impressions", "clicks"),
    ),
)
