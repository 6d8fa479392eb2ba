"""The sales plan of a world: monthly bookings and pipeline-creation targets, as a CSV export.

A sales leader sets each rep's monthly quota from what reps like them achieve: here, the
rep's bookings per month of the world (won deals credited to the owner at close) and
pipeline created per month (deals of their current owner), each times a stretch of
90-130%, rounded to a thousand dollars; reps who never won in a pipeline get no target
in it. A team's target is its reps' quotas summed, less the usual 10%
over-assignment. Targets cover every month of the world a rep was on the team, and the
quarter after it (the plan ahead, which the forecasts reach). Amounts are in USD at
plan rates, the portal's long-run rates.

The export is written beside the world with its CSV-export mapping (``kind: targets``),
once, from the world's own tables, so the demo lands it like any user's targets file.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.simulator.config import stream
from ingestion.simulator.io import load_manifest, read_table
from ingestion.simulator.portal import CURRENCIES, USD_PER_UNIT

EXPORT_FOLDER = "exports/targets"
MAPPING_FILE = "targets.yml"
TARGETS_FILE = "targets.csv"
PLAN_MONTHS_AHEAD = 3
TEAM_OVER_ASSIGNMENT = 0.9
MAPPING = """\
kind: targets
instance: sales_plan
files: targets.csv
columns:
  period: period
  pipeline: pipeline
  team: team
  owner: owner
  currency: currency
  bookings_target: bookings_target
  pipeline_target: pipeline_target
"""


def targets_export_dir(world_dir: Path) -> Path:
    return Path(world_dir) / EXPORT_FOLDER


def write_targets_export(world_dir: Path) -> Path:
    """The export's mapping file, writing the export first if the world has none yet."""
    out = targets_export_dir(world_dir)
    if not out.exists():
        tmp = out.with_name(f".{out.name}.partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        world_targets(world_dir).to_csv(tmp / TARGETS_FILE, index=False)
        (tmp / MAPPING_FILE).write_text(MAPPING)
        tmp.rename(out)
    return out / MAPPING_FILE


def _month(timestamps: pd.Series) -> pd.Series:
    return timestamps.dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("M")


def _monthly_averages(world_dir: Path, months: pd.PeriodIndex) -> pd.DataFrame:
    """Per owner id and pipeline: average won and created USD per month of the world."""
    deals = read_table(world_dir, "truth_deals").to_pandas()
    deals = deals[~deals.is_deleted & deals.merged_into_deal_id.isna()]
    usd = deals.currency.map(dict(zip(CURRENCIES, USD_PER_UNIT, strict=True)))
    won = deals[deals.outcome == "won"].assign(usd=deals.amount * usd)
    created = deals.assign(usd=deals.amount_at_creation * usd)
    won_usd = won.groupby(["owner_at_close_id", "pipeline_id"]).usd.sum()
    created_usd = created.groupby(["owner_id", "pipeline_id"]).usd.sum()
    won_usd.index.names = created_usd.index.names = ["owner_id", "pipeline_id"]
    totals = pd.concat({"won": won_usd, "created": created_usd}, axis=1).fillna(0.0)
    return totals[totals.won > 0] / len(months)


def world_targets(world_dir: Path) -> pd.DataFrame:
    """Owner and team targets per month and pipeline, as the export's rows."""
    manifest = load_manifest(world_dir)
    start = date.fromisoformat(manifest["start_date"])
    months = pd.period_range(start, date.fromisoformat(manifest["end_date"]), freq="M")
    plan = pd.period_range(start, months[-1] + PLAN_MONTHS_AHEAD, freq="M")
    owners = read_table(world_dir, "owners").to_pandas()
    hired = _month(pd.to_datetime(owners.created_at, utc=True))
    left = _month(pd.to_datetime(owners.updated_at, utc=True)).where(owners.archived)
    averages = _monthly_averages(world_dir, months).reset_index()
    rng = stream(manifest["seed"], "targets")
    stretch = rng.uniform(0.9, 1.3, size=(len(averages), 2))
    reps = averages.merge(
        owners.assign(hired=hired, left=left)[["id", "email", "team_name", "hired", "left"]],
        left_on="owner_id",
        right_on="id",
    )
    rows = []
    for month in plan:
        # On the team for the whole month: hired before it, and not gone before its end.
        on_team = (reps.hired < month) & ~(reps.left <= month)
        for at, rep in reps[on_team].iterrows():
            rows.append(
                {
                    "period": str(month),
                    "pipeline": rep.pipeline_id,
                    "team": rep.team_name,
                    "owner": rep.email,
                    "bookings_target": round(rep.won * stretch[at, 0], -3),
                    "pipeline_target": round(rep.created * stretch[at, 1], -3),
                }
            )
    owner_rows = pd.DataFrame(rows)
    team_rows = owner_rows.groupby(["period", "pipeline", "team"], as_index=False)[
        ["bookings_target", "pipeline_target"]
    ].sum()
    team_rows[["bookings_target", "pipeline_target"]] = (
        team_rows[["bookings_target", "pipeline_target"]] * TEAM_OVER_ASSIGNMENT
    ).round(-3)
    targets = pd.concat(
        [owner_rows.assign(team=None), team_rows.assign(owner=None)], ignore_index=True
    )
    targets["currency"] = "USD"
    columns = ["period", "pipeline", "team", "owner", "currency"]
    return targets[[*columns, "bookings_target", "pipeline_target"]].astype(
        {"bookings_target": np.int64, "pipeline_target": np.int64}
    )
