"""Dagster's per-invocation dbt target folders are pruned to the newest few, so a daily
schedule does not fill the disk; dbt's own files and folders are never touched."""

from __future__ import annotations

import os

from orchestration.dbt_manifest import prune_invocation_folders


def test_only_the_newest_invocation_folders_are_kept(tmp_path):
    names = [
        "funnelhouse_dbt-c3f7b69-1ca321b",
        "pipeline_daily_snapshots_dbt-c3f7b69-371705c",
        "funnelhouse_dbt-0a1b2c3-4d5e6f7",
        "d599404",  # an invocation outside a run
        "funnelhouse_dbt-9f8e7d6-5c4b3a2",
    ]
    for age, name in enumerate(names):  # the first is the newest
        folder = tmp_path / name
        (folder / "run").mkdir(parents=True)
        (folder / "manifest.json").write_text("{}")
        os.utime(folder, (1_000_000 - age, 1_000_000 - age))
    for own in ("compiled", "run", "logs-2026"):
        (tmp_path / own).mkdir()
    (tmp_path / "manifest.json").write_text("{}")

    removed = prune_invocation_folders(tmp_path, keep=2)

    assert [path.name for path in removed] == names[2:]
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == sorted([*names[:2], "compiled", "run", "logs-2026", "manifest.json"])
    assert prune_invocation_folders(tmp_path, keep=2) == []
    assert prune_invocation_folders(tmp_path / "missing") == []
