"""An owners export gives the owners other exports name a name and a team: its rows land
versioned and checked like every export's, its owners reach int_owners and their team
history, and forgetting one renames their owner value in every export."""

import duckdb
import pandas as pd
import pytest

from ingestion.privacy import ForgetError, forget_person, tables_mentioning

OWNERS_MAPPING = """
    kind: owners
    instance: acme
    files: owners.csv
    columns: {owner: Rep, name: Full name, email: Mail, team: Office}
"""
OWNERS_CSV = """\
Rep,Full name,Mail,Office,Manager
Ada Moss,Ada Moss,ada.moss@acme.example,North,Dee Hart
,Nobody,,South,Dee Hart
Ben Cole,Ben Cole,,South,
Cy Park, ,,South,Dee Hart
"""


def test_rows_without_owner_or_name_are_quarantined_naming_file_line_and_field(write, land, con):
    mapping = write("owners.yml", OWNERS_MAPPING)
    write("owners.csv", OWNERS_CSV)
    (stats,) = land([mapping])
    assert (stats.kind, stats.rows_in, stats.rows_landed, stats.rows_quarantined) == (
        "owners",
        4,
        2,
        2,
    )
    assert con.execute(
        "select rule, reason, record_key from quarantine.csv__owners order by reason"
    ).fetchall() == [
        ("owner_missing", "owners.csv line 3: owner is missing", "<null>"),
        ("name_missing", "owners.csv line 5: name is missing", "Cy Park"),
    ]
    # Unmapped columns land as extras, as in every export.
    assert con.execute(
        "select owner, name, email, team, Manager from raw_csv.owners order by owner"
    ).fetchall() == [
        ("Ada Moss", "Ada Moss", "ada.moss@acme.example", "North", "Dee Hart"),
        ("Ben Cole", "Ben Cole", None, "South", None),
    ]


def test_an_owners_mapping_must_map_owner_and_name(write, land, csv_exports):
    mapping = write("owners.yml", "kind: owners\ninstance: acme\nfiles: owners.csv\n")
    mapping.write_text(mapping.read_text() + "columns: {owner: Rep, team: Office}\n")
    write("owners.csv", OWNERS_CSV)
    with pytest.raises(csv_exports.CsvExportError, match=r"required field\(s\) name$"):
        land([mapping])


def test_a_changed_team_lands_as_a_new_version(write, land, con):
    mapping = write("owners.yml", OWNERS_MAPPING)
    write("owners.csv", OWNERS_CSV)
    land([mapping])
    write("owners.csv", OWNERS_CSV.replace("Ben Cole,,South", "Ben Cole,,North"))
    (again,) = land([mapping], load_id="L2")
    assert (again.rows_landed, again.new_versions, again.vanished) == (2, 1, 0)
    assert con.execute(
        "select owner, team, _load_id from raw_csv.owners order by owner, _load_sequence"
    ).fetchall() == [
        ("Ada Moss", "North", "L1:acme"),
        ("Ben Cole", "South", "L1:acme"),
        ("Ben Cole", "North", "L2:acme"),
    ]


