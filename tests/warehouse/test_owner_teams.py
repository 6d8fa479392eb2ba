"""Owners of every CRM in the marts, and their teams through time.

The multi-source world serves one set of owners through HubSpot, Salesforce and Pipedrive:
each CRM's deals must name the world's owner of the deal, with the team the world gives
them (Salesforce's Department; the Pipedrive legacy team listing the user). Then, on a
copy of that run, one Salesforce user moves to another team and afterwards wins an open
deal: the team history gets a second spell, and win rates credit each deal to the team
its owner was in when it closed; a Pipedrive user moved between teams (only the teams'
member lists change) gets a second spell from the sync that saw the move.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, time, timedelta

import duckdb
import pandas as pd
import pytest

from ingestion.pipedrive.client import PipedriveClient
from ingestion.pipedrive.sync import sync_pipedrive
from ingestion.salesforce.client import SalesforceClient
from ingestion.salesforce.sync import sync_salesforce
from ingestion.settings import DBT_PROJECT_DIR
from ingestion.simulator import read_table
from ingestion.simulator.pipedrive_server import PipedriveServer
from ingestion.simulator.salesforce_server import SalesforceServer
from orchestration.dbt_manifest import dbt_executable

TOKEN = "test-token"


def _world_id(source: str, key: str | None) -> str | None:
    """The world's id inside a key (Salesforce ids carry a 3-character prefix)."""
    if key is None:
        return None
    record = key.split(":", 2)[2]
    return str(int(record[3:])) if source == "salesforce" else record


def _naive_utc(stamp: str) -> datetime:
    """A Salesforce timestamp (2025-01-01T00:00:01.000+0000) as the marts hold it."""
    parsed = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z")
    return parsed.astimezone(UTC).replace(tzinfo=None)


@pytest.fixture(scope="module")
def world_owners(multi_source_run) -> pd.DataFrame:
    owners = read_table(multi_source_run.world_dir, "owners").to_pandas()
    owners["owner_name"] = owners.first_name + " " + owners.last_name
    return owners.set_index("id")


@pytest.mark.parametrize("source", ["salesforce", "pipedrive"])
def test_each_crms_deals_name_the_worlds_owner_and_team(multi_source_run, world_owners, source):
    deals = multi_source_run.arrow(
        f"""select deal_id, owner_key, owner_name, team_name, owner_at_close_key, team_at_close
        from marts.deals where source_system = '{source}'"""
    ).to_pandas()
    truth = multi_source_run.truth("truth_deals").to_pandas().set_index("deal_id")
    world_deal = deals.deal_id.map(lambda i: _world_id(source, f"x:x:{i}"))
    assert len(deals) > 100 and world_deal.isin(truth.index).all()
    owner = deals.owner_key.map(lambda key: _world_id(source, key))
    assert (owner == truth.owner_id.reindex(world_deal).to_numpy()).all()
    assert deals.owner_name.notna().all()
    assert (deals.owner_name == world_owners.owner_name.reindex(owner).to_numpy()).all()
    closed = deals[deals.owner_at_close_key.notna()]
    at_close = closed.owner_at_close_key.map(lambda key: _world_id(source, key))
    assert (deals.team_name == world_owners.team_name.reindex(owner).to_numpy()).all()
    # The world's owners never change teams: the team at close is the owner's team.
    expected = world_owners.team_name.reindex(at_close).to_numpy()
    assert len(closed) > 50 and (closed.team_at_close == expected).all()


