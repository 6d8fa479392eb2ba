"""HTTP to Salesforce's REST API: dlt's REST client, under a retrying transport.

Paging (``nextRecordsUrl`` until ``done``), bearer auth and request building come from
dlt's ``RESTClient``. Retries live in a transport adapter beneath it, so each batch of a
long query is retried alone and a 503 on batch 40 does not restart the query (a query
locator stays valid for minutes). What retrying cannot fix fails at once: a refused token
(401) and, above all, the daily request limit (403 REQUEST_LIMIT_EXCEEDED), which frees
up over hours and which every retry would only eat further into. Waits go through an
injectable ``sleep`` and are bounded, so tests never really sleep and a sync never hangs.

The retry policy and counters are the HubSpot client's, imported as they are.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import requests
from dlt.common import jsonpath
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from ingestion.retrying_http import CredentialsExpired, RequestStats, RetryingAdapter, RetryPolicy
from ingestion.salesforce.errors import (
    REFRESH_ENVS,
    TOKEN_ENV,
    SalesforceAuthError,
    SalesforceLimitError,
    SalesforceRequestError,
    SalesforceUnavailableError,
)

API_VERSION = "v62.0"
LIMIT_HEADER = "Sforce-Limit-Info"
TOKEN_PATH = "/services/oauth2/token"


@dataclass(frozen=True)
class OAuthRefresh:
    """A connected app's refresh token, which renews the access token when its session
    expires (sessions last hours; a daily run outlives any one token)."""

    client_id: str
    client_secret: str
    refresh_token: str

    @classmethod
    def from_env(cls) -> OAuthRefresh | None:
        """From SALESFORCE_CLIENT_ID, _CLIENT_SECRET and _REFRESH_TOKEN; None unless all set."""
        values = [os.environ.get(name) for name in REFRESH_ENVS]
        return cls(*values) if all(values) else None

    def __repr__(self) -> str:  # never the secrets, in any log or error
        return "OAuthRefresh(...)"


class _Classifier:
    """What a Salesforce response means for the retrying transport; remembers the latest
    API usage Salesforce reported, to name it when the daily limit stops a sync."""

    def __init__(self) -> None:
        self.usage: str | None = None  # the latest Sforce-Limit-Info, e.g. api-usage=18/5000
        self.renewed = False  # whether the session was renewed since the client began

    def __call__(self, response: requests.Response, name: str) -> tuple[str | None, None]:
        self.usage = response.headers.get(LIMIT_HEADER) or self.usage
        return self._problem(response, name), None

    def _problem(self, response: requests.Response, name: str) -> str | None:
        """Why to retry; None for a usable response. Raises for what retrying cannot fix."""
        status = response.status_code
        if status == 401:
            raise CredentialsExpired(SalesforceAuthError.refused(name, renewed=self.renewed))
        if status >= 500 or status in (408, 429):
            return f"HTTP {status}"
        if status >= 400:
            code, message = _first_error(response)
            if code == "REQUEST_LIMIT_EXCEEDED":
                raise SalesforceLimitError(name, self.usage)
            raise SalesforceRequestError(name, status, f"{code} {message[:300]}".strip())
        try:
            parsed = json.loads(response.content)
        except ValueError:
            return f"HTTP {status} with a body that is not JSON"
        # Parse once: dlt's paginator and data selector each call response.json().
        response.json = lambda **_: parsed  # type: ignore[method-assign]
        return None


def _first_error(response: requests.Response) -> tuple[str, str]:
    """(errorCode, message) of Salesforce's JSON error array; blanks when unreadable."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return "", response.reason or ""
    first = body[0] if isinstance(body, list) and body else body
    if not isinstance(first, dict):
        return "", ""
    return str(first.get("errorCode", "")), str(first.get("message", ""))


class SalesforceClient:
    """An authenticated client for one org's REST API, with bounded retries and counters.

    ``instance_url`` is the org's (``https://acme.my.salesforce.com``); ``token`` defaults
    to the ``SALESFORCE_ACCESS_TOKEN`` environment variable, read here at run time.
    ``refresh`` (default: from the environment, see :class:`OAuthRefresh`) renews the
    session at the org's token endpoint when Salesforce refuses it, once per request, and
    gets the first token when there is none. ``observe`` is called with (method, path,
    status) after every response.
    """

    def __init__(
        self,
        instance_url: str,
        token: str | None = None,
        *,
        api_version: str = API_VERSION,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: tuple[float, float] = (10.0, 120.0),
        observe: Callable[[str, str, int], None] | None = None,
        refresh: OAuthRefresh | None = None,
    ) -> None:
        token = token or os.environ.get(TOKEN_ENV)
        self._refresh = refresh or OAuthRefresh.from_env()
        if not token and self._refresh is None:
            raise SalesforceAuthError.missing()
        self.instance_url = instance_url.rstrip("/")
        self._timeout = timeout
        self.api_path = f"/services/data/{api_version}"
        self.stats = RequestStats()
        session = requests.Session()
        self._classifier = _Classifier()
        adapter = RetryingAdapter(
            retry or RetryPolicy(),
            sleep,
            self.stats,
            timeout,
            observe,
            classify=self._classifier,
            give_up=SalesforceUnavailableError,
            renew=self._renew if self._refresh else None,
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self._auth = BearerTokenAuth(token or "")
        if not token:
            self._renew()
        self._rest = RESTClient(
            self.instance_url,
            auth=self._auth,
            session=session,
            data_selector=jsonpath.compile_path("records"),
            paginator=JSONLinkPaginator(next_url_path="nextRecordsUrl"),
        )

    def __repr__(self) -> str:
        return f"SalesforceClient({self.instance_url!r})"

    def _renew(self) -> str:
        """A new access token from the refresh token (OAuth refresh_token grant); returns
        the Authorization header that carries it."""
        assert self._refresh is not None
        self.stats.requests += 1
        grant = {
            "grant_type": "refresh_token",
            "client_id": self._refresh.client_id,
            "client_secret": self._refresh.client_secret,
            "refresh_token": self._refresh.refresh_token,
        }
        response = requests.post(self.instance_url + TOKEN_PATH, data=grant, timeout=self._timeout)
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not body.get("access_token"):
            error, description = str(body.get("error", "")), str(body.get("error_description", ""))
            raise SalesforceAuthError.refresh_refused(
                response.status_code, error, description[:200]
            )
        self._auth.token = body["access_token"]
        self._classifier.renewed = True
        return f"Bearer {self._auth.token}"

    @property
    def api_usage(self) -> str | None:
        """The latest ``Sforce-Limit-Info`` Salesforce sent (``api-usage=18/5000``)."""
        return self._classifier.usage

    def query_pages(self, soql: str, *, include_deleted: bool = False) -> Iterator[list[dict]]:
        """The records of each batch of a SOQL query, following ``nextRecordsUrl``.

        ``include_deleted`` uses ``queryAll``, which also returns deleted and merged rows.
        """
        endpoint = "queryAll" if include_deleted else "query"
        for page in self._rest.paginate(f"{self.api_path}/{endpoint}", params={"q": soql}):
            yield list(page)

    def org_id(self) -> str:
        """The organization id (00D...): the source instance every raw row is tagged with."""
        for page in self.query_pages("SELECT Id FROM Organization"):
            for record in page:
                return str(record["Id"])
        raise SalesforceRequestError("GET query Organization", 200, "no Organization record")
