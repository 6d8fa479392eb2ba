"""PipedriveClient alone: the token's header, paging, timeouts retried, bounded waits."""

from __future__ import annotations

from ingestion.pipedrive.client import PipedriveClient
from ingestion.pipedrive.landing import land_pipedrive_demo

from .conftest import START, TOKEN


def test_the_token_travels_in_a_header_never_in_the_url(server, client):
    client.get("/api/v2/stages")
    assert all(TOKEN not in target for _, target, _ in server.app.requests)
    assert [status for *_, status in server.app.requests] == [200]


def test_v1_and_v2_listings_are_followed_to_their_last_page(server, clock):
    small = PipedriveClient(server.base_url, token=TOKEN, sleep=clock.sleep, page_size=4)
    stages = [s["id"] for page in small.pages("/api/v2/stages") for s in page]
    assert stages == list(range(1, 15))
    flow = list(small.v1_pages("/v1/deals/12000000000/flow", {"items": "dealChange"}))
    assert [len(p) for p in flow[:-1]] == [4] * (len(flow) - 1) and 0 < len(flow[-1]) <= 4
    assert len({c["data"]["id"] for page in flow for c in page}) == sum(map(len, flow))


def test_a_slow_answer_times_out_and_is_retried(server, clock):
    impatient = PipedriveClient(server.base_url, token=TOKEN, sleep=clock.sleep, timeout=(1.0, 0.2))
    server.faults.slow, server.faults.delay_s = 1, 0.5
    assert len(impatient.get("/api/v2/pipelines")["data"]) == 2
    assert clock.sleeps == [1] and impatient.stats.retries == 1


def test_the_demo_lands_the_world_through_the_api(world, con, tmp_path, monkeypatch):
    monkeypatch.setenv("PIPEDRIVE_API_TOKEN", "not-the-demo-token")  # the demo ignores it
    first = land_pipedrive_demo(
        con, world, load_id="D1", loaded_at=START, work_dir=tmp_path / "spool"
    )
    again = land_pipedrive_demo(
        con, world, load_id="D2", loaded_at=START, work_dir=tmp_path / "spool"
    )
    assert first["deals"].rows_inserted == first["deals"].rows_read - 1  # one quarantined
    assert again["deals"].mode == "incremental"
    assert sum(s.rows_inserted + s.rows_vanished for s in again.values()) == 0
