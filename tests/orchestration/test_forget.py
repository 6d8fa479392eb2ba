"""`funnelhouse forget`: after it, no table of the warehouse holds the person, and the
business facts around them (deals, activities) are still counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from background_runs import follow_up, follow_up_result, run_funnelhouse
from dagster._core.definitions.schedule_definition import ScheduleExecutionData

from ingestion.csv_exports.objects import OWNERS, raw_object
from ingestion.hubspot import objects as hubspot
from ingestion.pending_forgets import pending_forgets, strike_step
from ingestion.privacy import forget_person
from ingestion.raw.snapshot import ensure_raw_table
from ingestion.settings import Settings, load_settings
from orchestration.jobs import (
    DAILY_SNAPSHOTS_JOB_NAME,
    daily_main_schedule,
    partition_range_tags,
)
from orchestration.run_main import execute_main_job

# Copies leave the world behind: it holds every address, and forget removes people from the
# warehouse, not from the CRM.
WORLDS = ("worlds",)
OWNERS_EXPORT_TABLES = ("raw_csv.owners", "quarantine.csv__owners")
AS_OF = "2025-06-30"  # where a test's home has no demo world to take it from
# The contact with the most deals among those with activities: forgetting them touches most.
BUSIEST_CONTACT = """select contacts.id, contacts.email
    from raw_hubspot.contacts as contacts
    inner join raw_hubspot.deal_contacts as links on contacts.id = links.contact_id
    inner join raw_hubspot.engagements as engagements on contacts.id = engagements.contact_id
    where contacts.email is not null
    group by all
    order by count(distinct links.deal_id) desc, contacts.id
    limit 1"""
BUSIEST_OWNER = """select owners.id, owners.email, owners.first_name || ' ' || owners.last_name
    from raw_hubspot.owners as owners
    inner join raw_hubspot.deals as deals on owners.id = deals.hubspot_owner_id
    group by all
    order by count(distinct deals.id) desc, owners.id
    limit 1"""


@dataclass
class Owner:
    owner_id: str
    email: str
    name: str


@dataclass
class Forgotten:
    contact_id: str
    email: str
    contact_key: str
    owner: Owner
    home: Path
    failed: tuple[int, str]  # the contact's forget, whose rebuild failed: exit code, output
    left_after_failure: dict[str, object]  # what raw, a mart and the marker held then
    then: tuple[int, str]  # the owner's forget, the cause fixed: it finishes both


COUNT_CONTACT = "select count(*) from raw_hubspot.contacts where id = ?"
COUNT_DEALS_LED = "select count(*) from marts.deals where first_contact_key = ?"


def _pending_steps(home) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return [forget.steps_left for forget in pending_forgets(con)]


@follow_up("forgotten", runs=2)
def _forget_a_contact_then_an_owner(pipeline_run) -> Forgotten:
    """A copy of the session's run in which one contact (with deals and activities) is
    forgotten, the address given in another case, and then the owner of the most deals.
    The contact's forget fails in its rebuild (a raw deal's latest version names a stage no
    mapping knows, which blocks the rebuild before dbt); that version removed, the owner's
    forget finishes it in the same rebuild as its own. The copy's warehouse also lacks the
    CSV owners export's tables, as one made before they existed would: forget's rebuild
    lands nothing there, so it must create them itself."""
    contact_id, email = pipeline_run.query(BUSIEST_CONTACT)[0]
    owner = Owner(*pipeline_run.query(BUSIEST_OWNER)[0])
    portal = pipeline_run.query("select any_value(source_instance) from marts.deals")[0][0]
    key = f"hubspot:{portal}:{contact_id}"
    home = pipeline_run.copy("forget_home", leave_out=WORLDS).settings.home
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        for table in OWNERS_EXPORT_TABLES:
            con.execute(f"drop table {table}")
        con.execute(
            "insert into raw_hubspot.deals select * replace "
            "('nope' as dealstage, _load_sequence + 1 as _load_sequence) "
            "from raw_hubspot.deals where id = (select min(id) from raw_hubspot.deals) "
            "qualify _load_sequence = max(_load_sequence) over ()"
        )
    forget = ["forget", "--home", str(home), "--as-of", pipeline_run.as_of.isoformat()]
    failed = run_funnelhouse([*forget, "--email", email.upper()], home)
    left = {
        "raw contacts": _query(home, COUNT_CONTACT, [contact_id])[0][0],
        "deals led by them": _query(home, COUNT_DEALS_LED, [key])[0][0],
        "pending steps": _pending_steps(home),
    }
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("delete from raw_hubspot.deals where dealstage = 'nope'")
    then = run_funnelhouse([*forget, "--email", owner.email], home)
    return Forgotten(contact_id, email, key, owner, home, failed, left, then)


@pytest.fixture(scope="module")
def forgotten(pipeline_run) -> Forgotten:
    return follow_up_result("forgotten", pipeline_run)


def _query(home, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_forget_reports_what_it_removed_from_raw(forgotten):
    """The report comes before the rebuild, so the forget that failed there made it."""
    lines = forgotten.failed[1].splitlines()
    assert "forget: records of the person found: 1 in hubspot" in lines
    assert any(
        line.startswith("forget: removed") and "raw_hubspot.contacts" in line for line in lines
    )
    assert any("raw_hubspot.deal_contacts" in line for line in lines)
    assert any("cleared" in line and "raw_hubspot.engagements.contact_id" in line for line in lines)


def test_a_forget_failing_after_its_raw_edits_is_left_pending(forgotten):
    code, output = forgotten.failed
    assert code == 1, output
    assert any(line.startswith("forget: the rebuild FAILED;") for line in output.splitlines())
    assert forgotten.left_after_failure["raw contacts"] == 0
    assert forgotten.left_after_failure["deals led by them"] > 0, "the marts still hold them"
    assert forgotten.left_after_failure["pending steps"] == [
        ("rebuild", "serving cleanup", "file rewrite")
    ]


def test_the_next_forget_finishes_the_interrupted_one_with_its_own(forgotten):
    code, output = forgotten.then
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "forget: records of the person found: none"
    interrupted = [line for line in lines if line.startswith("forget: completing the forget")]
    assert len(interrupted) == 1
    assert interrupted[0].endswith(" UTC: rebuild, serving cleanup, file rewrite left")
    assert lines[-2:] == [
        "forget: finished; no forget is left unfinished",
        "forget: verified: no table or view of the warehouse holds the address",
    ]
    assert _pending_steps(forgotten.home) == []


def _files_holding(home, *texts: str) -> list[str]:
    """The files of the home holding one of ``texts`` (any case), free blocks included."""
    needles = [text.lower().encode() for text in texts]
    return [
        str(path.relative_to(home))
        for path in home.rglob("*")
        if path.is_file() and any(needle in path.read_bytes().lower() for needle in needles)
    ]


def test_a_table_the_warehouse_lacked_is_created_empty_for_the_rebuild(forgotten):
    assert forgotten.then[0] == 0, forgotten.then[1]
    # The tables, and the staging view reading one, exist again, empty.
    tables = (*OWNERS_EXPORT_TABLES, "staging.stg_csv__owner_versions")
    assert [_query(forgotten.home, f"select count(*) from {table}")[0] for table in tables] == [
        (0,)
    ] * 3


def test_no_table_keys_the_person_but_their_deals_and_activities_stay(pipeline_run, forgotten):
    home, key = forgotten.home, forgotten.contact_key
    assert _query(
        home, "select count(*) from intermediate.int_contacts where contact_key = ?", [key]
    ) == [(0,)]
    assert _query(home, COUNT_DEALS_LED, [key]) == [(0,)]
    for table, column in (("deal_contacts", "contact_id"), ("engagements", "contact_id")):
        sql = f"select count(*) from raw_hubspot.{table} where {column} = ?"
        assert _query(home, sql, [forgotten.contact_id]) == [(0,)], table
    for table in ("marts.deals", "raw_hubspot.engagements", "marts.deal_activity_timeline"):
        before = pipeline_run.query(f"select count(*) from {table}")
        assert _query(home, f"select count(*) from {table}") == before, table


def test_no_file_of_the_home_holds_the_address(forgotten):
    """Not the warehouse's free blocks, not the serving copy, not a log."""
    assert _files_holding(forgotten.home, forgotten.email) == []


