"""The GX context the checks use, and its Data Docs: one local HTML site per home.

The context is ephemeral (its configuration is this code, with no ``gx/`` project folder),
but its suites and validation results are files beside the site, so each check step adds
its own validations to the site. A suite keeps its last ``KEEP_RUNS`` runs. GX's own index
draws its tables with scripts from a CDN, empty offline, so a plain one replaces it.
"""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import great_expectations as gx
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from orchestration.quality.runner import DATASOURCE, SuiteOutcome
from orchestration.quality.suites import Severity

KEEP_RUNS = 10
SITE = "local_site"
STORE = ".store"  # the suites and validation results the pages are rendered from


def _files(root: Path, store: str) -> dict:
    backend = {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(root)}
    return {"class_name": store, "store_backend": backend}


def open_context(docs_dir: Path | None = None) -> AbstractDataContext:
    """A GX context with the warehouse's pandas datasource; with ``docs_dir``, suites,
    results and Data Docs are kept there, else nothing outlives the context."""
    defaults = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    stores = dict(defaults.stores)
    sites = {}
    if docs_dir is not None:
        store = docs_dir / STORE
        stores["expectations_store"] = _files(store / "expectations", "ExpectationsStore")
        stores["validation_results_store"] = _files(store / "validations", "ValidationResultsStore")
        sites[SITE] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=defaults,
        stores=stores,
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    context = gx.get_context(project_config=config, mode="ephemeral")
    context.data_sources.add_pandas(DATASOURCE)
    return context


def _prune(docs_dir: Path, suite: str) -> None:
    """Keep the newest KEEP_RUNS runs of ``suite``: results and their pages."""
    results = docs_dir / STORE / "validations" / suite
    if not results.is_dir():
        return
    runs = sorted(results.iterdir(), key=lambda path: path.stat().st_mtime, reverse=True)
    for run in runs[KEEP_RUNS:]:
        shutil.rmtree(run, ignore_errors=True)
        shutil.rmtree(docs_dir / "validations" / suite / run.name, ignore_errors=True)


def _worst_failure(result: dict) -> str:
    severities = {
        r["expectation_config"].get("severity") for r in result["results"] if not r["success"]
    }
    if not severities:
        return "passed"
    return "ERROR" if Severity.ERROR.value in severities else "WARN"


def _write_index(docs_dir: Path) -> Path:
    """Every kept validation, newest first, with its worst failed severity."""
    rows = []
    for stored in (docs_dir / STORE / "validations").glob("*/*/*/*.json"):
        suite, run_name, run_time = stored.parts[-4:-1]
        page = Path("validations", suite, run_name, run_time, f"{stored.stem}.html")
        status = _worst_failure(json.loads(stored.read_text()))
        rows.append((run_time, suite, stored.stem, run_name, status, page))
    cells = "".join(
        f'<tr class="{status}"><td>{html.escape(run_time)}</td>'
        f'<td><a href="expectations/{html.escape(suite)}.html">{html.escape(suite)}</a></td>'
        f"<td>{html.escape(table)}</td><td>{html.escape(run_name)}</td>"
        f'<td><a href="{html.escape(page.as_posix())}">{status}</a></td></tr>'
        for run_time, suite, table, run_name, status, page in sorted(rows, reverse=True)
    )
    index = docs_dir / "index.html"
    index.write_text(
        "<!doctype html><meta charset=utf-8><title>Funnelhouse data quality</title>"
        "<style>body{font-family:sans-serif}td,th{padding:2px 10px;text-align:left}"
        ".ERROR a{color:#b00}.WARN a{color:#a60}</style>"
        "<h1>Great Expectations validations</h1>"
        "<table><tr><th>validated (UTC)<th>suite<th>table<th>run<th>result</tr>"
        f"{cells}</table>"
    )
    return index


def publish(
    context: AbstractDataContext,
    docs_dir: Path,
    outcomes: Iterable[SuiteOutcome],
    run_name: str,
) -> Path:
    """Store the outcomes' validations under ``run_name`` and render their pages; returns
    the site's index."""
    run_id = RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
    resources: list[ExpectationSuiteIdentifier | ValidationResultIdentifier] = []
    for outcome in outcomes:
        suite = ExpectationSuiteIdentifier(outcome.suite.name)
        key = ValidationResultIdentifier(suite, run_id, batch_identifier=outcome.suite.table)
        outcome.validation.meta["run_id"] = run_id
        outcome.validation.meta["validation_time"] = run_id.run_time
        context.validation_results_store.set(key, outcome.validation)
        _prune(docs_dir, outcome.suite.name)
        resources += [suite, key]
    context.build_data_docs(site_names=[SITE], resource_identifiers=resources)
    return _write_index(docs_dir)
