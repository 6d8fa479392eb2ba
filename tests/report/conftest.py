"""The report and serving copy of the session's run, and a real headless Chromium."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Browser, sync_playwright

from ingestion.settings import PROJECT_ROOT

# Debian's chromium (`.ci/run` installs it); no test tool downloads a browser of its own.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def browser() -> Browser:
    """A missing browser fails the tests that need it: it never skips them."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium chromium-driver"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def serving(pipeline_run):
    """A query on the serving copy the session's run published (read-only)."""

    def query(sql: str, params: list | None = None) -> list[tuple]:
        path = pipeline_run.settings.serving_path
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    return query


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
