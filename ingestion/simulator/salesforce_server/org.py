"""The generated world as a Salesforce org: the same deals, people and owners, in sObjects.

Built once from a world folder, so the Salesforce and HubSpot simulators describe one
business and a test can check either connector against the same files. Ids are a
Salesforce key prefix (006 Opportunity, 005 User...) plus the world id, which keeps them
stable across runs and readable in failures. Edits behave like Salesforce: they bump
``SystemModstamp``, a stage, amount or close-date change appends an ``OpportunityHistory``
row, an owner change an ``OpportunityFieldHistory`` row, and a delete sets ``IsDeleted``
(the record then appears only in ``queryAll``).

The world's engagements are activities: calls, emails and tasks are ``Task`` records
(``TaskSubtype`` Call, Email or Task), meetings ``Event`` records, each with ``WhatId``
the opportunity, ``WhoId`` the person (a Contact once converted, else the Lead). Notes are
not activities in Salesforce (they are ContentNote records), so the org has none.

Simplifications, on purpose: history rows of a deleted opportunity keep ``IsDeleted``
false; a world defect (a malformed date) is served as-is, which Salesforce itself would
never do, so the connector's quarantine rules get exercised.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ingestion.simulator.io import load_manifest, read_table

EDIT_STEP_MS = 1000
STAGE_STAMP = "2023-01-01T00:00:00.000+0000"

FIELDS: dict[str, tuple[str, ...]] = {
    "Organization": ("Id", "Name"),
    "User": (
        "Id", "Username", "FirstName", "LastName", "Email", "Department", "IsActive",
        "CreatedDate", "SystemModstamp",
    ),
    "OpportunityStage": (
        "Id", "ApiName", "MasterLabel", "IsActive", "IsClosed", "IsWon", "DefaultProbability",
        "ForecastCategoryName", "SortOrder", "CreatedDate", "SystemModstamp",
    ),
    "Account": (
        "Id", "Name", "Website", "Industry", "BillingCountry", "NumberOfEmployees",
        "AnnualRevenue", "CreatedDate", "SystemModstamp", "IsDeleted",
    ),
    "Opportunity": (
        "Id", "Name", "Type", "StageName", "Amount", "Probability", "CloseDate", "IsClosed",
        "IsWon", "ForecastCategoryName", "OwnerId", "AccountId", "CurrencyIsoCode",
        "CreatedDate", "SystemModstamp", "IsDeleted",
    ),
    "OpportunityHistory": (
        "Id", "OpportunityId", "StageName", "Amount", "CloseDate", "Probability",
        "CreatedDate", "SystemModstamp", "IsDeleted",
    ),
    "OpportunityFieldHistory": (
        "Id", "OpportunityId", "Field", "OldValue", "NewValue", "CreatedDate", "IsDeleted",
    ),
    "Lead": (
        "Id", "FirstName", "LastName", "Email", "Company", "Status", "LeadSource",
        "IsConverted", "ConvertedDate", "ConvertedOpportunityId", "ConvertedContactId",
        "ConvertedAccountId", "CreatedDate", "SystemModstamp", "IsDeleted",
    ),
    "Contact": (
        "Id", "FirstName", "LastName", "Email", "AccountId", "LeadSource", "CreatedDate",
        "SystemModstamp", "IsDeleted",
    ),
    "Campaign": (
        "Id", "Name", "Type", "Status", "StartDate", "EndDate", "BudgetedCost",
        "CurrencyIsoCode", "IsActive", "CreatedDate", "SystemModstamp", "IsDeleted",
    ),
    "CampaignMember": (
        "Id", "CampaignId", "LeadId", "ContactId", "Status", "HasResponded",
        "FirstRespondedDate", "CreatedDate", "SystemModstamp", "IsDeleted",
    ),
    "Task": (
        "Id", "WhoId", "WhatId", "AccountId", "OwnerId", "Subject", "ActivityDate", "Status",
        "Priority", "IsClosed", "Type", "TaskSubtype", "CallDurationInSeconds",
        "CallDisposition", "CallType", "CompletedDateTime", "CreatedDate", "SystemModstamp",
        "IsDeleted",
    ),
    "Event": (
        "Id", "WhoId", "WhatId", "AccountId", "OwnerId", "Subject", "ActivityDate",
        "ActivityDateTime", "StartDateTime", "EndDateTime", "DurationInMinutes", "Type",
        "EventSubtype", "ShowAs", "CreatedDate", "SystemModstamp", "IsDeleted",
    ),
}  # fmt: skip
# Id key prefixes of the activity objects.
ACTIVITY_PREFIX = {"Task": "00T", "Event": "00U"}
# The world's engagement type -> (Task's TaskSubtype and Type), for the Task ones.
TASK_KINDS = {"CALL": ("Call", "Call"), "EMAIL": ("Email", "Email"), "TASK": ("Task", None)}
CALL_DISPOSITION = {"COMPLETED": "Connected", "NO_ANSWER": "No Answer", "BUSY": "Busy"}

FORECAST = {
    "PIPELINE": "Pipeline",
    "BEST_CASE": "Best Case",
    "COMMIT": "Commit",
    "CLOSED": "Closed",
    "OMIT": "Omitted",
}
LEAD_SOURCE = {
    "ORGANIC_SEARCH": "Organic Search",
    "PAID_SEARCH": "Paid Search",
    "PAID_SOCIAL": "Paid Social",
    "SOCIAL_MEDIA": "Social Media",
    "EMAIL_MARKETING": "Email",
    "REFERRALS": "Referral",
    "DIRECT_TRAFFIC": "Web",
    "OTHER_CAMPAIGNS": "Other",
    "OFFLINE": "Offline",
    "AI_REFERRALS": "AI Referral",
}
LEAD_STATUS = {
    "lead": "Open - Not Contacted",
    "marketingqualifiedlead": "Working - Contacted",
    "salesqualifiedlead": "Working - Contacted",
    "opportunity": "Closed - Converted",
    "customer": "Closed - Converted",
}
HISTORY_FIELDS = {"dealstage": "StageName", "amount": "Amount", "closedate": "CloseDate"}


def sf_id(prefix: str, world_id: str | None) -> str | None:
    """A Salesforce-looking id: the object's key prefix and the world id, 15+ characters."""
    return None if world_id is None else prefix + str(world_id).rjust(12, "0")


