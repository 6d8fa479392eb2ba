"""What the warehouse should recover from a simulated world's web events and CRM: the
sessions, who each visitor is, and every deal's touch path, computed from the world's true
touches, the export's event-to-touch map and the form submissions' touches (independently
of the dbt models)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow.compute as pc

from ingestion.simulator import load_manifest, read_table
from ingestion.simulator.web_events import read_truth

TIMEOUT = timedelta(minutes=30)
OFFLINE_FIRST = {"events", "outbound"}


@dataclass(frozen=True)
class Session:
    cookie: str
    started_at: datetime
    n_events: int
    landing_event_id: str
    channel: str  # the true channel of the touch the session landed from
    touches: frozenset[str]  # the true touches whose events the session holds


def expected_sessions(world: Path) -> list[Session]:
    """Sessions of real visitors: their delivered, parsable events split after 30 idle
    minutes; crawlers and staff excluded."""
    events = read_truth(world)
    keep = pc.and_(
        pc.is_in(events["role"], pc.cast(["landing", "identify", "follow_up"], "string")),
        pc.invert(pc.fill_null(pc.equal(events["timestamp_defect"], "unparsable"), False)),
    )
    touches = read_table(world, "touches").select(["touch_id", "channel"]).to_pydict()
    channel_of = dict(zip(touches["touch_id"], touches["channel"], strict=True))
    by_cookie: dict[str, list[tuple]] = defaultdict(list)
    for row in events.filter(keep).to_pylist():
        by_cookie[row["anonymous_id"]].append(
            (row["occurred_at"], row["event_id"], row["touch_id"])
        )
    sessions = []
    for cookie, rows in by_cookie.items():
        rows.sort()
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or rows[i][0] - rows[i - 1][0] > TIMEOUT:
                at, event_id, touch = rows[start]
                held = frozenset(row[2] for row in rows[start:i])
                sessions.append(Session(cookie, at, i - start, event_id, channel_of[touch], held))
                start = i
    return sessions


def identified_cookies(world: Path) -> dict[str, str]:
    """cookie -> HubSpot contact id, for cookies whose events name a live contact (an
    identify call, or an email link); deleted (archived) contacts identify no one."""
    events = read_truth(world).to_pylist()
    touches = read_table(world, "touches").select(["touch_id", "contact_id", "touch_type"])
    touches = {t["touch_id"]: t for t in touches.to_pylist()}
    contacts = {r["id"] for r in read_table(world, "contacts").to_pylist() if not r["archived"]}
    identified = {}
    for event in events:
        touch = touches.get(event["touch_id"])
        if touch is None or touch["contact_id"] not in contacts:
            continue
        if event["role"] == "identify" or (
            event["role"] == "landing" and touch["touch_type"] == "email_click"
        ):
            identified[event["anonymous_id"]] = touch["contact_id"]
    return identified


def form_filled_touches(world: Path) -> set[str]:
    """Touches that are form submissions whose email names their contact: a live contact
    with an address no other live contact has (a shared address identifies no one)."""
    contacts = [r for r in read_table(world, "contacts").to_pylist() if not r["archived"]]
    uses = defaultdict(int)
    for row in contacts:
        uses[row["email"]] += 1
    named = {row["id"] for row in contacts if uses[row["email"]] == 1}
    truth = read_table(world, "truth_form_submissions").to_pylist()
    return {row["touch_id"] for row in truth if row["contact_id"] in named}


def expected_deal_paths(world: Path) -> dict[str, list[tuple[datetime, str, str]]]:
    """deal key -> [(time, channel, touch source)] in order: the identified sessions of
    the deal's contacts (a session holding a form fill is that form submission's touch),
    plus a contact's first touch when it was offline (an event or sales outreach, at the
    contact's creation), which HubSpot's original source records."""
    portal = load_manifest(world)["portal_id"]
    cookies = identified_cookies(world)
    forms = form_filled_touches(world)
    touches_of: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
    for session in expected_sessions(world):
        contact = cookies.get(session.cookie)
        if contact is not None:
            source = "hubspot_form_submission" if session.touches & forms else "web_session"
            touches_of[contact].append((session.started_at, session.channel, source))
    first = _first_touches(world)
    for row in read_table(world, "contacts").to_pylist():
        contact = row["id"]
        at, channel = first[contact]
        if channel in OFFLINE_FIRST:
            assert at.isoformat(timespec="milliseconds").replace("+00:00", "Z") == row["createdate"]
            touches_of[contact].append((at, channel, "hubspot_original_source"))
    paths: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
    for row in read_table(world, "deal_contacts").to_pylist():
        paths[f"hubspot:{portal}:{row['deal_id']}"] += touches_of.get(row["contact_id"], [])
    return {deal: sorted(path) for deal, path in paths.items()}


def _first_touches(world: Path) -> dict[str, tuple[datetime, str]]:
    first: dict[str, tuple[datetime, str]] = {}
    touches = read_table(world, "touches").select(["contact_id", "occurred_at", "channel"])
    for row in touches.to_pylist():
        contact = row["contact_id"]
        if contact is not None and (contact not in first or row["occurred_at"] < first[contact][0]):
            first[contact] = (row["occurred_at"], row["channel"])
    return first