def test_forgetting_again_changes_nothing(forgotten, cli):
    home = forgotten.home
    code, output = cli(
        ["forget", "--email", forgotten.email, "--home", str(home), "--as-of", AS_OF]
    )
    assert code == 0
    assert output.splitlines()[-1] == "forget: no record holds that person; nothing changed"


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


def test_an_owner_is_pseudonymised_and_reported(forgotten):
    owner_id, home = forgotten.owner.owner_id, forgotten.home
    code, output = forgotten.then
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


def test_no_table_or_file_holds_the_owner_but_every_metric_stays(pipeline_run, forgotten):
    home, email, name = forgotten.home, forgotten.owner.email, forgotten.owner.name
    assert _tables_holding(home, email) == []
    assert _tables_holding(home, name) == []
    assert _files_holding(home, email, name) == []
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
    forget = ["forget", "--home", str(tmp_path), "--warehouse", str(warehouse), "--as-of", AS_OF]
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
            "--source-instance chooses among the instances whose records an --owner value "
            "or a --contact-id names: give one of them with it",
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


def _warehouse_with_a_contact(tmp_path) -> Path:
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_table(con, hubspot.CONTACTS, [("id", "VARCHAR"), ("email", "VARCHAR")])
        con.execute(
            "insert into raw_hubspot.contacts (id, email) "
            "values ('100', 'ann@example.com'), ('200', 'cy@example.com')"
        )
    return warehouse


