"""The raw tables of every source but FX, which lands whenever a run does.

A source not configured lands nothing, a job that reads no source (transform, CSV
exports) may run on a warehouse a source never reached, and a warehouse made before a
source's table existed (an upgrade) lacks it; dbt's staging models read every source all
the same, so each such table is created empty, with its canonical columns, before dbt
reads it.
"""

from __future__ import annotations

import duckdb

from ingestion.ad_platforms.landing import ensure_ad_spend_tables
from ingestion.csv_exports import ensure_raw_tables as ensure_csv_tables
from ingestion.hubspot.landing import ensure_raw_tables as ensure_hubspot_tables
from ingestion.pipedrive.landing import ensure_raw_tables as ensure_pipedrive_tables
from ingestion.salesforce.landing import ensure_raw_tables as ensure_salesforce_tables
from ingestion.web_events.landing import ensure_raw_tables as ensure_web_event_tables


def ensure_every_raw_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create every source's missing raw tables, empty; existing ones are left as they are."""
    for ensure_tables in (
        ensure_hubspot_tables,
        ensure_csv_tables,
        ensure_salesforce_tables,
        ensure_pipedrive_tables,
        ensure_ad_spend_tables,
        ensure_web_event_tables,
    ):
        ensure_tables(con)
