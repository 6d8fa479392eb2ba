"""The simulated Pipedrive account: the generated world in Pipedrive's shapes, and its edits.

Built once from a world folder (see mapping.py for how ids are mapped). Tests edit it
between or during syncs; every edit behaves like Pipedrive: it bumps the deal's
``update_time``, logs a ``dealChange`` in the deal's flow for tracked fields, a deleted
deal keeps listing under ``status=deleted``, a new custom field appears in dealFields.

The world's calls, emails, meetings and tasks are activities (v2 shape; notes are a
separate object at Pipedrive, so the account has none). A deleted activity keeps
listing with ``is_deleted`` true and a bumped ``update_time``, as v1 listed deleted
activities with ``active_flag`` false, until Pipedrive purges it 30 days later.
"""

from __future__ import annotations

import bisect
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ingestion.simulator.io import load_manifest, read_table
from ingestion.simulator.pipedrive_server.mapping import (
    FLOW_FIELDS,
    FORECAST_FIELD,
    FORECAST_OPTIONS,
    StageIds,
    field_key,
    number,
    v1_time,
    v2_time,
)

EDIT_STEP = timedelta(seconds=1)
# The world's engagement types an account holds as activities, and their activity type.
ACTIVITY_TYPES = {"CALL": "call", "EMAIL": "email", "MEETING": "meeting", "TASK": "task"}
STANDARD_FIELDS = ("title", "value", "currency", "stage_id", "owner_id", "status")


