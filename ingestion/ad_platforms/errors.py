"""What can stop an ad-platform sync, each error saying what to do next.

Messages name the request by method and path only, never a token (tokens travel in
headers and are read from the environment at run time): nothing secret reaches a log.
"""

from __future__ import annotations

GOOGLE_ADS_TOKEN_ENV = "GOOGLE_ADS_ACCESS_TOKEN"
GOOGLE_ADS_DEVELOPER_TOKEN_ENV = "GOOGLE_ADS_DEVELOPER_TOKEN"
META_TOKEN_ENV = "META_ACCESS_TOKEN"


class AdPlatformError(RuntimeError):
    """An ad-platform sync cannot go on; nothing from the failed account's read was saved."""


class AdPlatformAuthError(AdPlatformError):
    """A token is missing or refused: retrying cannot help."""

    @classmethod
    def missing(cls, platform: str, *variables: str) -> AdPlatformAuthError:
        return cls(f"no {platform} credentials: set {' and '.join(variables)}.")

    @classmethod
    def refused(
        cls, platform: str, request: str, detail: str, variables: str
    ) -> AdPlatformAuthError:
        return cls(
            f"{platform} refused the credentials ({detail} on {request}): check {variables}, "
            "renew the access token and run the sync again."
        )


class AdPlatformRequestError(AdPlatformError):
    """The platform rejected a request (a connector bug, or an account it cannot read)."""

    def __init__(self, platform: str, request: str, status: int, detail: str) -> None:
        self.status = status
        super().__init__(f"{platform} rejected {request} with HTTP {status}: {detail}")


class AdPlatformUnavailableError(AdPlatformError):
    """The platform kept failing (throttling, 5xx, broken bodies) past the retry budget."""

    def __init__(
        self, platform: str, request: str, attempts: int, waited_s: float, problem: str
    ) -> None:
        super().__init__(
            f"{platform} did not answer {request} usefully after {attempts} attempts and "
            f"{waited_s:.0f} s of waiting (last problem: {problem}). Nothing from this "
            "account's read was saved and earlier data is intact. Run the sync again later."
        )
