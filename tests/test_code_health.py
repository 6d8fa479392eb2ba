"""The habits that keep the codebase healthy, run as part of the test command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ingestion.settings import DBT_PROJECT_DIR, PROJECT_ROOT
from orchestration.dbt_manifest import parse_project

BIN = Path(sys.executable).parent


def _run(*command: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    "command",
    [("check", "."), ("format", "--check", ".")],
    ids=["lint", "format"],
)
def test_ruff(command):
    result = _run(str(BIN / "ruff"), *command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sql_style():
    # One process: the suite keeps both cores busy with its background runs, and each
    # extra sqlfluff process loads the dbt project again (lint alone: 74 CPU s in one
    # process, 111 in two).
    result = _run(
        str(BIN / "sqlfluff"), "lint", "models", "tests", "--processes", "1", cwd=DBT_PROJECT_DIR
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dbt_parse_has_no_warnings():
    parse_project(warn_error=True)
