"""Each rule of each suite fires on a crafted bad row, alone, and passes on good data."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest
from quality.crafted import AS_OF, DEAL_COUNT, RAW

from ingestion.warehouse import connect
from orchestration.assets.quality_checks import check_result
from orchestration.quality.data_docs import open_context
from orchestration.quality.runner import validate_suite
from orchestration.quality.suites import SUITES, Severity, run_parameters

BY_NAME = {suite.name: suite for suite in SUITES}
LATER = {"as_of": AS_OF + timedelta(days=90)}  # the newest rows are stale by then
FEWER = {"previous_rows": 100 * DEAL_COUNT}  # the last run had far more rows

ROW_COUNT = "row count within"
FRESH = "fresh:"


def _set(assignment: str, table: str = "{t}", where: str = "{deal_id} = 'd2'") -> str:
    return f"update {table} set {assignment} where {where}"


def _copy(table: str = "{t}", where: str = "{deal_id} = 'd2'") -> str:
    return f"insert into {table} select * from {table} where {where}"


RAW_CASES = {
    "source_instance is never null": _set("_source_instance = null"),
    "deal_id is never null": _set("{deal_id} = null"),
    "(source_instance, deal_id) is unique": _copy(),
    "stage ids are in the stage mapping seed": _set("{stage} = 'nope'"),
    "amount >= 0": _set("{amount} = '-5'"),
    "currency_code is an ISO 4217 currency": _set("{currency} = 'ZZZ'"),
    "created_at is never null": _set("{created} = null"),
    "close_on >= created_on": _set("{close} = '2025-05-01'"),
    ROW_COUNT: FEWER,
    FRESH: LATER,
}
DEALS = "marts.deals"
WON = "deal_id = 'd2'"
OPEN = "deal_id = 'd4'"  # no close yet, expected to close after the as-of day
DEALS_CASES = {
    "deal_key is never null": _set("deal_key = null", DEALS, WON),
    "deal_key is unique": _copy(DEALS, WON),
    "deal_id is never null": _set("deal_id = null", DEALS, WON),
    "stage ids are in the stage mapping seed": _set("stage_id = 'nope'", DEALS, WON),
    "amount >= 0": _set("amount = -1", DEALS, WON),
    "amount_at_creation >= 0": _set("amount_at_creation = -1", DEALS, WON),
    "amount_at_close >= 0": _set("amount_at_close = -1", DEALS, WON),
    "currency_code is an ISO 4217 currency": _set("currency_code = 'ZZZ'", DEALS, WON),
    "created_at is never null": _set("created_at = null", DEALS, WON),
    "no created_at after the as-of day": _set("created_at = '2026-01-01'", DEALS, OPEN),
    "no closed_at after the as-of day": _set("closed_at = '2026-01-01'", DEALS, WON),
    "closed_at >= created_at": _set("closed_at = '2025-05-01'", DEALS, WON),
    "close_on >= created_on": _set("close_date_at = '2025-05-01'", DEALS, OPEN),
    ROW_COUNT: FEWER,
    FRESH: LATER,
}
VISITS = "marts.deal_stage_visits"
LEFT = "stage_visit_key = 'v2'"
CURRENT = "stage_visit_key = 'v4'"  # the deal is still in the stage
VISITS_CASES = {
    "stage_visit_key is never null": _set("stage_visit_key = null", VISITS, LEFT),
    "stage_visit_key is unique": _copy(VISITS, LEFT),
    "deal_key is never null": _set("deal_key = null", VISITS, LEFT),
    "stage ids are in the stage mapping seed": _set("stage_id = 'nope'", VISITS, LEFT),
    "entered_at is never null": _set("entered_at = null", VISITS, LEFT),
    "no entered_at after the as-of day": _set("entered_at = '2026-01-01'", VISITS, CURRENT),
    "no exited_at after the as-of day": _set("exited_at = '2026-01-02 08:00'", VISITS, LEFT),
    "exited_at >= entered_at": _set("exited_at = '2025-11-30'", VISITS, LEFT),
    "days_in_stage >= 0": _set("days_in_stage = -1", VISITS, LEFT),
    ROW_COUNT: FEWER,
    FRESH: LATER,
}
CASES = [
    *((name, rule, change) for name in RAW for rule, change in RAW_CASES.items()),
    *(("marts_deals", rule, change) for rule, change in DEALS_CASES.items()),
    *(("marts_deal_stage_visits", rule, change) for rule, change in VISITS_CASES.items()),
]


@pytest.fixture(scope="module")
def gx_context():
    return open_context()


def _validate(gx_context, path, suite_name: str, as_of: date = AS_OF, previous_rows=DEAL_COUNT):
    with duckdb.connect(str(path), read_only=True) as con:
        return validate_suite(
            con, gx_context, BY_NAME[suite_name], run_parameters(as_of, "UTC"), previous_rows
        )


def _spoil(path, suite_name: str, change) -> dict:
    """Apply ``change`` (SQL, or other run parameters) and return the parameters."""
    if isinstance(change, dict):
        return change
    layout = RAW.get(suite_name)
    if layout:
        fields = {field: layout.column(field) for field in layout.columns}
        change = change.format(t=layout.relation, **fields)
    with duckdb.connect(str(path)) as con:
        con.execute(change)
    return {}


def test_every_rule_has_a_case_and_an_explicit_severity():
    params = run_parameters(AS_OF, "UTC")
    cases = {(name, rule) for name, rule, _ in CASES}
    for suite in SUITES:
        rules = suite.all_rules(params, previous_rows=DEAL_COUNT)
        descriptions = [rule.description for rule in rules]
        assert len(set(descriptions)) == len(descriptions), suite.name
        assert {rule.severity for rule in rules} <= set(Severity)
        for description in descriptions:
            short = next((p for p in (ROW_COUNT, FRESH) if description.startswith(p)), None)
            assert (suite.name, short or description) in cases, (suite.name, description)


@pytest.mark.parametrize("suite_name", sorted(BY_NAME))
def test_good_rows_pass(crafted_warehouse, gx_context, suite_name):
    outcome = _validate(gx_context, crafted_warehouse, suite_name)
    assert outcome.rows == DEAL_COUNT  # raw: the latest version of each deal
    assert outcome.failed() == [], [(o.rule.description, o.observed) for o in outcome.failed()]


@pytest.mark.parametrize(
    ("suite_name", "rule", "change"), CASES, ids=[f"{n}: {r}" for n, r, _ in CASES]
)
def test_each_rule_fires_on_a_bad_row(crafted_warehouse, gx_context, suite_name, rule, change):
    spoiled = _spoil(crafted_warehouse, suite_name, change)
    outcome = _validate(gx_context, crafted_warehouse, suite_name, **spoiled)
    failed = outcome.failed()
    assert [o.rule.description.startswith(rule) for o in failed] == [True], [
        (o.rule.description, o.observed) for o in failed
    ]
    if isinstance(change, str):
        assert failed[0].observed.startswith(("1 of ", "2 of ")), failed[0].observed
    result = check_result(outcome, None)
    assert not result.passed
    assert result.severity.value == ("ERROR" if failed[0].rule.severity == "critical" else "WARN")
    assert result.metadata[f"{failed[0].rule.severity.name} {failed[0].rule.description}"].value
    assert str(result.metadata["failed"].value).startswith(
        f"{failed[0].rule.description}: FAILED: {failed[0].observed}"
    )


def test_chunks_are_key_buckets(crafted_warehouse, gx_context):
    """A duplicate key is found however small the chunks: copies share a bucket."""
    _spoil(crafted_warehouse, "marts_deals", DEALS_CASES["deal_key is unique"])
    with duckdb.connect(str(crafted_warehouse), read_only=True) as con:
        outcome = validate_suite(
            con, gx_context, BY_NAME["marts_deals"], run_parameters(AS_OF, "UTC"), chunk_rows=1
        )
    assert outcome.chunks == DEAL_COUNT + 1
    assert [o.observed for o in outcome.failed()] == ["2 of 6 rows"]


def test_suites_pass_on_the_pipeline_runs_warehouse(pipeline_run, gx_context):
    settings = pipeline_run.settings
    params = run_parameters(pipeline_run.as_of, settings.reporting_timezone)
    with connect(settings, read_only=True) as con:
        outcomes = [validate_suite(con, gx_context, suite, params) for suite in SUITES]
    assert {o.suite.name: o.failed() for o in outcomes} == {name: [] for name in BY_NAME}
    rows = {o.suite.name: o.rows for o in outcomes}
    assert rows["raw_hubspot_deals"] > 1900
    assert rows["marts_deals"] >= rows["raw_hubspot_deals"]
    assert rows["marts_deal_stage_visits"] > 3 * rows["marts_deals"]