class PipedriveWorld:
    """Everything the API serves, behind one lock (the server answers on several threads)."""

    def __init__(self, world_dir: Path) -> None:
        manifest = load_manifest(world_dir)
        self.company_id = int(manifest["portal_id"])
        self.lock = threading.RLock()
        stage_rows = read_table(world_dir, "pipeline_stages").to_pylist()
        self.ids = StageIds.from_rows(stage_rows)
        self.pipelines: dict[int, dict] = {}
        self.stages: dict[int, dict] = {}
        for row in stage_rows:
            pipeline = self.ids.pipelines[row["pipeline_id"]]
            self.pipelines[pipeline] = {
                "id": pipeline,
                "name": row["pipeline_label"],
                "order_nr": row["pipeline_display_order"] + 1,
                "is_deleted": False,
                "is_deal_probability_enabled": True,
            }
            stage = self.ids.stages[(row["pipeline_id"], row["stage_id"])]
            self.stages[stage] = {
                "id": stage,
                "order_nr": row["stage_display_order"] + 1,
                "name": row["stage_label"],
                "is_deleted": bool(row["archived"]),
                "deal_probability": round(float(row["probability"]) * 100),
                "pipeline_id": pipeline,
                "days_to_rotten": None,
                "is_closed": row["is_closed"] == "true",  # not served: decides won/lost
            }
        self.deals: dict[int, dict] = {}
        self.flows: dict[int, list[dict]] = {}  # deal id -> dealChange items, oldest first
        self._log_ids = 0
        self.fields: list[dict] = [
            {"id": i + 1, "key": key, "name": key.replace("_", " ").title(), "edit_flag": False}
            for i, key in enumerate(STANDARD_FIELDS)
        ]
        self.add_field(FORECAST_FIELD, options=FORECAST_OPTIONS)
        owners = read_table(world_dir, "owners").to_pylist()
        self.users = [_user(r) for r in owners]
        self.teams = _teams(owners)
        # Teams are a feature of the upper plans: without it, legacyTeams answers 403.
        self.teams_enabled = True
        self.persons = {
            int(r["id"]): _person(r)
            for r in read_table(world_dir, "contacts").to_pylist()
            if not r["archived"]
        }
        self.organizations = {
            int(r["id"]): _organization(r)
            for r in read_table(world_dir, "companies").to_pylist()
            if not r["archived"]
        }
        self._load_deals(world_dir)
        self.activities: dict[int, dict] = {}
        self._activity_order: list[dict] | None = None
        for row in read_table(world_dir, "engagements").to_pylist():
            if row["type"] in ACTIVITY_TYPES:
                activity = self._activity(row)
                self.activities[activity["id"]] = activity
        end = datetime.fromisoformat(manifest["end_date"]).replace(tzinfo=UTC)
        self.now = end + timedelta(days=1)

    def _activity(self, row: dict) -> dict:
        """A world engagement as a v2 activity: due at its time, done unless still to do."""
        done = row["status"] not in ("NOT_STARTED", "SCHEDULED")
        stamp = v2_time(row["timestamp"])
        deal_id = int(row["deal_id"]) if row["deal_id"] else None
        deal = self.deals.get(deal_id or 0)
        person = int(row["contact_id"]) if row["contact_id"] else None
        duration = int(row["duration_ms"]) // 60_000 if row["duration_ms"] else None
        return {
            "id": int(row["id"]),
            "subject": ACTIVITY_TYPES[row["type"]].title(),
            "type": ACTIVITY_TYPES[row["type"]],
            "owner_id": int(row["owner_id"]) if row["owner_id"] else None,
            "creator_user_id": int(row["owner_id"]) if row["owner_id"] else None,
            "is_deleted": False,
            "add_time": stamp,
            "update_time": stamp,
            "deal_id": deal_id,
            "lead_id": None,
            "person_id": person,
            "org_id": deal["org_id"] if deal else None,
            "project_id": None,
            "due_date": (stamp or "")[:10] or None,
            "due_time": (stamp or "")[11:16] or None,
            "duration": None if duration is None else f"{duration // 60:02d}:{duration % 60:02d}",
            "busy": row["type"] == "MEETING",
            "done": done,
            "marked_as_done_time": stamp if done else None,
            "participants": [{"person_id": person, "primary": True}] if person else [],
            "public_description": None,
            "priority": None,
            "note": None,
        }

    def _load_deals(self, world_dir: Path) -> None:
        persons: dict[str, str] = {}
        for row in read_table(world_dir, "deal_contacts").to_pylist():
            persons[row["deal_id"]] = min(
                persons.get(row["deal_id"], row["contact_id"]), row["contact_id"]
            )
        orgs = {
            r["deal_id"]: r["company_id"]
            for r in read_table(world_dir, "deal_companies").to_pylist()
        }
        world_deals = {r["id"]: r for r in read_table(world_dir, "deals").to_pylist()}
        history: dict[str, list[dict]] = {}
        for row in read_table(world_dir, "deal_property_history").to_pylist():
            if row["deal_id"] in world_deals and row["property"] in FLOW_FIELDS:
                history.setdefault(row["deal_id"], []).append(row)
        forecast = field_key(FORECAST_FIELD)
        for deal_id in sorted(world_deals, key=int):
            row = world_deals[deal_id]
            stage = self.ids.stages.get((row["pipeline"], row["dealstage"]))
            person, org = persons.get(deal_id), orgs.get(deal_id)
            deal = {
                "id": int(deal_id),
                "title": row["dealname"],
                "owner_id": int(row["hubspot_owner_id"]) if row["hubspot_owner_id"] else None,
                "person_id": int(person) if person else None,
                "org_id": int(org) if org else None,
                "pipeline_id": self.ids.pipelines.get(row["pipeline"]),
                "stage_id": stage,
                "value": number(row["amount"]),
                "currency": row["deal_currency_code"],
                "add_time": v2_time(row["createdate"]),
                "update_time": v2_time(row["hs_lastmodifieddate"]),
                "stage_change_time": None,
                "is_deleted": False,
                "status": "open",
                "probability": None,
                "lost_reason": row["closed_lost_reason"],
                "close_time": None,
                "won_time": None,
                "lost_time": None,
                "expected_close_date": (row["closedate"] or "")[:10] or None,
                "origin": "ManuallyCreated",
                "channel": None,
                "custom_fields": {forecast: self._stored(forecast, row["hs_forecast_category"])},
            }
            self._set_status(deal, v2_time(row["closedate"]))
            if row["archived"]:
                deal["status"], deal["is_deleted"] = "deleted", True
            self.deals[deal["id"]] = deal
            self.flows[deal["id"]] = []
            entries = sorted(
                history.get(deal_id, []), key=lambda h: (h["timestamp"], h["property"])
            )
            for entry in entries:
                value = entry["value"]
                if entry["property"] == "dealstage":
                    value = str(self.ids.stages.get((row["pipeline"], value), value))
                    deal["stage_change_time"] = v2_time(entry["timestamp"])
                elif entry["property"] == "closedate" and value:
                    value = value[:10]
                self._log(deal["id"], FLOW_FIELDS[entry["property"]], value, entry["timestamp"])

    def _set_status(self, deal: dict, closed_at: str | None) -> None:
        """open / won / lost from the stage, as the world's closed stages say."""
        stage = self.stages.get(deal["stage_id"] or 0)
        deal["status"], deal["won_time"], deal["lost_time"], deal["close_time"] = (
            "open",
            None,
            None,
            None,
        )
        if stage and stage["is_closed"]:
            won = stage["deal_probability"] == 100
            deal["status"] = "won" if won else "lost"
            deal["close_time"] = closed_at
            deal["won_time" if won else "lost_time"] = closed_at

    def _log(self, deal_id: int, field: str, new: str | None, iso: str) -> None:
        """Append a dealChange, unless the value did not change."""
        flow = self.flows[deal_id]
        old = next(
            (c["data"]["new_value"] for c in reversed(flow) if c["data"]["field_key"] == field),
            None,
        )
        if old == new and any(c["data"]["field_key"] == field for c in flow):
            return
        self._log_ids += 1
        stamp = v1_time(iso)
        flow.append(
            {
                "object": "dealChange",
                "timestamp": stamp,
                "data": {
                    "id": self._log_ids,
                    "item_id": deal_id,
                    "user_id": self.deals[deal_id]["owner_id"],
                    "field_key": field,
                    "old_value": old,
                    "new_value": new,
                    "log_time": stamp,
                    "change_source": "app",
                    "is_bulk_update_flag": None,
                },
            }
        )

    def _tick(self) -> str:
        self.now += EDIT_STEP
        return self.now.strftime("%Y-%m-%dT%H:%M:%SZ")

    # --- edits -----------------------------------------------------------------------

    def update_deal(
        self, deal_id: int, changes: dict[str, Any], custom: dict[str, str | None] | None = None
    ) -> str:
        """Edit a deal's fields (v2 names) and custom fields (by field name); returns the new
        update_time. A stage change moves status to won/lost when the stage is closed."""
        with self.lock:
            deal = self.deals[deal_id]
            stamp = self._tick()
            for name, value in changes.items():
                if name not in deal:
                    raise KeyError(f"deals have no field {name!r}")
                if deal[name] == value:
                    continue
                deal[name] = value
                if name == "stage_id":
                    deal["pipeline_id"] = self.stages[value]["pipeline_id"]
                    deal["stage_change_time"] = stamp
                    self._set_status(deal, stamp)
                flow_field = {"owner_id": "user_id"}.get(name, name)
                if flow_field in FLOW_FIELDS.values():
                    self._log(deal_id, flow_field, None if value is None else str(value), stamp)
            keys = {f["name"]: f["key"] for f in self.fields if f["edit_flag"]}
            for name, value in (custom or {}).items():
                deal["custom_fields"][keys[name]] = self._stored(keys[name], value)
            deal["update_time"] = stamp
            return stamp

    def delete_deal(self, deal_id: int) -> str:
        """Delete a deal: it leaves the default listing and lists under status=deleted."""
        with self.lock:
            deal = self.deals[deal_id]
            deal["status"], deal["is_deleted"] = "deleted", True
            deal["update_time"] = self._tick()
            return deal["update_time"]

    def update_activity(self, activity_id: int, changes: dict[str, Any]) -> str:
        """Edit an activity's fields; returns the new update_time. Marking it done sets
        ``marked_as_done_time``."""
        with self.lock:
            activity = self.activities[activity_id]
            unknown = set(changes) - set(activity)
            if unknown:
                raise KeyError(f"activities have no fields {sorted(unknown)}")
            stamp = self._tick()
            if changes.get("done") and not activity["done"]:
                activity["marked_as_done_time"] = stamp
            activity.update(changes)
            activity["update_time"] = stamp
            self._activity_order = None
            return stamp

    def move_user(self, user_id: int, team_id: int) -> None:
        """Move a user into another team, out of every other: only the teams' member
        lists change (a legacy team has no modification time; the user record is untouched)."""
        with self.lock:
            for team in self.teams.values():
                if user_id in team["users"]:
                    team["users"].remove(user_id)
            self.teams[team_id]["users"].append(user_id)
            self.teams[team_id]["users"].sort()

    def delete_activity(self, activity_id: int) -> str:
        """Delete an activity: it keeps listing, with is_deleted true, until purged."""
        return self.update_activity(activity_id, {"is_deleted": True})

    def add_activity(self, fields: dict[str, Any]) -> int:
        """Log a new activity (after the world's end); returns its id."""
        with self.lock:
            stamp = self._tick()
            template = next(iter(self.activities.values()))
            activity = dict.fromkeys(template) | {"is_deleted": False, "participants": []}
            activity.update(fields, id=max(self.activities) + 1, add_time=stamp, update_time=stamp)
            if activity.get("done"):
                activity["marked_as_done_time"] = stamp
            self.activities[activity["id"]] = activity
            self._activity_order = None
            return activity["id"]

    def add_field(self, name: str, options: tuple[str, ...] = ()) -> str:
        """Create a custom deal field (schema drift), of type enum when it has ``options``
        (labels; deals then hold an option's id); every deal starts with no value."""
        with self.lock:
            key = field_key(name)
            field = {"id": len(self.fields) + 1, "key": key, "name": name, "edit_flag": True}
            field["field_type"] = "enum" if options else "varchar"
            if options:
                field["options"] = [{"id": i, "label": o} for i, o in enumerate(options, 1)]
            self.fields.append(field)
            for deal in self.deals.values():
                deal["custom_fields"][key] = None
            return key

    def _stored(self, key: str, value: str | None) -> str | int | None:
        """A custom field's value as a deal holds it: an enum's label as its option id."""
        field = next(f for f in self.fields if f["key"] == key)
        ids = {o["label"]: o["id"] for o in field.get("options", [])}
        return ids.get(value, value) if value is not None else None

    # --- listings ----------------------------------------------------------------------

    def deal_listing(self, since: str | None, status: str | None) -> list[dict]:
        """Deals as v2 lists them, oldest update first: not deleted unless asked for."""
        statuses = set((status or "open,won,lost").split(","))
        rows = [
            d
            for d in self.deals.values()
            if d["status"] in statuses and (since is None or d["update_time"] >= since)
        ]
        return sorted(rows, key=lambda d: (d["update_time"], d["id"]))

    def activity_listing(self, since: str | None, status: str | None) -> list[dict]:
        """Activities as v2 lists them, oldest update first, deleted ones flagged.

        The order is kept between edits: a listing pages through it hundreds of times."""
        if self._activity_order is None:
            self._activity_order = sorted(
                self.activities.values(), key=lambda a: (a["update_time"], a["id"])
            )
        order = self._activity_order
        start = 0 if since is None else bisect.bisect_left(order, since, key=_update_time)
        return order[start:]

    def stage_listing(self) -> list[dict]:
        return [{k: v for k, v in s.items() if k != "is_closed"} for s in self.stages.values()]


