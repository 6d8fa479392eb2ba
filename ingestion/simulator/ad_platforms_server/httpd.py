"""The simulated Google Ads and Meta APIs on one loopback port, for tests and the demo.

``with AdPlatformsServer(world_dir) as server:`` serves the world's ad accounts on
127.0.0.1 at a port the OS picks, on a background thread; both platforms answer under
their own version prefix (``/v17/`` Google Ads, ``/v19.0/`` Meta), so one server stands in
for both hosts. The socket plumbing is the HubSpot simulator's, reused as it is.
"""

from __future__ import annotations

from pathlib import Path

from ingestion.simulator.ad_platforms_server.accounts import AdAccounts
from ingestion.simulator.ad_platforms_server.app import AdPlatformsApp
from ingestion.simulator.server.faults import Faults
from ingestion.simulator.server.httpd import LoopbackServer


class AdPlatformsServer(LoopbackServer):
    """Google Ads and Meta over a world folder.

    ``token`` is the OAuth access token both accept (``Authorization: Bearer``),
    ``developer_token`` the Google Ads developer token, ``faults`` what goes wrong
    (changeable while running); ``accounts`` is the served state tests edit.
    """

    thread_name = "ad-platforms-sim"

    def __init__(
        self,
        world_dir: Path,
        *,
        token: str = "test-token",
        developer_token: str = "test-developer-token",
        faults: Faults | None = None,
        withhold_default_gaps: bool = True,
        port: int = 0,
    ) -> None:
        self.accounts = AdAccounts(Path(world_dir), withhold_default_gaps=withhold_default_gaps)
        self.faults = faults or Faults()
        app = AdPlatformsApp(
            self.accounts, token=token, developer_token=developer_token, faults=self.faults
        )
        super().__init__(app, port)
