"""Benchmark the Monte Carlo revenue forecast: 10,000 simulations over 100,000 open deals.

The model's own function (int_forecast_simulations.py, imported by path) runs in a child
process on synthetic open deals shaped like the demo's: two pipelines, 8 teams of 50
owners, log-normal amounts, and time-aware chances of winning in each of three months.
Wall time and peak memory (max RSS of that process, from wait4, as bench/run.py measures
phases) go to bench/forecasts.json, beside the wall and CPU time of the simulation alone
(the machine is shared, so CPU time is the steadier figure):

    .venv/bin/python bench/forecasts.py --deals 100000 --simulations 10000
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
from run import measure, write_figures

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "dbt_project/models/intermediate/forecasting/int_forecast_simulations.py"
TEAMS, OWNERS_PER_TEAM, PERIODS = 8, 50, 3


def load_model() -> ModuleType:
    spec = importlib.util.spec_from_file_location(MODEL.stem, MODEL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synthetic_deal_periods(deals: int, rng: np.random.Generator) -> pd.DataFrame:
    """One row per open deal and month, as int_deal_period_win_probabilities has them."""
    team = rng.integers(0, TEAMS, deals)
    owner = team * OWNERS_PER_TEAM + rng.integers(0, OWNERS_PER_TEAM, deals)
    expansion = rng.random(deals) < 0.25
    amount = np.where(expansion, 9_000.0, 24_000.0) * np.exp(0.85 * rng.standard_normal(deals))
    within_horizon = rng.beta(1.2, 4.0, deals)
    shares = rng.dirichlet([2.0, 1.5, 1.0], deals)
    return pd.DataFrame(
        {
            "as_of_date": pd.Timestamp("2025-12-31"),
            "deal_key": np.repeat([f"bench:{i}" for i in range(deals)], PERIODS),
            "pipeline_id": np.repeat(np.where(expansion, "expansion", "default"), PERIODS),
            "team_name": np.repeat([f"team {t}" for t in team], PERIODS),
            "owner_key": np.repeat([f"owner {o}" for o in owner], PERIODS),
            "amount_reporting": np.repeat(amount, PERIODS),
            "period_number": np.tile(np.arange(1, PERIODS + 1), deals),
            "win_probability": (within_horizon[:, None] * shares).ravel(),
        }
    )


def simulate_once(deals: int, simulations: int, out: Path) -> None:
    """The measured child: build the input, then time the simulation alone."""
    model = load_model()
    deal_periods = synthetic_deal_periods(deals, np.random.default_rng(1))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu_started = time.monotonic(), time.process_time()
    summary = model.simulate_forecasts(deal_periods, simulations, seed=42)
    figures = {
        "simulate_seconds": round(time.monotonic() - started, 2),
        "simulate_cpu_seconds": round(time.process_time() - cpu_started, 2),
        "input_rss_mib": round(rss_before, 1),
        "output_rows": len(summary),
        "owner_cells": int((summary.aggregation_level == "owner").sum() // PERIODS),
    }
    out.write_text(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--simulations", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "forecasts.json")
    parser.add_argument("--child-figures", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_figures:
        simulate_once(args.deals, args.simulations, args.child_figures)
        return

    with tempfile.TemporaryDirectory(prefix="fh-bench-forecasts-") as workdir:
        figures_path = Path(workdir) / "figures.json"
        command = [sys.executable, __file__, "--deals", str(args.deals)]
        command += ["--simulations", str(args.simulations), "--child-figures", str(figures_path)]
        process = measure(command)
        child = json.loads(figures_path.read_text())
    result = {"deals": args.deals, "simulations": args.simulations, **process, **child}
    print(result, flush=True)
    write_figures(args.out, [result], key=("deals", "simulations"))


if __name__ == "__main__":
    main()
