"""The forecasting tests' Python models; their 12,000-deal world is `forecast_run`, which
the root conftest runs in a process of its own (the session's 2,000-deal world resolves too
few deals per pipeline and stage for the comparison with the simulator's true win
probabilities, at least 200 each)."""

from __future__ import annotations

from types import ModuleType

import pytest
from python_models import load_python_model


@pytest.fixture(scope="session")
def simulations_model() -> ModuleType:
    return load_python_model("forecasting", "int_forecast_simulations")


@pytest.fixture(scope="session")
def curves_model() -> ModuleType:
    return load_python_model("forecasting", "int_forecast_close_curves")
