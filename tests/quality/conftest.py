"""The crafted warehouse every quality test spoils with a bad row of its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from quality.crafted import build


@pytest.fixture
def crafted_warehouse(tmp_path) -> Path:
    return build(tmp_path / "warehouse.duckdb")
