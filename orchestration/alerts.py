"""Run-failure alerts: every failed run is logged and, when a webhook is set, posted to it.

The payload is Slack's incoming-webhook JSON (``text`` plus ``blocks``), which Mattermost,
Rocket.Chat, Teams workflows and most chat tools accept too. The webhook URL carries its
own secret, so it is read from ``FUNNELHOUSE_ALERT_WEBHOOK_URL`` when an alert is sent and
never appears in a log line or an error.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

import dagster as dg

from orchestration.run_main import root_cause

WEBHOOK_ENV = "FUNNELHOUSE_ALERT_WEBHOOK_URL"
WEBHOOK_TIMEOUT_SECONDS = 10


def failure_payload(
    *, job: str, run_id: str, as_of: str | None, failures: list[str], ui_url: str | None
) -> dict[str, Any]:
    """Slack-compatible JSON describing a failed run: what failed and where to look."""
    title = f"Funnelhouse run failed: job `{job}`" + (f" (as of {as_of})" if as_of else "")
    lines = [f"*{title}*", f"run `{run_id}`"]
    lines += [f"- {failure}" for failure in failures] or ["- no step failure recorded"]
    where = f"{ui_url.rstrip('/')}/runs/{run_id}" if ui_url else f"`funnelhouse ui`, run {run_id}"
    lines.append(f"Details: {where}")
    return {
        "text": f"{title}, run {run_id}",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}],
    }


def post_alert(url: str, payload: dict[str, Any]) -> None:
    """POST ``payload``; errors name the setting, never the URL (it holds a secret)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read()
    except (urllib.error.URLError, TimeoutError) as exc:
        reason = exc.code if isinstance(exc, urllib.error.HTTPError) else type(exc).__name__
        raise RuntimeError(
            f"the alert webhook ({WEBHOOK_ENV}) did not accept the alert ({reason}); "
            "check the URL and that the chat tool's webhook is enabled"
        ) from None


def _step_failures(context: dg.RunFailureSensorContext) -> list[str]:
    return [
        f"{event.step_key}: {root_cause(event.step_failure_data.error)}"
        for event in context.get_step_failure_events()
    ]


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=f"Logs every failed run and posts it to {WEBHOOK_ENV} when that is set.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    payload = failure_payload(
        job=run.job_name,
        run_id=run.run_id,
        as_of=run.tags.get("as_of"),
        failures=_step_failures(context),
        ui_url=os.environ.get("FUNNELHOUSE_UI_URL"),
    )
    context.log.error(payload["blocks"][0]["text"]["text"])
    url = os.environ.get(WEBHOOK_ENV)
    if url:
        post_alert(url, payload)
