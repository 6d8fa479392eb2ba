"""Bad rows are quarantined with their file, line, field and value; bad mappings fail clearly."""

import pytest

DEALS_MAPPING = """
    kind: deals
    instance: acme
    files: deals.csv
    columns: {deal_id: Id, stage: Stage, amount: Amount, created_at: Created}
    date_formats: {created_at: "%d/%m/%Y"}
"""
# Line 5's note spans two lines, so later rows sit one line below their record number.
DEALS_CSV = """\
Id,Stage,Amount,Created,Note
D1,Lead,100,31/01/2024,ok
,Lead,50,01/02/2024,no id
D3,Demo,75,2024-13-45,bad date
D4,Demo,"1.200,50",02/02/2024,"a note
over two lines"
D1,Lead,100,31/01/2024,ok
D5,Won,12 EUR,03/02/2024,bad amount
D6,Lost,,,
D7,Demo,10,04/02/2024,first copy
D7,Demo,20,04/02/2024,second copy
  ,Lead,5,05/02/2024,blank id
"""


def test_bad_rows_are_quarantined_naming_file_line_field_and_value(write, land, con):
    mapping = write("deals.yml", DEALS_MAPPING)
    write("deals.csv", DEALS_CSV)
    (stats,) = land([mapping])
    assert (stats.rows_in, stats.rows_landed, stats.rows_quarantined) == (10, 3, 6)
    assert stats.duplicates_collapsed == 1
    assert con.execute(
        """select rule, reason, raw_payload->>'amount' from quarantine.csv__deals
        where rule <> 'duplicate_key' order by reason"""
    ).fetchall() == [
        ("deal_id_missing", "deals.csv line 12: deal_id is missing", "5"),
        ("deal_id_missing", "deals.csv line 3: deal_id is missing", "50"),
        (
            "created_at_unparsable",
            "deals.csv line 4: created_at '2024-13-45' does not match the date format %d/%m/%Y",
            "75",
        ),
        (
            "amount_not_numeric",
            "deals.csv line 5: amount '1.200,50' is not a plain decimal number",
            "1.200,50",
        ),
        (
            "amount_not_numeric",
            "deals.csv line 8: amount '12 EUR' is not a plain decimal number",
            "12 EUR",
        ),
    ]
    assert con.execute(
        "select record_key from quarantine.csv__deals where rule = 'duplicate_key'"
    ).fetchall() == [("D7",)]
    # Dates in the declared format land as ISO text; blanks land as nulls; the row location
    # is only ever set on rejected rows, so it never makes a landed record look changed.
    assert con.execute(
        """select deal_id, stage, created_at, amount, Note, _csv_row from raw_csv.deals
        where deal_id <> 'D7' order by deal_id"""
    ).fetchall() == [
        ("D1", "Lead", "2024-01-31 00:00:00", "100", "ok", None),
        ("D6", "Lost", None, None, None, None),
    ]


def test_delimiter_and_encoding_come_from_the_mapping(write, land, con):
    mapping = write(
        "leads.yml",
        """
        kind: leads
        instance: eu_crm
        files: leads.csv
        delimiter: ";"
        encoding: cp1252
        columns: {lead_id: Nr, owner: Betreuer, created_at: Angelegt}
        date_formats: {created_at: ["%d.%m.%Y %H:%M", "%d.%m.%Y"]}
        """,
    )
    (mapping.parent / "leads.csv").write_bytes(
        "Nr;Betreuer;Angelegt\n1;Jürgen Müller;24.12.2024 08:30\n2;Zoë;1.2.2025\n".encode("cp1252")
    )
    land([mapping])
    assert con.execute(
        "select lead_id, owner, created_at from raw_csv.leads order by 1"
    ).fetchall() == [
        ("1", "Jürgen Müller", "2024-12-24 08:30:00"),
        ("2", "Zoë", "2025-02-01 00:00:00"),
    ]


CSV = "Id,Stage,Value\nD1,Lead,100\n"


