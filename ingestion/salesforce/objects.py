"""The Salesforce objects landed in ``raw_salesforce``: fields read, key, rules, cursor.

Every field lands as text exactly as the JSON had it (numbers as written, booleans as
``true``/``false``): raw keeps what Salesforce said, and dbt staging casts. So an org
whose field changes type never breaks a load, and the rules below are where a value that
would not cast is caught (and quarantined) instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingestion.raw.objects import (
    EmployeeData,
    ObjectKind,
    PersonalData,
    RawObject,
    Rule,
    decimal_string,
    required,
    timestamp_string,
)

SOURCE_SYSTEM = "salesforce"


@dataclass(frozen=True)
class SalesforceObject:
    """One sObject: the fields queried and the column an incremental read filters on."""

    sobject: str
    fields: tuple[str, ...]
    raw: RawObject
    cursor_field: str | None  # None: always read whole (tiny reference objects)


def _object(
    sobject: str,
    fields: str,
    *rules: Rule,
    kind: ObjectKind = ObjectKind.ENTITY,
    cursor: str | None = "SystemModstamp",
    personal: PersonalData | None = None,
    employee: EmployeeData | None = None,
) -> SalesforceObject:
    names = tuple(f.strip() for f in fields.split(","))
    dated = tuple(
        timestamp_string(f, nullable=f != "CreatedDate")
        for f in names
        if f.endswith(("Date", "Modstamp"))
    )
    raw = RawObject(
        SOURCE_SYSTEM,
        sobject,
        key=("Id",),
        kind=kind,
        rules=(required("Id"), *dated, *rules),
        updated_column="SystemModstamp" if "SystemModstamp" in names else None,
        personal=personal,
        employee=employee,
    )
    return SalesforceObject(sobject, names, raw, cursor)


USER = _object(
    "User",
    "Id, Username, FirstName, LastName, Email, Department, IsActive, CreatedDate, SystemModstamp",
    # The username is usually an address too.
    employee=EmployeeData(
        owner_id="Id", email="Email", name="LastName", cleared=("FirstName", "Username")
    ),
)
OPPORTUNITY_STAGE = _object(
    "OpportunityStage",
    "Id, ApiName, MasterLabel, IsActive, IsClosed, IsWon, DefaultProbability, "
    "ForecastCategoryName, SortOrder, CreatedDate, SystemModstamp",
    cursor=None,
)
ACCOUNT = _object(
    "Account",
    "Id, Name, Website, Industry, BillingCountry, NumberOfEmployees, AnnualRevenue, "
    "CreatedDate, SystemModstamp, IsDeleted",
    decimal_string("AnnualRevenue"),
)
OPPORTUNITY = _object(
    "Opportunity",
    "Id, Name, Type, StageName, Amount, Probability, CloseDate, IsClosed, IsWon, "
    "ForecastCategoryName, OwnerId, AccountId, CurrencyIsoCode, CreatedDate, SystemModstamp, "
    "IsDeleted",
    required("StageName"),
    decimal_string("Amount"),
    decimal_string("Probability"),
)
# History rows are events: written once, never edited, so each is kept once and read
# incrementally by when it happened.
OPPORTUNITY_HISTORY = _object(
    "OpportunityHistory",
    "Id, OpportunityId, StageName, Amount, CloseDate, Probability, CreatedDate, "
    "SystemModstamp, IsDeleted",
    required("OpportunityId"),
    decimal_string("Amount"),
    kind=ObjectKind.EVENT,
    cursor="CreatedDate",
)
OPPORTUNITY_FIELD_HISTORY = _object(
    "OpportunityFieldHistory",
    "Id, OpportunityId, Field, OldValue, NewValue, CreatedDate, IsDeleted",
    required("OpportunityId"),
    kind=ObjectKind.EVENT,
    cursor="CreatedDate",
)
LEAD = _object(
    "Lead",
    "Id, FirstName, LastName, Email, Company, Status, LeadSource, IsConverted, "
    "ConvertedDate, ConvertedOpportunityId, ConvertedContactId, ConvertedAccountId, "
    "CreatedDate, SystemModstamp, IsDeleted",
    personal=PersonalData(person_id="Id", email="Email"),
)
CONTACT = _object(
    "Contact",
    "Id, FirstName, LastName, Email, AccountId, LeadSource, CreatedDate, SystemModstamp, IsDeleted",
    personal=PersonalData(person_id="Id", email="Email"),
)
CAMPAIGN = _object(
    "Campaign",
    "Id, Name, Type, Status, StartDate, EndDate, BudgetedCost, CurrencyIsoCode, IsActive, "
    "CreatedDate, SystemModstamp, IsDeleted",
    decimal_string("BudgetedCost"),
)
CAMPAIGN_MEMBER = _object(
    "CampaignMember",
    "Id, CampaignId, LeadId, ContactId, Status, HasResponded, FirstRespondedDate, "
    "CreatedDate, SystemModstamp, IsDeleted",
    personal=PersonalData(references=("LeadId", "ContactId")),
)
# Activities: WhatId is the opportunity (or account) they are about, WhoId the Contact or
# Lead. queryAll also returns the ones Salesforce archived (over a year old, IsArchived),
# which a plain query leaves out.
TASK = _object(
    "Task",
    "Id, WhoId, WhatId, AccountId, OwnerId, Subject, ActivityDate, Status, Priority, IsClosed, "
    "Type, TaskSubtype, CallDurationInSeconds, CallDisposition, CallType, CompletedDateTime, "
    "CreatedDate, SystemModstamp, IsDeleted",
    timestamp_string("CompletedDateTime"),
    decimal_string("CallDurationInSeconds"),
    personal=PersonalData(references=("WhoId",)),
)
EVENT = _object(
    "Event",
    "Id, WhoId, WhatId, AccountId, OwnerId, Subject, ActivityDate, ActivityDateTime, "
    "StartDateTime, EndDateTime, DurationInMinutes, Type, EventSubtype, ShowAs, CreatedDate, "
    "SystemModstamp, IsDeleted",
    timestamp_string("ActivityDateTime"),
    timestamp_string("StartDateTime"),
    timestamp_string("EndDateTime"),
    decimal_string("DurationInMinutes"),
    personal=PersonalData(references=("WhoId",)),
)

# In landing order: what others point at first.
OBJECTS: tuple[SalesforceObject, ...] = (
    USER,
    OPPORTUNITY_STAGE,
    ACCOUNT,
    OPPORTUNITY,
    OPPORTUNITY_HISTORY,
    OPPORTUNITY_FIELD_HISTORY,
    LEAD,
    CONTACT,
    CAMPAIGN,
    CAMPAIGN_MEMBER,
    TASK,
    EVENT,
)
