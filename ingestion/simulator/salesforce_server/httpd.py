"""The simulated Salesforce REST API on a loopback port, for tests and the demo.

``with SalesforceServer(world_dir) as server:`` serves the world as a Salesforce org on
127.0.0.1 at a port the OS picks, on a background thread. The socket plumbing (keep-alive,
TCP_NODELAY, quiet logs) is the HubSpot simulator's, imported as is.
"""

from __future__ import annotations

from pathlib import Path

from ingestion.simulator.salesforce_server.app import (
    API,
    BATCH_SIZE,
    ConnectedApp,
    Faults,
    SalesforceApp,
)
from ingestion.simulator.salesforce_server.org import SalesforceOrg
from ingestion.simulator.server.httpd import LoopbackServer


class SalesforceServer(LoopbackServer):
    """A Salesforce org over a world folder.

    ``token`` is the access token it accepts, ``faults`` what goes wrong (changeable while
    running), ``batch_size`` the records per query batch (2,000 at Salesforce; lower it to
    test paging quickly), ``port`` where to listen (0: a free port the OS picks),
    ``connected_app`` the OAuth client whose refresh token renews sessions.
    """

    def __init__(
        self,
        world_dir: Path,
        *,
        token: str = "test-token",
        faults: Faults | None = None,
        batch_size: int = BATCH_SIZE,
        port: int = 0,
        connected_app: ConnectedApp | None = None,
    ) -> None:
        self.org = SalesforceOrg(Path(world_dir))
        self.faults = faults or Faults()
        app = SalesforceApp(self.org, token, self.faults, batch_size, connected_app=connected_app)
        super().__init__(app, port)

    @property
    def instance_url(self) -> str:
        """What Salesforce calls the instance URL: where the org's REST API lives."""
        return self.base_url

    @property
    def api_path(self) -> str:
        return API

    thread_name = "salesforce-sim"
