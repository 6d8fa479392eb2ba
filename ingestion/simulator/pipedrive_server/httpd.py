"""The simulated Pipedrive API on a loopback port, for tests and benchmarks.

``with PipedriveServer(world_dir) as server:`` serves the world on 127.0.0.1 at a port the
OS picks, on a background thread, and stops it on exit. The socket plumbing (keep-alive,
TCP_NODELAY, quiet logs) is the HubSpot simulator's, reused as it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ingestion.simulator.pipedrive_server.app import PipedriveApp
from ingestion.simulator.pipedrive_server.state import PipedriveWorld
from ingestion.simulator.server.faults import Faults
from ingestion.simulator.server.httpd import LoopbackServer


class PipedriveServer(LoopbackServer):
    """Pipedrive's v1/v2 API over a world folder.

    ``token`` is the API token it accepts (in the ``x-api-token`` header), ``faults`` what
    goes wrong (changeable while running), ``clock`` the time the rate limiter measures
    (tests share a fake one with the client), ``port`` where to listen (0: the OS picks).
    """

    def __init__(
        self,
        world_dir: Path,
        *,
        token: str = "test-token",
        faults: Faults | None = None,
        clock: Callable[[], float] = time.monotonic,
        port: int = 0,
    ) -> None:
        self.world = PipedriveWorld(Path(world_dir))
        self.faults = faults or Faults()
        app = PipedriveApp(self.world, token=token, faults=self.faults, clock=clock)
        super().__init__(app, port)

    thread_name = "pipedrive-sim"
