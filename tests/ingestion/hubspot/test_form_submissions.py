"""Form submissions over the simulated form integrations API: incremental from their cursor
with an overlap, deduplicated on conversion id, faults retried like every endpoint."""

from __future__ import annotations

from ingestion.hubspot.client import HubSpotClient

from .conftest import TOKEN, assert_raw_matches_server, cursor


def _submission(server, n: int, at_ms: int) -> dict:
    form = sorted(server.world.submissions)[n % len(server.world.submissions)]
    return {
        "conversion_id": f"00000000-0000-4000-8000-{n:012d}",
        "form_id": form,
        "submitted_at": str(at_ms),
        "page_url": "https://www.funnelhouse.example/demo?utm_source=google&utm_medium=cpc",
        "email": f"new.person{n}@example.com",
        "firstname": "New",
        "lastname": f"Person{n}",
    }


def _form_requests(server) -> int:
    return sum(path.startswith("/form-integrations/") for _, path, _ in server.app.requests)


def test_submissions_are_read_from_their_cursor_less_the_overlap(sync, con, server):
    sync(full=True)
    assert_raw_matches_server(con, server)
    newest = int(cursor(con, "form_submissions"))
    server.world.submit(_submission(server, 1, newest + 60_000))
    # Made before the newest one landed but listed late: the overlap still finds it.
    server.world.submit(_submission(server, 2, newest - 60_000))
    before = _form_requests(server)
    stats = sync()["form_submissions"]
    assert (stats.mode, stats.rows_inserted) == ("incremental", 2)
    assert _form_requests(server) - before == len(server.world.submissions)  # a page a form
    assert cursor(con, "form_submissions") == str(newest + 60_000)
    assert_raw_matches_server(con, server)
    assert sync()["form_submissions"].rows_inserted == 0  # re-read overlap: nothing twice


def test_a_5xx_in_the_middle_of_a_forms_pages_and_a_429_are_retried(sync, con, server, clock):
    # The faults are injected, not the limits': pacing's waits would mix into the sleeps.
    client = HubSpotClient(
        server.base_url, token=TOKEN, pacing=None, clock=clock.time, sleep=clock.sleep
    )
    armed = []

    def on_request(method: str, path: str) -> None:
        if path.startswith("/form-integrations/") and not armed:
            armed.append(path)
            server.faults.rate_limited = 1  # this request: 429 without Retry-After
            server.faults.fail_after_pages = server.app.pages_served + 2  # its third page
            server.faults.failures, server.faults.failure_status = 2, 503

    server.faults.before_request = on_request
    stats = sync(full=True, client=client)["form_submissions"]
    assert armed and stats.retries == 3 and len(clock.sleeps) == 3
    assert stats.pages > 3 * len(server.world.submissions)  # the failure was mid-listing
    assert_raw_matches_server(con, server)