def _update_time(row: dict) -> str:
    return row["update_time"]


def _user(row: dict) -> dict:
    return {
        "id": int(row["id"]),
        "name": f"{row['first_name']} {row['last_name']}",
        "email": row["email"],
        "active_flag": not row["archived"],
        "is_admin": 0,
        "role_id": 1,
        "created": v1_time(row["created_at"]),
        "modified": v1_time(row["updated_at"]),
    }


def _teams(owners: list[dict]) -> dict[int, dict]:
    """The world's teams as Pipedrive legacy teams, each listing its members' user ids;
    its manager is its first member."""
    members: dict[tuple[int, str], list[int]] = {}
    for row in owners:
        if row["team_id"]:
            members.setdefault((int(row["team_id"]), row["team_name"]), []).append(int(row["id"]))
    teams = {}
    for (team_id, name), users in sorted(members.items()):
        users.sort()
        teams[team_id] = {
            "id": team_id,
            "name": name,
            "description": None,
            "manager_id": users[0],
            "users": users,
            "active_flag": 1,
            "deleted_flag": 0,
            "add_time": v1_time(min(r["created_at"] for r in owners)),
            "created_by_user_id": users[0],
        }
    return teams


def _person(row: dict) -> dict:
    first, last = row["firstname"], row["lastname"]
    return {
        "id": int(row["id"]),
        "name": " ".join(p for p in (first, last) if p),
        "first_name": first,
        "last_name": last,
        "owner_id": None,
        "org_id": int(row["associatedcompanyid"]) if row["associatedcompanyid"] else None,
        "emails": [{"value": row["email"], "primary": True, "label": "work"}]
        if row["email"]
        else [],
        "add_time": v2_time(row["createdate"]),
        "update_time": v2_time(row["lastmodifieddate"]),
        "is_deleted": False,
    }


def _organization(row: dict) -> dict:
    return {
        "id": int(row["id"]),
        "name": row["name"],
        "owner_id": None,
        "add_time": v2_time(row["createdate"]),
        "update_time": v2_time(row["hs_lastmodifieddate"]),
        "is_deleted": False,
    }