def test_forgetting_an_owner_renames_their_owner_value_in_every_export_of_the_instance(
    write, land, con
):
    """Acme's exports name Ada by her name (deals) and by her address (targets); another
    instance's Ada Moss, with no owners export, is someone else and stays."""
    write("owners.csv", OWNERS_CSV)
    write(
        "deals.csv",
        "Id,Stage,Amount,Rep\nA1,Won,10,Ada Moss\nA2,Lost,1 EUR,Ada Moss\nA3,Won,5,Ada Moss\n"
        "B1,Won,20,Ben Cole\n",
    )
    write("beta.csv", "Id,Stage,Rep\nX1,Won,Ada Moss\n")
    write("targets.csv", "period,pipeline,owner,target\n2025-01,default,ada.moss@acme.example,9\n")
    mappings = [
        write("owners.yml", OWNERS_MAPPING),
        write(
            "deals.yml",
            "kind: deals\ninstance: acme\nfiles: deals.csv\n"
            "columns: {deal_id: Id, stage: Stage, amount: Amount, owner: Rep}\n",
        ),
        write(
            "beta.yml",
            "kind: deals\ninstance: beta\nfiles: beta.csv\n"
            "columns: {deal_id: Id, stage: Stage, owner: Rep}\n",
        ),
        write(
            "targets.yml",
            "kind: targets\ninstance: acme\nfiles: targets.csv\ncolumns: "
            "{period: period, pipeline: pipeline, owner: owner, bookings_target: target}\n",
        ),
    ]
    land(mappings)
    assert con.execute("select count(*) from quarantine.csv__deals").fetchone() == (1,)

    report = forget_person(con, email=" ADA.Moss@acme.example")
    (pseudonym,) = con.execute(
        "select owner from raw_csv.owners where owner not in ('Ben Cole')"
    ).fetchone()
    assert pseudonym.startswith("forgotten-owner-")
    assert report.owner_ids == {"csv": {"Ada Moss"}}
    assert report.pseudonymised == {
        "raw_csv.owners": 1,
        "raw_csv.deals.owner": 2,
        "raw_csv.targets.owner": 1,
        "raw_csv.owners.owner": 1,
    }
    assert report.removed == {"quarantine.csv__deals": 1}
    assert con.execute(
        "select owner, name, email, team from raw_csv.owners order by owner"
    ).fetchall() == [
        ("Ben Cole", "Ben Cole", None, "South"),
        (pseudonym, f"forgotten owner {pseudonym}", None, "North"),
    ]
    deals = con.execute(
        "select _source_instance, deal_id, owner from raw_csv.deals order by 1, 2"
    ).fetchall()
    assert deals == [
        ("acme", "A1", pseudonym),
        ("acme", "A3", pseudonym),
        ("acme", "B1", "Ben Cole"),
        ("beta", "X1", "Ada Moss"),
    ]
    assert con.execute("select owner from raw_csv.targets").fetchall() == [(pseudonym,)]
    assert tables_mentioning(con, "ada.moss@acme.example") == []
    assert tables_mentioning(con, "Ada Moss") == ["raw_csv.deals"]  # beta's X1 alone


# Like Maven's sales_teams.csv: no address, the name is the owner value, and an extra
# column names each owner's manager, Dee Hart, an owner too. Beta's exports have a Dee Hart
# of their own: someone else.
MANAGED = {
    "owners": "Rep,Full name,Office,Manager\n"
    "Dee Hart,Dee Hart,North,\n"
    "Ada Moss,Ada Moss,North,Dee Hart\n"
    "Ben Cole,Ben Cole,South,dee hart\n"  # another value: only the exact one names Dee
    "Eve Lund,Eve Lund,South,Dee Hart Jr\n"
    "frome,Fay Rome,South,\n"  # an owner value that is no name
    "Gil Noor,Gil Noor,South,Fay Rome\n"
    "Cy Park, ,South,Dee Hart\n",  # no name: quarantined
    "deals": "Id,Stage,Amount,Rep,Reviewer\n"
    "D1,Won,10,Dee Hart,Ada Moss\n"
    "D2,Lost,1 EUR,Dee Hart,\n"  # quarantined: the amount is no number
    "A1,Won,20,Ada Moss,Dee Hart\n"
    "B1,Lost,2 EUR,Ben Cole,Ada Moss\n",  # quarantined, naming no Dee
    "stage_history": "Id,Stage,At,By\nD1,Won,2025-01-02,Dee Hart\nA1,Won,2025-01-03,Ada Moss\n",
}
MANAGED_COLUMNS = {
    "owners": "{owner: Rep, name: Full name, team: Office}",
    "deals": "{deal_id: Id, stage: Stage, amount: Amount, owner: Rep}",
    "stage_history": "{deal_id: Id, stage: Stage, changed_at: At}",
}
BETA = {
    "owners": "Rep,Full name,Office,Manager\nDee Hart,Dee Hart,West,\n",
    # Zed Rowe is in no owners export: the deals' owner value is all there is of him.
    "deals": "Id,Stage,Amount,Rep,Reviewer\nX1,Won,5,Dee Hart,Dee Hart\nX2,Won,7,Zed Rowe,\n",
}


@pytest.fixture
def managed(write, land):
    """Acme's and Beta's exports above, landed."""
    mappings = []
    for instance, exports in (("acme", MANAGED), ("beta", BETA)):
        for kind, text in exports.items():
            write(f"{instance}_{kind}.csv", text)
            mapping = f"kind: {kind}\ninstance: {instance}\nfiles: {instance}_{kind}.csv\n"
            mappings.append(
                write(f"{instance}_{kind}.yml", f"{mapping}columns: {MANAGED_COLUMNS[kind]}\n")
            )
    land(mappings)


