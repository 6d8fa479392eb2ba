"""What can stop a HubSpot sync, each error saying what to do next.

Messages name the request by method and path only: the token travels in a header and
is never part of a message, a log line or the warehouse.
"""

from __future__ import annotations

TOKEN_ENV = "HUBSPOT_ACCESS_TOKEN"
PRIVATE_APPS = "HubSpot > Settings > Integrations > Private Apps"


class HubSpotError(RuntimeError):
    """A HubSpot sync cannot go on; nothing from the failed read was saved."""


class HubSpotAuthError(HubSpotError):
    """No token, or HubSpot refused it (401): retrying cannot help."""

    @classmethod
    def refused(cls, request: str) -> HubSpotAuthError:
        return cls(
            f"HubSpot refused the access token (HTTP 401 on {request}): the token in "
            f"{TOKEN_ENV} is invalid or has expired. Renew it ({PRIVATE_APPS} > your app > "
            f"Access token), set {TOKEN_ENV} to the new token and run the sync again."
        )

    @classmethod
    def missing(cls) -> HubSpotAuthError:
        return cls(
            f"no HubSpot access token: set {TOKEN_ENV} to your private app's access token "
            f"({PRIVATE_APPS})."
        )


class HubSpotScopeError(HubSpotError):
    """The token works but lacks a scope the request needs (403 MISSING_SCOPES)."""

    def __init__(self, request: str, scopes: list[str]) -> None:
        self.scopes = scopes
        named = ", ".join(scopes) or "(HubSpot did not say which)"
        super().__init__(
            f"the HubSpot private app lacks the scope {named} needed for {request} "
            f"(HTTP 403 MISSING_SCOPES). Add it under {PRIVATE_APPS} > your app > Scopes, "
            "then run the sync again."
        )


class HubSpotRequestError(HubSpotError):
    """HubSpot rejected a request as invalid (4xx): a connector bug or an unusual portal."""

    def __init__(self, request: str, status: int, detail: str) -> None:
        self.status = status
        super().__init__(f"HubSpot rejected {request} with HTTP {status}: {detail}")


class HubSpotUnavailableError(HubSpotError):
    """HubSpot kept failing (rate limits, 5xx, bodies that are not JSON) past the retry budget."""

    def __init__(self, request: str, attempts: int, waited_s: float, problem: str) -> None:
        super().__init__(
            f"HubSpot did not answer {request} usefully after {attempts} attempts and "
            f"{waited_s:.0f} s of waiting (last problem: {problem}). Nothing from this read was "
            "saved and earlier data is intact. Run the sync again later; if it keeps failing, "
            "check status.hubspot.com and the portal's API usage (another integration may be "
            "using up the rate limit)."
        )
