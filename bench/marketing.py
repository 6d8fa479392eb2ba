"""Benchmark sessionising and identity stitching of website events at several sizes.

One warehouse holds a simulated world's CRM (for the contacts visitors are stitched to);
for each size, N synthetic events replace ``raw_web_events.events`` (five events a visit,
three visits a visitor days apart, a fifth of the visitors identified by an email on their
second visit, one in fifty a crawler), then ``dbt run`` builds the web models alone in a
child process: ``stg_web_events__events`` (view), ``int_web_events`` (traffic filters),
``int_web_sessions`` (30-minute sessions, channels) and ``int_identity_stitches``. Wall
time and peak RSS are that process's (dbt with DuckDB in it; DuckDB's memory limit is the
setting's, 4GB by default); per-model seconds come from dbt's run_results.json.

    .venv/bin/python bench/marketing.py --sizes 100000 1000000 10000000 --out bench/marketing.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# bench/ holds scripts, not a package: reuse run.py's measuring beside this file.
from run import ROOT, dbt_command, measure

WEB_MODELS = "stg_web_events__events int_web_events int_web_sessions int_identity_stitches"
UPSTREAM = "+int_person_emails"  # the contacts, leads and addresses stitching reads
WORLD_DEALS = 10_000
AS_OF = date(2025, 12, 31)

SYNTHETIC_EVENTS = """
insert into raw_web_events.events by name
with events as (
    select
        i,
        i // 5 as visit,
        i % 5 as step,
        i // 15 as visitor,
        (i // 5) % 3 as visit_of_visitor
    from range($n) as t (i)
),

emails as (
    select row_number() over (order by id) - 1 as slot, email
    from raw_hubspot.contacts
    where email is not null
),

timed as (
    select
        events.*,
        timestamp '2024-01-01'
        + to_seconds(hash(visitor) % (600 * 86400))
        + to_days(cast(visit_of_visitor * (1 + hash(visit) % 9) as integer))
        + to_seconds(step * 45) as event_at,
        step = 0 and visit_of_visitor = 1 and visitor % 5 = 0 as identifies
    from events
)

select
    'b' || i as event_id,
    case when identifies then 'identify' else 'page' end as event_type,
    'anon' || visitor as anonymous_id,
    case when identifies then emails.email end as email,
    strftime(event_at, '%Y-%m-%dT%H:%M:%S.') || lpad(cast(i % 1000 as varchar), 3, '0') || 'Z'
        as "timestamp",
    'https://www.funnelhouse.example/' || (['', 'pricing', 'product', 'blog'])[1 + step % 4]
    || case
        when step > 0 then ''
        when visitor % 4 = 0 then '?utm_source=google&utm_medium=cpc&utm_campaign=brand'
        when visitor % 4 = 1 then '?utm_source=hubspot&utm_medium=email&utm_campaign=news'
        else ''
    end as page_url,
    case
        when step > 0 then 'https://www.funnelhouse.example/'
        when visitor % 4 = 2 then 'https://www.google.com/'
    end as page_referrer,
    case
        when visitor % 50 = 7 then 'Mozilla/5.0 (compatible; Googlebot/2.1)'
        else 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0.0.0'
    end as user_agent,
    '203.0.113.' || (visitor % 250) as ip,
    'bench' as _source_instance,
    md5(cast(i as varchar)) as _record_hash,
    false as _vanished,
    'bench' as _load_id,
    1 as _load_sequence,
    now() as _loaded_at
from timed
left join emails on emails.slot = timed.visitor % (select count(*) from emails)
"""


def setup(workdir: Path):
    """A world's CRM landed and staged, so visitors have contacts to be stitched to."""
    from ingestion.demo import land_demo_world
    from ingestion.settings import load_settings
    from ingestion.simulator import WorldConfig, generate_world
    from ingestion.warehouse import connect

    settings = load_settings(home=workdir, warehouse=workdir / "warehouse.duckdb")
    world = workdir / "world"
    generate_world(WorldConfig(seed=5, n_deals=WORLD_DEALS), world)
    with connect(settings) as con:
        land_demo_world(con, world, load_id="bench", loaded_at=datetime.now(UTC))
    subprocess.run(dbt_command(["seed"], settings, AS_OF, workdir / "target"), check=True, cwd=ROOT)
    command = dbt_command(["run", "--select", UPSTREAM], settings, AS_OF, workdir / "target")
    subprocess.run(command, check=True, cwd=ROOT)
    return settings


def bench_size(settings, n_events: int, workdir: Path) -> dict:
    from ingestion.warehouse import connect

    with connect(settings) as con:
        con.execute("delete from raw_web_events.events")
        con.execute(SYNTHETIC_EVENTS.replace("$n", str(n_events)))
    target = workdir / f"target-{n_events}"
    result = measure(dbt_command(["run", "--select", WEB_MODELS], settings, AS_OF, target))
    timings = json.loads((target / "run_results.json").read_text())["results"]
    with connect(settings, read_only=True) as con:
        sessions, visitors = con.execute(
            "select count(*), count(distinct visitor_id) from intermediate.int_web_sessions"
        ).fetchone()
        stitched = con.execute(
            "select count(*) from intermediate.int_identity_stitches"
        ).fetchone()[0]
    return {
        "events": n_events,
        **result,
        "sessions": sessions,
        "visitors": visitors,
        "visitors_stitched": stitched,
        "model_seconds": {
            r["unique_id"].split(".")[-1]: round(r["execution_time"], 2) for r in timings
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "marketing.json")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-marketing-") as tmp:
        workdir = Path(tmp)
        settings = setup(workdir)
        for n in args.sizes:
            figures = bench_size(settings, n, workdir)
            print(json.dumps(figures), flush=True)
            results.append(figures)
    report = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "duckdb_memory_limit": settings.duckdb_memory_limit,
        "duckdb_threads": settings.duckdb_threads,
        "results": results,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
