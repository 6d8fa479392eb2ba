"""Forgetting a person in the raw layer: their records go, references to them are cleared,
everyone else's data stays."""

from __future__ import annotations

import json

import duckdb
import pytest

from ingestion.csv_exports.objects import DEALS, LEADS, OWNERS, TARGETS, raw_object
from ingestion.hubspot import objects as hubspot
from ingestion.pipedrive import objects as pipedrive
from ingestion.privacy import ForgetError, forget_person, tables_mentioning
from ingestion.raw import quarantine
from ingestion.raw.snapshot import ensure_raw_table
from ingestion.salesforce import objects as salesforce
from ingestion.web_events.objects import EVENTS

ROWS = {
    salesforce.CONTACT.raw: [
        {"Id": "C1", "Email": "Ann@Example.com", "FirstName": "Ann"},
        {"Id": "C1", "Email": "Ann@Example.com", "FirstName": "Anne"},  # a later version
        {"Id": "C2", "Email": "bob@example.com", "FirstName": "Bob"},
    ],
    salesforce.LEAD.raw: [{"Id": "L1", "Email": "ann@example.com"}],
    salesforce.CAMPAIGN_MEMBER.raw: [
        {"Id": "M1", "LeadId": "L1", "ContactId": None},
        {"Id": "M2", "LeadId": None, "ContactId": "C2"},
    ],
    salesforce.TASK.raw: [{"Id": "T1", "WhoId": "C1"}, {"Id": "T2", "WhoId": "C2"}],
    pipedrive.PERSONS: [
        {"id": "7", "emails": json.dumps([{"value": "ann@example.com", "primary": True}])},
        {"id": "8", "emails": json.dumps([{"value": "joann@example.com", "primary": True}])},
    ],
    pipedrive.ACTIVITIES: [{"id": "a1", "person_id": "7"}, {"id": "a2", "person_id": "8"}],
    pipedrive.DEALS: [{"id": "d1", "person_id": "7"}],
    raw_object(LEADS, {}): [{"lead_id": "X", "email": "ann@example.com"}, {"lead_id": "Y"}],
    hubspot.CONTACTS: [
        {"id": "100", "email": "ann@example.com", "hs_merged_object_ids": "90;91"},
        {"id": "200", "email": "cy@example.com", "hs_merged_object_ids": None},
    ],
    hubspot.DEAL_CONTACTS: [
        {"deal_id": "5", "contact_id": "100"},
        {"deal_id": "6", "contact_id": "91"},  # the id Ann had before a merge
        {"deal_id": "6", "contact_id": "200"},
    ],
    EVENTS: [
        {"event_id": "w1", "anonymous_id": "A1", "user_id": None, "email": None},
        {"event_id": "w2", "anonymous_id": "A1", "user_id": "100", "email": "ann@example.com"},
        {"event_id": "w3", "anonymous_id": "A1", "user_id": None, "email": None},
        {"event_id": "w4", "anonymous_id": "A2", "user_id": "200", "email": None},
    ],
    hubspot.FORM_SUBMISSIONS: [
        {"conversion_id": "f1", "email": "Ann@Example.com", "page_url": "https://x.example/demo"},
        {"conversion_id": "f2", "email": "cy@example.com", "page_url": "https://x.example/demo"},
    ],
    hubspot.ENGAGEMENTS: [
        {"id": "e1", "deal_id": "5", "contact_id": "100", "owner_id": "61"},
        {"id": "e2", "deal_id": "6", "contact_id": "91", "owner_id": "61"},
        {"id": "e3", "deal_id": "6", "contact_id": "200", "owner_id": "62"},
    ],
    hubspot.OWNERS: [
        {"id": "61", "email": "olga@example.com", "first_name": "Olga", "last_name": "Berg"},
        {"id": "61", "email": "Olga@Example.com", "first_name": "Olga", "last_name": "Lind"},
        {"id": "62", "email": "pat@example.com", "first_name": "Pat", "last_name": "Lee"},
    ],
    raw_object(TARGETS, {}): [
        {"period": "2025-01", "owner": "OLGA@example.com "},
        {"period": "2025-01", "owner": "pat@example.com"},
    ],
    # A CRM without an API whose exports name its owners by name; Olga works in both.
    raw_object(OWNERS, {}): [
        {"owner": "Olga Lind", "name": "Olga Lind", "email": "olga@example.com", "team": "N"},
        {"owner": "Pat Lee", "name": "Pat Lee", "email": None, "team": "N"},
    ],
    raw_object(DEALS, {}): [
        {"deal_id": "d1", "owner": "Olga Lind"},
        {"deal_id": "d2", "owner": "Pat Lee"},
    ],
}


