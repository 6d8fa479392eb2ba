"""The simulated org speaks Salesforce's shapes: batches, queryAll, errors, limit header."""

from __future__ import annotations

import re

import pytest
import requests

from ingestion.salesforce.errors import SalesforceRequestError

from .conftest import BATCH, TOKEN

API = "/services/data/v62.0"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _get(server, path: str, **params) -> requests.Response:
    return requests.get(server.instance_url + path, params=params, headers=AUTH, timeout=10)


def test_query_pages_and_query_all_shapes(server):
    soql = "SELECT Id, StageName, Amount, CreatedDate, IsDeleted FROM Opportunity ORDER BY Id"
    first = _get(server, f"{API}/queryAll", q=soql)
    body = first.json()
    assert first.headers["Sforce-Limit-Info"] == "api-usage=1/5000"
    assert body["totalSize"] == 299 and body["done"] is False and len(body["records"]) == BATCH
    record = body["records"][0]
    assert record["attributes"] == {
        "type": "Opportunity",
        "url": f"{API}/sobjects/Opportunity/{record['Id']}",
    }
    assert isinstance(record["Amount"], float) and record["IsDeleted"] in (True, False)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", record["CreatedDate"])
    ids = [r["Id"] for r in body["records"]]
    while not body["done"]:
        body = _get(server, body["nextRecordsUrl"]).json()
        ids += [r["Id"] for r in body["records"]]
    assert ids == sorted(ids) and len(set(ids)) == 299
    live = _get(server, f"{API}/query", q=soql).json()["totalSize"]
    assert live == 299 - 3  # query leaves deleted rows out; queryAll lists them


def test_errors_are_salesforce_json_arrays(server, client):
    bad = _get(server, f"{API}/query", q="SELEC Id FROM Opportunity")
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceRequestError, match="INVALID_FIELD") as failure:
        list(client.query_pages("SELECT Nope FROM Opportunity"))
    assert "Nope" in str(failure.value) and TOKEN not in str(failure.value)
    anon = requests.get(server.instance_url + f"{API}/query", params={"q": "x"}, timeout=10)
    assert anon.status_code == 401 and anon.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    server.faults.daily_limit = 0
    limited = _get(server, f"{API}/query", q="SELECT Id FROM User")
    assert limited.status_code == 403
    assert limited.json() == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]


def test_incremental_filter_is_strictly_after(server):
    stamp = server.org.update_opportunity(server.org.current("Opportunity")[0]["Id"], Amount=1.0)
    literal = stamp[:19] + "Z"
    soql = f"SELECT Id FROM Opportunity WHERE SystemModstamp > {literal} ORDER BY SystemModstamp"
    assert _get(server, f"{API}/queryAll", q=soql).json()["totalSize"] == 0
    before = "2025-12-31T23:59:59Z"
    soql = f"SELECT Id FROM Opportunity WHERE SystemModstamp > {before} ORDER BY SystemModstamp"
    assert _get(server, f"{API}/queryAll", q=soql).json()["totalSize"] == 1