def _raw_cells(con) -> dict[str, list[dict]]:
    """Every raw CSV table's rows as column -> value, with their instance and no other
    loader column."""
    tables = con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = 'raw_csv' and not starts_with(table_name, '_') order by 1"
    ).fetchall()
    cells = {}
    for (table,) in tables:
        result = con.execute(f"select * from raw_csv.{table}")
        names = [column for column, *_ in result.description]
        rows = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        kept = [
            {n: v for n, v in row.items() if n == "_source_instance" or n[0] != "_"} for row in rows
        ]
        cells[table] = sorted(kept, key=repr)
    return cells


def _quarantined(con) -> list[tuple[str, str]]:
    return con.execute(
        "select object, record_key from quarantine.csv__owners union all "
        "select object, record_key from quarantine.csv__deals order by all"
    ).fetchall()


def test_an_owner_value_naming_owners_in_two_instances_needs_one_chosen(managed, con, counts):
    before = (_raw_cells(con), counts())
    with pytest.raises(ForgetError) as two:
        forget_person(con, owner="Dee Hart")
    assert str(two.value) == (
        "the owner value names owners in 2 source instances (csv 'acme', csv 'beta'), each a "
        "different person: choose one with --source-instance; nothing changed"
    )
    with pytest.raises(ForgetError) as elsewhere:
        forget_person(con, owner="Dee Hart", source_instance="gamma")
    assert str(elsewhere.value) == (
        "no owner of source instance 'gamma' has that owner value; it names owners in "
        "csv 'acme', csv 'beta': give one of those as --source-instance; nothing changed"
    )
    unknown = forget_person(con, owner="dee hart")  # a value is matched exactly
    assert not unknown.found and not unknown.removed and unknown.lines() == []
    assert (_raw_cells(con), counts()) == before


def test_forgetting_an_owner_by_value_renames_it_in_every_column_of_the_instance(managed, con):
    """Dee Hart, Acme's owner with no address, is forgotten by her owner value: every cell of
    Acme's exports holding exactly it, extra columns included, holds one pseudonym, her own
    record is renamed, quarantined rows naming her go; Beta's Dee Hart stays."""
    before = _raw_cells(con)
    assert _quarantined(con) == [("deals", "B1"), ("deals", "D2"), ("owners", "Cy Park")]

    report = forget_person(con, owner="Dee Hart", source_instance="acme")

    ((pseudonym,),) = con.execute(
        "select owner from raw_csv.owners where _source_instance = 'acme' "
        "and name = 'forgotten owner ' || owner"
    ).fetchall()
    assert pseudonym.startswith("forgotten-owner-")

    def renamed(table: str, row: dict) -> dict:
        if row["_source_instance"] != "acme":
            return row
        row = {column: pseudonym if v == "Dee Hart" else v for column, v in row.items()}
        if table == "owners" and row["owner"] == pseudonym:
            row["name"] = f"forgotten owner {pseudonym}"
        return row

    expected = {
        table: sorted((renamed(table, row) for row in rows), key=repr)
        for table, rows in before.items()
    }
    assert _raw_cells(con) == expected
    assert sum(row["Manager"] == pseudonym for row in expected["owners"]) == 1
    assert _quarantined(con) == [("deals", "B1")]
    assert report.owner_ids == {"csv": {"Dee Hart"}}
    assert (report.addresses, report.names) == (set(), {"Dee Hart"})
    assert report.lines() == [
        "removed      1 rows from quarantine.csv__deals",
        "removed      1 rows from quarantine.csv__owners",
        "employee records found: 1 in csv; pseudonymised, owner ids kept",
        "pseudonymised      1 rows in raw_csv.owners",
        "pseudonymised      1 rows in raw_csv.deals.Reviewer",
        "pseudonymised      1 rows in raw_csv.deals.owner",
        "pseudonymised      1 rows in raw_csv.stage_history.By",
        "pseudonymised      1 rows in raw_csv.owners.Manager",
        "pseudonymised      1 rows in raw_csv.owners.owner",
    ]
    # Beta's Dee Hart, and values that are not exactly hers, are all that is left to find.
    assert tables_mentioning(con, "Dee Hart") == ["raw_csv.deals", "raw_csv.owners"]


def test_an_owner_value_in_no_owners_export_is_renamed_in_its_exports(managed, con):
    report = forget_person(con, owner="Zed Rowe")
    assert report.lines() == [
        "employee records found: none, only in an export owner column; pseudonymised, "
        "owner ids kept",
        "pseudonymised      1 rows in raw_csv.deals.owner",
    ]
    (pseudonym,) = con.execute("select owner from raw_csv.deals where deal_id = 'X2'").fetchone()
    assert pseudonym.startswith("forgotten-owner-")
    assert report.names == {"Zed Rowe"} and tables_mentioning(con, "Zed Rowe") == []


