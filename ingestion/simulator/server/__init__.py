"""A simulated HubSpot API over a generated world, for connector tests and benchmarks."""

from ingestion.simulator.server.app import ALL_SCOPES
from ingestion.simulator.server.faults import Faults
from ingestion.simulator.server.httpd import HubSpotServer

__all__ = ["ALL_SCOPES", "Faults", "HubSpotServer"]
