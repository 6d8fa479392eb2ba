"""Great Expectations suites as Dagster asset checks: one check per suite, on its table.

Every check is blocking, and a failure takes the worst severity among the rules that
failed: an ERROR rule stops what is downstream (the dbt build after raw deals, the publish
step after the marts), a WARN rule only warns. Each rule's result is in the check's
metadata, and the Data Docs show the validation in full.

The checks read the warehouse read-only inside its single-writer pool, and each compares
its row count with the one the previous run's evaluation recorded in the Dagster instance.
"""

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from ingestion.demo import resolve_as_of
from ingestion.sources import ensure_every_raw_table
from ingestion.warehouse import connect
from orchestration.assets.hubspot import WAREHOUSE_POOL
from orchestration.progress import reporter
from orchestration.quality.suites import (
    MART_SUITES,
    RAW_DEAL_SUITES,
    Severity,
    Suite,
    run_parameters,
)
from orchestration.resources import SettingsResource

if TYPE_CHECKING:
    from orchestration.quality.runner import RuleOutcome, SuiteOutcome

CHECK_NAME = "expectations_met"
ROWS = "rows"
# A check's executions that reached a result (runs blocked upstream leave only a plan).
EVALUATED = {AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED}
SEVERITIES = {
    Severity.ERROR: dg.AssetCheckSeverity.ERROR,
    Severity.WARN: dg.AssetCheckSeverity.WARN,
}


def check_key(suite: Suite) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(list(suite.asset_key)), CHECK_NAME)


def previous_rows(instance: dg.DagsterInstance, key: dg.AssetCheckKey, run_id: str) -> int | None:
    """The row count recorded by the latest evaluation of ``key`` in another run."""
    history = instance.event_log_storage.get_asset_check_execution_history(
        key, limit=2, status=EVALUATED
    )
    for record in history:
        evaluation = record.evaluation
        if (
            record.run_id != run_id
            and isinstance(evaluation, dg.AssetCheckEvaluation)
            and ROWS in evaluation.metadata
        ):
            return int(evaluation.metadata[ROWS].value)
    return None


def _describe(outcome: "RuleOutcome") -> str:
    if outcome.success:
        return f"passed ({outcome.observed})"
    examples = f", e.g. {', '.join(outcome.examples)}" if outcome.examples else ""
    return f"FAILED: {outcome.observed}{examples}"


def check_result(outcome: "SuiteOutcome", data_docs: Path | None) -> dg.AssetCheckResult:
    """The suite's outcome as one check result, as severe as its worst failed rule."""
    only_warnings = outcome.failed() and not outcome.failed(Severity.ERROR)
    metadata: dict[str, dg.RawMetadataValue] = {
        ROWS: outcome.rows,
        # What failed and on which rows: the run summary shows only this line.
        "failed": "; ".join(f"{o.rule.description}: {_describe(o)}" for o in outcome.failed())
        or "none",
        **{f"{o.rule.severity.name} {o.rule.description}": _describe(o) for o in outcome.rules},
        "seconds": round(outcome.seconds, 2),
    }
    if data_docs:
        metadata["data_docs"] = dg.MetadataValue.path(str(data_docs))
    return dg.AssetCheckResult(
        check_name=CHECK_NAME,
        asset_key=dg.AssetKey(list(outcome.suite.asset_key)),
        passed=not outcome.failed(),
        severity=SEVERITIES[Severity.WARN if only_warnings else Severity.ERROR],
        metadata=metadata,
    )


def build_quality_checks(
    name: str, suites: Sequence[Suite], blocks: str, *, on_raw_tables: bool = False
) -> dg.AssetChecksDefinition:
    """One blocking check per suite, run together in one step of the warehouse's pool.
    ``on_raw_tables``: the suites read raw tables, which a source may never have landed."""

    @dg.multi_asset_check(
        name=name,
        specs=[
            dg.AssetCheckSpec(
                CHECK_NAME,
                asset=dg.AssetKey(list(suite.asset_key)),
                blocking=True,
                description=f"Great Expectations suite {suite.name}: an ERROR rule failing "
                f"stops {blocks}; a WARN rule only warns.",
            )
            for suite in suites
        ],
        can_subset=True,
        pool=WAREHOUSE_POOL,
    )
    def quality_checks(
        context: dg.AssetCheckExecutionContext, settings: SettingsResource
    ) -> Iterator[dg.AssetCheckResult]:
        # GX takes seconds to import: only steps that validate pay for it.
        from orchestration.quality.data_docs import open_context, publish
        from orchestration.quality.runner import validate_suite

        config = settings.load()
        progress = reporter(context, "check")
        params = run_parameters(resolve_as_of(config), config.reporting_timezone)
        chosen = [s for s in suites if check_key(s) in context.selected_asset_check_keys]
        gx_context = open_context(config.data_docs_dir)
        if on_raw_tables:
            # The transform job checks the raw tables before its dbt step, which makes any
            # a source never landed: made here, empty, they have nothing wrong to find.
            with connect(config) as con:
                ensure_every_raw_table(con)
        outcomes = []
        with connect(config, read_only=True) as con:
            for suite in chosen:
                rows = previous_rows(context.instance, check_key(suite), context.run.run_id)
                outcome = validate_suite(con, gx_context, suite, params, rows)
                failed = ", ".join(
                    f"{o.rule.severity.name} {o.rule.description}" for o in outcome.failed()
                )
                progress(
                    f"{suite.table}: {outcome.rows:,} rows, {len(outcome.rules)} expectations, "
                    f"{failed or 'all met'} ({outcome.seconds:.1f} s)"
                )
                outcomes.append(outcome)
        data_docs = publish(gx_context, config.data_docs_dir, outcomes, context.run.run_id)
        for outcome in outcomes:
            yield check_result(outcome, data_docs)

    return quality_checks


raw_deal_checks = build_quality_checks(
    "raw_deal_expectations", RAW_DEAL_SUITES, "the marts from being rebuilt", on_raw_tables=True
)
mart_checks = build_quality_checks(
    "mart_expectations", MART_SUITES, "the publish step (BI tools keep the last good copy)"
)
QUALITY_CHECKS = [raw_deal_checks, mart_checks]
