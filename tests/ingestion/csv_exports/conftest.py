"""Fixtures for the CSV-export source: a fresh warehouse, files written on the fly, and
marts built by dbt from exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from textwrap import dedent

import duckdb
import pytest
from dbt_commands import run_dbt
from shared_datasets import DATASETS, lay_out_csv_examples

import ingestion.csv_exports
from ingestion.csv_exports import land_csv_exports
from ingestion.demo import land_demo_world
from ingestion.privacy import ForgetReport, forget_person
from ingestion.settings import load_settings
from ingestion.simulator import load_manifest


@pytest.fixture(scope="session")
def csv_exports():
    return ingestion.csv_exports


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def datasets() -> Path:
    """The shared public exports, read in place (never copied into the repository)."""
    if not DATASETS.is_dir():
        pytest.fail(f"the shared public data sets are expected at {DATASETS} (../shared/datasets)")
    return DATASETS


@pytest.fixture(scope="session")
def examples(tmp_path_factory, datasets) -> Path:
    return lay_out_csv_examples(tmp_path_factory.mktemp("csv_examples"))


@pytest.fixture
def write(tmp_path):
    """Write a file (a mapping, a CSV) given as an indented literal into the test's folder."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def land(con, csv_exports):
    """Land mappings (paths or a folder) as load ``load_id``, collecting progress lines."""
    messages: list[str] = []

    def _land(mappings, load_id="L1"):
        messages.clear()
        at = datetime(2025, 1, 1, tzinfo=UTC)
        return csv_exports.land_csv_exports(
            con, mappings, load_id=load_id, loaded_at=at, progress=messages.append
        )

    _land.messages = messages
    return _land


@pytest.fixture
def counts(con):
    """Rows per table in raw_csv and quarantine: a fingerprint of everything landed."""

    def _counts() -> dict[str, int]:
        tables = con.execute(
            """select table_schema || '.' || table_name from information_schema.tables
            where table_schema in ('raw_csv', 'quarantine') order by 1"""
        ).fetchall()
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for (t,) in tables}

    return _counts


# Acme's CRM names owners by name, as Maven's does; its owners export lands twice, Ben Cole
# moving from South to North in between (on MOVED_AT). Ada Moss is then forgotten.
ACME_MAPPINGS = {
    "acme_owners.yml": """
        kind: owners
        instance: acme
        files: acme_owners.csv
        columns: {owner: Rep, name: Full name, email: Mail, team: Office}
    """,
    "acme_deals.yml": """
        kind: deals
        instance: acme
        files: acme_deals.csv
        columns: {deal_id: Id, stage: Stage, amount: Amount, created_at: Created,
                  closed_at: Closed, owner: Rep}
        defaults: {currency: USD}
    """,
}
ACME_OWNERS = """\
Rep,Full name,Mail,Office,Manager
Ada Moss,Ada Moss,ada.moss@acme.example,North,Dee Hart
Ben Cole,Ben Cole,,South,Dee Hart
Cy Park,Cy Park,cy.park@acme.example,South,Dee Hart
"""
# A2 (Ada's) and B4 (Ben's) have amounts that are no number: quarantined on landing.
ACME_DEALS = """\
Id,Stage,Amount,Created,Closed,Rep
A1,Won,100,2024-01-10,2024-02-01,Ada Moss
A2,Lost,12 EUR,2024-01-12,2024-02-15,Ada Moss
A3,Won,70,2024-02-01,2024-05-03,Ada Moss
A4,Lost,40,2024-02-05,2024-05-20,Ada Moss
B1,Won,200,2024-01-05,2024-02-10,Ben Cole
B2,Won,300,2024-03-01,2024-06-20,Ben Cole
B3,Lost,40,2024-03-05,2024-06-25,Ben Cole
B4,Lost,5 EUR,2024-03-05,2024-06-25,Ben Cole
C1,Won,90,2024-02-01,2024-03-03,Cy Park
"""
MOVED_AT = datetime(2024, 4, 1, tzinfo=UTC)
FORGOTTEN_EMAIL = "ada.moss@acme.example"


@dataclass(frozen=True)
class CsvMarts:
    """A warehouse whose deal marts were built from the connector world, Maven's deals and
    owners exports and Acme's (Ada Moss forgotten before the build)."""

    warehouse: Path
    forget_report: ForgetReport
    # When Ben Cole's move to North landed, UTC.
    moved_at: datetime
    # Acme's exports (acme_deals.csv, acme_owners.csv as last landed) and mappings.
    folder: Path

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="session")
def csv_marts(world, examples, tmp_path_factory) -> CsvMarts:
    """The deal marts (and all they read) built once by dbt on CSV exports beside a world."""
    folder = tmp_path_factory.mktemp("csv_marts")
    for name, text in ACME_MAPPINGS.items():
        (folder / name).write_text(dedent(text).lstrip("\n"))
    (folder / "acme_deals.csv").write_text(ACME_DEALS)
    (folder / "acme_owners.csv").write_text(ACME_OWNERS)
    warehouse = folder / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        land_demo_world(con, world, load_id="world", loaded_at=datetime.now(UTC))
        maven = [examples / "maven_deals.yml", examples / "maven_owners.yml"]
        land_csv_exports(con, maven, load_id="maven", loaded_at=datetime.now(UTC))
        acme = [folder / name for name in ACME_MAPPINGS]
        land_csv_exports(con, acme, load_id="acme-1", loaded_at=datetime(2024, 1, 1, tzinfo=UTC))
        moved = ACME_OWNERS.replace("Ben Cole,,South", "Ben Cole,,North")
        (folder / "acme_owners.csv").write_text(moved)
        land_csv_exports(con, acme[:1], load_id="acme-2", loaded_at=MOVED_AT)
        report = forget_person(con, email=FORGOTTEN_EMAIL)
    settings = load_settings(home=folder, warehouse=warehouse)
    as_of = date.fromisoformat(load_manifest(world)["end_date"])
    selection = ["--select", "+deals +win_rates", "--resource-type", "model"]
    selection += ["--resource-type", "seed"]
    done = run_dbt(settings, as_of, folder / "target", "build", *selection)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    return CsvMarts(warehouse, report, MOVED_AT.replace(tzinfo=None), folder)
