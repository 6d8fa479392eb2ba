"""The HubSpot objects landed in ``raw_hubspot``, with their keys and record rules."""

from __future__ import annotations

from ingestion.raw.objects import (
    EmployeeData,
    ObjectKind,
    PersonalData,
    RawObject,
    Rule,
    decimal_string,
    epoch_ms_string,
    non_negative,
    required,
    timestamp_string,
)

SOURCE_SYSTEM = "hubspot"


def _entity(
    name: str,
    *rules: Rule,
    key: tuple[str, ...] = ("id",),
    updated: str | None = None,
    personal: PersonalData | None = None,
    employee: EmployeeData | None = None,
) -> RawObject:
    key_rules = tuple(required(column) for column in key)
    return RawObject(
        SOURCE_SYSTEM,
        name,
        key=key,
        rules=(*key_rules, *rules),
        updated_column=updated,
        personal=personal,
        employee=employee,
    )


DEALS = _entity(
    "deals",
    required("pipeline"),
    required("dealstage"),
    timestamp_string("createdate", nullable=False),
    timestamp_string("closedate"),
    decimal_string("amount"),
    non_negative("amount"),
    updated="hs_lastmodifieddate",
)
# History entries never change once written, so each is kept once, however often it is read.
DEAL_PROPERTY_HISTORY = RawObject(
    SOURCE_SYSTEM,
    "deal_property_history",
    key=("deal_id", "property", "timestamp", "value"),
    kind=ObjectKind.EVENT,
    rules=(
        required("deal_id"),
        required("property"),
        timestamp_string("timestamp", nullable=False),
    ),
)
CONTACTS = _entity(
    "contacts",
    timestamp_string("createdate", nullable=False),
    updated="lastmodifieddate",
    personal=PersonalData(person_id="id", email="email", merged_ids="hs_merged_object_ids"),
)
COMPANIES = _entity("companies", updated="hs_lastmodifieddate")
OWNERS = _entity(
    "owners",
    updated="updated_at",
    employee=EmployeeData(owner_id="id", email="email", name="last_name", cleared=("first_name",)),
)
PIPELINE_STAGES = _entity("pipeline_stages", key=("pipeline_id", "stage_id"))
DEAL_CONTACTS = _entity(
    "deal_contacts",
    key=("deal_id", "contact_id"),
    personal=PersonalData(references=("contact_id",)),
)
DEAL_COMPANIES = _entity("deal_companies", key=("deal_id", "company_id"))
# A form submission never changes once made: kept once per conversion id. Its email is the
# address typed into the form, so forgetting that address removes the submission.
FORM_SUBMISSIONS = RawObject(
    SOURCE_SYSTEM,
    "form_submissions",
    key=("conversion_id",),
    kind=ObjectKind.EVENT,
    rules=(
        required("conversion_id"),
        required("form_id"),
        epoch_ms_string("submitted_at"),
    ),
    personal=PersonalData(email="email"),
)
ENGAGEMENTS = _entity(
    "engagements",
    timestamp_string("timestamp", nullable=False),
    personal=PersonalData(references=("contact_id",)),
)

OBJECTS: tuple[RawObject, ...] = (
    DEALS,
    DEAL_PROPERTY_HISTORY,
    CONTACTS,
    COMPANIES,
    OWNERS,
    PIPELINE_STAGES,
    DEAL_CONTACTS,
    DEAL_COMPANIES,
    ENGAGEMENTS,
    FORM_SUBMISSIONS,
)
