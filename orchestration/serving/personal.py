"""Which mart columns hold raw personal data: one home, the marts' YAML.

A column tagged ``config: {meta: {personal: true}}`` (contact names, emails, phone
numbers, free text that carries them) stays out of the serving copy unless
FUNNELHOUSE_SERVING_INCLUDE_PERSONAL_DATA allows it. A column tagged
``config: {meta: {employee: true}}`` names an employee (an owner's name): it is published,
because per-rep reports are what the marts are for, but never shown in the Dagster UI's
previews, which stay in Dagster's event log where `forget` cannot rewrite them. The rules
are read from dbt's manifest, so a new mart declares such columns beside its description.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MARTS_SCHEMA = "marts"


def _is_tagged(column: Mapping[str, Any], tag: str) -> bool:
    meta = {**column.get("meta", {}), **column.get("config", {}).get("meta", {})}
    return bool(meta.get(tag))


def columns_tagged(manifest: Mapping[str, Any] | Path, tag: str) -> dict[str, frozenset[str]]:
    """Mart name -> its columns whose meta sets ``tag``, from a dbt manifest (or its path)."""
    if isinstance(manifest, Path):
        manifest = json.loads(manifest.read_text())
    tagged: dict[str, frozenset[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] != MARTS_SCHEMA:
            continue
        columns = frozenset(
            name for name, column in node.get("columns", {}).items() if _is_tagged(column, tag)
        )
        if columns:
            tagged[node["name"]] = columns
    return tagged


def personal_columns(manifest: Mapping[str, Any] | Path) -> dict[str, frozenset[str]]:
    """Mart name -> its columns tagged personal."""
    return columns_tagged(manifest, "personal")


def employee_columns(manifest: Mapping[str, Any] | Path) -> dict[str, frozenset[str]]:
    """Mart name -> its columns naming an employee."""
    return columns_tagged(manifest, "employee")
