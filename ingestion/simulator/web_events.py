"""A Segment-style JSONL export of the website's events, consistent with the world's touches.

Every web touch (a visit with the person's cookie as ``anonymousId``) becomes a landing
``page`` event at the touch's time, carrying its page URL (with the UTM parameters),
referrer and ``context.campaign``, then 0-3 follow-up page views a few minutes apart.
A form fill adds an ``identify`` event (``userId`` = the HubSpot contact id, and the
email typed in ``context.traits``) a minute or two after its landing; an email click
arrives identified by the email link (``context.traits.email``). Once a cookie is
identified, its later events carry ``userId``, as Segment's libraries do.

What real exports contain is in here too: 1% of events delivered twice (same
``messageId``, identical line), a few follow-up events whose ``timestamp`` is unparsable
(or an epoch-millisecond string, or an offset other than Z), crawlers with bot user agents,
and employees browsing from internal addresses. ``ground_truth/web_events`` maps every
event to its touch, for tests.

``write_web_event_export(world_dir)`` writes ``exports/web_events/events-YYYY-MM.jsonl``
(one file per month) into the world folder once, atomically; it is deterministic.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion.simulator.channels import EMAIL_CLICK, FORM_FILL, PAGES, SITE, TOUCH_TYPES
from ingestion.simulator.config import MINUTE, stream
from ingestion.simulator.io import iso_strings, load_manifest, read_table

EXPORT_FOLDER = "exports/web_events"
TRUTH_FILE = "ground_truth/web_events/part-00000.parquet"
DUPLICATE_SHARE = 0.01
UNPARSABLE_SHARE = 0.004  # of follow-up events
EPOCH_SHARE = 0.02
OFFSET_SHARE = 0.03
FOLLOW_UPS = np.array([0.35, 0.30, 0.20, 0.15])  # 0-3 follow-up page views per visit
BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
)
BOTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/124.0.0.0 Safari/537.36",
    "python-requests/2.31.0",
)
INTERNAL_NETWORKS = ("10.20.", "198.51.100.")
TRUTH = pa.schema(
    [
        ("event_id", pa.string()),
        ("touch_id", pa.string()),  # null for crawlers and employees
        ("anonymous_id", pa.string()),
        ("occurred_at", pa.timestamp("ms", tz="UTC")),
        ("role", pa.string()),  # landing / identify / follow_up / bot / internal
        ("timestamp_defect", pa.string()),  # unparsable / epoch_ms / offset, or null
        ("is_duplicated", pa.bool_()),
    ]
)


def export_dir(world_dir: Path) -> Path:
    return Path(world_dir) / EXPORT_FOLDER


def read_truth(world_dir: Path) -> pa.Table:
    return pq.read_table(Path(world_dir) / TRUTH_FILE)


def write_web_event_export(world_dir: Path) -> Path:
    """The export's folder, writing it first if the world has none yet."""
    world_dir = Path(world_dir)
    out = export_dir(world_dir)
    if out.exists():
        return out
    events, truth = _events(world_dir)
    tmp = out.with_name(f".{out.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    by_file: dict[str, list[str]] = {}
    for month, line in events:
        by_file.setdefault(month, []).append(line)
    for month, lines in by_file.items():
        (tmp / f"events-{month}.jsonl").write_text("\n".join(lines) + "\n")
    truth_path = world_dir / TRUTH_FILE
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(truth, truth_path)
    tmp.rename(out)
    return out


def _events(world_dir: Path) -> tuple[list[tuple[str, str]], pa.Table]:
    """(month, JSON line) of every delivered event in time order, and the truth table."""
    manifest = load_manifest(world_dir)
    rng = stream(manifest["seed"], "web_events")
    touches = read_table(world_dir, "touches")
    web = touches.filter(pc.is_valid(touches["anonymous_id"]))
    contacts = read_table(world_dir, "contacts").select(["id", "email"]).to_pydict()
    emails = dict(zip(contacts["id"], contacts["email"], strict=True))
    visits = _visits(rng, web, emails)
    visits += _crawlers_and_staff(rng, visits, manifest)
    visits.sort(key=lambda e: (e["t"], e["id"]))
    _carry_user_ids(visits)
    return _render(rng, visits)


def _visits(rng: np.random.Generator, web: pa.Table, emails: dict[str, str]) -> list[dict]:
    """The landing, identify and follow-up events of every web touch."""
    cols = web.to_pydict()
    n = web.num_rows
    times = web["occurred_at"].cast(pa.int64()).to_numpy()
    follow_ups = rng.choice(FOLLOW_UPS.size, size=n, p=FOLLOW_UPS)
    identify_lag = rng.integers(MINUTE // 2, 3 * MINUTE, size=n)
    gaps = rng.integers(MINUTE // 3, 5 * MINUTE, size=(n, FOLLOW_UPS.size))
    pages = rng.integers(0, len(PAGES), size=(n, FOLLOW_UPS.size))
    agents = rng.integers(0, len(BROWSERS), size=n)
    events: list[dict] = []
    for i in range(n):
        touch, cookie, kind = cols["touch_id"][i], cols["anonymous_id"][i], cols["touch_type"][i]
        email = emails.get(cols["contact_id"][i] or "")
        base = {"cookie": cookie, "touch": touch, "agent": BROWSERS[agents[i]]}
        base["ip"] = f"203.0.113.{int.from_bytes(cookie[:2].encode()) % 250 + 1}"
        landing = {
            **base,
            "id": f"ev-{touch}-0",
            "t": int(times[i]),
            "type": "page",
            "url": cols["page_url"][i],
            "referrer": cols["referrer"][i],
            "campaign": {
                "source": cols["utm_source"][i],
                "medium": cols["utm_medium"][i],
                "name": cols["utm_campaign"][i],
            },
            "role": "landing",
        }
        if kind == TOUCH_TYPES[EMAIL_CLICK] and email:
            landing["email"] = email
        events.append(landing)
        t, previous = int(times[i]), cols["page_url"][i]
        if kind == TOUCH_TYPES[FORM_FILL] and email:
            t += int(identify_lag[i])
            events.append(
                {
                    **base,
                    "id": f"ev-{touch}-id",
                    "t": t,
                    "type": "identify",
                    "user_id": cols["contact_id"][i],
                    "email": email,
                    "url": previous,
                    "role": "identify",
                }
            )
        for k in range(follow_ups[i]):
            t += int(gaps[i, k])
            url = SITE + PAGES[pages[i, k]]
            events.append(
                {
                    **base,
                    "id": f"ev-{touch}-{k + 1}",
                    "t": t,
                    "type": "page",
                    "url": url,
                    "referrer": previous,
                    "role": "follow_up",
                }
            )
            previous = url
    return events


def _crawlers_and_staff(rng: np.random.Generator, visits: list[dict], manifest: dict) -> list[dict]:
    """Crawlers (bot user agents) and employees (internal addresses): traffic to filter."""
    start = int(datetime.fromisoformat(manifest["start_date"]).replace(tzinfo=UTC).timestamp())
    end = int(datetime.fromisoformat(manifest["end_date"]).replace(tzinfo=UTC).timestamp())
    n_landings = sum(1 for e in visits if e["role"] == "landing")
    events: list[dict] = []
    for role, count in (("bot", max(3, n_landings // 50)), ("internal", max(2, n_landings // 100))):
        for j in range(count):
            cookie = f"{role}{j:06d}" + rng.bytes(8).hex()
            t = (start + int(rng.integers(0, end - start))) * 1000
            if role == "bot":
                agent, ip = BOTS[int(rng.integers(len(BOTS)))], f"66.249.66.{j % 250 + 1}"
            else:
                network = INTERNAL_NETWORKS[j % len(INTERNAL_NETWORKS)]
                agent, ip = BROWSERS[j % len(BROWSERS)], f"{network}{j % 200 + 1}"
            for k in range(int(rng.integers(2, 30 if role == "bot" else 6))):
                t += int(rng.integers(2_000, 4 * MINUTE))
                events.append(
                    {
                        "cookie": cookie,
                        "touch": None,
                        "agent": agent,
                        "ip": ip,
                        "id": f"ev-{cookie}-{k}",
                        "t": t,
                        "type": "page",
                        "url": SITE + PAGES[int(rng.integers(len(PAGES)))],
                        "role": role,
                    }
                )
    return events


def _carry_user_ids(events: list[dict]) -> None:
    """Events after a cookie's identify carry its userId, as Segment's libraries do."""
    known: dict[str, str] = {}
    for event in events:
        if event.get("user_id"):
            known[event["cookie"]] = event["user_id"]
        elif event["cookie"] in known:
            event["user_id"] = known[event["cookie"]]


def _render(rng: np.random.Generator, events: list[dict]) -> tuple[list[tuple[str, str]], pa.Table]:
    times = np.array([e["t"] for e in events], dtype=np.int64)
    iso = iso_strings(times).to_pylist()
    follow_up = np.array([e["role"] == "follow_up" for e in events])
    u = rng.random(len(events))
    defect = np.full(len(events), None, dtype=object)
    defect[follow_up & (u < UNPARSABLE_SHARE)] = "unparsable"
    defect[follow_up & (u >= UNPARSABLE_SHARE) & (u < UNPARSABLE_SHARE + EPOCH_SHARE)] = "epoch_ms"
    offset_lo = UNPARSABLE_SHARE + EPOCH_SHARE
    defect[follow_up & (u >= offset_lo) & (u < offset_lo + OFFSET_SHARE)] = "offset"
    duplicated = rng.random(len(events)) < DUPLICATE_SHARE
    lines: list[tuple[str, str]] = []
    late: list[tuple[str, str]] = []
    for i, event in enumerate(events):
        line = json.dumps(_segment(event, _timestamp(iso[i], int(times[i]), defect[i])))
        month = iso[i][:7]
        lines.append((month, line))
        if duplicated[i]:
            late.append((month, line))  # redelivered with the month's last batch
    truth = pa.table(
        {
            "event_id": [e["id"] for e in events],
            "touch_id": [e["touch"] for e in events],
            "anonymous_id": [e["cookie"] for e in events],
            "occurred_at": pa.array(times, pa.timestamp("ms", tz="UTC")),
            "role": [e["role"] for e in events],
            "timestamp_defect": pa.array(defect.tolist(), pa.string()),
            "is_duplicated": duplicated,
        },
        schema=TRUTH,
    )
    merged = sorted(lines + late, key=lambda item: item[0])  # stable: duplicates end a month
    return merged, truth


def _timestamp(iso: str, ms: int, defect: str | None) -> str:
    if defect == "unparsable":
        moment = datetime.fromtimestamp(ms / 1000, UTC)
        return moment.strftime("%d/%m/%Y %H.%M.%S")
    if defect == "epoch_ms":
        return str(ms)
    if defect == "offset":
        local = datetime.fromtimestamp(ms / 1000, UTC) + timedelta(hours=2)
        return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+02:00"
    return iso


def _segment(event: dict, timestamp: str) -> dict:
    """The event as a Segment message."""
    context: dict = {"page": {"url": event["url"]}, "userAgent": event["agent"], "ip": event["ip"]}
    if event.get("referrer"):
        context["page"]["referrer"] = event["referrer"]
    campaign = {k: v for k, v in (event.get("campaign") or {}).items() if v}
    if campaign:
        context["campaign"] = campaign
    if event.get("email"):
        context["traits"] = {"email": event["email"]}
    message = {
        "messageId": event["id"],
        "type": event["type"],
        "anonymousId": event["cookie"],
        "userId": event.get("user_id"),
        "timestamp": timestamp,
        "context": context,
    }
    if event["type"] == "identify":
        message["traits"] = {"email": event["email"]}
    return message
