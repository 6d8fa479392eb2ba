"""Benchmark the attribution models at several sizes: time and peak memory per model family.

For each size, a fresh warehouse gets synthetic inputs in place of the upstream models
(N deals with ten touches each, two of them after the deal's creation, over eight channels
picked by hash, so nearly every collapsed path is distinct: the data-driven models' worst
case; a third of the deals won; as many people with three touches and no deal). Then:

- ``dbt run`` of the attribution models alone in a child process: its wall time and peak
  RSS, and per-model seconds from run_results.json. The rule-based family is the SQL models
  (deal touches, conversion paths, weights of the seven rule-based models and the joins of
  the data-driven ones, the credits mart); the data-driven family's Python model runs in it.
- the data-driven family's two methods on their own, each in a child process on the channel
  paths the run built: Markov (chain counted, P(conversion) and one removal per channel
  solved exactly) and Shapley (closed form); wall time and peak RSS of that process.

    .venv/bin/python bench/attribution.py --sizes 10000 100000 1000000 --out bench/attribution.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# bench/ holds scripts, not a package: reuse run.py's measuring beside this file.
from run import PYTHON, ROOT, dbt_command, measure

AS_OF = date(2025, 12, 31)
TOUCHES_PER_DEAL = 10
SQL_MODELS = [
    "int_attribution_conversions",
    "int_attribution_deal_touches",
    "int_attribution_touches",
    "int_attribution_channel_paths",
    "int_attribution_weights",
    "attribution_credits",
]
PYTHON_MODEL = "int_attribution_channel_credits"

SYNTHETIC_INPUTS = """
create schema if not exists intermediate;
create schema if not exists marts;

create or replace table intermediate.int_deals as
select
    'd' || i as deal_key,
    timestamp '2024-03-01' + to_seconds(hash(i) % (500 * 86400)) as created_at,
    timestamp '2024-03-01' + to_seconds(hash(i) % (500 * 86400)) + interval 40 day as closed_at,
    i % 3 = 0 as is_won,
    false as is_deleted,
    cast(null as varchar) as merged_into_deal_key
from range($n) as t (i);

create or replace table marts.deals as
select
    deal_key,
    1000.0 + hash(deal_key) % 9000 as amount_at_creation_reporting,
    1000.0 + hash(deal_key) % 9000 as amount_at_close_reporting,
    false as is_excluded_from_metrics
from intermediate.int_deals;

create or replace table intermediate.int_marketing_touches as
with deal_touches as (
    select
        deals.deal_key,
        'p' || substr(deals.deal_key, 2) as person_key,
        j,
        deals.created_at
        + to_seconds((j - 7) * 3 * 86400 + hash(deals.deal_key || ':' || j) % 86400)
            as occurred_at
    from intermediate.int_deals as deals
    cross join range($touches) as t (j)
),

dealless as (
    select
        'q' || i as person_key,
        j,
        timestamp '2024-02-01' + to_seconds(hash(i || ':' || j) % (500 * 86400)) as occurred_at
    from range($n) as t (i)
    cross join range(3) as u (j)
)

select
    'web:' || person_key || ':' || j as touch_key,
    'web_session' as touch_source,
    person_key,
    occurred_at,
    (['paid_search', 'paid_social', 'organic_search', 'email', 'direct', 'referral',
      'events', 'outbound'])[1 + cast(hash(person_key || ':' || j) % 8 as integer)] as channel,
    'bench' as source_value,
    'campaign_' || hash(person_key || ':' || j) % 20 as campaign,
    cast(null as varchar) as session_key,
    cast(null as varchar) as identified_by_event_id
from (select person_key, j, occurred_at from deal_touches union all select * from dealless);

create or replace table intermediate.int_deal_touch_paths as
select
    deals.deal_key,
    row_number() over (partition by deals.deal_key order by touches.occurred_at, touches.touch_key)
        as touch_number,
    touches.*exclude (person_key),
    touches.person_key,
    -- Each person became a contact two days after their first touch.
    min(touches.occurred_at) over (partition by touches.person_key) + interval 2 day
        as person_created_at,
    deals.created_at as deal_created_at,
    touches.occurred_at <= deals.created_at as is_before_deal_creation,
    deals.closed_at as deal_closed_at,
    deals.is_won as is_deal_won,
    hash(deals.deal_key) as _inputs_fingerprint,
    now() as _built_at
from intermediate.int_deals as deals
inner join intermediate.int_marketing_touches as touches
    on touches.person_key = 'p' || substr(deals.deal_key, 2);
"""


def run_method(warehouse: str, method: str) -> None:
    """One data-driven method on the warehouse's channel paths (in a child process)."""
    import duckdb

    sys.path.insert(0, str(ROOT / "tests"))  # the tests' loader of dbt Python models
    from python_models import load_python_model

    credits = load_python_model("attribution", PYTHON_MODEL)
    with duckdb.connect(warehouse, read_only=True) as con:
        paths = con.sql("select * from intermediate.int_attribution_channel_paths").df()
    for _, group in paths.groupby("conversion"):
        if method == "markov":
            credits.markov_removal_effects(group)
        else:
            credits.shapley_values(group)


def bench_size(n_deals: int, workdir: Path) -> dict:
    from ingestion.settings import load_settings
    from ingestion.warehouse import connect

    home = workdir / f"deals-{n_deals}"
    settings = load_settings(home=home, warehouse=home / "warehouse.duckdb")
    home.mkdir()
    with connect(settings) as con:
        sql = SYNTHETIC_INPUTS.replace("$n", str(n_deals))
        con.execute(sql.replace("$touches", str(TOUCHES_PER_DEAL)))
        touches = con.execute("select count(*) from intermediate.int_deal_touch_paths").fetchone()
    target = home / "target"
    command = dbt_command(["run", "--select", *SQL_MODELS, PYTHON_MODEL], settings, AS_OF, target)
    run = measure(command)
    timings = json.loads((target / "run_results.json").read_text())["results"]
    seconds = {r["unique_id"].split(".")[-1]: round(r["execution_time"], 2) for r in timings}
    with connect(settings, read_only=True) as con:
        paths = con.execute(
            "select count(*) from intermediate.int_attribution_channel_paths"
        ).fetchone()[0]
        credits = con.execute("select count(*) from marts.attribution_credits").fetchone()[0]
    methods = {
        method: measure(
            [PYTHON, __file__, "--method", method, "--warehouse", str(settings.warehouse_path)]
        )
        for method in ("markov", "shapley")
    }
    return {
        "deals": n_deals,
        "touches": touches[0],
        "distinct_channel_paths": paths,
        "credit_rows": credits,
        "dbt_run": run,
        "rule_based_sql_seconds": round(sum(seconds[m] for m in SQL_MODELS), 2),
        "data_driven_python_model_seconds": seconds[PYTHON_MODEL],
        "model_seconds": seconds,
        **{f"{method}_alone": figures for method, figures in methods.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "attribution.json")
    parser.add_argument("--method", choices=["markov", "shapley"], help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.method:
        run_method(args.warehouse, args.method)
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-attribution-") as tmp:
        for n in args.sizes:
            figures = bench_size(n, Path(tmp))
            print(json.dumps(figures), flush=True)
            results.append(figures)
    report = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "touches_per_deal": TOUCHES_PER_DEAL,
        "results": results,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
