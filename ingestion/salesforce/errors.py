"""What can stop a Salesforce sync, each error saying what to do next.

Messages name the request by method and path only (never the SOQL's query string, never
the token, which travels in a header): nothing secret reaches a log or the warehouse.
"""

from __future__ import annotations

TOKEN_ENV = "SALESFORCE_ACCESS_TOKEN"
# A connected app's OAuth refresh: with all three set, an expired session is renewed.
REFRESH_ENVS = ("SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET", "SALESFORCE_REFRESH_TOKEN")


class SalesforceError(RuntimeError):
    """A Salesforce sync cannot go on; nothing from the failed object's read was saved."""


class SalesforceAuthError(SalesforceError):
    """No token, or Salesforce refused it (401 INVALID_SESSION_ID): retrying cannot help."""

    @classmethod
    def refused(cls, request: str, *, renewed: bool = False) -> SalesforceAuthError:
        if renewed:
            return cls(
                f"Salesforce refused a freshly renewed access token (HTTP 401 "
                f"INVALID_SESSION_ID on {request}): check that the connected app of "
                f"{REFRESH_ENVS[0]} may use the API for this org, then run the sync again."
            )
        return cls(
            f"Salesforce refused the access token (HTTP 401 INVALID_SESSION_ID on {request}): "
            f"the session in {TOKEN_ENV} is invalid or has expired. Get a new access token "
            f"(`sf org display`), set {TOKEN_ENV} and run the sync again, or set "
            f"{', '.join(REFRESH_ENVS)} so expired sessions are renewed."
        )

    @classmethod
    def refresh_refused(cls, status: int, error: str, description: str) -> SalesforceAuthError:
        return cls(
            f"Salesforce refused to renew the session (HTTP {status} {error}: "
            f"{description}): the refresh token in {REFRESH_ENVS[2]} was revoked or has "
            f"expired, or {REFRESH_ENVS[0]} / {REFRESH_ENVS[1]} do not belong to its "
            "connected app. Authorise the app again, set the three variables and run the "
            "sync again."
        )

    @classmethod
    def missing(cls) -> SalesforceAuthError:
        return cls(
            f"no Salesforce credentials: set {TOKEN_ENV} to an OAuth access token, or "
            f"{', '.join(REFRESH_ENVS)} to a connected app's refresh token."
        )


class SalesforceLimitError(SalesforceError):
    """The org's rolling 24-hour API request limit is used up (403 REQUEST_LIMIT_EXCEEDED).

    Not retried: the limit frees up over hours, and retrying only burns more of it.
    """

    def __init__(self, request: str, usage: str | None) -> None:
        self.usage = usage
        seen = f" (Sforce-Limit-Info: {usage})" if usage else ""
        super().__init__(
            f"Salesforce's daily API request limit is exhausted (HTTP 403 "
            f"REQUEST_LIMIT_EXCEEDED on {request}){seen}. Nothing from this read was saved. "
            "Wait until the org's 24-hour request window frees up, or ask the Salesforce "
            "admin to check which integrations use the API (Setup > System Overview), "
            "then run the sync again."
        )


class SalesforceRequestError(SalesforceError):
    """Salesforce rejected a request (4xx such as MALFORMED_QUERY): a connector bug or an
    org without a field the connector reads."""

    def __init__(self, request: str, status: int, detail: str) -> None:
        self.status = status
        super().__init__(f"Salesforce rejected {request} with HTTP {status}: {detail}")


class SalesforceUnavailableError(SalesforceError):
    """Salesforce kept failing (5xx, timeouts, bodies that are not JSON) past the retry budget."""

    def __init__(self, request: str, attempts: int, waited_s: float, problem: str) -> None:
        super().__init__(
            f"Salesforce did not answer {request} usefully after {attempts} attempts and "
            f"{waited_s:.0f} s of waiting (last problem: {problem}). Nothing from this read "
            "was saved and earlier data is intact. Run the sync again later; if it keeps "
            "failing, check status.salesforce.com for the org's instance."
        )
