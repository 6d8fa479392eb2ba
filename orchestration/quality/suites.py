"""The Great Expectations suites, kept here as code: one per table family.

- raw deals, one suite per source: what dbt is about to read (each record's latest
  version), so an ERROR stops the marts from being rebuilt;
- stage changes (``marts.deal_stage_visits``, one row per change of stage) and the deal
  mart (``marts.deals``): what the publish step is about to copy, so an ERROR stops it.

Every rule names its severity: ERROR where the data would corrupt a mart (keys, unknown
stages, negative amounts, currencies, timestamps after the as-of day, a deal closed before
it was created), WARN for hygiene (close dates before creation, row counts far from the
last run's, stale data). Rules are plain data naming a GX expectation class, so loading
the definitions does not import GX; ``orchestration.quality.runner`` builds and runs them.

Raw timestamps are compared with ``as_of`` nowhere: raw tables hold what the source holds
now (a daily run syncs after its as-of day has ended), and dbt keeps later facts out of
the marts, which is what the marts' rules check. Large event and activity tables are
guarded by dbt tests instead (see the README).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ingestion.settings import DBT_PROJECT_DIR
from orchestration.quality.currencies import ISO_4217

STAGE_MAPPING_SEED = DBT_PROJECT_DIR / "seeds" / "stage_mapping.csv"
# The newest record may be this many days older than the end of the as-of day.
FRESHNESS_DAYS = 3
# A table may shrink to half or grow to double its row count of the last run.
ROW_COUNT_RATIOS = (0.5, 2.0)


class Severity(StrEnum):
    """A rule's severity, valued as GX names it: ERROR blocks, WARN only warns."""

    ERROR = "critical"
    WARN = "warning"


@dataclass(frozen=True)
class Rule:
    severity: Severity
    expectation: str  # a class of great_expectations.expectations
    description: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)


def error(expectation: str, description: str, **kwargs: Any) -> Rule:
    return Rule(Severity.ERROR, expectation, description, kwargs)


def warn(expectation: str, description: str, **kwargs: Any) -> Rule:
    return Rule(Severity.WARN, expectation, description, kwargs)


@dataclass(frozen=True)
class RunParameters:
    """What the rules compare with, fixed per run."""

    as_of: date
    as_of_end: datetime  # the exclusive end of the as-of day (reporting time zone), in UTC
    known_stages: frozenset[str]  # stage_ref values of the stage mapping seed


def stage_ref(source_system: str, pipeline_id: str, stage_id: str) -> str:
    """One value per (source system, pipeline, stage): the stage mapping's key."""
    return "|".join((source_system, pipeline_id, stage_id))


def _stage_ref_sql(source_system: str, pipeline_id: str, stage_id: str) -> str:
    parts = (f"coalesce({expression}, '<null>')" for expression in (pipeline_id, stage_id))
    return f"concat_ws('|', {source_system}, {', '.join(parts)})"


def run_parameters(
    as_of: date, reporting_timezone: str, stage_mapping: Path = STAGE_MAPPING_SEED
) -> RunParameters:
    """The run's parameters; stages come from the seed file, which dbt has yet to load
    when the raw checks run."""
    day_after = datetime.combine(as_of + timedelta(days=1), time(), ZoneInfo(reporting_timezone))
    with stage_mapping.open(newline="") as seed:
        known = frozenset(
            stage_ref(row["source_system"], row["pipeline_id"], row["stage_id"])
            for row in csv.DictReader(seed)
        )
    return RunParameters(as_of, day_after.astimezone(UTC).replace(tzinfo=None), known)


@dataclass(frozen=True)
class Suite:
    """A suite and the table it validates: ``sql`` selects the columns its rules read."""

    name: str
    asset_key: tuple[str, ...]
    table: str
    sql: str
    key: tuple[str, ...]  # unique and never null; chunks are buckets of its hash
    freshness_column: str
    rules: Callable[[RunParameters], list[Rule]]

    def all_rules(self, params: RunParameters, previous_rows: int | None) -> list[Rule]:
        return [
            *_key_rules(self.key),
            *self.rules(params),
            _row_count_rule(previous_rows),
            _freshness_rule(self.freshness_column, params),
        ]


def _key_rules(key: tuple[str, ...]) -> list[Rule]:
    rules = [
        error("ExpectColumnValuesToNotBeNull", f"{column} is never null", column=column)
        for column in key
    ]
    if len(key) == 1:
        rules.append(error("ExpectColumnValuesToBeUnique", f"{key[0]} is unique", column=key[0]))
    else:
        rules.append(
            error(
                "ExpectCompoundColumnsToBeUnique",
                f"({', '.join(key)}) is unique",
                column_list=list(key),
            )
        )
    return rules


