"""`funnelhouse forget`: after it, no table of the warehouse holds the person, and the
business facts around them (deals, activities) are still counted."""

from __future__ import annotations

import duckdb
import pytest
from background_runs import follow_up, follow_up_result, run_funnelhouse

from ingestion.csv_exports.objects import OWNERS, raw_object
from ingestion.raw.snapshot import ensure_raw_table

# Copies leave the world behind: it holds every address, and forget removes people from the
# warehouse, not from the CRM.
WORLDS = ("worlds",)
OWNERS_EXPORT_TABLES = ("raw_csv.owners", "quarantine.csv__owners")


@follow_up("forgotten")
def _forget_a_contact(pipeline_run):
    """A copy of the session's run in which one contact (with deals and activities) has
    been forgotten, the address given in another case. The copy's warehouse lacks the CSV
    owners export's tables first, as one made before they existed would: forget's rebuild
    lands nothing, so it must create them itself."""
    contact_id, email = pipeline_run.query(
        """select contacts.id, contacts.email
        from raw_hubspot.contacts as contacts
        inner join raw_hubspot.deal_contacts as links on contacts.id = links.contact_id
        inner join raw_hubspot.engagements as engagements
            on contacts.id = engagements.contact_id
        where contacts.email is not null
        group by all
        order by count(distinct links.deal_id) desc, contacts.id
        limit 1"""
    )[0]
    home = pipeline_run.copy("forget_home", leave_out=WORLDS).settings.home
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        for table in OWNERS_EXPORT_TABLES:
            con.execute(f"drop table {table}")
    args = ["forget", "--email", email.upper(), "--home", str(home)]
    code, output = run_funnelhouse([*args, "--as-of", pipeline_run.as_of.isoformat()], home)
    return contact_id, email, home, code, output


@pytest.fixture(scope="module")
def forgotten(pipeline_run):
    return follow_up_result("forgotten", pipeline_run)


