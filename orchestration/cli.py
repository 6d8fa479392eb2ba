"""The `funnelhouse` command: run the main job, open the UI, rebuild the report, backfill daily
snapshots, forget a person, generate a world, explain a deal's attribution.

Bad input ends with a one-line explanation and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

import duckdb

from ingestion.demo import ensure_demo_world, resolve_as_of
from ingestion.pending_forgets import (
    FILE_REWRITE,
    REBUILD,
    SERVING_CLEANUP,
    pending_forgets,
    refuse_while_forget_pending,
    steps_owed,
    strike_step,
)
from ingestion.privacy import ForgetError, ForgetReport, forget_person, tables_mentioning
from ingestion.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from ingestion.simulator import WorldConfig, generate_world
from ingestion.warehouse import WarehouseError, connect, rewrite_warehouse
from orchestration.dbt_manifest import (
    dbt_project_var,
    models_watermarked_on_raw_loads,
    parse_project,
)
from orchestration.deal_explanation import DealNotFoundError, explain_deal

LOGGER = logging.getLogger("funnelhouse")
UI_PORT = 3000


class UsageError(Exception):
    """The command line is wrong; the message says how."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{raw} is not a positive whole number")
    return value


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a date: give YYYY-MM-DD") from None


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="funnelhouse", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = commands.add_parser(
        "run", help="ingest, transform and check: the main job (default: the embedded demo)"
    )
    run.add_argument("--deals", type=_positive_int, help="demo world size (default 5000)")
    run.add_argument("--seed", type=int, help="demo world seed (default 42)")
    run.add_argument("--warehouse", type=Path, help="DuckDB file (default .funnelhouse/...)")
    run.add_argument("--home", type=Path, help="folder for worlds, Dagster and the warehouse")
    run.add_argument("--as-of", type=date.fromisoformat, help="logical date YYYY-MM-DD")
    run.add_argument("--csv-mappings", type=Path, help="CSV export mappings: a folder or a file")

    ui = commands.add_parser("ui", help="open the Dagster UI on this project")
    ui.add_argument("--port", type=int, default=UI_PORT)
    ui.add_argument("--home", type=Path)

    report = commands.add_parser(
        "report", help="rebuild the HTML report from the serving copy of the last run"
    )
    report.add_argument("--home", type=Path)
    report.add_argument("--out", type=Path, help="HTML file (default <home>/report/index.html)")

    backfill = commands.add_parser(
        "backfill",
        help="rebuild pipeline_daily_snapshots for a range of days, in one run",
    )
    backfill.add_argument("--from", dest="first", type=_day, required=True, help="first day")
    backfill.add_argument("--to", dest="last", type=_day, required=True, help="last day")
    backfill.add_argument("--home", type=Path)
    backfill.add_argument("--warehouse", type=Path)
    backfill.add_argument("--as-of", type=_day, help="logical date (default: the run's)")

    forget = commands.add_parser(
        "forget",
        help="remove a person from every table (raw, quarantine, history, marts); "
        "pseudonymise an employee; with no person, finish an interrupted forget",
    )
    person = forget.add_mutually_exclusive_group()
    person.add_argument("--email", help="the person's or employee's email address")
    person.add_argument("--contact-id", help="the person's contact, lead or person id in a CRM")
    person.add_argument(
        "--owner",
        help="an employee by the owner value the exports use (exactly, e.g. their name in "
        "an export's owner column) or by their owner or user id in a CRM",
    )
    forget.add_argument(
        "--source-instance",
        help="with --owner or --contact-id: the source instance (a CSV mapping's instance, "
        "a CRM portal or org) whose owner or person it is, where the value or id names "
        "records in several",
    )
    forget.add_argument("--home", type=Path)
    forget.add_argument("--warehouse", type=Path)
    forget.add_argument("--as-of", type=date.fromisoformat, help="logical date of the rebuild")

    explain = commands.add_parser(
        "explain-deal", help="how each attribution model credited a deal's touches, and why"
    )
    explain.add_argument("deal", help="the deal's key (e.g. hubspot:<portal>:<id>) or CRM id")
    explain.add_argument("--home", type=Path)
    explain.add_argument("--warehouse", type=Path)

    generate = commands.add_parser("generate", help="write a simulated CRM world to a folder")
    generate.add_argument("--deals", type=_positive_int, default=5000)
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--out", type=Path, required=True)
    return parser


