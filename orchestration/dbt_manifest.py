"""Preparing the dbt manifest that the asset graph is built from."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ingestion.settings import DBT_PROJECT_DIR

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"


def dbt_executable() -> str:
    """The dbt installed beside this Python, so the project's venv is used without activation."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def parse_project(*, warn_error: bool = False) -> Path:
    """Run `dbt parse`; raise with dbt's own output when the project does not parse."""
    command = [dbt_executable()]
    if warn_error:
        command.append("--warn-error")
    command += [
        "parse",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(
            f"`dbt parse` failed in {DBT_PROJECT_DIR}:\n{completed.stdout}{completed.stderr}"
        )
    return MANIFEST_PATH