def _query(home, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_forget_reports_what_it_removed_and_verifies(forgotten):
    _, _, _, code, output = forgotten
    assert code == 0, output
    lines = output.splitlines()
    assert "forget: records of the person found: 1 in hubspot" in lines
    assert any(
        line.startswith("forget: removed") and "raw_hubspot.contacts" in line for line in lines
    )
    assert any("raw_hubspot.deal_contacts" in line for line in lines)
    assert any("cleared" in line and "raw_hubspot.engagements.contact_id" in line for line in lines)
    assert lines[-1] == "forget: verified: no table or view of the warehouse holds the address"


def test_a_table_the_warehouse_lacked_is_created_empty_for_the_rebuild(forgotten):
    *_, home, code, output = forgotten
    assert code == 0, output
    # The tables, and the staging view reading one, exist again, empty.
    tables = (*OWNERS_EXPORT_TABLES, "staging.stg_csv__owner_versions")
    assert [_query(home, f"select count(*) from {table}")[0] for table in tables] == [(0,)] * 3


def test_no_table_keys_the_person_but_their_deals_and_activities_stay(pipeline_run, forgotten):
    contact_id, _, home, _, _ = forgotten
    portal = pipeline_run.query("select any_value(source_instance) from marts.deals")[0][0]
    key = f"hubspot:{portal}:{contact_id}"
    assert _query(
        home, "select count(*) from intermediate.int_contacts where contact_key = ?", [key]
    ) == [(0,)]
    assert _query(home, "select count(*) from marts.deals where first_contact_key = ?", [key]) == [
        (0,)
    ]
    for table, column in (("deal_contacts", "contact_id"), ("engagements", "contact_id")):
        sql = f"select count(*) from raw_hubspot.{table} where {column} = ?"
        assert _query(home, sql, [contact_id]) == [(0,)], table
    for table in ("marts.deals", "raw_hubspot.engagements", "marts.deal_activity_timeline"):
        before = pipeline_run.query(f"select count(*) from {table}")
        assert _query(home, f"select count(*) from {table}") == before, table


def test_no_file_of_the_home_holds_the_address(forgotten):
    """Not the warehouse's free blocks, not the serving copy, not a log."""
    _, email, home, _, _ = forgotten
    needle = email.encode()
    holding = [
        str(path.relative_to(home))
        for path in home.rglob("*")
        if path.is_file() and needle in path.read_bytes().lower()
    ]
    assert holding == []


def test_forgetting_again_changes_nothing(forgotten, cli):
    _, email, home, _, _ = forgotten
    code, output = cli(["forget", "--email", email, "--home", str(home)])
    assert code == 0
    assert output.splitlines()[-1] == "forget: no record holds that person; nothing changed"


@follow_up("forgotten_owner")
def _forget_an_owner(pipeline_run):
    """A copy of the session's run in which the owner of the most deals has been forgotten."""
    owner_id, email, name = pipeline_run.query(
        """select owners.id, owners.email, owners.first_name || ' ' || owners.last_name
        from raw_hubspot.owners as owners
        inner join raw_hubspot.deals as deals on owners.id = deals.hubspot_owner_id
        group by all
        order by count(distinct deals.id) desc, owners.id
        limit 1"""
    )[0]
    home = pipeline_run.copy("forget_owner_home", leave_out=WORLDS).settings.home
    args = ["forget", "--email", email, "--home", str(home)]
    code, output = run_funnelhouse([*args, "--as-of", pipeline_run.as_of.isoformat()], home)
    return owner_id, email, name, home, code, output


@pytest.fixture(scope="module")
def forgotten_owner(pipeline_run):
    return follow_up_result("forgotten_owner", pipeline_run)


def _tables_holding(home, text: str) -> list[str]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        columns = con.execute(
            "select table_schema || '.' || table_name, list(column_name) "
            "from information_schema.columns where data_type = 'VARCHAR' "
            "and table_schema not in ('information_schema', 'pg_catalog') group by 1 order by 1"
        ).fetchall()
        return [
            table
            for table, names in columns
            if con.execute(
                f"select count(*) from {table} where "
                + " or ".join(f'contains(lower("{name}"), ?)' for name in names),
                [text.lower()] * len(names),
            ).fetchone()[0]
        ]


def test_an_owner_is_pseudonymised_and_reported(forgotten_owner):
    owner_id, _, _, home, code, output = forgotten_owner
    assert code == 0, output
    lines = output.splitlines()
    assert "forget: records of the person found: none" in lines
    assert any(line.startswith("forget: employee records found: 1 in hubspot") for line in lines)
    assert any("pseudonymised" in line and "raw_hubspot.owners" in line for line in lines)
    assert lines[-1] == "forget: verified: no table or view of the warehouse holds the address"
    names = _query(
        home,
        "select distinct owner_name from marts.deals where owner_key like ?",
        [f"hubspot:%:{owner_id}"],
    )
    assert names == [(f"forgotten owner {owner_id}",)]


def test_no_table_or_file_holds_the_owner_but_every_metric_stays(pipeline_run, forgotten_owner):
    _, email, name, home, _, _ = forgotten_owner
    assert _tables_holding(home, email) == []
    assert _tables_holding(home, name) == []
    needles = (email.lower().encode(), name.lower().encode())
    holding = [
        str(path.relative_to(home))
        for path in home.rglob("*")
        if path.is_file() and any(needle in path.read_bytes().lower() for needle in needles)
    ]
    assert holding == []
    for table in ("marts.deals", "marts.deal_activity_timeline", "marts.rep_activity"):
        sql = f"select owner_key, count(*) from {table} group by all order by all"
        assert _query(home, sql) == pipeline_run.query(sql), table


def test_an_owner_value_of_two_instances_or_of_none_is_refused_and_changes_nothing(
    cli, tmp_path, capsys
):
    """Two CSV instances' owners exports each have a "Dee Hart": two people."""
    warehouse = tmp_path / "warehouse.duckdb"
    owners = raw_object(OWNERS, {})
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_table(con, owners, [(field, "VARCHAR") for field in OWNERS.fields])
        for instance in ("acme", "beta"):
            con.execute(
                f"insert into {owners.table} (_source_instance, owner, name) "
                "values (?, 'Dee Hart', 'Dee Hart')",
                [instance],
            )
    forget = ["forget", "--home", str(tmp_path), "--warehouse", str(warehouse)]
    refusals = [
        (
            ["--owner", "Dee Hart"],
            "the owner value names owners in 2 source instances (csv 'acme', csv 'beta'), "
            "each a different person: choose one with --source-instance; nothing changed",
        ),
        (
            ["--owner", "Dee Hart", "--source-instance", "gamma"],
            "no owner of source instance 'gamma' has that owner value; it names owners in "
            "csv 'acme', csv 'beta': give one of those as --source-instance; nothing changed",
        ),
        (
            ["--email", "dee@example.com", "--source-instance", "acme"],
            "--source-instance chooses whose owner value --owner is: give both",
        ),
    ]
    for args, message in refusals:
        assert cli([*forget, *args]) == (2, ""), args
        assert capsys.readouterr().err.splitlines() == [f"funnelhouse: {message}"], args
    code, output = cli([*forget, "--owner", "dee hart"])
    assert (code, output.splitlines()) == (
        0,
        [
            "forget: no owner record and no export's owner column holds that owner value "
            "(matched exactly, case included: give it as the exports hold it, or a CRM owner "
            "or user id); nothing changed"
        ],
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            f"select _source_instance, owner, name from {owners.table} order by 1"
        ).fetchall() == [("acme", "Dee Hart", "Dee Hart"), ("beta", "Dee Hart", "Dee Hart")]