def sf_datetime(iso: str | None) -> str | None:
    """A world timestamp (``...862Z``) as Salesforce writes it (``...862+0000``); a value
    that is not a timestamp (a deliberate world defect) is passed through unchanged."""
    if iso is None:
        return None
    return iso[:-1] + "+0000" if iso.endswith("Z") else iso


def parse_ms(value: str | None) -> int | None:
    """Epoch ms of a Salesforce or SOQL datetime literal; None when unparsable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def ms_datetime(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _number(value: str | None) -> float | str | None:
    """A HubSpot decimal string as a JSON number (junk stays a string, as the world has it)."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return value


def _day(iso: str | None) -> str | None:
    return None if iso is None else iso[:10]


def _meeting(row: dict) -> dict:
    """An Event's time fields for a world meeting: it starts at the engagement's time."""
    start = parse_ms(row["timestamp"]) or 0
    minutes = int(row["duration_ms"] or 0) // 60_000
    return {
        "ActivityDateTime": sf_datetime(row["timestamp"]),
        "StartDateTime": sf_datetime(row["timestamp"]),
        "EndDateTime": ms_datetime(start + minutes * 60_000),
        "DurationInMinutes": minutes,
        "Type": "Meeting",
        "EventSubtype": "Event",
        "ShowAs": "Busy",
    }


