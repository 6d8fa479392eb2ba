"""dbt Python models imported as plain modules, so tests can call their numeric functions."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from ingestion.settings import DBT_PROJECT_DIR


def load_python_model(area: str, name: str) -> ModuleType:
    """models/intermediate/<area>/<name>.py as a module."""
    path = DBT_PROJECT_DIR / "models" / "intermediate" / area / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
