"""The CSV-export source: CRMs without an API, landed from a folder of exports.

Each export has a small YAML mapping (:mod:`ingestion.csv_exports.mapping`) that renames
its columns to canonical deal, lead or stage-history fields; :func:`land_csv_exports`
lands them in ``raw_csv`` through the same versioned raw loader as every other source.
"""

from ingestion.csv_exports.landing import land_csv_export, land_csv_exports
from ingestion.csv_exports.mapping import CsvExportError, ExportMapping, load_mapping
from ingestion.csv_exports.reads import ExportStats

__all__ = [
    "CsvExportError",
    "ExportMapping",
    "ExportStats",
    "land_csv_export",
    "land_csv_exports",
    "load_mapping",
]