def _row_count_rule(previous_rows: int | None) -> Rule:
    if previous_rows is None:
        return warn("ExpectTableRowCountToBeBetween", "row count (no earlier run)", min_value=0)
    low, high = ROW_COUNT_RATIOS
    bounds = {"min_value": math.floor(previous_rows * low)}
    if previous_rows:
        bounds["max_value"] = math.ceil(previous_rows * high)
    return warn(
        "ExpectTableRowCountToBeBetween",
        f"row count within {low:g}x-{high:g}x the last run's {previous_rows:,}",
        **bounds,
    )


def _freshness_rule(column: str, params: RunParameters) -> Rule:
    return warn(
        "ExpectColumnMaxToBeBetween",
        f"fresh: newest {column} at most {FRESHNESS_DAYS} days before the end of {params.as_of}",
        column=column,
        min_value=params.as_of_end - timedelta(days=FRESHNESS_DAYS),
    )


def _known_stage(params: RunParameters) -> Rule:
    return error(
        "ExpectColumnValuesToBeInSet",
        "stage ids are in the stage mapping seed",
        column="stage_ref",
        value_set=sorted(params.known_stages),
    )


def _iso_currency(column: str) -> Rule:
    return error(
        "ExpectColumnValuesToBeInSet",
        f"{column} is an ISO 4217 currency",
        column=column,
        value_set=sorted(ISO_4217),
    )


def _not_negative(column: str) -> Rule:
    return error("ExpectColumnValuesToBeBetween", f"{column} >= 0", column=column, min_value=0)


def _not_after_as_of(column: str, params: RunParameters) -> Rule:
    return error(
        "ExpectColumnValuesToBeBetween",
        f"no {column} after the as-of day",
        column=column,
        max_value=params.as_of_end,
        strict_max=True,
    )


