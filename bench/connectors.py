"""Benchmark the CRM connectors: a full sync of a simulated world through each simulated API.

Each (connector, size) runs in a process of its own, the connector syncing into a fresh
DuckDB file as it lands in production (the landing memory limit), against the simulated
API in another process, so each figure is the connector's alone. Figures (wall time,
requests, retries, raw rows landed, rows per second, peak RSS) are written to a JSON file:

    .venv/bin/python bench/connectors.py --sizes 10000 100000 --out bench/connectors.json

Two more modes put the HubSpot connector beside something else (a fresh server for each
side):

    # deals with their history: the connector's deals group against a generic source
    # (dlt's declarative rest_api asking for every property's history, in one pass and in
    # the request plan of dlt's verified HubSpot source)
    .venv/bin/python bench/connectors.py --versus-generic --sizes 10000 100000
    # a full sync against HubSpot's real rate limits, paced and unpaced, against the floor
    .venv/bin/python bench/connectors.py --throttled --sizes 5000 20000

Each mode replaces its own section of the JSON file and keeps the others.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from requests import PreparedRequest, Response, Session
from requests.adapters import HTTPAdapter

from ingestion.simulator.server.httpd import DEMO_TOKEN as TOKEN

if TYPE_CHECKING:
    from dlt.extract import DltSource

from run import write_figures

ROOT = Path(__file__).resolve().parent.parent
CONNECTORS = ("hubspot", "salesforce", "pipedrive")
DEALS_PATH = "/crm/v3/objects/deals"


def sync_once(connector: str, base_url: str, warehouse: str) -> dict:
    """One full sync of ``connector`` against its simulated API at ``base_url``, unpaced
    (the simulator enforces no limit), run as a child by ``main``."""
    from ingestion.hubspot.client import HubSpotClient
    from ingestion.hubspot.sync import sync_hubspot
    from ingestion.pipedrive.client import PipedriveClient
    from ingestion.pipedrive.sync import sync_pipedrive
    from ingestion.salesforce.client import SalesforceClient
    from ingestion.salesforce.sync import sync_salesforce

    client, sync = {
        "hubspot": (lambda: HubSpotClient(base_url, token=TOKEN, pacing=None), sync_hubspot),
        "salesforce": (lambda: SalesforceClient(base_url, token=TOKEN), sync_salesforce),
        "pipedrive": (lambda: PipedriveClient(base_url, token=TOKEN), sync_pipedrive),
    }[connector]
    settings, connection = _warehouse(warehouse)
    started = time.monotonic()
    with connection as con:
        stats = sync(
            con,
            client(),
            full=True,
            load_id="bench",
            loaded_at=datetime.now(UTC),
            work_dir=settings.temp_directory,
        )
    wall = time.monotonic() - started
    rows = sum(s.rows_read for s in stats.values())
    return {
        "wall_seconds": round(wall, 2),
        "requests": sum(s.requests for s in stats.values()),
        "retries": sum(s.retries for s in stats.values()),
        "rows": rows,
        "rows_per_second": round(rows / wall),
    }


def _warehouse(path: str):
    """The benchmark's fresh DuckDB file, opened as a connector's landing opens the
    warehouse (the landing memory limit, threads) for either side."""
    from ingestion.settings import load_settings
    from ingestion.warehouse import connect

    settings = load_settings(home=Path(path).parent, warehouse=Path(path))
    return settings, connect(settings, memory_limit=settings.landing_memory_limit)


def _full_hubspot_sync(client, warehouse: str, groups: tuple[str, ...] | None = None):
    """A full HubSpot sync (of ``groups``, default all) into the benchmark's fresh DuckDB:
    each object's stats and the wall seconds it took."""
    from ingestion.hubspot.sync import sync_hubspot

    settings, connection = _warehouse(warehouse)
    started = time.monotonic()
    with connection as con:
        stats = sync_hubspot(
            con,
            client,
            full=True,
            load_id="bench",
            loaded_at=datetime.now(UTC),
            work_dir=settings.temp_directory,
            groups=groups,
        )
    return stats, time.monotonic() - started


def deals_once(base_url: str, warehouse: str) -> dict:
    """The HubSpot connector's deals group alone: deals (live and archived) with the history
    of the five tracked properties, and their associations (run as a child by ``main``)."""
    from ingestion.hubspot.client import HubSpotClient

    # Unpaced: this simulator enforces no limit, and the generic source does not pace.
    client = HubSpotClient(base_url, token=TOKEN, pacing=None)
    stats, wall = _full_hubspot_sync(client, warehouse, groups=("deals",))
    return {
        "wall_seconds": round(wall, 2),
        "requests": client.stats.requests,
        "requests_by_object": {name: s.requests for name, s in stats.items()},
        "rows": stats["deals"].rows_read + stats["deal_property_history"].rows_read,
        "rows_by_table": {name: s.rows_read for name, s in stats.items()},
    }


