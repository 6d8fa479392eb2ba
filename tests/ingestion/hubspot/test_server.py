"""The simulated API answers in HubSpot's documented shapes, limits and failures."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import requests

from ingestion.simulator import load_manifest, read_table
from ingestion.simulator.server import ALL_SCOPES, HubSpotServer

from .conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
DEALS = "/crm/v3/objects/deals"
HISTORY = "dealstage,amount,closedate,hs_forecast_category,hubspot_owner_id"


def _get(server, path, **params):
    return requests.get(server.base_url + path, params=params, headers=AUTH, timeout=10)


def _post(server, path, body, **params):
    return requests.post(server.base_url + path, json=body, params=params, headers=AUTH, timeout=10)


def _all_pages(server, path, **params) -> list[dict]:
    records, after = [], None
    while True:
        body = _get(server, path, **params, **({"after": after} if after else {})).json()
        records += body["results"]
        if "paging" not in body:
            return records
        after = body["paging"]["next"]["after"]


def _search(server, ms, **extra):
    filters = [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(ms)}]
    body = {
        "filterGroups": [{"filters": filters}],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "properties": ["amount"],
        "limit": 200,
        **extra,
    }
    return _post(server, f"{DEALS}/search", body)


def test_listing_pages_with_opaque_cursors(server, world):
    first = _get(server, DEALS, limit=100, properties="dealname,amount").json()
    after = first["paging"]["next"]["after"]
    assert (
        len(first["results"]) == 100 and "%3D" in after and after not in first["results"][-1]["id"]
    )
    record = first["results"][0]
    assert set(record) == {"id", "properties", "createdAt", "updatedAt", "archived"}
    assert set(record["properties"]) == {"dealname", "amount"}
    deals = read_table(world, "deals").to_pylist()
    live = _all_pages(server, DEALS, limit=100)
    assert [r["id"] for r in live] == sorted((d["id"] for d in deals if not d["archived"]), key=int)
    archived = _all_pages(server, DEALS, limit=100, archived="true")
    assert {r["id"]: r["archivedAt"] for r in archived} == {
        d["id"]: d["archived_at"] for d in deals if d["archived"]
    }
    assert _get(server, DEALS, limit=101).json()["category"] == "VALIDATION_ERROR"


def test_inline_associations_stop_at_100_then_page(server):
    first = _get(server, DEALS, limit=1, associations="contacts").json()["results"][0]
    contacts = sorted(server.world.crm["contacts"].rows, key=int)[:150]
    server.world.associations[("deals", "contacts")][first["id"]] = dict.fromkeys(contacts, 3)
    block = _get(server, DEALS, limit=1, associations="contacts").json()["results"][0]
    inline = block["associations"]["contacts"]
    assert [r["id"] for r in inline["results"]] == contacts[:100]
    assert {r["type"] for r in inline["results"]} == {"deal_to_contact"}
    after = inline["paging"]["next"]["after"]
    assert inline["paging"]["next"]["link"].endswith(
        f"/deals/{first['id']}/associations/contacts?after={after}"
    )


def test_history_is_rebuilt_from_the_flattened_rows(server, world):
    pages = _get(server, DEALS, limit=100, propertiesWithHistory=HISTORY).json()
    assert len(pages["results"]) == 50  # history caps pages at 50 records
    records = _all_pages(server, DEALS, limit=50, propertiesWithHistory=HISTORY)
    records += _all_pages(server, DEALS, limit=50, propertiesWithHistory=HISTORY, archived="true")
    served = Counter(
        (r["id"], prop, e["value"], e["timestamp"], e["sourceType"], e.get("sourceId"), user)
        for r in records
        for prop, entries in r["propertiesWithHistory"].items()
        for e in entries
        for user in [str(e["updatedByUserId"]) if "updatedByUserId" in e else None]
    )
    assert served == Counter(
        tuple(row.values()) for row in read_table(world, "deal_property_history").to_pylist()
    )


def test_history_of_every_property_gives_untracked_ones_their_current_value(server, world):
    """As HubSpot does, a property the world keeps no history for answers one entry, its
    current value (set at creation); a property without a value has no history."""
    listed = [p["name"] for p in _get(server, "/crm/v3/properties/deals").json()["results"]]
    every = ",".join(listed)
    records = _all_pages(server, DEALS, limit=50, properties=every, propertiesWithHistory=every)
    untracked = set(listed) - set(HISTORY.split(","))  # tracked: the test above
    assert {p for r in records for p in r["propertiesWithHistory"]} == set(listed)
    for record in records:
        history, current = record["propertiesWithHistory"], record["properties"]
        assert current["hs_object_id"] == record["id"]  # computed properties too
        for prop in untracked:
            expected = [
                {"value": current[prop], "timestamp": record["createdAt"], "sourceType": "CRM_UI"}
            ]
            assert history.get(prop) == (expected if current[prop] is not None else None)
    batch = {"inputs": [{"id": records[0]["id"]}], "propertiesWithHistory": ["dealname"]}
    read = _post(server, f"{DEALS}/batch/read", batch).json()["results"][0]
    assert read["propertiesWithHistory"] == {
        "dealname": records[0]["propertiesWithHistory"]["dealname"]
    }


def test_search_filters_sorts_and_stops_at_the_cap(world):
    with HubSpotServer(world, token=TOKEN, search_cap=250) as server:
        page = _search(server, 0).json()
        stamps = [r["properties"]["hs_lastmodifieddate"] for r in page["results"]]
        assert stamps == sorted(stamps) and len(stamps) == 200
        assert page["total"] == sum(
            not d["archived"] for d in read_table(world, "deals").to_pylist()
        )
        assert page["paging"]["next"]["after"] == "200"
        assert len(_search(server, 0, after="200").json()["results"]) == 50
        past_cap = _search(server, 0, after="250")
        assert past_cap.status_code == 400 and "at most 250 results" in past_cap.json()["message"]
        assert _search(server, 0, limit=201).status_code == 400
        descending = [{"propertyName": "hs_lastmodifieddate", "direction": "DESCENDING"}]
        newest = _search(server, 0, sorts=descending, limit=1).json()["results"][0]
        live = [d for d in read_table(world, "deals").to_pylist() if not d["archived"]]
        assert newest["properties"]["hs_lastmodifieddate"] == max(
            d["hs_lastmodifieddate"] for d in live
        )


def test_batch_reads_enforce_limits_and_report_missing_ids(server, world):
    ids = [d["id"] for d in read_table(world, "deals").to_pylist() if not d["archived"]]
    body = {"inputs": [{"id": i} for i in ids[:51]], "propertiesWithHistory": ["dealstage"]}
    assert _post(server, f"{DEALS}/batch/read", body).status_code == 400
    body["inputs"] = [{"id": i} for i in [*ids[:49], "999"]]
    answer = _post(server, f"{DEALS}/batch/read", body)
    assert answer.status_code == 207
    assert len(answer.json()["results"]) == 49
    assert answer.json()["errors"][0]["context"]["ids"] == ["999"]
    links = _post(
        server, "/crm/v4/associations/deals/companies/batch/read", {"inputs": [{"id": ids[0]}]}
    )
    types = [t["typeId"] for t in links.json()["results"][0]["to"][0]["associationTypes"]]
    assert types == [5, 341]  # primary and unlabelled, as HubSpot lists a primary company


def test_errors_come_in_hubspot_shapes(world, server):
    refused = requests.get(
        server.base_url + DEALS, headers={"Authorization": "Bearer nope"}, timeout=10
    )
    assert refused.status_code == 401 and refused.json()["category"] == "INVALID_AUTHENTICATION"
    server.faults.rate_limited, server.faults.retry_after = 1, 3
    limited = _get(server, DEALS)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert limited.json()["errorType"] == "RATE_LIMIT"
    assert limited.json()["policyName"] == "TEN_SECONDLY_ROLLING"
    assert {"X-HubSpot-RateLimit-Max", "X-HubSpot-RateLimit-Remaining"} <= set(limited.headers)
    with HubSpotServer(world, token=TOKEN, scopes=ALL_SCOPES - {"crm.objects.owners.read"}) as bare:
        denied = _get(bare, "/crm/v3/owners")
    assert denied.status_code == 403 and denied.json()["category"] == "MISSING_SCOPES"
    assert denied.json()["errors"][0]["context"]["requiredGranularScopes"] == [
        "crm.objects.owners.read"
    ]
    server.faults.malformed_json = 1
    with pytest.raises(requests.JSONDecodeError):
        _get(server, DEALS).json()


def test_keep_alive_requests_are_not_held_back_by_nagle(server):
    """Without TCP_NODELAY each keep-alive response waits ~40 ms for a delayed ACK."""
    session = requests.Session()
    started = time.perf_counter()
    for _ in range(40):
        session.get(server.base_url + "/account-info/v3/details", headers=AUTH, timeout=10)
    assert time.perf_counter() - started < 1.0


def test_edits_behave_like_hubspot(server, world):
    assert _get(server, "/account-info/v3/details").json()["portalId"] == int(
        load_manifest(world)["portal_id"]
    )
    live = [r["id"] for r in _all_pages(server, DEALS, limit=100)]
    stamp = server.world.update("deals", live[0], {"dealstage": "closedwon"})
    edited = _search(server, server.world.now_ms, properties=["dealstage"]).json()["results"]
    assert [(r["id"], r["properties"]["dealstage"]) for r in edited] == [(live[0], "closedwon")]
    history = _get(server, DEALS, limit=1, propertiesWithHistory="dealstage").json()["results"][0]
    assert {"value": "closedwon", "timestamp": stamp} in [
        {k: e[k] for k in ("value", "timestamp")}
        for e in history["propertiesWithHistory"]["dealstage"]
    ]
    server.world.archive("deals", live[1])
    server.world.merge("deals", live[2], live[3])
    listed = [r["id"] for r in _all_pages(server, DEALS, limit=100)]
    assert live[1] not in listed and live[3] not in listed
    body = {"inputs": [{"id": live[2]}], "properties": ["hs_merged_object_ids"]}
    survivor = _post(server, f"{DEALS}/batch/read", body).json()["results"][0]
    assert live[3] in survivor["properties"]["hs_merged_object_ids"].split(";")
    server.world.add_property("deals", "partner_region")
    names = {
        p["name"]: p["hubspotDefined"]
        for p in _get(server, "/crm/v3/properties/deals").json()["results"]
    }
    assert names["partner_region"] is False and names["dealname"] is True
    server.world.remove_property("deals", "dealname")
    again = _get(server, DEALS, limit=1, properties="dealname,amount").json()["results"][0]
    assert set(again["properties"]) == {"amount"}
