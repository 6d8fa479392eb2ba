"""When Dagster retries a step that reads a source's API.

Each connector already retries single requests (429s, 5xx, timeouts) with backoff within
a bounded budget; it raises its ``...UnavailableError`` only when the source stayed down
through that budget. Only then is the whole step worth running again, minutes later. A
refused credential, a missing scope or a malformed request fails at once: retrying it
would only delay the alert.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from ingestion.ad_platforms.errors import AdPlatformUnavailableError
from ingestion.hubspot.errors import HubSpotUnavailableError
from ingestion.pipedrive.errors import PipedriveUnavailableError
from ingestion.salesforce.errors import SalesforceUnavailableError

SOURCE_RETRY_POLICY = dg.RetryPolicy(
    max_retries=2, delay=120, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
SOURCE_UNAVAILABLE = (
    HubSpotUnavailableError,
    SalesforceUnavailableError,
    PipedriveUnavailableError,
    AdPlatformUnavailableError,
)


@contextmanager
def retried_only_when_unavailable() -> Iterator[None]:
    """Let a source outage fail the step under :data:`SOURCE_RETRY_POLICY`; turn every other
    error into a failure Dagster does not retry, with the same message."""
    try:
        yield
    except SOURCE_UNAVAILABLE:
        raise
    except Exception as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