@pytest.fixture
def con():
    connection = duckdb.connect()
    for obj, rows in ROWS.items():
        columns = sorted({column for row in rows for column in row})
        ensure_raw_table(connection, obj, [(column, "VARCHAR") for column in columns])
        for row in rows:
            names = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            connection.execute(
                f"insert into {obj.table} (_source_instance, {names}) values ('p1', {marks})",
                list(row.values()),
            )
    quarantine.ensure_table(connection, salesforce.CONTACT.raw.quarantine_table)
    connection.execute(
        f"insert into {salesforce.CONTACT.raw.quarantine_table} "
        "(load_id, source_system, object, record_key, rule, reason, raw_payload, quarantined_at) "
        "values ('L0', 'salesforce', 'Contact', 'C1', 'CreatedDate_unparsable', 'bad', ?, now())",
        [json.dumps({"Id": "C1", "Email": "ann@example.com", "CreatedDate": "soon"})],
    )
    yield connection
    connection.close()


def _values(con, table: str, column: str) -> list:
    return sorted(
        (v for (v,) in con.execute(f"select {column} from {table}").fetchall()),
        key=lambda v: (v is None, v),
    )


def test_forget_by_email_removes_the_person_everywhere_and_keeps_the_rest(con):
    report = forget_person(con, email="  ANN@example.com ")

    assert report.person_ids == {
        "salesforce": {"C1", "L1"},
        "pipedrive": {"7"},
        "csv": {"X"},
        "hubspot": {"100", "90", "91"},
    }
    assert report.removed == {
        "raw_salesforce.Contact": 2,
        "quarantine.salesforce__Contact": 1,
        "raw_salesforce.Lead": 1,
        "raw_pipedrive.persons": 1,
        "raw_csv.leads": 1,
        "raw_hubspot.contacts": 1,
        "raw_hubspot.deal_contacts": 2,
        "raw_web_events.events": 3,  # the identified event and the visitor's others
        "raw_hubspot.form_submissions": 1,
    }
    assert report.cleared == {
        "raw_salesforce.CampaignMember.LeadId": 1,
        "raw_salesforce.Task.WhoId": 1,
        "raw_pipedrive.deals.person_id": 1,
        "raw_pipedrive.activities.person_id": 1,
        "raw_hubspot.engagements.contact_id": 2,
    }
    # Everyone else's records, and the business facts around Ann, are untouched.
    assert _values(con, "raw_salesforce.Contact", "Id") == ["C2"]
    assert _values(con, "raw_salesforce.Task", "WhoId") == ["C2", None]
    assert _values(con, "raw_pipedrive.persons", "id") == ["8"]
    assert _values(con, "raw_pipedrive.deals", "id") == ["d1"]
    assert _values(con, "raw_hubspot.deal_contacts", "contact_id") == ["200"]
    assert _values(con, "raw_hubspot.engagements", "id") == ["e1", "e2", "e3"]
    assert _values(con, "raw_csv.leads", "lead_id") == ["Y"]
    assert _values(con, "raw_web_events.events", "event_id") == ["w4"]
    assert _values(con, "raw_hubspot.form_submissions", "conversion_id") == ["f2"]
    assert tables_mentioning(con, "ann@example.com") == []
    assert tables_mentioning(con, "joann@example.com") == ["raw_pipedrive.persons"]


def test_forget_by_id_and_forgetting_twice(con):
    report = forget_person(con, person_id="C2")
    assert report.person_ids["salesforce"] == {"C2"}
    assert report.removed == {"raw_salesforce.Contact": 1}
    assert report.cleared == {
        "raw_salesforce.CampaignMember.ContactId": 1,
        "raw_salesforce.Task.WhoId": 1,
    }
    again = forget_person(con, person_id="C2")
    assert not again.found and not again.removed and not again.cleared


def test_forget_by_contact_id_also_removes_what_names_them_by_address(con):
    report = forget_person(con, person_id="200")
    assert report.removed["raw_hubspot.form_submissions"] == 1
    assert _values(con, "raw_hubspot.form_submissions", "conversion_id") == ["f1"]
    assert tables_mentioning(con, "cy@example.com") == []


def test_forget_needs_someone():
    with pytest.raises(ValueError, match="email address or id"):
        forget_person(duckdb.connect())


