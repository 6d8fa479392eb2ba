"""The `funnelhouse` command: its summary, reruns, and one-line errors for bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from background_runs import follow_up, follow_up_result, own_dbt_target, run_funnelhouse
from conftest import PipelineRun, published_version
from dagster._core.instance.ref import InstanceRef
from report.serving_reader import Reader

MART_TABLES = ("marts.deals", "marts.deal_stage_visits", "marts.calendar_days")


def _fingerprints(run) -> dict[str, tuple]:
    return {
        table: run.query(
            f"select count(*), md5(string_agg(h, ',' order by h)) "
            f"from (select md5(cast(to_json(t) as varchar)) as h from {table} as t)"
        )[0]
        for table in MART_TABLES
    }


def _raw_versions(run) -> list[tuple]:
    return run.query(
        "select table_name, estimated_size from duckdb_tables() "
        "where schema_name in ('raw_hubspot', 'quarantine') order by 1"
    )


def test_summary_reports_phases_marts_checks_and_where_to_look(pipeline_run):
    summary = pipeline_run.summary
    assert summary.startswith("Funnelhouse run finished in ")
    for phase in ("prepare", "generate", "load (raw_hubspot)", "transform + test (dbt)"):
        assert phase in summary
    deals = pipeline_run.query("select count(*) from marts.deals")[0][0]
    mart_line = next(
        line for line in summary.splitlines() if line.strip().startswith("marts.deals ")
    )
    assert mart_line.split()[-1] == f"{deals:,}"
    assert f"Warehouse: {pipeline_run.settings.warehouse_path}" in summary
    assert "funnelhouse ui" in summary
    failed_line = next(line for line in summary.splitlines() if line.startswith("Checks:"))
    passed, failed = (int(word) for word in failed_line.split() if word.isdigit())
    assert passed > 50
    # The only failing checks are hygiene warnings for what the world holds on purpose:
    # malformed deals and web events (quarantined), and a day of ad spend withheld.
    warnings = [line.split()[1:3] for line in summary.splitlines() if line.startswith("  WARN")]
    assert failed == len(warnings)
    assert sorted(warnings) == [
        ["intermediate/int_ad_spend_gaps", "assert_ad_spend_has_no_gaps"],
        ["raw_hubspot/deals", "records_pass_rules"],
        ["raw_web_events/events", "records_pass_rules"],
    ]


@dataclass
class Rerun:
    run: PipelineRun  # on a copy of the session's home
    code: int
    summary: str
    marts_before: dict[str, tuple]
    raw_before: list[tuple]
    published_before: str
    marts_after_kill: dict[str, tuple]
    held: dict  # what the BI reader saw while it held the serving copy open


def _kill_during_dbt_build(run: PipelineRun) -> None:
    """The run again as its own process group, killed (SIGKILL, dbt with it) once dbt has
    built its first models."""
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", *run.cli_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=own_dbt_target(run.settings.home),
    )
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "dbt: built" in line:
            break
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    _wait_until_exited(process.pid)
    assert any("dbt: built" in line for line in seen), "".join(seen)


def _wait_until_exited(group: int, timeout: float = 60) -> None:
    """Wait until no process of ``group`` is alive: a killed dbt may still be exiting
    after its parent was reaped, and holds the warehouse's lock until it has."""
    deadline = time.monotonic() + timeout
    while alive := _alive_in_group(group):
        assert time.monotonic() < deadline, f"still alive after SIGKILL: {alive}"
        time.sleep(0.1)


def _alive_in_group(group: int) -> list[int]:
    """The processes of ``group`` not yet exited (zombies hold no lock), from /proc."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After the command's closing parenthesis: state, parent id, process group.
            state, _, process_group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError):  # exited while being read
            continue
        if int(process_group) == group and state not in ("Z", "X"):
            alive.append(int(stat.parent.name))
    return alive


@follow_up("rerun", runs=2)  # a run killed midway, then a whole run
def _kill_and_rerun(pipeline_run) -> Rerun:
    """The session's run again on a copy of its home, killed during dbt's build, then run
    once more while a BI tool holds the serving copy open."""
    run = pipeline_run.copy("rerun_home")
    marts_before, raw_before = _fingerprints(run), _raw_versions(run)
    published_before = published_version(run.settings)
    _kill_during_dbt_build(run)
    marts_after_kill = _fingerprints(run)
    stop = run.settings.home / "stop-reading"
    holder = Reader(run.settings.serving_root, "hold", stop)
    try:
        code, summary = run_funnelhouse(run.cli_args, run.settings.home)
    finally:
        stop.touch()
    return Rerun(
        run,
        code,
        summary,
        marts_before,
        raw_before,
        published_before,
        marts_after_kill,
        holder.result(),
    )


@pytest.fixture(scope="module")
def rerun(pipeline_run) -> Rerun:
    return follow_up_result("rerun", pipeline_run)


def test_a_run_killed_during_dbt_build_leaves_the_marts_readable_and_the_next_recovers(rerun):
    # Readable and whole: each mart holds one consistent build (the previous or the new,
    # which are equal for an unchanged world), and the next run finishes normally
    # instead of waiting forever for the warehouse slot the killed run held.
    assert rerun.marts_after_kill == rerun.marts_before
    assert rerun.code == 0, rerun.summary
    instance_dir = str(rerun.run.settings.dagster_home)
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(instance_dir)) as instance:
        rerun_record, killed = instance.get_runs(limit=2)
    assert rerun_record.status == dg.DagsterRunStatus.SUCCESS
    assert killed.status == dg.DagsterRunStatus.FAILURE


def test_rerun_yields_identical_marts_and_no_new_raw_rows(rerun):
    assert rerun.code == 0, rerun.summary
    assert _fingerprints(rerun.run) == rerun.marts_before
    raw_counts = rerun.run.query(
        "select count(*), count(distinct _load_id) from raw_hubspot.deals"
    )[0]
    assert raw_counts[1] == 1, "the rerun added versions of unchanged deals"
    assert len(_raw_versions(rerun.run)) == len(rerun.raw_before)


def test_a_rerun_is_not_blocked_by_a_reader_holding_the_serving_copy(rerun):
    assert rerun.code == 0, rerun.summary
    assert rerun.held["versions"] == [rerun.published_before]
    assert rerun.held["problems"] == []
    assert published_version(rerun.run.settings) != rerun.published_before


def test_unknown_option_is_one_line_and_exit_2(cli, capsys):
    assert cli(["run", "--turbo"])[0] == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["funnelhouse: unrecognized arguments: --turbo (see `funnelhouse --help`)"]


def test_unwritable_warehouse_is_one_line_and_exit_1(cli, tmp_path, capsys):
    code, _ = cli(["run", "--home", str(tmp_path), "--warehouse", "/proc/nope/w.duckdb"])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("funnelhouse: cannot create the warehouse folder /proc/nope")


def test_locked_warehouse_names_the_holder_and_keeps_its_data(cli, tmp_path, capsys):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table kept as select 42 as answer")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(warehouse)!r}); "
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        code, _ = cli(["run", "--home", str(tmp_path), "--warehouse", str(warehouse)])
        assert time.monotonic() - started < 30, "a locked warehouse must fail fast"
    finally:
        holder.kill()
        holder.wait()
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert f"is locked by another process: PID {holder.pid} (" in err[0]
    assert "then run again" in err[0]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select answer from kept").fetchall() == [(42,)]
