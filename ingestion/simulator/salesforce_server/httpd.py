"""The simulated Salesforce REST API on a loopback port, for tests and the demo.

``with SalesforceServer(world_dir) as server:`` serves the world as a Salesforce org on
127.0.0.1 at a port the OS picks, on a background thread. The socket plumbing (keep-alive,
TCP_NODELAY, quiet logs) is the HubSpot simulator's, imported as is.
"""

from __future__ import annotations

from pathlib import Path
from threading import Thread
from types import TracebackType

from ingestion.simulator.salesforce_server.app import API, BATCH_SIZE, Faults, SalesforceApp
from ingestion.simulator.salesforce_server.org import SalesforceOrg
from ingestion.simulator.server.httpd import AppHandler, AppServer


class SalesforceServer:
    """A Salesforce org over a world folder.

    ``token`` is the access token it accepts, ``faults`` what goes wrong (changeable while
    running), ``batch_size`` the records per query batch (2,000 at Salesforce; lower it to
    test paging quickly), ``port`` where to listen (0: a free port the OS picks).
    """

    def __init__(
        self,
        world_dir: Path,
        *,
        token: str = "test-token",
        faults: Faults | None = None,
        batch_size: int = BATCH_SIZE,
        port: int = 0,
    ) -> None:
        self.port = port
        self.org = SalesforceOrg(Path(world_dir))
        self.faults = faults or Faults()
        self.app = SalesforceApp(self.org, token, self.faults, batch_size)
        self._httpd: AppServer | None = None

    @property
    def instance_url(self) -> str:
        """What Salesforce calls the instance URL: where the org's REST API lives."""
        if self._httpd is None:
            raise RuntimeError("the server is not running: use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_path(self) -> str:
        return API

    def start(self) -> SalesforceServer:
        self._httpd = AppServer(("127.0.0.1", self.port), AppHandler)
        self._httpd.app = self.app  # type: ignore[assignment]
        Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="salesforce-sim",
            daemon=True,
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> SalesforceServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
