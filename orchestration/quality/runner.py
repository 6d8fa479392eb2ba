"""Validating a suite with Great Expectations' pandas datasource, a chunk at a time.

GX's SQL datasource fails on DuckDB (it closes the connection before fetching), so the
table is read here, through the caller's read-only connection, as DataFrames of the suite's
columns only. A chunk is a bucket of the key's hash: every copy of a key falls in the same
chunk, so a key unique in each chunk is unique in the table. Row-level results add up over
the chunks; table-level ones (the row count, a column's newest value) are evaluated once,
on what the chunks add up to. GX's ``success`` ignores severities: each rule keeps its own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import numpy as np
import pandas as pd
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)
from great_expectations.data_context import AbstractDataContext
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    MulticolumnMapExpectation,
)

from orchestration.quality.suites import Rule, RunParameters, Severity, Suite

DATASOURCE = "warehouse"
CHUNK_ROWS = 250_000
EXAMPLES = 5
_ROW_LEVEL = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)
_AGGREGATES = {"ExpectColumnMaxToBeBetween": "max", "ExpectColumnMinToBeBetween": "min"}
_UNIQUE = {"ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique"}


@dataclass(frozen=True)
class RuleOutcome:
    rule: Rule
    success: bool
    observed: str  # "3 of 2,000 rows" for row-level rules, else the observed value
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class SuiteOutcome:
    suite: Suite
    rows: int
    chunks: int
    seconds: float
    rules: list[RuleOutcome]
    validation: ExpectationSuiteValidationResult  # what Data Docs render

    def failed(self, severity: Severity | None = None) -> list[RuleOutcome]:
        return [
            outcome
            for outcome in self.rules
            if not outcome.success and severity in (None, outcome.rule.severity)
        ]


def expectation(rule: Rule, index: int) -> gxe.Expectation:
    """The GX expectation of ``rule``; ``meta.rule`` finds its result again."""
    return getattr(gxe, rule.expectation)(
        **rule.kwargs,
        severity=rule.severity.value,
        description=rule.description,
        meta={"rule": index},
    )


def _is_row_level(rule: Rule) -> bool:
    return issubclass(getattr(gxe, rule.expectation), _ROW_LEVEL)


def _check_chunkable(suite: Suite, rules: list[Rule]) -> None:
    for rule in rules:
        if rule.expectation in _UNIQUE:
            columns = rule.kwargs.get("column_list") or [rule.kwargs["column"]]
            if tuple(columns) != suite.key:
                raise ValueError(f"{suite.name}: uniqueness of {columns} is not the chunk key")
        elif not _is_row_level(rule) and rule.expectation not in {
            *_AGGREGATES,
            "ExpectTableRowCountToBeBetween",
        }:
            raise ValueError(f"{suite.name}: {rule.expectation} cannot be evaluated in chunks")


def _batch_definition(context: AbstractDataContext, table: str) -> BatchDefinition:
    source = context.data_sources.get(DATASOURCE)
    try:
        asset = source.get_asset(table)
    except LookupError:
        asset = source.add_dataframe_asset(table)
        return asset.add_batch_definition_whole_dataframe("chunk")
    return asset.get_batch_definition("chunk")


def _chunks(con: duckdb.DuckDBPyConnection, suite: Suite, buckets: int) -> Iterator[pd.DataFrame]:
    key = ", ".join(suite.key)
    for bucket in range(buckets):
        where = f"where hash({key}) % {buckets} = {bucket}" if buckets > 1 else ""
        yield con.execute(f"select * from ({suite.sql}) as suite_rows {where}").df()


def _percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _merge(parts: list[ExpectationValidationResult]) -> ExpectationValidationResult:
    """One row-level result from the chunks' results: counts add up, examples concatenate."""
    if len(parts) == 1:
        return parts[0]
    raised = [p for p in parts if (p.exception_info or {}).get("raised_exception")]
    if raised:
        return raised[0]
    element, missing, unexpected = (
        sum(p.result.get(name) or 0 for p in parts)
        for name in ("element_count", "missing_count", "unexpected_count")
    )
    examples = [value for p in parts for value in p.result.get("partial_unexpected_list", [])]
    counts: dict[str, list] = {}
    for value in examples[:20]:
        counts.setdefault(repr(value), [value, 0])[1] += 1
    result = {
        "element_count": element,
        "missing_count": missing,
        "missing_percent": _percent(missing, element),
        "unexpected_count": unexpected,
        "unexpected_percent": _percent(unexpected, element - missing),
        "unexpected_percent_total": _percent(unexpected, element),
        "unexpected_percent_nonmissing": _percent(unexpected, element - missing),
        "partial_unexpected_list": examples[:20],
        "partial_unexpected_counts": [
            {"value": value, "count": count}
            for value, count in sorted(counts.values(), key=lambda pair: -pair[1])
        ],
    }
    return ExpectationValidationResult(
        success=all(p.success for p in parts),
        expectation_config=parts[0].expectation_config,
        result=result,
        exception_info=parts[0].exception_info,
    )