@pytest.fixture(scope="module")
def team_change(multi_source_run):
    """A copy of the multi-source run where, after it, a Salesforce user with closed and
    open opportunities moves to another Department and then wins one of the open ones;
    Salesforce is synced again (incrementally) and the marts rebuilt a day later."""
    run = multi_source_run.copy("owner_team_change")
    before = run.query(
        """select owner_at_close_key, sum(won_deals + lost_deals)
        from marts.win_rates where owner_at_close_key like 'salesforce:%' group by 1"""
    )
    owner_key, old_team, open_deal = run.query(
        """select closed.owner_at_close_key, closed.team_at_close, min(open_deals.deal_id)
        from marts.deals as closed
        inner join marts.deals as open_deals on closed.owner_at_close_key = open_deals.owner_key
        where
            closed.source_system = 'salesforce' and closed.is_closed
            and not closed.is_excluded_from_metrics
            and not open_deals.is_closed and not open_deals.is_excluded_from_metrics
        group by 1, 2
        order by count(distinct closed.deal_key) desc, 1
        limit 1"""
    )[0]
    new_team = run.query(
        "select min(team_name) from intermediate.int_owners "
        "where source_system = 'salesforce' and team_name <> ?",
        [old_team],
    )[0][0]
    user_id = owner_key.split(":", 2)[2]
    with SalesforceServer(run.world_dir, token=TOKEN) as server:
        won_stage = next(label for label, info in server.org.stage_info.items() if info["IsWon"])
        moved_at = server.org.update_user(user_id, Department=new_team)
        won_at = server.org.update_opportunity(open_deal, StageName=won_stage)
        client = SalesforceClient(server.instance_url, token=TOKEN)
        with duckdb.connect(str(run.settings.warehouse_path)) as con:
            sync_salesforce(
                con,
                client,
                full=False,
                load_id="team-change",
                loaded_at=datetime.now(UTC),
                work_dir=run.settings.temp_directory,
            )
    # A Pipedrive user moves too: only the teams' member lists change.
    pipedrive_owner, pipedrive_old_team = run.query(
        """select owner_key, team_name from intermediate.int_owners
        where source_system = 'pipedrive' order by owner_key limit 1"""
    )[0]
    # Synced the morning after the world ends.
    move_landed = datetime.combine(run.as_of + timedelta(days=1), time(6), tzinfo=UTC)
    with PipedriveServer(run.world_dir, token=TOKEN) as server:
        teams = server.world.teams
        new_team_id = min(i for i, team in teams.items() if team["name"] != pipedrive_old_team)
        server.world.move_user(int(pipedrive_owner.split(":", 2)[2]), new_team_id)
        with duckdb.connect(str(run.settings.warehouse_path)) as con:
            sync_pipedrive(
                con,
                PipedriveClient(server.base_url, token=TOKEN),
                full=False,
                load_id="pipedrive-team-change",
                loaded_at=move_landed,
                work_dir=run.settings.temp_directory,
            )
    as_of = run.as_of + timedelta(days=1)  # the edits happen the day after the world ends
    home = run.settings.home
    variables = (
        f"{{as_of: {as_of.isoformat()}, warehouse: '{run.settings.warehouse_path}', "
        f"duckdb_temp_directory: '{run.settings.temp_directory}'}}"
    )
    command = [
        dbt_executable(),
        "build",
        "--select",
        "+win_rates",
        "--exclude",
        "resource_type:seed",
        "--exclude-resource-type",
        "unit_test",  # tests/warehouse/test_dbt_unit_tests.py runs them
    ]
    command += ["--vars", variables]
    command += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    command += ["--target-path", str(home / "dbt_target"), "--log-path", str(home / "logs")]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    return {
        "run": run,
        "before": dict(before),
        "owner_key": owner_key,
        "old_team": old_team,
        "new_team": new_team,
        "open_deal": open_deal,
        "moved_at": _naive_utc(moved_at),
        "won_at": _naive_utc(won_at),
        "pipedrive_owner": pipedrive_owner,
        "pipedrive_teams": (pipedrive_old_team, teams[new_team_id]["name"]),
        "pipedrive_move_landed": move_landed.replace(tzinfo=None),
    }


def test_a_team_change_between_syncs_is_a_second_spell(team_change):
    change = team_change
    spells = change["run"].query(
        """select spell_number, team_name, valid_from, valid_to
        from intermediate.int_owner_team_history where owner_key = ? order by spell_number""",
        [change["owner_key"]],
    )
    assert spells == [
        (1, change["old_team"], None, change["moved_at"]),
        (2, change["new_team"], change["moved_at"], None),
    ]
    assert change["old_team"] is not None and change["new_team"] != change["old_team"]


def test_a_pipedrive_user_moved_between_teams_gets_a_spell_from_the_sync_that_saw_it(
    team_change,
):
    old_team, new_team = team_change["pipedrive_teams"]
    spells = team_change["run"].query(
        """select spell_number, team_name, valid_from, valid_to
        from intermediate.int_owner_team_history where owner_key = ? order by spell_number""",
        [team_change["pipedrive_owner"]],
    )
    landed = team_change["pipedrive_move_landed"]
    assert spells == [(1, old_team, None, landed), (2, new_team, landed, None)]
    assert old_team is not None and new_team != old_team


def test_win_rates_credit_the_team_at_each_close(team_change):
    change = team_change
    run, owner = change["run"], change["owner_key"]
    won = run.query(
        "select owner_at_close_key, team_at_close, team_name, closed_at, is_won "
        "from marts.deals where deal_id = ?",
        [change["open_deal"]],
    )
    assert won == [(owner, change["new_team"], change["new_team"], change["won_at"], True)]
    credited = run.query(
        """select team_at_close, sum(won_deals + lost_deals), sum(won_deals)
        from marts.win_rates where owner_at_close_key = ? group by 1 order by 2 desc""",
        [owner],
    )
    # Every deal closed before the move keeps the old team; the one won after it, the new.
    before = change["before"][owner]
    assert credited[0][:2] == (change["old_team"], before)
    assert credited[1:] == [(change["new_team"], 1, 1)]
    # Other Salesforce owners' deals are credited as before.
    after = dict(
        run.query(
            """select owner_at_close_key, sum(won_deals + lost_deals) from marts.win_rates
            where owner_at_close_key like 'salesforce:%' group by 1"""
        )
    )
    assert after == {**change["before"], owner: before + 1}