def _configure_logging() -> None:
    started = time.monotonic()

    class Elapsed(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return f"[{time.monotonic() - started:6.1f}s] {record.getMessage()}"

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(Elapsed())
    LOGGER.handlers[:] = [handler]
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False


def use_dagster_home(settings: Settings) -> Path:
    """Point DAGSTER_HOME at the git-ignored instance folder, with the project's dagster.yaml."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    link = home / "dagster.yaml"
    if not link.exists():
        link.symlink_to(PROJECT_ROOT / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _timed(phases: dict[str, float], name: str, action: Callable[[], object]) -> object:
    started = time.monotonic()
    result = action()
    phases[name] = time.monotonic() - started
    return result


def _check_warehouse(settings: Settings) -> None:
    """Fail before any work if the warehouse cannot be written (locked, unwritable path) or
    a forget has not finished (see ingestion.pending_forgets)."""
    with connect(settings) as con:
        refuse_while_forget_pending(con)


def _run(args: argparse.Namespace) -> int:
    settings = load_settings(
        home=args.home,
        warehouse=args.warehouse,
        as_of=args.as_of,
        demo_seed=args.seed,
        demo_deals=args.deals,
        csv_mappings=args.csv_mappings,
    )
    phases: dict[str, float] = {}
    started = time.monotonic()
    _check_warehouse(settings)
    use_dagster_home(settings)

    def progress(message: str) -> None:
        LOGGER.info("generate: %s", message)

    _timed(phases, "generate", lambda: ensure_demo_world(settings, progress))
    as_of = resolve_as_of(settings)
    LOGGER.info("prepare: parsing the dbt project")
    _timed(phases, "prepare", lambda: parse_project(dbt_vars=settings.dbt_vars(as_of)))

    # Imported here: loading Dagster and the asset graph takes seconds that --help and
    # bad input should not pay.
    from orchestration.run_main import execute_main_job, summarize

    LOGGER.info("job: running the main job (as of %s)", as_of.isoformat())
    outcome = execute_main_job(settings, as_of)
    phases.update(outcome.step_seconds)
    total = time.monotonic() - started
    phases["other (Dagster start-up, summary)"] = total - sum(phases.values())
    print(summarize(settings, as_of, outcome, phases, total))
    return 0 if outcome.success else 1


def _ui(args: argparse.Namespace) -> int:
    settings = load_settings(home=args.home)
    use_dagster_home(settings)
    parse_project()
    os.chdir(PROJECT_ROOT)
    # `dagster dev` re-parses the dbt project with the `dbt` on PATH: make it this venv's.
    venv_bin = Path(sys.executable).parent
    os.environ["PATH"] = f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"
    dagster = venv_bin / "dagster"
    command = [str(dagster), "dev", "-m", "orchestration.definitions", "-p", str(args.port)]
    print(f"Dagster UI on http://127.0.0.1:{args.port} (Ctrl-C to stop)", flush=True)
    os.execv(command[0], command)


def _report(args: argparse.Namespace) -> int:
    from orchestration.report import build_report

    report = build_report(load_settings(home=args.home), args.out)
    print(
        f"report written to {report.path}: {report.charts} charts from serving version "
        f"{report.version}"
        + (f"; waiting for their marts: {', '.join(report.waiting)}" if report.waiting else "")
    )
    return 0


def _check_backfill_days(first: date, last: date, as_of: date) -> None:
    start = date.fromisoformat(str(dbt_project_var("calendar_start_date")))
    if first > last:
        raise UsageError(f"--from {first} is after --to {last}: give the earlier day as --from")
    if last > as_of:
        raise UsageError(
            f"--to {last} is after the as-of date {as_of}: nothing after it has happened yet; "
            f"give --to {as_of} or earlier (or a later --as-of)"
        )
    if first < start:
        raise UsageError(
            f"--from {first} is before the calendar's first day {start} "
            f"(calendar_start_date in dbt_project/dbt_project.yml): give --from {start} or later"
        )


def _backfill(args: argparse.Namespace) -> int:
    settings = load_settings(home=args.home, warehouse=args.warehouse, as_of=args.as_of)
    as_of = resolve_as_of(settings)
    _check_backfill_days(args.first, args.last, as_of)
    _check_warehouse(settings)
    use_dagster_home(settings)
    # Before the job's modules load the asset graph from its manifest.
    parse_project(dbt_vars=settings.dbt_vars(as_of))
    from orchestration.jobs import DAILY_SNAPSHOTS_JOB_NAME, partition_range_tags
    from orchestration.run_main import execute_main_job

    days = (args.last - args.first).days + 1
    LOGGER.info("backfill: %s .. %s (%d days) in one run", args.first, args.last, days)
    outcome = execute_main_job(
        settings,
        as_of,
        job_name=DAILY_SNAPSHOTS_JOB_NAME,
        tags=partition_range_tags(args.first, args.last),
    )
    if not outcome.success:
        print("backfill: FAILED; the days keep their previous rows:")
        print("\n".join(f"  {failure}" for failure in outcome.failures))
        return 1
    with connect(settings, read_only=True) as con:
        rows, filled, fewest, most = con.execute(
            "select coalesce(sum(rows), 0), count(*), min(rows), max(rows) from ("
            "select count(*) as rows from marts.pipeline_daily_snapshots "
            "where snapshot_date between ? and ? group by snapshot_date)",
            [args.first, args.last],
        ).fetchone()
    print(
        f"backfill: {args.first} .. {args.last}: {rows:,} rows written for {filled} of {days} "
        f"days ({fewest or 0:,}-{most or 0:,} a day) in run {outcome.run_id[:8]}"
    )
    return 0


def _forget(args: argparse.Namespace) -> int:
    settings = load_settings(home=args.home, warehouse=args.warehouse, as_of=args.as_of)
    with connect(settings) as con:
        interrupted = pending_forgets(con)
    named = bool(args.email or args.contact_id or args.owner)
    if not named and (args.source_instance or not interrupted):
        raise UsageError(
            "give whom to forget: --email, --contact-id or --owner; with none of them (and "
            "no --source-instance), forget finishes an interrupted forget, if one is pending"
        )
    # Before any raw edit, so that a setting the rebuild cannot use changes nothing.
    as_of = resolve_as_of(settings)
    use_dagster_home(settings)
    report = _forget_in_raw(settings, args) if named else ForgetReport(people_searched=False)
    if not report.changed and not interrupted:
        print(f"forget: {_nothing_to_forget(args, report)}; nothing changed")
        return 0
    # Only now that there is a rebuild to run (a refusal needs no dbt): before the job's
    # modules load the asset graph from its manifest. Should it fail, the forget is
    # recorded as pending, and `funnelhouse forget` alone finishes it.
    parse_project(dbt_vars=settings.dbt_vars(as_of))
    for forget in interrupted:
        print(f"forget: completing the forget interrupted on {forget}")
    if not _finish_forgets(settings, as_of):
        return 1
    if interrupted:
        print("forget: finished; no forget is left unfinished")
    return _verify_forgotten(settings, report)


def _forget_in_raw(settings: Settings, args: argparse.Namespace) -> ForgetReport:
    with connect(settings) as con:
        try:
            report = forget_person(
                con,
                email=args.email,
                person_id=args.contact_id,
                owner=args.owner,
                source_instance=args.source_instance,
            )
        except ForgetError as exc:
            raise UsageError(str(exc)) from None
    for line in report.lines():
        print(f"forget: {line}")
    return report


def _rebuild(settings: Settings, as_of: date) -> list[str]:
    with connect(settings) as con:
        for schema, table in models_watermarked_on_raw_loads():
            con.execute(f'drop table if exists "{schema}"."{table}"')
    from orchestration.jobs import TRANSFORM_JOB_NAME
    from orchestration.run_guard import FINISHING_FORGET_TAG
    from orchestration.run_main import execute_main_job

    LOGGER.info("forget: rebuilding everything downstream of the raw tables")
    outcome = execute_main_job(
        settings, as_of, job_name=TRANSFORM_JOB_NAME, tags={FINISHING_FORGET_TAG: "1"}
    )
    return [] if outcome.success else outcome.failures or [f"run {outcome.run_id[:8]} failed"]


def _clean_up_serving(settings: Settings, as_of: date) -> list[str]:
    from orchestration.serving import drop_earlier_versions

    dropped = drop_earlier_versions(settings)
    LOGGER.info("forget: removed %d earlier versions of the serving copy", dropped)
    return []


def _rewrite_file(settings: Settings, as_of: date) -> list[str]:
    LOGGER.info("forget: rewriting the warehouse file so no deleted row's bytes remain")
    rewrite_warehouse(settings)
    return []


# What follows a forget's raw edits: each step returns its failures (none: it finished).
FORGET_STEPS: dict[str, Callable[[Settings, date], list[str]]] = {
    REBUILD: _rebuild,
    SERVING_CLEANUP: _clean_up_serving,
    FILE_REWRITE: _rewrite_file,
}


def _finish_forgets(settings: Settings, as_of: date) -> bool:
    """Run every step a pending forget (this one's included) has left, striking each off
    as it finishes; on a failure, say so and how to finish later."""
    with connect(settings) as con:
        pending = pending_forgets(con)
    for step in steps_owed(pending):
        try:
            failures = FORGET_STEPS[step](settings, as_of)
        except (OSError, duckdb.Error) as exc:
            failures = [str(exc).splitlines()[0]]
        if failures:
            print(
                f"forget: the {step} FAILED; the person is out of the raw tables but may "
                "still be in the marts, earlier serving versions or the warehouse file. Fix "
                "the cause, then run `funnelhouse forget` again (no person needed) to finish:"
            )
            print("\n".join(f"  {failure}" for failure in failures))
            return False
        with connect(settings) as con:
            strike_step(con, step, upto=pending[-1].raw_edited_at)
    return True


def _nothing_to_forget(args: argparse.Namespace, report: ForgetReport) -> str:
    if not args.owner:
        return "no record holds that person"
    if report.owner_ids:
        return "the owner's records are pseudonymised already"
    return (
        "no owner record and no export's owner column holds that owner value (matched "
        "exactly, case included: give it as the exports hold it, or a CRM owner or user id)"
    )


def _verify_forgotten(settings: Settings, report: ForgetReport) -> int:
    """Check that no table or view holds what named the forgotten (their address; a CSV
    owner's value and name) after the rebuild."""
    what = " or ".join(
        kind for kind, texts in (("address", report.addresses), ("name", report.names)) if texts
    )
    if not what:
        return 0
    with connect(settings, read_only=True) as con:
        left = tables_mentioning(con, *report.addresses, *report.names)
    if left:
        print(f"forget: the {what} is still in {', '.join(left)}")
        return 1
    print(f"forget: verified: no table or view of the warehouse holds the {what}")
    return 0


def _explain_deal(args: argparse.Namespace) -> int:
    settings = load_settings(home=args.home, warehouse=args.warehouse)
    warehouse = str(settings.warehouse_path)
    with connect(settings, read_only=True) as con:
        try:
            print(explain_deal(con, args.deal, warehouse, settings.reporting_currency))
        except duckdb.CatalogException as exc:
            raise WarehouseError(
                f"{warehouse} has no attribution marts yet: run `funnelhouse run` first"
            ) from exc
    return 0


def _generate(args: argparse.Namespace) -> int:
    manifest = generate_world(
        WorldConfig(seed=args.seed, n_deals=args.deals), args.out, lambda m: LOGGER.info(m)
    )
    rows = ", ".join(f"{name} {t['rows']:,}" for name, t in manifest["tables"].items())
    print(f"world written to {args.out}: {rows}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": _run,
    "ui": _ui,
    "report": _report,
    "backfill": _backfill,
    "forget": _forget,
    "explain-deal": _explain_deal,
    "generate": _generate,
}


def main(argv: Sequence[str] | None = None) -> int:
    _configure_logging()
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"funnelhouse: {exc}", file=sys.stderr)
        return 2
    except (SettingsError, WarehouseError, DealNotFoundError, FileNotFoundError) as exc:
        print(f"funnelhouse: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "funnelhouse: interrupted; the warehouse keeps its last committed state",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
