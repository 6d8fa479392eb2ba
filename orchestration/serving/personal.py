"""Which mart columns hold raw personal data: one home, the marts' YAML.

A column tagged ``config: {meta: {personal: true}}`` (contact names, emails, phone
numbers, free text that carries them) stays out of the serving copy unless
FUNNELHOUSE_SERVING_INCLUDE_PERSONAL_DATA allows it. The rule is read from dbt's
manifest, so a new mart declares its personal columns beside its description.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MARTS_SCHEMA = "marts"


def _is_personal(column: Mapping[str, Any]) -> bool:
    meta = {**column.get("meta", {}), **column.get("config", {}).get("meta", {})}
    return bool(meta.get("personal"))


def personal_columns(manifest: Mapping[str, Any] | Path) -> dict[str, frozenset[str]]:
    """Mart name -> its columns tagged personal, from a dbt manifest (or its path)."""
    if isinstance(manifest, Path):
        manifest = json.loads(manifest.read_text())
    tagged: dict[str, frozenset[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] != MARTS_SCHEMA:
            continue
        columns = frozenset(
            name for name, column in node.get("columns", {}).items() if _is_personal(column)
        )
        if columns:
            tagged[node["name"]] = columns
    return tagged