def _not_before(severity: Severity, later: str, earlier: str) -> Rule:
    return Rule(
        severity,
        "ExpectColumnPairValuesAToBeGreaterThanB",
        f"{later} >= {earlier}",
        {
            "column_A": later,
            "column_B": earlier,
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
    )


# Raw deals ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _RawDeals:
    """Where each canonical field sits in one source's raw deals table (SQL expressions)."""

    source_system: str
    schema: str
    table: str
    deal_id: str
    pipeline_id: str
    stage_id: str
    amount: str
    currency: str
    created: str
    close_date: str
    modified: str
    # How bad a missing creation time is: CSV exports may lack it (Olist's closed deals
    # have none); those deals stay out of the deal marts, counted by the dbt test
    # csv_deals_without_dates, so there it only warns.
    missing_created: Severity = Severity.ERROR


def _utc(expression: str) -> str:
    """As dbt's parse_utc_timestamp on DuckDB: a value with an offset is shifted to UTC,
    one without is UTC already."""
    return (
        f"case when regexp_matches({expression}, '(Z|[+-][0-9]{{2}}:?[0-9]{{2}})$') "
        f"then (try_cast({expression} as timestamptz) at time zone 'UTC') "
        f"else try_cast({expression} as timestamp) end"
    )


def _raw_deals_sql(raw: _RawDeals) -> str:
    # The latest load of each record, as dbt's current_versions reads it; two versions of
    # one record in that load would make dbt's pick arbitrary, so both are kept here.
    return f"""
        select
            _source_instance as source_instance,
            {raw.deal_id} as deal_id,
            {_stage_ref_sql(f"'{raw.source_system}'", raw.pipeline_id, raw.stage_id)}
                as stage_ref,
            try_cast(nullif(trim({raw.amount}), '') as double) as amount,
            nullif(upper(trim({raw.currency})), '') as currency_code,
            {_utc(raw.created)} as created_at,
            cast({_utc(raw.created)} as date) as created_on,
            cast({_utc(raw.close_date)} as date) as close_on,
            {_utc(raw.modified)} as modified_at
        from {raw.schema}."{raw.table}"
        qualify _load_sequence
            = max(_load_sequence) over (partition by _source_instance, {raw.deal_id})
    """


def _raw_deal_rules(raw: _RawDeals) -> Callable[[RunParameters], list[Rule]]:
    def rules(params: RunParameters) -> list[Rule]:
        return [
            _known_stage(params),
            _not_negative("amount"),
            _iso_currency("currency_code"),
            Rule(
                raw.missing_created,
                "ExpectColumnValuesToNotBeNull",
                "created_at is never null",
                {"column": "created_at"},
            ),
            _not_before(Severity.WARN, "close_on", "created_on"),
        ]

    return rules


def _raw_deals_suite(raw: _RawDeals) -> Suite:
    return Suite(
        name=f"{raw.schema}_{raw.table}".lower(),
        asset_key=(raw.schema, raw.table),
        table=f"{raw.schema}.{raw.table}",
        sql=_raw_deals_sql(raw),
        key=("source_instance", "deal_id"),
        freshness_column="modified_at",
        rules=_raw_deal_rules(raw),
    )


_CSV_CLOSED = "coalesce(closed_at, won_at, lost_at)"
RAW_DEAL_SUITES = tuple(
    _raw_deals_suite(raw)
    for raw in (
        _RawDeals(
            source_system="hubspot",
            schema="raw_hubspot",
            table="deals",
            deal_id="id",
            pipeline_id="pipeline",
            stage_id="dealstage",
            amount="amount",
            currency="deal_currency_code",
            created="createdate",
            close_date="closedate",
            modified="hs_lastmodifieddate",
        ),
        _RawDeals(
            source_system="salesforce",
            schema="raw_salesforce",
            table="Opportunity",
            deal_id='"Id"',
            # Salesforce has no pipelines: staging takes the opportunity Type for one.
            pipeline_id="""coalesce("Type", 'default')""",
            stage_id='"StageName"',
            amount='"Amount"',
            currency='"CurrencyIsoCode"',
            created='"CreatedDate"',
            close_date='"CloseDate"',
            modified='"SystemModstamp"',
        ),
        _RawDeals(
            source_system="pipedrive",
            schema="raw_pipedrive",
            table="deals",
            deal_id="id",
            pipeline_id="pipeline_id",
            stage_id="stage_id",
            amount="value",
            currency="currency",
            created="add_time",
            close_date="expected_close_date",
            modified="update_time",
        ),
        _RawDeals(
            source_system="csv",
            schema="raw_csv",
            table="deals",
            deal_id="deal_id",
            pipeline_id="coalesce(nullif(trim(pipeline), ''), 'default')",
            stage_id="coalesce(nullif(trim(stage), ''), nullif(trim(status), ''))",
            amount="amount",
            currency="currency",
            created="created_at",
            close_date=f"coalesce({_CSV_CLOSED}, expected_close_date)",
            # An export has no modification time: its latest event stands in.
            modified=f"coalesce({_CSV_CLOSED}, created_at)",
            missing_created=Severity.WARN,
        ),
    )
)


# Marts --------------------------------------------------------------------------------


def _deal_rules(params: RunParameters) -> list[Rule]:
    return [
        error("ExpectColumnValuesToNotBeNull", "deal_id is never null", column="deal_id"),
        _known_stage(params),
        *(_not_negative(c) for c in ("amount", "amount_at_creation", "amount_at_close")),
        _iso_currency("currency_code"),
        error("ExpectColumnValuesToNotBeNull", "created_at is never null", column="created_at"),
        _not_after_as_of("created_at", params),
        _not_after_as_of("closed_at", params),
        _not_before(Severity.ERROR, "closed_at", "created_at"),
        _not_before(Severity.WARN, "close_on", "created_on"),
    ]


DEALS = Suite(
    name="marts_deals",
    asset_key=("marts", "deals"),
    table="marts.deals",
    sql=f"""
        select
            deal_key,
            deal_id,
            {_stage_ref_sql("source_system", "pipeline_id", "stage_id")} as stage_ref,
            amount,
            amount_at_creation,
            amount_at_close,
            currency_code,
            created_at,
            closed_at,
            cast(created_at as date) as created_on,
            cast(close_date_at as date) as close_on,
            greatest(created_at, closed_at) as last_event_at
        from marts.deals
    """,
    key=("deal_key",),
    freshness_column="last_event_at",
    rules=_deal_rules,
)


def _stage_visit_rules(params: RunParameters) -> list[Rule]:
    return [
        error("ExpectColumnValuesToNotBeNull", "deal_key is never null", column="deal_key"),
        _known_stage(params),
        error("ExpectColumnValuesToNotBeNull", "entered_at is never null", column="entered_at"),
        _not_after_as_of("entered_at", params),
        _not_after_as_of("exited_at", params),
        _not_before(Severity.ERROR, "exited_at", "entered_at"),
        _not_negative("days_in_stage"),
    ]


DEAL_STAGE_VISITS = Suite(
    name="marts_deal_stage_visits",
    asset_key=("marts", "deal_stage_visits"),
    table="marts.deal_stage_visits",
    sql=f"""
        select
            stage_visit_key,
            deal_key,
            {_stage_ref_sql("source_system", "pipeline_id", "stage_id")} as stage_ref,
            entered_at,
            exited_at,
            days_in_stage
        from marts.deal_stage_visits
    """,
    key=("stage_visit_key",),
    freshness_column="entered_at",
    rules=_stage_visit_rules,
)

MART_SUITES = (DEALS, DEAL_STAGE_VISITS)
SUITES = (*RAW_DEAL_SUITES, *MART_SUITES)
