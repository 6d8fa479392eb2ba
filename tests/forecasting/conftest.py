"""A 12,000-deal world run end to end, for the forecasts' statistical tests.

The session's 2,000-deal world resolves too few deals per pipeline and stage for the
comparison with the simulator's true win probabilities (at least 200 each), so the
forecasting tests build their own world the same way `pipeline_run` does: through the CLI
fixture, in a temporary home, exactly as a user runs it.
"""

from __future__ import annotations

from types import ModuleType

import pytest
from conftest import PipelineRun
from python_models import load_python_model

from ingestion.demo import resolve_as_of
from ingestion.settings import load_settings

FORECAST_WORLD_DEALS = 12_000
FORECAST_WORLD_SEED = 7


@pytest.fixture(scope="session")
def forecast_run(tmp_path_factory, cli) -> PipelineRun:
    home = tmp_path_factory.mktemp("forecast_home")
    args = ["run", "--home", str(home), "--deals", str(FORECAST_WORLD_DEALS)]
    args += ["--seed", str(FORECAST_WORLD_SEED)]
    code, summary = cli(args)
    assert code == 0, summary
    settings = load_settings(
        home=home, demo_deals=FORECAST_WORLD_DEALS, demo_seed=FORECAST_WORLD_SEED
    )
    return PipelineRun(settings, settings.demo_world_dir(), resolve_as_of(settings), args, summary)


@pytest.fixture(scope="session")
def simulations_model() -> ModuleType:
    return load_python_model("forecasting", "int_forecast_simulations")


@pytest.fixture(scope="session")
def curves_model() -> ModuleType:
    return load_python_model("forecasting", "int_forecast_close_curves")