# Olga, by her address or by her HubSpot owner id (whose records give her address).
@pytest.mark.parametrize(
    "olga", [{"email": "olga@EXAMPLE.com"}, {"owner": "61"}], ids=["email", "owner"]
)
def test_forget_pseudonymises_an_owner_keeping_their_id(con, olga):
    report = forget_person(con, **olga)
    assert not any(report.person_ids.values())
    assert report.owner_ids == {"hubspot": {"61"}, "csv": {"Olga Lind"}}
    assert report.pseudonymised == {
        "raw_hubspot.owners": 2,
        "raw_csv.targets.owner": 1,
        "raw_csv.owners": 1,
        "raw_csv.owners.owner": 1,
        "raw_csv.deals.owner": 1,
    }
    owners = con.execute(
        "select id, email, first_name, last_name from raw_hubspot.owners order by all"
    ).fetchall()
    assert owners == [
        ("61", None, None, "forgotten owner 61"),
        ("61", None, None, "forgotten owner 61"),
        ("62", "pat@example.com", "Pat", "Lee"),
    ]
    assert _values(con, "raw_hubspot.engagements", "owner_id") == ["61", "61", "62"]
    # The target still resolves to the same owner, by its key.
    assert _values(con, "raw_csv.targets", "owner") == ["hubspot:p1:61", "pat@example.com"]
    # The export's owner value, her name, gives way to her CRM owner key in every export.
    assert con.execute(
        "select owner, name, email from raw_csv.owners order by owner"
    ).fetchall() == [
        ("Pat Lee", "Pat Lee", None),
        ("hubspot:p1:61", "forgotten owner hubspot:p1:61", None),
    ]
    assert _values(con, "raw_csv.deals", "owner") == ["Pat Lee", "hubspot:p1:61"]
    assert tables_mentioning(con, "olga@example.com") == []
    assert tables_mentioning(con, "Olga Lind") == []
    assert (report.addresses, report.names) == ({"olga@example.com"}, {"Olga Lind"})


def test_forget_by_owner_id_reports_the_employee_alone_and_twice_changes_nothing(con):
    report = forget_person(con, owner="61")
    assert report.lines() == [
        "employee records found: 1 in hubspot, 1 in csv; pseudonymised, owner ids kept",
        "pseudonymised      2 rows in raw_hubspot.owners",
        "pseudonymised      1 rows in raw_csv.owners",
        "pseudonymised      1 rows in raw_csv.deals.owner",
        "pseudonymised      1 rows in raw_csv.targets.owner",
        "pseudonymised      1 rows in raw_csv.owners.owner",
    ]
    # What the CLI verifies after the rebuild: found only where someone else's is.
    texts = (*report.addresses, *report.names, "pat@example.com")
    assert tables_mentioning(con, *texts) == ["raw_csv.targets", "raw_hubspot.owners"]
    again = forget_person(con, owner="61")
    assert not again.found and not again.removed
    assert again.owner_ids == {"hubspot": {"61"}}  # found, with nothing left to pseudonymise


# A second HubSpot portal whose contact 100 is someone else: ids name people per instance.
OTHER_PORTAL = {
    hubspot.CONTACTS: {"id": "100", "email": "zoe@example.com", "hs_merged_object_ids": None},
    hubspot.DEAL_CONTACTS: {"deal_id": "7", "contact_id": "100"},
    hubspot.ENGAGEMENTS: {"id": "e9", "deal_id": "7", "contact_id": "100", "owner_id": "61"},
}


def _add_other_portal(con) -> None:
    for obj, row in OTHER_PORTAL.items():
        marks = ", ".join("?" for _ in row)
        con.execute(
            f"insert into {obj.table} (_source_instance, {', '.join(row)}) values ('p2', {marks})",
            list(row.values()),
        )


def _portal_rows(con, obj) -> list[tuple]:
    key = ", ".join(OTHER_PORTAL[obj])
    return sorted(con.execute(f"select _source_instance, {key} from {obj.table}").fetchall())


def test_an_id_names_a_person_in_its_own_instance_only(con):
    _add_other_portal(con)
    forget_person(con, email="ann@example.com")
    # Ann was contact 100 of portal p1; contact 100 of p2 is Zoe, and keeps everything.
    assert [row for row in _portal_rows(con, hubspot.CONTACTS) if row[1] == "100"] == [
        ("p2", "100", "zoe@example.com", None)
    ]
    assert ("p2", "7", "100") in _portal_rows(con, hubspot.DEAL_CONTACTS)
    assert ("p1", "5", "100") not in _portal_rows(con, hubspot.DEAL_CONTACTS)
    engagements = {row[1]: row for row in _portal_rows(con, hubspot.ENGAGEMENTS)}
    assert engagements["e9"] == ("p2", "e9", "7", "100", "61")
    assert engagements["e1"] == ("p1", "e1", "5", None, "61")


def test_an_id_several_instances_hold_needs_the_instance(con):
    _add_other_portal(con)
    with pytest.raises(ForgetError, match=r"several instances of a source \(hubspot 'p1', "):
        forget_person(con, person_id="100")
    assert len(_portal_rows(con, hubspot.CONTACTS)) == 3  # nothing changed
    report = forget_person(con, person_id="100", source_instance="p2")
    assert report.person_ids["hubspot"] == {"100"}
    assert [row[:3] for row in _portal_rows(con, hubspot.CONTACTS)] == [
        ("p1", "100", "ann@example.com"),
        ("p1", "200", "cy@example.com"),
    ]
    assert ("p2", "7", "100") not in _portal_rows(con, hubspot.DEAL_CONTACTS)
    assert ("p1", "5", "100") in _portal_rows(con, hubspot.DEAL_CONTACTS)
