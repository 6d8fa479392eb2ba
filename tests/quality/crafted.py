"""A small crafted warehouse: good raw deals of every source and good mart rows, which
each test spoils with one bad row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

AS_OF = date(2025, 12, 31)  # its day ends at 2026-01-01 00:00 UTC
DEAL_COUNT = 5


@dataclass(frozen=True)
class RawLayout:
    """Where a source's raw deals table keeps each field the raw suite reads."""

    schema: str
    table: str
    columns: dict[str, str]  # field -> column
    pipeline: str | None
    stage: str
    timestamp: Callable[[str], str]  # '2025-06-01 10:00:00' as the source writes it

    @property
    def relation(self) -> str:
        return f'{self.schema}."{self.table}"'

    def column(self, field: str) -> str:
        return f'"{self.columns[field]}"'


def _iso_z(moment: str) -> str:
    return moment.replace(" ", "T") + "Z"


RAW = {
    "raw_hubspot_deals": RawLayout(
        "raw_hubspot",
        "deals",
        {
            "deal_id": "id",
            "pipeline": "pipeline",
            "stage": "dealstage",
            "amount": "amount",
            "currency": "deal_currency_code",
            "created": "createdate",
            "close": "closedate",
            "modified": "hs_lastmodifieddate",
        },
        "default",
        "contractsent",
        _iso_z,
    ),
    "raw_salesforce_opportunity": RawLayout(
        "raw_salesforce",
        "Opportunity",
        {
            "deal_id": "Id",
            "pipeline": "Type",
            "stage": "StageName",
            "amount": "Amount",
            "currency": "CurrencyIsoCode",
            "created": "CreatedDate",
            "close": "CloseDate",
            "modified": "SystemModstamp",
        },
        "Expansion",
        "Trial",
        lambda moment: moment.replace(" ", "T") + ".000+0000",
    ),
    "raw_pipedrive_deals": RawLayout(
        "raw_pipedrive",
        "deals",
        {
            "deal_id": "id",
            "pipeline": "pipeline_id",
            "stage": "stage_id",
            "amount": "value",
            "currency": "currency",
            "created": "add_time",
            "close": "expected_close_date",
            "modified": "update_time",
        },
        "2",
        "12",
        _iso_z,
    ),
    # A CSV export has no modification time: the raw suite takes the close for it.
    "raw_csv_deals": RawLayout(
        "raw_csv",
        "deals",
        {
            "deal_id": "deal_id",
            "pipeline": "pipeline",
            "stage": "stage",
            "amount": "amount",
            "currency": "currency",
            "created": "created_at",
            "close": "closed_at",
            "modified": "closed_at",
        },
        None,
        "Won",
        lambda moment: moment,
    ),
}
CSV_EXTRA_COLUMNS = ("status", "won_at", "lost_at", "expected_close_date")

DEALS_DDL = """create table marts.deals (
    deal_key varchar, deal_id varchar, source_system varchar, pipeline_id varchar,
    stage_id varchar, amount decimal(28, 6), amount_at_creation decimal(28, 6),
    amount_at_close decimal(28, 6), currency_code varchar, created_at timestamp,
    closed_at timestamp, close_date_at timestamp)"""
VISITS_DDL = """create table marts.deal_stage_visits (
    stage_visit_key varchar, deal_key varchar, source_system varchar, pipeline_id varchar,
    stage_id varchar, entered_at timestamp, exited_at timestamp, days_in_stage double)"""


def _raw_rows(con: duckdb.DuckDBPyConnection, layout: RawLayout) -> None:
    columns = list(dict.fromkeys(layout.columns.values()))
    if layout.schema == "raw_csv":
        columns += CSV_EXTRA_COLUMNS
    con.execute(f"create schema if not exists {layout.schema}")
    con.execute(
        f"create table {layout.relation} ("
        + ", ".join(f'"{c}" varchar' for c in columns)
        + ", _source_instance varchar, _load_sequence bigint)"
    )
    for n in range(1, DEAL_COUNT + 1):
        values = {
            "deal_id": f"d{n}",
            "pipeline": layout.pipeline,
            "stage": layout.stage,
            "amount": "1200.50",
            "currency": "eur",
            "created": layout.timestamp(f"2025-06-0{n} 10:00:00"),
            "close": layout.timestamp("2025-12-30 12:00:00"),
            "modified": layout.timestamp("2025-12-30 12:00:00"),
        }
        row = {layout.columns[field]: value for field, value in values.items()}
        con.execute(
            f"insert into {layout.relation} by name select "
            + ", ".join(f'? as "{c}"' for c in row)
            + ", 'portal-1' as _source_instance, 3 as _load_sequence",
            list(row.values()),
        )
    # An older version of d1 in an earlier load, with values the latest one corrected.
    key = layout.column("deal_id")
    con.execute(
        f"insert into {layout.relation} select * replace ('-1' as {layout.column('amount')}, "
        f"1 as _load_sequence) from {layout.relation} where {key} = 'd1'"
    )


def _mart_rows(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema marts")
    con.execute(DEALS_DDL)
    con.execute(VISITS_DDL)
    for n in range(1, DEAL_COUNT + 1):
        won = n <= 3  # d1-d3 won on 2025-12-30, d4 and d5 open, expected to close in March
        closed_at = "2025-12-30 12:00:00" if won else None
        con.execute(
            "insert into marts.deals values (?, ?, 'hubspot', 'default', ?, 100, 90, ?, 'EUR',"
            " ?, ?, ?)",
            [
                f"hubspot|portal-1|d{n}",
                f"d{n}",
                "closedwon" if won else "contractsent",
                100 if won else None,
                f"2025-06-0{n} 10:00:00",
                closed_at,
                closed_at or "2026-03-01 00:00:00",
            ],
        )
        con.execute(
            "insert into marts.deal_stage_visits values (?, ?, 'hubspot', 'default',"
            " 'contractsent', ?, ?, ?)",
            [
                f"v{n}",
                f"hubspot|portal-1|d{n}",
                "2025-12-01 09:00:00" if won else "2025-12-30 09:00:00",
                "2025-12-30 12:00:00" if won else None,
                29.1 if won else 1.6,
            ],
        )


def build(path: Path) -> Path:
    """Good rows only: every suite passes on them."""
    with duckdb.connect(str(path)) as con:
        for layout in RAW.values():
            _raw_rows(con, layout)
        _mart_rows(con)
    return path