def test_a_forget_refused_before_its_raw_edits_changes_nothing(cli, tmp_path, capsys):
    """No person and nothing to finish; no as-of date and no demo world to take it from."""
    warehouse = _warehouse_with_a_contact(tmp_path)
    forget = ["forget", "--home", str(tmp_path), "--warehouse", str(warehouse)]
    assert cli(forget) == (2, "")
    assert "give whom to forget: --email, --contact-id or --owner" in capsys.readouterr().err
    assert cli([*forget, "--email", "ann@example.com"]) == (1, "")
    world = load_settings(home=tmp_path).demo_world_dir()
    assert capsys.readouterr().err.splitlines() == [
        f"funnelhouse: no as-of date given, and no demo world in {world} to take its end "
        "date from: give --as-of YYYY-MM-DD (or set FUNNELHOUSE_AS_OF)"
    ]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select id from raw_hubspot.contacts order by 1").fetchall() == [
            ("100",),
            ("200",),
        ]
        assert pending_forgets(con) == []


def _daily_tick(settings: Settings) -> ScheduleExecutionData:
    """What the daily schedule does at a tick on the warehouse of ``settings``."""
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2025, 7, 1, 5, tzinfo=UTC)
    )
    return daily_main_schedule(settings).evaluate_tick(context)


def test_runs_refuse_while_a_forget_is_pending_and_forget_alone_finishes_it(
    cli, defs, tmp_path, capsys
):
    """A forget whose rewrite failed: the rebuild and serving cleanup are struck off, the
    file still holds the address in free blocks. The daily schedule skips its ticks
    meanwhile, and a job launched from the UI fails, with the same reason."""
    warehouse = _warehouse_with_a_contact(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        forget_person(con, email="ann@example.com")
        (pending,) = pending_forgets(con)
        for step in ("rebuild", "serving cleanup"):
            strike_step(con, step, upto=pending.raw_edited_at)
    assert b"ann@example.com" in warehouse.read_bytes()
    where = ["--home", str(tmp_path), "--warehouse", str(warehouse)]
    when = f"{pending.raw_edited_at:%Y-%m-%d %H:%M:%S} UTC"
    for command in (["backfill", "--from", AS_OF, "--to", AS_OF, "--as-of", AS_OF], ["run"]):
        assert cli([*command, *where]) == (1, ""), command
        assert capsys.readouterr().err.startswith(
            f"funnelhouse: a forget has not finished (interrupted on {when}: file rewrite "
            "left): the person it removed from the raw tables may still be in the marts"
        ), command
    settings = load_settings(home=tmp_path, warehouse=warehouse)
    skipped = _daily_tick(settings)
    assert skipped.run_requests == []
    assert skipped.skip_message.startswith(f"a forget has not finished (interrupted on {when}")
    assert "Run `funnelhouse forget` on this warehouse (no person needed)" in skipped.skip_message
    # A backfill launched from the UI stops at its dbt step, for that reason.
    day = date.fromisoformat(AS_OF)
    launched = execute_main_job(
        settings,
        day,
        dg.DagsterInstance.ephemeral(),
        DAILY_SNAPSHOTS_JOB_NAME,
        tags=partition_range_tags(day, day),
    )
    assert not launched.success
    (failure,) = launched.failures
    assert failure.startswith(
        f"pipeline_daily_snapshots_dbt: a forget has not finished (interrupted on {when}"
    ), failure
    code, output = cli(["forget", *where, "--as-of", AS_OF])
    assert (code, output.splitlines()) == (
        0,
        [
            f"forget: completing the forget interrupted on {when}: file rewrite left",
            "forget: finished; no forget is left unfinished",
        ],
    )
    assert b"ann@example.com" not in warehouse.read_bytes()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert pending_forgets(con) == []
    (request,) = _daily_tick(settings).run_requests
    assert request.tags["as_of"] == "2025-06-30"
