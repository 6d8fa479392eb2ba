"""Shared fixtures: one small simulated world run end to end through the main job.

The session's run is the expensive part (generation, raw load, dbt build with every test
and check); most tests read its warehouse and compare it with the world's ground truth.
It and two more worlds (BACKGROUND_RUNS) run in processes of their own from the moment
collection ends, while the tests that need none of them run first.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pytest
from background_runs import (
    FOLLOW_UPS,
    BackgroundRun,
    start_follow_ups,
    start_follow_ups_when_done,
    stop_follow_ups,
)
from shared_datasets import DATASETS, lay_out_csv_examples

from ingestion.demo import resolve_as_of
from ingestion.settings import Settings, load_settings
from ingestion.simulator import WorldConfig, generate_world, read_table
from orchestration.cli import main
from orchestration.dbt_manifest import parse_project
from orchestration.serving import open_serving, read_publication

# The connector tests' world, served through the simulated APIs: it has a malformed deal
# and deleted deals. Nothing writes to it, so one copy serves every source's tests.
CONNECTOR_WORLD = WorldConfig(seed=8, n_deals=300)
SMALL_WORLD_DEALS = 2000
SMALL_WORLD_SEED = 7
OLIST = DATASETS / "olist_marketing_funnel"


@dataclass
class PipelineRun:
    settings: Settings
    world_dir: Path
    as_of: date
    cli_args: list[str]
    summary: str

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.settings.warehouse_path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def arrow(self, sql: str) -> pa.Table:
        with duckdb.connect(str(self.settings.warehouse_path), read_only=True) as con:
            return con.sql(sql).to_arrow_table()

    def truth(self, name: str) -> pa.Table:
        return read_table(self.world_dir, name)

    def copy(self, name: str, leave_out: tuple[str, ...] = ()) -> PipelineRun:
        """This run's home copied beside it as ``name`` (without the folders named in
        ``leave_out``): a run of its own to change, with the arguments that run it there."""
        home = self.settings.home.parent / name
        ignore = shutil.ignore_patterns(*leave_out)
        shutil.copytree(self.settings.home, home, symlinks=True, ignore=ignore)
        settings = load_settings(
            home=home, demo_deals=self.settings.demo_deals, demo_seed=self.settings.demo_seed
        )
        args = self.cli_args.copy()
        args[args.index("--home") + 1] = str(home)
        return PipelineRun(settings, settings.demo_world_dir(), self.as_of, args, self.summary)


class FakeClock:
    """Time that moves only when someone sleeps; records every wait."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> Path:
    """CONNECTOR_WORLD, generated once (the simulator's tests have a world of their own)."""
    out = tmp_path_factory.mktemp("connectors") / "world"
    generate_world(CONNECTOR_WORLD, out)
    return out


def published_version(settings: Settings) -> str:
    """The version of the marts the serving copy holds now."""
    with open_serving(settings) as con:
        return read_publication(con).version


def run_cli(args: list[str]) -> tuple[int, str]:
    """`funnelhouse <args>` in-process; returns the exit code and what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(args)
    return code, out.getvalue()


@pytest.fixture(scope="session")
def defs() -> dg.Definitions:
    """The project's Dagster definitions, loadable, on a manifest parsed for them (one
    parse for every test reading them: each costs ~14 CPU s)."""
    parse_project()
    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    return defs


@pytest.fixture(scope="session")
def cli():
    return run_cli


@pytest.fixture(scope="session")
def pipeline_run() -> PipelineRun:
    """`funnelhouse run` on a small world in a temporary home, exactly as a user runs it."""
    run = _finished("pipeline_run")
    start_follow_ups(run, SELECTED_FIXTURES)
    return run


# Worlds run in processes of their own (background_runs.py), by the fixture that needs them.
BACKGROUND_RUNS = {
    "pipeline_run": BackgroundRun("session", deals=SMALL_WORLD_DEALS, seed=SMALL_WORLD_SEED),
    # The forecasts' statistical tests need at least 200 resolved deals per pipeline and
    # stage, which the session's 2,000-deal world does not have. They read the forecasts
    # alone, so the world is landed from its files and dbt builds only what the forecasts
    # are built from and read by (the session's run covers the main job, its tests and
    # checks).
    "forecast_run": BackgroundRun(
        "forecast", deals=12_000, seed=7, select="@int_forecast_open_deals"
    ),
    # Every source at once: a small world synced from all three simulated CRMs (HubSpot,
    # Salesforce, Pipedrive) plus Olist's real CSV exports. One run serves the tests of
    # every source beside HubSpot; the sources never share keys, so their tests filter.
    "multi_source_run": BackgroundRun(
        "multi-source",
        deals=300,
        seed=5,
        env={
            "FUNNELHOUSE_SALESFORCE_INSTANCE_URL": "demo",
            "FUNNELHOUSE_PIPEDRIVE_BASE_URL": "demo",
        },
        prepare=lambda home: [
            "--csv-mappings",
            str(lay_out_csv_examples(home / "csv", "olist_*.yml")),
        ],
    ),
}


# The fixtures the selected tests use: the session's run starts their follow-ups.
SELECTED_FIXTURES: set[str] = set()


@pytest.hookimpl(trylast=True)  # after -k / -m deselection
def pytest_collection_modifyitems(session, config, items) -> None:
    """Start the background worlds the selected tests need, before any test runs, and
    order the tests so that waiting for them comes as late as it can (see _waits_for)."""
    needed = {name for item in items for name in getattr(item, "fixturenames", ())}
    SELECTED_FIXTURES.update(needed)
    for name in sorted(BACKGROUND_RUNS.keys() & needed):
        if name == "multi_source_run" and not OLIST.is_dir():
            continue  # its fixture fails, naming what is missing
        BACKGROUND_RUNS[name].start()
    if "pipeline_run" in needed and needed & FOLLOW_UPS.keys():
        start_follow_ups_when_done(lambda: _finished("pipeline_run"), needed)
    items.sort(key=_waits_for)


def _waits_for(item: pytest.Item) -> tuple[bool, bool]:
    """Sort key: tests needing no world first, then those reading a world, and last those
    needing a follow-up of the session's run (which only starts once that run ends)."""
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(BACKGROUND_RUNS.keys() & fixtures), bool(FOLLOW_UPS.keys() & fixtures)


def pytest_sessionfinish(session, exitstatus) -> None:
    stop_follow_ups()
    for run in BACKGROUND_RUNS.values():
        run.stop()


def _finished(name: str) -> PipelineRun:
    run = BACKGROUND_RUNS[name]
    summary = run.wait()
    settings = load_settings(home=run.home, demo_deals=run.deals, demo_seed=run.seed)
    as_of = resolve_as_of(settings)
    return PipelineRun(settings, settings.demo_world_dir(), as_of, run.cli_args, summary)


@pytest.fixture(scope="session")
def forecast_run() -> PipelineRun:
    """The forecasts built on a 12,000-deal world, for their statistics."""
    return _finished("forecast_run")


@pytest.fixture(scope="session")
def multi_source_run() -> PipelineRun:
    """`funnelhouse run` with every source at once (see BACKGROUND_RUNS)."""
    if not OLIST.is_dir():
        pytest.fail(f"the Olist export is expected at {OLIST} (../shared/datasets)")
    return _finished("multi_source_run")
