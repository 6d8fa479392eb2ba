"""An activities export lands in raw_csv.activities with a mapping alone, every row
accounted for: the simulator's engagements, exported as a CRM would, and bad rows."""

import csv
from collections import Counter

import pytest

from ingestion.simulator import WorldConfig, generate_world, read_table

MAPPING = """
    kind: activities
    instance: acme
    files: activities.csv
    columns:
      activity_id: Activity ID
      type: Activity Type
      status: Outcome
      occurred_at: Date
      duration_minutes: Minutes
      deal_id: Deal
      contact_id: Contact
      owner: Owner
    values:
      type: {Phone call: call, E-mail: email, Meeting: meeting, Note: note, To-do: task}
    date_formats: {occurred_at: "%d/%m/%Y %H:%M:%S"}
"""
LABELS = {"CALL": "Phone call", "EMAIL": "E-mail", "MEETING": "Meeting", "NOTE": "Note"}
LABELS["TASK"] = "To-do"


@pytest.fixture(scope="module")
def engagements(tmp_path_factory) -> list[dict]:
    world = tmp_path_factory.mktemp("csv_activities") / "world"
    generate_world(WorldConfig(seed=3, n_deals=120), world)
    return read_table(world, "engagements").to_pylist()


def _export(path, engagements: list[dict]) -> None:
    """The engagements as a CRM's activities export: its own labels and date format."""
    header = ["Activity ID", "Activity Type", "Outcome", "Date", "Minutes", "Deal", "Contact"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow([*header, "Owner", "Region"])
        for r in engagements:
            stamp = r["timestamp"]
            date = f"{stamp[8:10]}/{stamp[5:7]}/{stamp[:4]} {stamp[11:19]}"
            minutes = int(r["duration_ms"]) / 60_000 if r["duration_ms"] else ""
            kind, status = LABELS[r["type"]], r["status"] or ""
            people = [r["contact_id"], r["owner_id"], "EMEA"]
            out.writerow([r["id"], kind, status, date, minutes, r["deal_id"], *people])


def test_the_worlds_activities_land_counted_per_deal_and_type(write, land, con, engagements):
    mapping = write("activities.yml", MAPPING)
    _export(mapping.parent / "activities.csv", engagements)
    (stats,) = land([mapping])
    assert stats.rows_in == stats.rows_landed == len(engagements)
    assert stats.rows_quarantined == stats.duplicates_collapsed == 0
    landed = con.execute(
        "select deal_id, type, status, occurred_at, owner, Region from raw_csv.activities"
    ).fetchall()
    assert Counter((deal, kind) for deal, kind, *_ in landed) == Counter(
        (r["deal_id"], r["type"].lower()) for r in engagements
    )
    by_id = {
        r[0]: r[1:]
        for r in con.execute(
            "select activity_id, status, occurred_at, contact_id from raw_csv.activities"
        ).fetchall()
    }
    for r in engagements:
        status, occurred_at, contact = by_id[r["id"]]
        assert (status, contact) == (r["status"], r["contact_id"])
        assert occurred_at == r["timestamp"][:19].replace("T", " ")
    assert {region for *_, region in landed} == {"EMEA"}
    again = land([mapping], load_id="L2")
    assert again[0].new_versions == 0  # a rerun adds nothing


def test_bad_rows_are_quarantined_and_a_mapping_needs_a_type(write, land, con, csv_exports):
    mapping = write("activities.yml", MAPPING)
    write(
        "activities.csv",
        """\
        Activity ID,Activity Type,Outcome,Date,Minutes,Deal,Contact,Owner
        A1,Phone call,Connected,01/02/2025 10:00:00,5,D1,C1,ann
        A2,Meeting,,2025-02-30,30,D1,C1,ann
        ,To-do,,01/02/2025 11:00:00,,D2,,bob
        A4,Phone call,Busy,01/02/2025 12:00:00,a few,D2,C2,bob
        """,
    )
    (stats,) = land([mapping])
    assert (stats.rows_in, stats.rows_landed, stats.rows_quarantined) == (4, 1, 3)
    reasons = con.execute(
        "select reason from quarantine.csv__activities order by reason"
    ).fetchall()
    assert reasons == [
        (
            "activities.csv line 3: occurred_at '2025-02-30' does not match the date format "
            "%d/%m/%Y %H:%M:%S",
        ),
        ("activities.csv line 4: activity_id is missing",),
        ("activities.csv line 5: duration_minutes 'a few' is not a plain decimal number",),
    ]
    assert con.execute("select activity_id, type from raw_csv.activities").fetchall() == [
        ("A1", "call")
    ]
    untyped = write(
        "untyped.yml",
        """
        kind: activities
        instance: acme
        files: activities.csv
        columns: {activity_id: Activity ID, subject: Activity Type}
        """,
    )
    with pytest.raises(csv_exports.CsvExportError, match="needs a type"):
        csv_exports.load_mapping(untyped)
