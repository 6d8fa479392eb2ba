"""The simulated Pipedrive API answers in Pipedrive's shapes, pages, errors and limits."""

from __future__ import annotations

import re

import requests

from ingestion.simulator import read_table
from ingestion.simulator.pipedrive_server.mapping import StageIds

from .conftest import TOKEN


def _get(server, path: str, token: str = TOKEN, **params) -> requests.Response:
    return requests.get(server.base_url + path, params=params, headers={"x-api-token": token})


def test_deals_page_by_cursor_in_update_order_without_deleted_ones(server, world):
    seen, cursor = [], None
    while True:
        params = {"sort_by": "update_time", "sort_direction": "asc", "limit": 100}
        body = _get(server, "/api/v2/deals", **params, **({"cursor": cursor} if cursor else {}))
        body = body.json()
        assert body["success"] is True
        seen += body["data"]
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            break
    deals = read_table(world, "deals").to_pylist()
    live = {int(d["id"]) for d in deals if not d["archived"]}
    assert [d["id"] for d in seen if d["id"] in live] == [d["id"] for d in seen]
    assert {d["id"] for d in seen} == live and len(seen) == len(live)
    assert [d["update_time"] for d in seen] == sorted(d["update_time"] for d in seen)
    assert all(re.fullmatch(r"[0-9a-f]{40}", k) for d in seen for k in d["custom_fields"])
    deleted = _get(server, "/api/v2/deals", status="deleted").json()["data"]
    assert {d["id"] for d in deleted} == {int(d["id"]) for d in deals if d["archived"]}
    assert {(d["status"], d["is_deleted"]) for d in deleted} == {("deleted", True)}
    first = next(d for d in seen if d["id"] == 12000000000)
    ids = StageIds.from_rows(read_table(world, "pipeline_stages").to_pylist())
    assert (first["pipeline_id"], first["stage_id"]) == (2, ids.stages[("7654321", "1006")])
    assert (first["status"], first["value"], first["add_time"]) == (
        "won",
        18644.29,
        "2024-01-05T12:36:28Z",
    )


def test_an_enum_custom_field_holds_option_ids_labelled_in_deal_fields(server, world):
    fields = _get(server, "/v1/dealFields").json()["data"]
    forecast = next(f for f in fields if f["name"] == "Forecast category")
    assert forecast["field_type"] == "enum"
    labels = {o["id"]: o["label"] for o in forecast["options"]}
    assert sorted(labels.values()) == ["BEST_CASE", "CLOSED", "COMMIT", "OMIT", "PIPELINE"]
    body = _get(server, "/api/v2/deals", limit=100).json()["data"]
    held = {d["id"]: d["custom_fields"][forecast["key"]] for d in body}
    truth = {
        int(d["id"]): d["hs_forecast_category"] for d in read_table(world, "deals").to_pylist()
    }
    assert all(isinstance(v, int) for v in held.values() if v is not None)
    assert {i: labels.get(v) for i, v in held.items()} == {i: truth[i] for i in held}


def test_flow_is_newest_first_in_naive_utc_with_v1_pagination(server):
    path = "/v1/deals/12000000000/flow"
    first = _get(server, path, items="dealChange", limit=3).json()
    pagination = first["additional_data"]["pagination"]
    assert pagination == {"start": 0, "limit": 3, "more_items_in_collection": True, "next_start": 3}
    items = (
        first["data"] + _get(server, path, items="dealChange", start=3, limit=500).json()["data"]
    )
    stamps = [i["timestamp"] for i in items]
    assert stamps == sorted(stamps, reverse=True)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", s) for s in stamps)
    stages = [i["data"] for i in items if i["data"]["field_key"] == "stage_id"]
    assert stages[0]["new_value"] == "13" and stages[-1]["old_value"] is None
    assert _get(server, "/v1/deals/1/flow").status_code == 404


def test_errors_use_pipedrives_envelope_and_rate_limit_headers(server, clock):
    refused = _get(server, "/api/v2/stages", token="wrong")
    assert refused.status_code == 401
    assert refused.json() == {
        "success": False,
        "error": "unauthorized access",
        "error_info": "Please check developers.pipedrive.com",
        "data": None,
    }
    ok = _get(server, "/api/v2/stages")
    assert ok.headers["x-ratelimit-limit"] == "80" and ok.headers["x-ratelimit-reset"] == "2"
    server.faults.rate_limited = 1
    limited = _get(server, "/api/v2/stages")
    assert limited.status_code == 429 and limited.headers["x-ratelimit-remaining"] == "0"
    assert limited.json()["success"] is False
    server.faults.throttle = True
    statuses = [_get(server, "/api/v2/pipelines").status_code for _ in range(80)]
    assert statuses.count(429) == 1 and statuses[-1] == 429  # 80 per 2-second window
    clock.sleep(2)
    assert _get(server, "/api/v2/pipelines").status_code == 200