@pytest.mark.parametrize(
    ("mapping", "csv", "message"),
    [
        (
            "columns: {deal_id: Id, stage: Phase}",
            CSV,
            "field 'stage' maps to column 'Phase', which deals.csv lacks; "
            "its columns are: Id, Stage, Value",
        ),
        (
            "kind: opportunities\ncolumns: {deal_id: Id}",
            CSV,
            "kind 'opportunities' is not one of deals, leads, stage_history",
        ),
        (
            "files: exports/deals_*.csv\ncolumns: {deal_id: Id, stage: Stage}",
            CSV,
            "files 'exports/deals_*.csv' match no file (looked for {folder}/exports/deals_*.csv)",
        ),
        (
            "columns: {deal_id: Id, stage: Stage, revenue: Amount}",
            CSV,
            "columns names revenue, not canonical deals fields (deal_id, stage, status, amount, "
            "currency, created_at, closed_at, won_at, lost_at, expected_close_date, owner, "
            "source, contact_id, lead_id, pipeline)",
        ),
        ("columns: {stage: Stage}", CSV, "columns must map the required field(s) deal_id"),
        ("colums: {deal_id: Id}", CSV, "unknown keys colums; allowed: kind, instance, files,"),
        (
            "columns: {deal_id: Id, stage: Stage}",
            "Id,Stage,Value\nD1,Lead,100\nD2,Lead\n",
            "deals.csv line 3 has 2 fields where the header has 3; check the delimiter (',') "
            "and quoting",
        ),
        (
            "columns: {deal_id: Id, stage: Phase}",
            "Id,Phase,stage\nD1,Lead,x\n",
            "column 'stage' of deals.csv would be kept as an extra, clashing with a canonical "
            "field or a Funnelhouse _column; map it, or list the columns to keep under extras",
        ),
        (
            "columns: {deal_id: Id, stage: Stage}\n"
            'snapshot: {file_name: "export_{date:%Y-%m-%d}.csv"}',
            CSV,
            "file deals.csv does not match snapshot file_name 'export_{{date:%Y-%m-%d}}.csv'",
        ),
        (
            "columns: {deal_id: Id, stage: Stage}\nsnapshot: {when: 2024-01-01}",
            CSV,
            "snapshot must be {{at: <time>}} or {{file_name: <pattern>}}",
        ),
        (
            "columns: {deal_id: Id, stage: Stage, closed_at: Value}\n"
            'date_formats: {closed_at: "%Q"}',
            CSV,
            "date_formats for closed_at: Invalid Input Error: Failed to parse format specifier %Q",
        ),
    ],
    ids=[
        "missing-column",
        "unknown-kind",
        "missing-file",
        "unknown-field",
        "unmapped-key",
        "unknown-key",
        "ragged-row",
        "extra-clash",
        "snapshot-name",
        "snapshot-spec",
        "date-format",
    ],
)
def test_mapping_errors_name_the_mapping_and_what_to_fix(
    mapping, csv, message, write, land, counts, csv_exports
):
    defaults = {"kind": "kind: deals", "instance": "instance: acme", "files": "files: deals.csv"}
    lines = [line for key, line in defaults.items() if f"{key}:" not in mapping]
    path = write("deals.yml", "\n".join([*lines, mapping]) + "\n")
    write("deals.csv", csv)
    with pytest.raises(csv_exports.CsvExportError) as error:
        land([path])
    assert str(error.value).startswith(f"mapping {path}: ")
    assert message.format(folder=path.parent) in str(error.value)
    assert counts() == {}


def test_one_failing_mapping_leaves_every_raw_table_as_it_was(
    write, land, con, counts, csv_exports
):
    write("a_leads.yml", "kind: leads\ninstance: acme\nfiles: leads.csv\ncolumns: {lead_id: Id}\n")
    folder = write("leads.csv", "Id\nL1\n").parent
    land(folder, load_id="L1")
    before = counts()
    write("leads.csv", "Id\nL1\nL2\n")  # would land first, in the same transaction
    write("b_deals.yml", DEALS_MAPPING.replace("Stage", "Phase"))
    write("deals.csv", DEALS_CSV)
    with pytest.raises(csv_exports.CsvExportError, match="field 'stage' maps to column 'Phase'"):
        land(folder, load_id="L2")
    assert counts() == before
    assert con.execute("select lead_id from raw_csv.leads").fetchall() == [("L1",)]


def test_one_export_is_one_mapping(write, land, csv_exports):
    for name in ("one.yml", "two.yml"):
        write(name, "kind: leads\ninstance: acme\nfiles: leads.csv\ncolumns: {lead_id: Id}\n")
    with pytest.raises(csv_exports.CsvExportError, match="both land leads of instance 'acme'"):
        land(write("leads.csv", "Id\nL1\n").parent)
