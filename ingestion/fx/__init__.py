"""Daily FX rates: the reporting-currency conversion's one input.

A rate is how many US dollars one unit of a currency buys on a day. The demo lands the
simulated world's rates; a team lands its provider's (ECB, Open Exchange Rates, ...) into
the same table, ``raw_fx.rates``: a folder of Parquet files with columns date, currency,
usd_per_unit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb

from ingestion.raw.objects import RawObject, Rule, required
from ingestion.raw.parquet_folder import land_parquet_folders
from ingestion.raw.snapshot import LoadStats

RATES = RawObject(
    "fx",
    "rates",
    key=("date", "currency"),
    rules=(
        required("currency"),
        Rule(
            name="usd_per_unit_not_positive",
            field="usd_per_unit",
            violated="usd_per_unit is null or usd_per_unit <= 0",
            reason="'usd_per_unit ' || coalesce(cast(usd_per_unit as varchar), 'null') "
            "|| ' is not a positive rate'",
        ),
    ),
)


def land_fx_rates(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    *,
    provider: str,
    load_id: str,
    loaded_at: datetime,
    progress: Callable[[str], None] = lambda _: None,
) -> list[LoadStats]:
    return land_parquet_folders(
        con,
        [(RATES, folder)],
        source_instance=provider,
        load_id=load_id,
        loaded_at=loaded_at,
        progress=progress,
    )
