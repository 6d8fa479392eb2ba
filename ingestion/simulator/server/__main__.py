"""Serve a world folder as a CRM's API until interrupted (manual runs, benchmarks).

    python -m ingestion.simulator.server WORLD_DIR [--crm hubspot|salesforce|pipedrive]
        [--port 0] [--token test-token] [--throttle]

Prints the base URL (Salesforce: the instance URL) on its first line, so a script can
start it and read where it listens.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from pathlib import Path

from ingestion.simulator.pipedrive_server import PipedriveServer
from ingestion.simulator.salesforce_server import SalesforceServer
from ingestion.simulator.server.faults import Faults
from ingestion.simulator.server.httpd import HubSpotServer, LoopbackServer


def _server(args: argparse.Namespace) -> LoopbackServer:
    if args.crm == "salesforce":
        return SalesforceServer(args.world_dir, token=args.token, port=args.port)
    if args.crm == "pipedrive":
        return PipedriveServer(args.world_dir, token=args.token, port=args.port)
    faults = Faults(throttle=args.throttle)
    return HubSpotServer(args.world_dir, token=args.token, port=args.port, faults=faults)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingestion.simulator.server")
    parser.add_argument("world_dir", type=Path)
    parser.add_argument("--crm", choices=("hubspot", "salesforce", "pipedrive"), default="hubspot")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--token", default="test-token", help="the token to accept")
    parser.add_argument(
        "--throttle", action="store_true", help="enforce HubSpot's real rate limits"
    )
    args = parser.parse_args(argv)
    with _server(args) as server:
        print(server.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
