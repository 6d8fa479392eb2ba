"""A simulated Pipedrive API over a generated world, for connector tests and benchmarks."""

from ingestion.simulator.pipedrive_server.httpd import PipedriveServer
from ingestion.simulator.pipedrive_server.state import PipedriveWorld

__all__ = ["PipedriveServer", "PipedriveWorld"]