class CountingAdapter(HTTPAdapter):
    """Counts every request sent, retries included, as the connector's own counter does."""

    sent = 0

    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:
        self.sent += 1
        return super().send(request, **kwargs)


def generic_source(base_url: str, session: Session, plan: str) -> DltSource:
    """A generic dlt HubSpot deals source, declared with dlt's rest_api, asking for every
    deal property the portal lists, each with its history, in one of two request plans:

    - ``one_pass``: one listing, every property and its history, 50 deals a page (HubSpot's
      cap with history): the fewest requests a generic source can make;
    - ``verified``: the plan of dlt's verified HubSpot source (``dlt init hubspot`` with
      ``include_history`` and ``soft_delete``): the deals listed with their properties, 100
      a page, live then archived, then listed again with every property's history, 50 a
      page, into a history table of their own.
    """
    from dlt.sources.rest_api import rest_api_source

    headers = {"Authorization": f"Bearer {TOKEN}"}
    listed = session.get(f"{base_url}/crm/v3/properties/deals", headers=headers).json()
    every = ",".join(p["name"] for p in listed["results"])

    def listing(name: str, params: dict) -> dict:
        endpoint = {"path": DEALS_PATH, "data_selector": "results", "params": params}
        return {"name": name, "write_disposition": "append", "endpoint": endpoint}

    if plan == "one_pass":
        resources = [
            listing("deals", {"limit": 50, "properties": every, "propertiesWithHistory": every})
        ]
    else:
        resources = [
            listing("deals", {"limit": 100, "properties": every}),
            listing("archived_deals", {"limit": 100, "properties": every, "archived": "true"}),
            listing("deals_property_history", {"limit": 50, "propertiesWithHistory": every}),
        ]
    return rest_api_source(
        {
            "client": {
                "base_url": base_url,
                "auth": {"type": "bearer", "token": TOKEN},
                "session": session,
                "paginator": {
                    "type": "cursor",
                    "cursor_path": "paging.next.after",
                    "cursor_param": "after",
                },
            },
            "resources": resources,
        }
    )


