"""The Pipedrive objects landed in ``raw_pipedrive``, with their keys and record rules.

Every column lands as text, as the API rendered it (numbers and booleans as their JSON
text, lists and objects as JSON), so a field changing type never breaks a load; staging
casts. v2 timestamps are ISO with Z; v1 ones (users, teams, deal_flow) are naive UTC.
"""

from __future__ import annotations

from ingestion.raw.objects import (
    EmployeeData,
    ObjectKind,
    PersonalData,
    RawObject,
    Rule,
    decimal_string,
    non_negative,
    required,
    timestamp_string,
)

SOURCE_SYSTEM = "pipedrive"


def _entity(
    name: str,
    *rules: Rule,
    updated: str | None = "update_time",
    personal: PersonalData | None = None,
    employee: EmployeeData | None = None,
) -> RawObject:
    return RawObject(
        SOURCE_SYSTEM,
        name,
        key=("id",),
        rules=(required("id"), *rules),
        updated_column=updated,
        personal=personal,
        employee=employee,
    )


DEALS = _entity(
    "deals",
    required("pipeline_id"),
    required("stage_id"),
    required("status"),
    timestamp_string("add_time", nullable=False),
    timestamp_string("update_time", nullable=False),
    timestamp_string("close_time"),
    decimal_string("value"),
    non_negative("value"),
    personal=PersonalData(references=("person_id",)),
)
# dealChange entries of the deal's flow (stage, value, owner, expected close date). An
# entry never changes once logged, so each is kept once, however often it is read.
DEAL_FLOW = RawObject(
    SOURCE_SYSTEM,
    "deal_flow",
    key=("deal_id", "id"),
    kind=ObjectKind.EVENT,
    rules=(
        required("deal_id"),
        required("field_key"),
        timestamp_string("log_time", nullable=False),
    ),
)
# Calls, emails, meetings, tasks... (a deleted one lands as a version with is_deleted true).
ACTIVITIES = _entity(
    "activities",
    required("type"),
    timestamp_string("update_time", nullable=False),
    timestamp_string("add_time"),
    timestamp_string("due_date"),
    timestamp_string("marked_as_done_time"),
    personal=PersonalData(references=("person_id",)),
)
STAGES = _entity("stages", required("pipeline_id"), updated=None)
PIPELINES = _entity("pipelines", updated=None)
USERS = _entity(
    "users",
    updated="modified",
    # The API's user also has a phone and a picture, where the account holds them.
    employee=EmployeeData(owner_id="id", email="email", name="name", cleared=("phone", "icon_url")),
)
# Legacy teams (GET /v1/legacyTeams), each with its members' user ids (``users``, JSON).
TEAMS = _entity("teams", updated=None)
PERSONS = _entity("persons", personal=PersonalData(person_id="id", email="emails"))
ORGANIZATIONS = _entity("organizations")

REFERENCE: tuple[RawObject, ...] = (PIPELINES, STAGES, USERS, TEAMS, PERSONS, ORGANIZATIONS)
OBJECTS: tuple[RawObject, ...] = (DEALS, DEAL_FLOW, ACTIVITIES, *REFERENCE)
