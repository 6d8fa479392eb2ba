"""The simulated Pipedrive API on a loopback port, for tests and benchmarks.

``with PipedriveServer(world_dir) as server:`` serves the world on 127.0.0.1 at a port the
OS picks, on a background thread, and stops it on exit. The socket plumbing (keep-alive,
TCP_NODELAY, quiet logs) is the HubSpot simulator's, reused as it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from threading import Thread
from types import TracebackType

from ingestion.simulator.pipedrive_server.app import PipedriveApp
from ingestion.simulator.pipedrive_server.state import PipedriveWorld
from ingestion.simulator.server.faults import Faults
from ingestion.simulator.server.httpd import AppHandler, AppServer


class PipedriveServer:
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
        self.port = port
        self.world = PipedriveWorld(Path(world_dir))
        self.faults = faults or Faults()
        self.app = PipedriveApp(self.world, token=token, faults=self.faults, clock=clock)
        self._httpd: AppServer | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not running: use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> PipedriveServer:
        self._httpd = AppServer(("127.0.0.1", self.port), AppHandler)
        self._httpd.app = self.app  # type: ignore[assignment]
        Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="pipedrive-sim",
            daemon=True,
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> PipedriveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