def test_an_owner_whose_value_is_no_name_is_renamed_where_either_names_them(managed, con):
    report = forget_person(con, owner="frome")
    assert report.names == {"frome", "Fay Rome"}
    (pseudonym,) = con.execute(
        "select Manager from raw_csv.owners where owner = 'Gil Noor'"
    ).fetchone()
    assert con.execute(
        "select name from raw_csv.owners where owner = ?", [pseudonym]
    ).fetchall() == [(f"forgotten owner {pseudonym}",)]
    assert tables_mentioning(con, "frome", "Fay Rome") == []


def _acme_deals(csv_marts) -> pd.DataFrame:
    """Acme's deals as the export has them, less those with an amount that is no number."""
    deals = pd.read_csv(csv_marts.folder / "acme_deals.csv", dtype=str)
    return deals[pd.to_numeric(deals.Amount, errors="coerce").notna()]


def test_an_owners_team_change_between_landings_starts_a_new_spell(csv_marts):
    """Ben Cole moved from South to North between Acme's two landings: his deals closed
    before the second one credit South, those closed after it North."""
    moved_at = csv_marts.moved_at
    assert csv_marts.query(
        """select spell_number, team_key, team_name, valid_from, valid_to
        from intermediate.int_owner_team_history where owner_key = 'csv:acme:Ben Cole'
        order by spell_number"""
    ) == [
        (1, "csv:acme:South", "South", None, moved_at),
        (2, "csv:acme:North", "North", moved_at, None),
    ]
    assert csv_marts.query(
        "select owner_name, team_name from intermediate.int_owners "
        "where owner_key = 'csv:acme:Ben Cole'"
    ) == [("Ben Cole", "North")]
    deals = _acme_deals(csv_marts)
    bens = deals[deals.Rep == "Ben Cole"]
    team = pd.to_datetime(bens.Closed).map(lambda at: "South" if at < moved_at else "North")
    expected = dict(zip(bens.Id, team, strict=True))
    assert set(expected.values()) == {"South", "North"}
    got = csv_marts.query(
        "select deal_id, team_at_close, owner_name, team_name from marts.deals "
        "where owner_key = 'csv:acme:Ben Cole'"
    )
    assert {deal: team for deal, team, _, _ in got} == expected
    assert {(name, team) for _, _, name, team in got} == {("Ben Cole", "North")}


def test_a_forgotten_owner_is_in_no_table_and_their_deals_stay_together(csv_marts):
    name, email = "Ada Moss", "ada.moss@acme.example"
    assert csv_marts.forget_report.owner_ids == {"csv": {name}}
    with duckdb.connect(str(csv_marts.warehouse), read_only=True) as con:
        assert tables_mentioning(con, email) == []
        assert tables_mentioning(con, name) == []
        marts = {
            table
            for (table,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
    assert {"deals", "win_rates"} <= marts
    deals = _acme_deals(csv_marts)
    adas = deals[deals.Rep == name]
    (pseudonym,) = csv_marts.query(
        "select owner_id from intermediate.int_owners "
        "where source_instance = 'acme' and owner_name like 'forgotten owner %'"
    )[0]
    assert csv_marts.query(
        """select owner_name, team_name, count(*), count(*) filter (where is_won)
        from marts.deals where owner_key = ? group by all""",
        [f"csv:acme:{pseudonym}"],
    ) == [(f"forgotten owner {pseudonym}", "North", len(adas), int((adas.Stage == "Won").sum()))]
    assert csv_marts.query(
        "select sum(won_deals), sum(lost_deals) from marts.win_rates where owner_at_close_key = ?",
        [f"csv:acme:{pseudonym}"],
    ) == [(int((adas.Stage == "Won").sum()), int((adas.Stage == "Lost").sum()))]


def test_every_deal_names_its_owner_from_the_owners_export(csv_marts):
    deals = _acme_deals(csv_marts)
    got = csv_marts.query(
        "select deal_id, owner_name from marts.deals where source_instance = 'acme'"
    )
    # The forgotten owner's deals keep their pseudonym's name; everyone else's, the export's.
    expected = deals.Rep.where(deals.Rep != "Ada Moss", None)
    assert len(got) == len(deals)
    assert {deal: None if n.startswith("forgotten owner ") else n for deal, n in got} == dict(
        zip(deals.Id, expected, strict=True)
    )
