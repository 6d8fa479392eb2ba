"""dbt run by a test on a warehouse of its own: the project with that warehouse's vars,
its artifacts and logs in a folder of the test's, so no two runs share a manifest."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

from ingestion.settings import DBT_PROJECT_DIR, Settings
from orchestration.dbt_manifest import dbt_executable


def run_dbt(
    settings: Settings, as_of: date, target: Path, *args: str, timeout: float = 900
) -> subprocess.CompletedProcess:
    """`dbt <args>` as of ``as_of`` on ``settings``' warehouse, artifacts in ``target``."""
    command = [dbt_executable(), *args, "--vars", json.dumps(settings.dbt_vars(as_of))]
    command += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    command += ["--target-path", str(target), "--log-path", str(target / "logs")]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=timeout)