class SalesforceOrg:
    """Every sObject's records (deleted ones included), behind one lock."""

    def __init__(self, world_dir: Path) -> None:
        world_dir = Path(world_dir)
        manifest = load_manifest(world_dir)
        self.org_id = sf_id("00D", manifest["portal_id"])
        self.lock = threading.RLock()
        end = date.fromisoformat(manifest["end_date"]) + timedelta(days=1)
        self.now_ms = parse_ms(f"{end.isoformat()}T00:00:00Z") or 0
        self.records: dict[str, dict[str, dict]] = {name: {} for name in FIELDS}
        self._put("Organization", {"Id": self.org_id, "Name": "Funnelhouse Simulated Org"})
        self._stages(read_table(world_dir, "pipeline_stages").to_pylist())
        self._users(read_table(world_dir, "owners").to_pylist())
        companies = read_table(world_dir, "companies").to_pylist()
        self._accounts(companies)
        self._opportunities(world_dir)
        self._people(world_dir, {c["id"]: c["name"] for c in companies})
        self._campaigns(world_dir)
        self._activities(world_dir)

    # --- building ----------------------------------------------------------------------

    def _put(self, name: str, record: dict) -> None:
        self.records[name][record["Id"]] = record

    def _stages(self, rows: list[dict]) -> None:
        # Salesforce has one stage picklist per org: the world's pipelines share labels
        # (Closed Won...), so each label is one OpportunityStage.
        self.stage_of: dict[tuple[str, str], str] = {}
        self.stage_info: dict[str, dict] = {}
        rows = sorted(rows, key=lambda r: (r["pipeline_display_order"], r["stage_display_order"]))
        self.pipeline_label = {r["pipeline_id"]: r["pipeline_label"] for r in rows}
        for row in rows:
            label = row["stage_label"]
            self.stage_of[(row["pipeline_id"], row["stage_id"])] = label
            if label in self.stage_info:
                continue
            closed = row["is_closed"] == "true"
            probability = float(row["probability"]) * 100
            won = closed and probability == 100
            self.stage_info[label] = {"IsClosed": closed, "IsWon": won, "Probability": probability}
            self._put(
                "OpportunityStage",
                {
                    "Id": sf_id("01J", str(len(self.stage_info))),
                    "ApiName": label,
                    "MasterLabel": label,
                    "IsActive": not row["archived"],
                    "IsClosed": closed,
                    "IsWon": won,
                    "DefaultProbability": probability,
                    "ForecastCategoryName": (
                        ("Closed" if won else "Omitted") if closed else "Pipeline"
                    ),
                    "SortOrder": len(self.stage_info),
                    "CreatedDate": STAGE_STAMP,
                    "SystemModstamp": STAGE_STAMP,
                },
            )

    def _users(self, rows: list[dict]) -> None:
        for row in rows:
            self._put(
                "User",
                {
                    "Id": sf_id("005", row["id"]),
                    "Username": row["email"],
                    "FirstName": row["first_name"],
                    "LastName": row["last_name"],
                    "Email": row["email"],
                    "Department": row["team_name"],
                    "IsActive": not row["archived"],
                    "CreatedDate": sf_datetime(row["created_at"]),
                    "SystemModstamp": sf_datetime(row["updated_at"]),
                },
            )

    def _accounts(self, rows: list[dict]) -> None:
        for row in rows:
            employees = row["numberofemployees"]
            self._put(
                "Account",
                {
                    "Id": sf_id("001", row["id"]),
                    "Name": row["name"],
                    "Website": row["domain"],
                    "Industry": row["industry"],
                    "BillingCountry": row["country"],
                    "NumberOfEmployees": int(employees) if employees else None,
                    "AnnualRevenue": _number(row["annualrevenue"]),
                    "CreatedDate": sf_datetime(row["createdate"]),
                    "SystemModstamp": sf_datetime(row["hs_lastmodifieddate"]),
                    "IsDeleted": bool(row["archived"]),
                },
            )

    def _opportunities(self, world_dir: Path) -> None:
        accounts = {
            r["deal_id"]: r["company_id"]
            for r in read_table(world_dir, "deal_companies").to_pylist()
        }
        self.pipeline_of: dict[str, str] = {}
        for row in read_table(world_dir, "deals").to_pylist():
            opp_id = sf_id("006", row["id"])
            self.pipeline_of[opp_id] = row["pipeline"]
            label = self.stage_of[(row["pipeline"], row["dealstage"])]
            self._put(
                "Opportunity",
                {
                    "Id": opp_id,
                    "Name": row["dealname"],
                    "Type": self.pipeline_label[row["pipeline"]],
                    "StageName": label,
                    "Amount": _number(row["amount"]),
                    "Probability": self.stage_info[label]["Probability"],
                    "CloseDate": _day(row["closedate"]),
                    "IsClosed": self.stage_info[label]["IsClosed"],
                    "IsWon": self.stage_info[label]["IsWon"],
                    "ForecastCategoryName": FORECAST.get(row["hs_forecast_category"]),
                    "OwnerId": sf_id("005", row["hubspot_owner_id"]),
                    "AccountId": sf_id("001", accounts.get(row["id"])),
                    "CurrencyIsoCode": row["deal_currency_code"],
                    "CreatedDate": sf_datetime(row["createdate"]),
                    "SystemModstamp": sf_datetime(row["hs_lastmodifieddate"]),
                    "IsDeleted": bool(row["archived"]),
                },
            )
        entries: dict[str, list[dict]] = defaultdict(list)
        for row in read_table(world_dir, "deal_property_history").to_pylist():
            if row["property"] in (*HISTORY_FIELDS, "hubspot_owner_id"):
                entries[row["deal_id"]].append(row)
        for deal_id, rows in entries.items():
            opp_id = sf_id("006", deal_id)
            if opp_id not in self.records["Opportunity"]:
                continue  # a deal merged away: the org never had it
            self._history(opp_id, sorted(rows, key=lambda r: parse_ms(r["timestamp"]) or 0))

    def _history(self, opp_id: str, rows: list[dict]) -> None:
        """One OpportunityHistory row per moment stage, amount or close date changed (the
        state of all three then), one OpportunityFieldHistory row per owner change."""
        state: dict[str, object] = {"StageName": None, "Amount": None, "CloseDate": None}
        owner: str | None = None
        by_time: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            by_time[row["timestamp"]].append(row)
        pipeline = self.pipeline_of[opp_id]
        for stamp, changes in by_time.items():
            tracked = False
            for row in changes:
                prop, value = row["property"], row["value"]
                if prop == "hubspot_owner_id":
                    new = sf_id("005", value)
                    if owner is not None and new != owner:
                        self._field_history(opp_id, "Owner", owner, new, sf_datetime(stamp))
                    owner = new
                elif prop == "dealstage":
                    state["StageName"] = self.stage_of.get((pipeline, value), value)
                    tracked = True
                elif prop == "amount":
                    state["Amount"] = _number(value)
                    tracked = True
                else:
                    state["CloseDate"] = _day(value)
                    tracked = True
            if tracked:
                self._stage_history(opp_id, state, sf_datetime(stamp))

    def _stage_history(self, opp_id: str, state: dict, stamp: str | None) -> None:
        info = self.stage_info.get(str(state["StageName"]), {})
        self._put(
            "OpportunityHistory",
            {
                "Id": f"008{opp_id[3:]}{parse_ms(stamp) or 0:013d}",
                "OpportunityId": opp_id,
                "StageName": state["StageName"],
                "Amount": state["Amount"],
                "CloseDate": state["CloseDate"],
                "Probability": info.get("Probability"),
                "CreatedDate": stamp,
                "SystemModstamp": stamp,
                "IsDeleted": False,
            },
        )

    def _field_history(
        self, opp_id: str, field: str, old: str | None, new: str | None, stamp: str | None
    ) -> None:
        self._put(
            "OpportunityFieldHistory",
            {
                "Id": f"017{opp_id[3:]}{parse_ms(stamp) or 0:013d}",
                "OpportunityId": opp_id,
                "Field": field,
                "OldValue": old,
                "NewValue": new,
                "CreatedDate": stamp,
                "IsDeleted": False,
            },
        )

    def _people(self, world_dir: Path, company_names: dict[str, str]) -> None:
        """Every world contact is a Lead; one that reached the opportunity stage was
        converted, into a Contact (and the first deal it is on)."""
        first_deal: dict[str, str] = {}
        for row in read_table(world_dir, "deal_contacts").to_pylist():
            known = first_deal.get(row["contact_id"])
            if known is None or int(row["deal_id"]) < int(known):
                first_deal[row["contact_id"]] = row["deal_id"]
        # world contact id -> the Lead or Contact an activity's WhoId names (merged-away
        # people included: Salesforce moves their activities to the survivor)
        self.who: dict[str, str] = {}
        for row in read_table(world_dir, "contacts").to_pylist():
            converted = row["lifecyclestage"] in ("opportunity", "customer")
            converted_at = row["hs_lifecyclestage_opportunity_date"] or row["createdate"]
            contact_id = sf_id("003", row["id"]) if converted else None
            account_id = sf_id("001", row["associatedcompanyid"])
            source = LEAD_SOURCE.get(row["hs_analytics_source"] or "", row["hs_analytics_source"])
            deal = first_deal.get(row["id"]) if converted else None
            who = contact_id or sf_id("00Q", row["id"])
            for person in (row["id"], *(row["hs_merged_object_ids"] or "").split(";")):
                if person:
                    self.who[person] = str(who)
            self._put(
                "Lead",
                {
                    "Id": sf_id("00Q", row["id"]),
                    "FirstName": row["firstname"],
                    "LastName": row["lastname"],
                    "Email": row["email"],
                    "Company": company_names.get(row["associatedcompanyid"] or ""),
                    "Status": LEAD_STATUS.get(row["lifecyclestage"], "Open - Not Contacted"),
                    "LeadSource": source,
                    "IsConverted": converted,
                    "ConvertedDate": _day(converted_at) if converted else None,
                    "ConvertedOpportunityId": sf_id("006", deal),
                    "ConvertedContactId": contact_id,
                    "ConvertedAccountId": account_id if converted else None,
                    "CreatedDate": sf_datetime(row["createdate"]),
                    "SystemModstamp": sf_datetime(row["lastmodifieddate"]),
                    "IsDeleted": bool(row["archived"]),
                },
            )
            if converted:
                self._put(
                    "Contact",
                    {
                        "Id": contact_id,
                        "FirstName": row["firstname"],
                        "LastName": row["lastname"],
                        "Email": row["email"],
                        "AccountId": account_id,
                        "LeadSource": source,
                        "CreatedDate": sf_datetime(converted_at),
                        "SystemModstamp": sf_datetime(row["lastmodifieddate"]),
                        "IsDeleted": bool(row["archived"]),
                    },
                )

    def _campaigns(self, world_dir: Path) -> None:
        """Campaigns from the world's marketing campaigns; a member per (campaign, lead)
        with at least one touch, responded at its first touch."""
        for row in read_table(world_dir, "campaigns").to_pylist():
            start = f"{row['start_date'].isoformat()}T00:00:00.000+0000"
            self._put(
                "Campaign",
                {
                    "Id": sf_id("701", row["campaign_id"]),
                    "Name": row["name"],
                    "Type": row["channel"].replace("_", " ").title(),
                    "Status": "Completed",
                    "StartDate": row["start_date"].isoformat(),
                    "EndDate": row["end_date"].isoformat() if row["end_date"] else None,
                    "BudgetedCost": row["budget"],
                    "CurrencyIsoCode": row["currency"],
                    "IsActive": True,
                    "CreatedDate": start,
                    "SystemModstamp": start,
                    "IsDeleted": False,
                },
            )
        first: dict[tuple[str, str], datetime] = {}
        for row in read_table(world_dir, "touches").to_pylist():
            if row["contact_id"] is None or row["campaign_id"] is None:
                continue
            key = (row["campaign_id"], row["contact_id"])
            if key not in first or row["occurred_at"] < first[key]:
                first[key] = row["occurred_at"]
        leads = self.records["Lead"]
        for (campaign, contact), at in sorted(first.items()):
            lead = leads.get(sf_id("00Q", contact) or "")
            if lead is None:
                continue  # a person merged away: Salesforce no longer has the lead
            stamp = ms_datetime(int(at.timestamp() * 1000))
            self._put(
                "CampaignMember",
                {
                    "Id": f"00v{campaign}{contact.rjust(12, '0')}",
                    "CampaignId": sf_id("701", campaign),
                    "LeadId": lead["Id"],
                    "ContactId": lead["ConvertedContactId"],
                    "Status": "Responded",
                    "HasResponded": True,
                    "FirstRespondedDate": stamp[:10],
                    "CreatedDate": stamp,
                    "SystemModstamp": stamp,
                    "IsDeleted": False,
                },
            )

    def _activities(self, world_dir: Path) -> None:
        """A Task per call, email and task, an Event per meeting (notes are left out)."""
        opportunities = self.records["Opportunity"]
        for row in read_table(world_dir, "engagements").to_pylist():
            kind, stamp = row["type"], sf_datetime(row["timestamp"])
            if kind == "NOTE":
                continue
            what = sf_id("006", row["deal_id"])
            common = {
                "WhoId": self.who.get(row["contact_id"]) if row["contact_id"] else None,
                "WhatId": what,
                "AccountId": (opportunities.get(what) or {}).get("AccountId"),
                "OwnerId": sf_id("005", row["owner_id"]),
                "Subject": kind.title(),
                "ActivityDate": _day(row["timestamp"]),
                "CreatedDate": stamp,
                "SystemModstamp": stamp,
                "IsDeleted": False,
            }
            if kind == "MEETING":
                self._put("Event", {"Id": sf_id("00U", row["id"]), **common, **_meeting(row)})
                continue
            subtype, task_type = TASK_KINDS[kind]
            closed = row["status"] != "NOT_STARTED"
            duration = row["duration_ms"]
            self._put(
                "Task",
                {
                    "Id": sf_id("00T", row["id"]),
                    **common,
                    "Status": "Completed" if closed else "Not Started",
                    "Priority": "Normal",
                    "IsClosed": closed,
                    "Type": task_type,
                    "TaskSubtype": subtype,
                    "CallDurationInSeconds": round(int(duration) / 1000) if duration else None,
                    "CallDisposition": CALL_DISPOSITION.get(row["status"])
                    if kind == "CALL"
                    else None,
                    "CallType": "Outbound" if kind == "CALL" else None,
                    "CompletedDateTime": stamp if closed else None,
                },
            )

    # --- edits -------------------------------------------------------------------------

    def _tick(self) -> str:
        self.now_ms += EDIT_STEP_MS
        return ms_datetime(self.now_ms)

    def update_opportunity(self, opp_id: str, **changes: object) -> str:
        """Edit StageName, Amount, CloseDate or OwnerId as a user would; returns the new
        SystemModstamp. A stage change also moves Probability, IsClosed and IsWon."""
        with self.lock:
            record = self.records["Opportunity"][opp_id]
            stamp = self._tick()
            if "OwnerId" in changes and changes["OwnerId"] != record["OwnerId"]:
                new_owner = changes["OwnerId"]
                self._field_history(opp_id, "Owner", record["OwnerId"], new_owner, stamp)  # type: ignore[arg-type]
            tracked = any(k in changes and changes[k] != record[k] for k in HISTORY_FIELDS.values())
            record.update(changes)
            if "StageName" in changes:
                info = self.stage_info[str(changes["StageName"])]
                record.update(info)
            record["SystemModstamp"] = stamp
            if tracked:
                self._stage_history(opp_id, record, stamp)
            return stamp

    def update_user(self, user_id: str, **changes: object) -> str:
        """Edit a User (move them to another Department, rename them) as an admin would;
        returns the new SystemModstamp."""
        with self.lock:
            record = self.records["User"][user_id]
            stamp = self._tick()
            record.update(changes)
            record["SystemModstamp"] = stamp
            return stamp

    def delete(self, name: str, record_id: str) -> str:
        """Move a record to the recycle bin: only ``queryAll`` lists it, deleted."""
        with self.lock:
            record = self.records[name][record_id]
            stamp = self._tick()
            record["IsDeleted"] = True
            record["SystemModstamp"] = stamp
            return stamp

    def update_task(self, task_id: str, **changes: object) -> str:
        """Edit a Task as a user would; returns the new SystemModstamp. A Status change
        moves IsClosed, and CompletedDateTime when the task is completed."""
        with self.lock:
            record = self.records["Task"][task_id]
            stamp = self._tick()
            record.update(changes)
            if "Status" in changes:
                record["IsClosed"] = changes["Status"] in ("Completed", "Deferred")
                record["CompletedDateTime"] = stamp if record["IsClosed"] else None
            record["SystemModstamp"] = stamp
            return stamp

    def insert(self, name: str, fields: dict) -> str:
        """Create a record (an activity logged after the world's end); returns its Id."""
        with self.lock:
            stamp = self._tick()
            prefix = ACTIVITY_PREFIX[name]
            number = max((int(i[3:]) for i in self.records[name]), default=0) + 1
            record = {f: None for f in FIELDS[name]}
            record.update(fields)
            record.update(Id=sf_id(prefix, str(number)), CreatedDate=stamp, SystemModstamp=stamp)
            record["IsDeleted"] = False
            self._put(name, record)
            return record["Id"]

    def purge(self, name: str, record_id: str) -> None:
        """Empty a record from the recycle bin: no API call returns it any more."""
        with self.lock:
            del self.records[name][record_id]

    def current(self, name: str) -> list[dict]:
        """Every record of one object, deleted ones included, sorted by Id (for tests)."""
        with self.lock:
            return [dict(self.records[name][i]) for i in sorted(self.records[name])]
