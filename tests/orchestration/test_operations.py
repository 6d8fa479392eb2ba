"""Operations: the configurable daily schedule, the CSV drop sensor, run-failure alerts."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import dagster as dg
import pytest

from ingestion.hubspot.errors import HubSpotAuthError, HubSpotUnavailableError
from ingestion.settings import SettingsError, load_settings
from orchestration.alerts import WEBHOOK_ENV, alert_on_run_failure
from orchestration.jobs import daily_main_schedule
from orchestration.retries import retried_only_when_unavailable
from orchestration.sensors import new_csv_exports

LEADS_MAPPING = """\
kind: leads
instance: drop
files: exports/leads_*.csv
columns: {lead_id: id, created_at: created, source: origin}
"""


def test_schedule_cron_and_time_zone_come_from_settings(monkeypatch):
    monkeypatch.setenv("FUNNELHOUSE_SCHEDULE_CRON", "30 6 * * 1-5")
    monkeypatch.setenv("FUNNELHOUSE_SCHEDULE_TIMEZONE", "Europe/Berlin")
    schedule = daily_main_schedule(load_settings())
    assert (schedule.cron_schedule, schedule.execution_timezone) == (
        "30 6 * * 1-5",
        "Europe/Berlin",
    )
    tick = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)
    request = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=tick))
    assert request.run_requests[0].tags["as_of"] == "2026-03-01"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FUNNELHOUSE_SCHEDULE_CRON", "every day", "is not a cron expression with five fields"),
        ("FUNNELHOUSE_SCHEDULE_CRON", "61 5 * * *", "is not a valid cron expression"),
        ("FUNNELHOUSE_SCHEDULE_TIMEZONE", "Mars/Olympus", "is not an IANA time zone"),
    ],
)
def test_a_bad_schedule_setting_names_itself(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message):
        daily_main_schedule(load_settings())


def _write_export(folder, name: str, rows: int) -> None:
    lines = ["id,created,origin"] + [f"L{i},2024-01-0{1 + i % 9},search" for i in range(rows)]
    (folder / "exports" / name).write_text("\n".join(lines) + "\n")


def test_sensor_requests_one_run_per_new_or_rewritten_file(monkeypatch, tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "leads.yml").write_text(LEADS_MAPPING)
    monkeypatch.setenv("FUNNELHOUSE_CSV_MAPPINGS", str(tmp_path))
    monkeypatch.setenv("FUNNELHOUSE_AS_OF", "2024-02-01")

    first = new_csv_exports(dg.build_sensor_context())
    assert isinstance(first, dg.SkipReason), "a mapping with no file yet starts nothing"

    _write_export(tmp_path, "leads_1.csv", 3)
    result = new_csv_exports(dg.build_sensor_context())
    (request,) = result.run_requests
    assert request.tags == {"as_of": "2024-02-01", "csv_files": "1"}
    assert request.run_config["resources"]["settings"]["config"]["as_of"] == "2024-02-01"
    cursor = result.cursor

    again = new_csv_exports(dg.build_sensor_context(cursor=cursor))
    assert isinstance(again, dg.SkipReason), "the same file must not load twice"

    _write_export(tmp_path, "leads_2.csv", 5)
    second = new_csv_exports(dg.build_sensor_context(cursor=cursor))
    (request_2,) = second.run_requests
    assert request_2.tags["csv_files"] == "1"
    assert request_2.run_key != request.run_key

    _write_export(tmp_path, "leads_1.csv", 4)  # rewritten with a new row
    os.utime(tmp_path / "exports" / "leads_1.csv", ns=(1, 2))
    third = new_csv_exports(dg.build_sensor_context(cursor=second.cursor))
    assert third.run_requests[0].run_key not in {request.run_key, request_2.run_key}


def test_sensor_skips_without_mappings(monkeypatch):
    monkeypatch.delenv("FUNNELHOUSE_CSV_MAPPINGS", raising=False)
    skip = new_csv_exports(dg.build_sensor_context())
    assert "FUNNELHOUSE_CSV_MAPPINGS" in skip.skip_message


class _Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    _Webhook.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/T000/SECRET", _Webhook.received
    server.shutdown()


def test_a_failed_run_reaches_the_webhook_with_its_details(defs, tmp_path, monkeypatch, webhook):
    url, received = webhook
    monkeypatch.setenv(WEBHOOK_ENV, url)
    (tmp_path / "broken.yml").write_text("kind: invoices\ninstance: x\nfiles: none.csv\n")
    instance = dg.DagsterInstance.ephemeral()
    run_config = {
        "resources": {
            "settings": {
                "config": {
                    "home": str(tmp_path / "home"),
                    "as_of": "2024-02-01",
                    "csv_mappings": str(tmp_path / "broken.yml"),
                }
            }
        }
    }
    result = defs.resolve_job_def("csv_exports").execute_in_process(
        run_config=run_config, instance=instance, raise_on_error=False, tags={"as_of": "2024-02-01"}
    )
    assert not result.success
    failure = next(
        entry.dagster_event
        for entry in instance.all_logs(result.run_id)
        if entry.dagster_event and entry.dagster_event.event_type == dg.DagsterEventType.RUN_FAILURE
    )
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()
    alert_on_run_failure(context)

    (payload,) = received
    text = payload["blocks"][0]["text"]["text"]
    assert (
        payload["text"]
        == f"Funnelhouse run failed: job `csv_exports` (as of 2024-02-01), run {result.run_id}"
    )
    assert f"run `{result.run_id}`" in text
    assert "- csv_exports_raw: mapping " in text
    assert "kind" in text and "invoices" in text, "the alert carries the root cause"
    assert "SECRET" not in json.dumps(payload)


def test_only_a_source_outage_is_retried():
    with pytest.raises(HubSpotUnavailableError), retried_only_when_unavailable():
        raise HubSpotUnavailableError("GET /crm/v3/objects/deals", 8, 600.0, "HTTP 503")
    with pytest.raises(dg.Failure) as failure, retried_only_when_unavailable():
        raise HubSpotAuthError("HUBSPOT_ACCESS_TOKEN was refused (401)")
    assert failure.value.allow_retries is False
    assert failure.value.description == "HUBSPOT_ACCESS_TOKEN was refused (401)"
