"""The web event landed in ``raw_web_events.events``: one row per export file and event id.

Every value lands as text, beside the file it came from (``export_file``). An event's
timestamp must be ISO-8601 (any offset) or epoch milliseconds / microseconds; anything
else is quarantined with its value, never guessed. Events are immutable, so a redelivered
event (same id, same file) adds nothing.
"""

from __future__ import annotations

from ingestion.raw.objects import ObjectKind, PersonalData, RawObject, Rule, required

# The export file a row came from, relative to the folder landed (see landing.py).
FILE_COLUMN = "export_file"
# The columns an export carries.
COLUMNS = (
    "event_id",
    "event_type",
    "event_name",
    "anonymous_id",
    "user_id",
    "email",
    "timestamp",
    "page_url",
    "page_referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "user_agent",
    "ip",
)

TIMESTAMP_RULE = Rule(
    name="timestamp_unparsable",
    field="timestamp",
    violated="timestamp is null or (try_cast(timestamp as timestamptz) is null "
    "and not regexp_full_match(trim(timestamp), '[0-9]{13}|[0-9]{16}'))",
    reason="'timestamp ' || coalesce('''' || timestamp || '''', 'null') "
    "|| ' is neither ISO-8601 nor epoch milliseconds or microseconds'",
)
NO_VISITOR = Rule(
    name="visitor_missing",
    field="anonymous_id",
    violated="coalesce(trim(anonymous_id), '') = '' and coalesce(trim(user_id), '') = ''",
    reason="'neither anonymous_id nor user_id is set'",
)

EVENTS = RawObject(
    "web_events",
    "events",
    key=(FILE_COLUMN, "event_id"),
    kind=ObjectKind.EVENT,
    rules=(required("event_id"), NO_VISITOR, TIMESTAMP_RULE),
    # user_id is the HubSpot contact id of a visitor who logged in or identified.
    personal=PersonalData(
        person_id="user_id", email="email", refers_to="hubspot", linked_by="anonymous_id"
    ),
)
