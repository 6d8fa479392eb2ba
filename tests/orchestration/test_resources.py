"""The dbt CLI resource: this environment's dbt version without asking `dbt --version`."""

from __future__ import annotations

import re
import subprocess

from orchestration.resources import EnvironmentDbtCliResource, dbt_resource


def test_the_environments_dbt_version_is_the_one_dbt_reports():
    resource = dbt_resource()
    reported = subprocess.run(
        [resource.dbt_executable, "--version"], capture_output=True, text=True, check=True
    ).stdout
    installed = re.search(r"installed:\s+(\d+\.\d+\.\d+)", reported).group(1)
    assert str(resource._cli_version) == installed


def test_a_dbt_from_elsewhere_is_asked(tmp_path):
    """Another environment's dbt (here a Fusion-like one) may be any version."""
    fusion = tmp_path / "dbt"
    fusion.write_text("#!/bin/sh\necho 'dbt-fusion 2.0.0-preview.45'\n")
    fusion.chmod(0o755)
    resource = EnvironmentDbtCliResource(
        project_dir=dbt_resource().project_dir, dbt_executable=str(fusion)
    )
    assert str(resource._cli_version) == "2.0.0"