def generic_once(base_url: str, warehouse: str, plan: str) -> dict:
    """The generic source (``plan``: see :func:`generic_source`) loaded through dlt's
    parquet loader into a fresh DuckDB (run as a child by ``main``)."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # no network here
    import dlt
    from dlt.sources.helpers.requests import Client

    # dlt's own default session (its retries included), its requests counted.
    session = Client(raise_for_status=False).session
    counter = CountingAdapter()
    session.mount("http://", counter)
    _, connection = _warehouse(warehouse)
    started = time.monotonic()
    with connection as con:
        pipeline = dlt.pipeline(
            pipeline_name="generic_hubspot",
            destination=dlt.destinations.duckdb(con),
            dataset_name="generic_hubspot",
            pipelines_dir=str(Path(warehouse).parent / "dlt"),
        )
        pipeline.run(generic_source(base_url, session, plan), loader_file_format="parquet")
        wall = time.monotonic() - started
        tables = con.execute(
            """select table_name from information_schema.tables
            where table_schema = 'generic_hubspot' and not starts_with(table_name, '_dlt')
            order by table_name"""
        ).fetchall()
        rows = {
            t: con.execute(f'select count(*) from generic_hubspot."{t}"').fetchone()[0]
            for (t,) in tables
        }
    return {
        "wall_seconds": round(wall, 2),
        "requests": counter.sent,
        "rows": sum(rows.values()),
        "rows_by_table": rows,
    }


def measure(mode: str, *args: str) -> dict:
    """Run ``mode`` of this script in a child process; its figures plus its peak RSS."""
    command = [sys.executable, __file__, mode, *args]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark sync failed: {' '.join(command)}")
    return {
        **json.loads(out.strip().splitlines()[-1]),
        "peak_rss_mib": round(usage.ru_maxrss / 1024),
    }


@contextmanager
def served(world: Path, *, throttle: bool = False, crm: str = "hubspot") -> Iterator[str]:
    """A simulated CRM API over ``world`` in a process of its own; yields its URL."""
    command = [sys.executable, "-m", "ingestion.simulator.server", str(world), "--token", TOKEN]
    command += ["--crm", crm]
    server = subprocess.Popen(
        command + (["--throttle"] if throttle else []),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield server.stdout.readline().strip() if server.stdout else ""
    finally:
        server.terminate()
        server.wait(timeout=30)


def throttled_once(base_url: str, warehouse: str, pacing: str) -> dict:
    """A full sync of every object against HubSpot's real limits, ``paced`` or
    ``unpaced`` (run as a child by ``main``), with the floor those limits impose."""
    from ingestion.hubspot.client import HUBSPOT_LIMITS, HubSpotClient

    statuses = []
    client = HubSpotClient(
        base_url,
        token=TOKEN,
        pacing=HUBSPOT_LIMITS if pacing == "paced" else None,
        observe=lambda method, path, status: statuses.append((path.endswith("/search"), status)),
    )
    _, wall = _full_hubspot_sync(client, warehouse)
    answered = client.stats.requests - client.stats.retries
    searches = sum(search for search, status in statuses if status != 429)
    rate = HUBSPOT_LIMITS.max_requests / HUBSPOT_LIMITS.interval_s
    floor = max(answered / rate, searches / HUBSPOT_LIMITS.searches_per_second)
    return {
        "pacing": pacing,
        "wall_seconds": round(wall, 2),
        "requests": answered,
        "searches": searches,
        "refused_429": sum(status == 429 for _, status in statuses),
        "retry_wait_seconds": round(client.stats.waited_s, 2),
        "pacing_wait_seconds": round(client.pacer.waited_s, 2) if client.pacer else 0.0,
        "floor_seconds": round(floor, 2),
        "ratio": round(wall / floor, 3),
    }


def throttled(deals: int, world: Path, workdir: Path) -> list[dict]:
    results = []
    for pacing in ("unpaced", "paced"):
        (workdir / pacing).mkdir()
        with served(world, throttle=True) as base_url:
            load = os.getloadavg()[0]
            figures = measure("_throttled", base_url, str(workdir / pacing / "w.duckdb"), pacing)
        results.append({"deals": deals, "load_at_start": round(load, 1), **figures})
        print(results[-1], flush=True)
    return results


def versus_generic(deals: int, world: Path, workdir: Path) -> list[dict]:
    results = []
    sides = {
        "hubspot_deals": ("_deals",),
        "generic_rest_api": ("_generic", "one_pass"),
        "generic_verified_plan": ("_generic", "verified"),
    }
    for side, (mode, *options) in sides.items():
        (workdir / side).mkdir()
        with served(world) as base_url:
            load = os.getloadavg()[0]
            figures = measure(mode, base_url, str(workdir / side / "w.duckdb"), *options)
        results.append({"side": side, "deals": deals, "load_at_start": round(load, 1), **figures})
        print(results[-1], flush=True)
    return results


def full_syncs(
    deals: int, world: Path, workdir: Path, connectors: tuple[str, ...] = CONNECTORS
) -> list[dict]:
    """The default mode: each connector's full sync against its simulated API, which runs
    in a process of its own (the peak RSS is the connector's alone)."""
    results = []
    for connector in connectors:
        (workdir / connector).mkdir()
        warehouse = str(workdir / connector / "w.duckdb")
        with served(world, crm=connector) as base_url:
            load = os.getloadavg()[0]
            figures = measure("_sync", connector, base_url, warehouse)
        results.append(
            {"connector": connector, "deals": deals, "load_at_start": round(load, 1), **figures}
        )
        print(results[-1], flush=True)
    return results


CHILDREN = {
    "_sync": sync_once,
    "_deals": deals_once,
    "_generic": generic_once,
    "_throttled": throttled_once,
}
MODES = {"versus_generic": versus_generic, "throttled": throttled}
# What identifies one measurement in each mode's figures (None: the default full syncs).
RESULT_KEYS = {
    None: ("connector", "deals"),
    "versus_generic": ("side", "deals"),
    "throttled": ("pacing", "deals"),
}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in CHILDREN:
        print(json.dumps(CHILDREN[sys.argv[1]](*sys.argv[2:])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--versus-generic", dest="mode", action="store_const", const="versus_generic")
    mode.add_argument("--throttled", dest="mode", action="store_const", const="throttled")
    parser.add_argument("--connectors", nargs="*", default=list(CONNECTORS))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "connectors.json")
    args = parser.parse_args()

    from ingestion.simulator import WorldConfig, generate_world

    run = MODES[args.mode] if args.mode else partial(full_syncs, connectors=args.connectors)
    results = []
    for deals in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"fh-connectors-{deals}-") as tmp:
            world = Path(tmp) / "world"
            generate_world(WorldConfig(seed=1, n_deals=deals), world)
            results += run(deals, world, Path(tmp))
    write_figures(args.out, results, key=RESULT_KEYS[args.mode], section=args.mode)


if __name__ == "__main__":
    main()