def _table_level(
    batch_definition: BatchDefinition,
    rule: Rule,
    index: int,
    rows: int,
    extremes: dict[tuple[str, str], list[Any]],
) -> ExpectationValidationResult:
    """A table-level rule, on a frame standing in for the table: ``rows`` empty rows for the
    row count, or each chunk's max (min) of the column for its max (min)."""
    if rule.expectation in _AGGREGATES:
        values = extremes[(rule.kwargs["column"], _AGGREGATES[rule.expectation])]
        if not values:  # an empty table has no newest value: the row count rule speaks
            return ExpectationValidationResult(
                success=True,
                expectation_config=expectation(rule, index).configuration,
                result={"observed_value": None, "details": "no rows to measure"},
            )
        frame = pd.DataFrame({rule.kwargs["column"]: pd.Series(values)})
    else:
        frame = pd.DataFrame(index=pd.RangeIndex(rows))
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    return batch.validate(expectation(rule, index), result_format="BASIC")


def _text(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_text(v) for v in value) + ")"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items())
    if isinstance(value, np.datetime64):
        return str(pd.Timestamp(value))
    return str(value)


def _outcome(rule: Rule, result: ExpectationValidationResult) -> RuleOutcome:
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return RuleOutcome(rule, False, f"error: {info.get('exception_message')}")
    details = result.result or {}
    if "unexpected_count" in details:
        observed = f"{details['unexpected_count']:,} of {details['element_count']:,} rows"
        examples = dict.fromkeys(_text(v) for v in details.get("partial_unexpected_list", []))
        return RuleOutcome(rule, bool(result.success), observed, tuple(examples)[:EXAMPLES])
    observed = details.get("details") or _text(details.get("observed_value"))
    return RuleOutcome(rule, bool(result.success), observed)


def validate_suite(
    con: duckdb.DuckDBPyConnection,
    context: AbstractDataContext,
    suite: Suite,
    params: RunParameters,
    previous_rows: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> SuiteOutcome:
    """Validate ``suite`` on its table, read in chunks of about ``chunk_rows`` rows."""
    started = time.monotonic()
    rules = suite.all_rules(params, previous_rows)
    _check_chunkable(suite, rules)
    context.suites.add_or_update(
        gx.ExpectationSuite(
            name=suite.name, expectations=[expectation(r, i) for i, r in enumerate(rules)]
        )
    )
    row_level = {i: rule for i, rule in enumerate(rules) if _is_row_level(rule)}
    aggregated = {
        (rule.kwargs["column"], _AGGREGATES[rule.expectation])
        for rule in rules
        if rule.expectation in _AGGREGATES
    }
    chunk_suite = gx.ExpectationSuite(
        name=suite.name, expectations=[expectation(r, i) for i, r in row_level.items()]
    )
    batch_definition = _batch_definition(context, suite.table)
    rows = con.execute(f"select count(*) from ({suite.sql}) as suite_rows").fetchone()[0]
    buckets = max(1, math.ceil(rows / chunk_rows))
    parts: dict[int, list[ExpectationValidationResult]] = {i: [] for i in row_level}
    extremes: dict[tuple[str, str], list[Any]] = {pair: [] for pair in aggregated}
    meta: dict[str, Any] = {}
    for frame in _chunks(con, suite, buckets):
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        validation = batch.validate(chunk_suite, result_format="BASIC")
        meta = meta or dict(validation.meta)
        for result in validation.results:
            parts[result.expectation_config.meta["rule"]].append(result)
        for column, reduce in aggregated:
            value = getattr(frame[column], reduce)()
            if not pd.isna(value):
                extremes[(column, reduce)].append(value)
    results = [
        _merge(parts[i])
        if i in row_level
        else _table_level(batch_definition, rule, i, rows, extremes)
        for i, rule in enumerate(rules)
    ]
    successes = sum(bool(r.success) for r in results)
    validation = ExpectationSuiteValidationResult(
        success=successes == len(results),
        results=results,
        suite_name=suite.name,
        statistics={
            "evaluated_expectations": len(results),
            "successful_expectations": successes,
            "unsuccessful_expectations": len(results) - successes,
            "success_percent": _percent(successes, len(results)),
        },
        meta={
            **meta,
            "batch_spec": {
                "data_asset_name": suite.table,
                "batch_data": "PandasDataFrame",
                "rows": rows,
                "chunks": buckets,
                "chunked_by": f"hash({', '.join(suite.key)})",
            },
        },
    )
    return SuiteOutcome(
        suite,
        rows,
        buckets,
        time.monotonic() - started,
        [_outcome(rule, result) for rule, result in zip(rules, results, strict=True)],
        validation,
    )
