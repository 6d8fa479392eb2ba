"""The simulated HubSpot API on a loopback port, for tests and benchmarks.

``with HubSpotServer(world_dir) as server:`` serves the world on 127.0.0.1 at a port the
OS picks, on a background thread, and stops it on exit. Sockets get TCP_NODELAY: without
it every keep-alive request waits about 40 ms for Nagle and delayed ACKs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from types import TracebackType
from typing import Any, Self

from ingestion.simulator.server.app import ALL_SCOPES, SEARCH_CAP, HubSpotApp
from ingestion.simulator.server.faults import Faults
from ingestion.simulator.server.state import WorldState


class AppHandler(BaseHTTPRequestHandler):
    """Hands each request to the server's ``app``; shared by every simulated CRM API."""

    protocol_version = "HTTP/1.1"  # keep-alive, as HubSpot's API
    disable_nagle_algorithm = True  # TCP_NODELAY on every accepted socket
    server: AppServer

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.server.app.handle(self.command, self.path, headers, body)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        """Requests are recorded in ``app.requests``; stderr stays quiet."""


class AppServer(ThreadingHTTPServer):
    """A threaded loopback server carrying the ``app`` its handlers call."""

    daemon_threads = True
    block_on_close = False
    app: Any  # the simulated API this server hands requests to

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that timed out and hung up is expected in fault tests, not an error."""


# The token the demo's simulated APIs accept; it guards nothing and is never a credential.
DEMO_TOKEN = "funnelhouse-demo"


class LoopbackServer:
    """An app served on 127.0.0.1 from a background thread, used as a context manager;
    the base of every simulated CRM API. ``port`` 0 lets the OS pick a free port."""

    thread_name = "crm-sim"

    def __init__(self, app: Any, port: int = 0) -> None:
        self.app = app
        self.port = port
        self._httpd: AppServer | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not running: use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._httpd = AppServer(("127.0.0.1", self.port), AppHandler)
        self._httpd.app = self.app
        Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits at most this long
            name=self.thread_name,
            daemon=True,
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class HubSpotServer(LoopbackServer):
    """A HubSpot v3 API over a world folder.

    ``token`` is the bearer token it accepts, ``scopes`` the scopes that token was granted,
    ``faults`` what goes wrong (changeable while running), ``search_cap`` how many results
    one search query can page through (10,000 at HubSpot; lower it to test the cap quickly),
    ``clock`` the time the rate limiter measures (tests share a fake one with the client),
    ``port`` where to listen on 127.0.0.1 (0: a free port the OS picks).
    """

    def __init__(
        self,
        world_dir: Path,
        *,
        token: str = "test-token",
        scopes: frozenset[str] = ALL_SCOPES,
        faults: Faults | None = None,
        search_cap: int = SEARCH_CAP,
        clock: Callable[[], float] = time.monotonic,
        port: int = 0,
    ) -> None:
        self.world = WorldState(Path(world_dir))
        self.faults = faults or Faults()
        app = HubSpotApp(
            self.world,
            token=token,
            scopes=frozenset(scopes),
            faults=self.faults,
            search_cap=search_cap,
            clock=clock,
        )
        super().__init__(app, port)

    thread_name = "hubspot-sim"
