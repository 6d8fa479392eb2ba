"""The CSV-export source: CRMs without an API, landed from a folder of exports.

Each export has a small YAML mapping (:mod:`ingestion.csv_exports.mapping`) that renames
its columns to canonical deal, lead, stage-history, activity, target or owner fields;
:func:`land_csv_exports` lands them in ``raw_csv`` through the same versioned raw loader as
every other source.
"""

from ingestion.csv_exports.landing import (
    ensure_raw_tables,
    land_csv_export,
    land_csv_exports,
    mapping_files,
)
from ingestion.csv_exports.mapping import CsvExportError, ExportMapping, load_mapping
from ingestion.csv_exports.objects import KINDS
from ingestion.csv_exports.reads import ExportStats

# The raw_csv tables, one per export kind.
KIND_NAMES: tuple[str, ...] = tuple(KINDS)

__all__ = [
    "KIND_NAMES",
    "CsvExportError",
    "ExportMapping",
    "ExportStats",
    "ensure_raw_tables",
    "land_csv_export",
    "land_csv_exports",
    "load_mapping",
    "mapping_files",
]
