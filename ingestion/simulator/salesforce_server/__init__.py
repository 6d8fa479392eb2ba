"""A simulated Salesforce REST API over a generated world, for connector tests and the demo."""

from ingestion.simulator.salesforce_server.app import ConnectedApp, Faults
from ingestion.simulator.salesforce_server.httpd import SalesforceServer
from ingestion.simulator.salesforce_server.org import SalesforceOrg, sf_id

__all__ = ["ConnectedApp", "Faults", "SalesforceOrg", "SalesforceServer", "sf_id"]
