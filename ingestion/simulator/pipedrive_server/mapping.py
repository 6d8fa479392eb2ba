"""How the generated (HubSpot-shaped) world becomes a Pipedrive account.

Pipedrive ids are integers, the world's are strings, so the mapping is written down here
once and both the server and the tests use it:

- deals, persons (HubSpot contacts), organizations (companies) and users (owners) keep
  their world id, as an integer (``"12000000284"`` -> ``12000000284``), and so do the
  owners' teams, served as legacy teams (``GET /v1/legacyTeams``) listing their members;
- pipelines are numbered 1, 2, ... in the world's display order (``default`` -> 1,
  ``7654321`` -> 2 in every generated world);
- stages are numbered 1, 2, ... across pipelines, in pipeline then stage display order,
  so a stage id is unique account-wide as at Pipedrive (``(default, prospect)`` -> 1).

Custom field keys are 40-hex hashes at Pipedrive; here they are the SHA-1 of the field
name, so a field keeps its key across server restarts over the same world.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

# The world's deal property -> the Pipedrive deal field its history is logged under.
FLOW_FIELDS = {
    "dealstage": "stage_id",
    "amount": "value",
    "hubspot_owner_id": "user_id",
    "closedate": "expected_close_date",
}
FORECAST_FIELD = "Forecast category"  # hs_forecast_category, served as a custom field
# ...of type enum: deals hold an option's id, dealFields lists each option's label.
FORECAST_OPTIONS = ("PIPELINE", "BEST_CASE", "COMMIT", "CLOSED", "OMIT")


def field_key(name: str) -> str:
    """A custom field's 40-character hash key."""
    return hashlib.sha1(name.encode()).hexdigest()


def v2_time(iso: str | None) -> str | None:
    """A world timestamp (ISO, milliseconds, Z) as v2 writes it: whole seconds, Z.

    Junk that does not parse (a deliberately malformed record) is passed through, so the
    connector's quarantine sees it as a real API's bad data would look.
    """
    parsed = _parse(iso)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else iso


def v1_time(iso: str | None) -> str | None:
    """A world timestamp as v1 writes it: naive UTC, ``2026-07-28 08:05:56``."""
    parsed = _parse(iso)
    return parsed.strftime("%Y-%m-%d %H:%M:%S") if parsed else iso


def _parse(iso: str | None) -> datetime | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def number(amount: str | None) -> int | float | str | None:
    """A decimal string as the JSON number Pipedrive sends (junk passed through)."""
    if amount is None:
        return None
    try:
        value = float(amount)
    except ValueError:
        return amount
    return int(value) if value.is_integer() else value


@dataclass(frozen=True)
class StageIds:
    """The world's (pipeline, stage) string ids <-> Pipedrive integer ids."""

    pipelines: dict[str, int]
    stages: dict[tuple[str, str], int]

    @classmethod
    def from_rows(cls, rows: list[dict]) -> StageIds:
        ordered = sorted(
            rows, key=lambda r: (r["pipeline_display_order"], r["stage_display_order"])
        )
        pipelines: dict[str, int] = {}
        stages: dict[tuple[str, str], int] = {}
        for row in ordered:
            pipelines.setdefault(row["pipeline_id"], len(pipelines) + 1)
            stages[(row["pipeline_id"], row["stage_id"])] = len(stages) + 1
        return cls(pipelines, stages)
