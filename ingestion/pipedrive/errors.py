"""What can stop a Pipedrive sync, each error saying what to do next.

Messages name the request by method and path only: the API token travels in the
``x-api-token`` header and is never part of a message, a log line or the warehouse.
"""

from __future__ import annotations

TOKEN_ENV = "PIPEDRIVE_API_TOKEN"
TOKEN_PAGE = "Pipedrive > Personal preferences > API"


class PipedriveError(RuntimeError):
    """A Pipedrive sync cannot go on; nothing from the failed read was saved."""


class PipedriveAuthError(PipedriveError):
    """No token, or Pipedrive refused it (401): retrying cannot help."""

    @classmethod
    def refused(cls, request: str) -> PipedriveAuthError:
        return cls(
            f"Pipedrive refused the API token (HTTP 401 on {request}): the token in {TOKEN_ENV} "
            f"is invalid or was regenerated. Copy the current one from {TOKEN_PAGE}, set "
            f"{TOKEN_ENV} to it and run the sync again."
        )

    @classmethod
    def missing(cls) -> PipedriveAuthError:
        return cls(f"no Pipedrive API token: set {TOKEN_ENV} to the token in {TOKEN_PAGE}.")


class PipedriveRequestError(PipedriveError):
    """Pipedrive rejected a request as invalid (4xx): a connector bug or an unusual account."""

    def __init__(self, request: str, status: int, detail: str) -> None:
        self.status = status
        super().__init__(f"Pipedrive rejected {request} with HTTP {status}: {detail}")


class PipedriveUnavailableError(PipedriveError):
    """Pipedrive kept failing (rate limits, 5xx, bodies that are not JSON) past the retry budget."""

    def __init__(self, request: str, attempts: int, waited_s: float, problem: str) -> None:
        super().__init__(
            f"Pipedrive did not answer {request} usefully after {attempts} attempts and "
            f"{waited_s:.0f} s of waiting (last problem: {problem}). Nothing from this read was "
            "saved and earlier data is intact. Run the sync again later; if it keeps failing, "
            "check status.pipedrive.com and the company's API usage (another integration may "
            "be using up the rate limit)."
        )
