"""Preparing the dbt manifest that the asset graph is built from, and reading the project's
own settings."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ingestion.settings import DBT_PROJECT_DIR


def _dbt_target_dir() -> Path:
    """dbt's target folder: DBT_TARGET_PATH when set (dbt's own variable, relative to the
    project unless absolute), else target/. Read once, as dbt does: a process that sets it
    (say, one of several runs side by side) parses and reads its own manifest."""
    return DBT_PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", "target")


DBT_TARGET_DIR = _dbt_target_dir()
MANIFEST_PATH = DBT_TARGET_DIR / "manifest.json"
# Dagster gives each dbt invocation a target folder of its own inside dbt's, named
# `<step>-<run id's first 7>-<7 random hex>` (the random part alone outside a run), and
# never removes one: tens of MB a run, so only the newest few are kept.
INVOCATION_FOLDER = re.compile(r"(.+-[0-9a-f]{7}-)?[0-9a-f]{7}")
KEPT_INVOCATION_FOLDERS = 6


def environment_dbt() -> Path | None:
    """The dbt of this Python environment, if it has one (Dagster's code servers may run
    with a resolved interpreter path, so look in the environment's prefix too)."""
    for folder in (Path(sys.executable).parent, Path(sys.prefix) / "bin"):
        if (folder / "dbt").exists():
            return folder / "dbt"
    return None


def dbt_executable() -> str:
    """This environment's dbt, so the project's venv is used without activation, else
    whatever `dbt` is on PATH."""
    found = environment_dbt()
    return str(found) if found else shutil.which("dbt") or "dbt"


def parse_project(*, warn_error: bool = False, dbt_vars: Mapping[str, Any] | None = None) -> Path:
    """Run `dbt parse`; raise with dbt's own output when the project does not parse.

    ``dbt_vars``: the vars the run's dbt invocations will pass. dbt re-parses the whole
    project when the vars differ from those of the last parse; Dagster hands each
    invocation this parse's state, so parsing with the run's vars makes theirs partial."""
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
    if dbt_vars is not None:
        command += ["--vars", json.dumps(dbt_vars)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(
            f"`dbt parse` failed in {DBT_PROJECT_DIR}:\n{completed.stdout}{completed.stderr}"
        )
    return MANIFEST_PATH


def prune_invocation_folders(
    target_dir: Path = DBT_TARGET_DIR, keep: int = KEPT_INVOCATION_FOLDERS
) -> list[Path]:
    """Remove all but the ``keep`` newest invocation folders in dbt's target folder (dbt's
    own files and folders stay); returns the removed ones. The newest include any run
    going on beside this one."""
    if not target_dir.is_dir():
        return []
    folders = [
        path
        for path in target_dir.iterdir()
        if path.is_dir() and INVOCATION_FOLDER.fullmatch(path.name)
    ]
    folders.sort(key=lambda path: path.stat().st_mtime, reverse=True)
    for folder in folders[keep:]:
        shutil.rmtree(folder, ignore_errors=True)
    return folders[keep:]


def dbt_project_var(name: str) -> Any:
    """A var's default in dbt_project.yml, its one home (calendar bounds, windows)."""
    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"][name]


def models_watermarked_on_raw_loads(manifest: Path = MANIFEST_PATH) -> list[tuple[str, str]]:
    """(schema, table) of every incremental model that takes the raw versions loaded since
    its last build (`meta: {watermark: raw_load_sequence}`). Editing raw rows in place
    (forgetting a person) adds no version, so these must be dropped to be rebuilt whole."""
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return [
        (node["schema"], node["alias"])
        for node in nodes
        if node["resource_type"] == "model"
        and node["config"].get("meta", {}).get("watermark") == "raw_load_sequence"
    ]
