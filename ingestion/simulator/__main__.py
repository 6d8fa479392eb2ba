"""Command line: python -m ingestion.simulator --deals N --seed S --out DIR."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from ingestion.simulator.config import WorldConfig
from ingestion.simulator.world import generate_world


def main(argv: list[str] | None = None) -> None:
    defaults = WorldConfig()
    parser = argparse.ArgumentParser(prog="python -m ingestion.simulator", description=__doc__)
    parser.add_argument("--deals", type=int, default=defaults.n_deals, help="number of deals")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--out", type=Path, required=True, help="world folder to (re)write")
    parser.add_argument("--start", type=date.fromisoformat, default=defaults.start_date)
    parser.add_argument("--end", type=date.fromisoformat, default=defaults.end_date)
    parser.add_argument("--malformed-rate", type=float, default=defaults.malformed_rate)
    parser.add_argument(
        "--activity-rate",
        type=float,
        default=defaults.activity_rate,
        help="multiplies the sales activities per deal (1.0: about 12.5)",
    )
    args = parser.parse_args(argv)
    try:
        config = WorldConfig(
            seed=args.seed,
            n_deals=args.deals,
            start_date=args.start,
            end_date=args.end,
            malformed_rate=args.malformed_rate,
            activity_rate=args.activity_rate,
        )
    except ValueError as exc:
        parser.error(str(exc))
    generate_world(config, args.out, progress=lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
