"""Read export files as canonical text records, each remembering its file and line.

Python's csv module reads the files rather than DuckDB's reader, because a quarantine
reason must name a row's physical line and a quoted field may span several lines.
Values stay text: typing happens in dbt. A blank cell is null, whatever its spaces.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa

from ingestion.csv_exports.mapping import ExportMapping
from ingestion.csv_exports.objects import is_extra

FILE_COLUMN = "_file"
LINE_COLUMN = "_line"


def _rows(mapping: ExportMapping, path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of each record, the header first; blank lines are skipped."""
    with path.open(encoding=mapping.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=mapping.delimiter)
        start = 1
        try:
            for fields in reader:
                if fields:
                    yield start, fields
                start = reader.line_num + 1
        except csv.Error as exc:
            mapping.fail(f"{path.name} line {reader.line_num} is not valid CSV: {exc}")
        except UnicodeDecodeError as exc:
            mapping.fail(
                f"{path.name} near line {start} is not {mapping.encoding} text ({exc.reason}); "
                "set encoding in the mapping"
            )


def _header(mapping: ExportMapping, path: Path, header: list[str]) -> dict[str, int]:
    """Column positions, after checking every column the mapping names is there."""
    listing = f"{path.name} lacks; its columns are: {', '.join(header)}"
    for field, column in mapping.columns.items():
        if column not in header:
            mapping.fail(f"field {field!r} maps to column {column!r}, which {listing}")
    for column in mapping.extras or ():
        if column not in header:
            mapping.fail(f"extras lists column {column!r}, which {listing}")
    # DuckDB names are case-insensitive, so "Stage" and "stage" would be one column.
    folded = [name.strip().lower() for name in header]
    if "" in folded or len(set(folded)) < len(folded):
        mapping.fail(f"{path.name} has blank or repeated column names: {header}")
    return {name: position for position, name in enumerate(header)}


def _extras(mapping: ExportMapping, path: Path, header: list[str]) -> list[str]:
    """The columns kept as-is: those listed under extras, else every unmapped one."""
    mapped = set(mapping.columns.values())
    extras = [n for n in header if n not in mapped] if mapping.extras is None else mapping.extras
    for name in extras:
        if not is_extra(mapping.kind, name):
            mapping.fail(
                f"column {name!r} of {path.name} would be kept as an extra, clashing with a "
                "canonical field or a Funnelhouse _column; map it, or list the columns to keep "
                "under extras"
            )
    return list(extras)


def read_records(mapping: ExportMapping, files: Sequence[Path]) -> pa.Table:
    """The rows of ``files`` as every canonical field (null when unmapped), the extras, and
    :data:`FILE_COLUMN` / :data:`LINE_COLUMN`."""
    columns: dict[str, list[str | None]] = {field: [] for field in mapping.kind.fields}
    extras: dict[str, list[str | None]] = {}
    names: list[str] = []
    lines: list[int] = []
    for path in files:
        rows = _rows(mapping, path)
        header = next(rows, (1, None))[1]
        if header is None:
            mapping.fail(f"{path.name} is empty: expected a header row")
        position = _header(mapping, path, header)
        sources = [
            (
                field,
                position[mapping.columns[field]] if field in mapping.columns else None,
                mapping.values.get(field, {}),
                mapping.constants.get(field, mapping.defaults.get(field)),
            )
            for field in mapping.kind.fields
        ]
        kept = [(name, position[name]) for name in _extras(mapping, path, header)]
        for name, _ in kept:
            extras.setdefault(name, [None] * len(lines))
        for line, fields in rows:
            if len(fields) != len(header):
                mapping.fail(
                    f"{path.name} line {line} has {len(fields)} fields where the header has "
                    f"{len(header)}; check the delimiter ({mapping.delimiter!r}) and quoting"
                )
            cells = [value if value.strip() else None for value in fields]
            for field, index, relabel, fallback in sources:
                value = None if index is None else cells[index]
                columns[field].append(fallback if value is None else relabel.get(value, value))
            for name, index in kept:
                extras[name].append(cells[index])
            names.append(path.name)
            lines.append(line)
        for values in extras.values():
            values.extend([None] * (len(lines) - len(values)))
    table = {name: pa.array(values, pa.string()) for name, values in {**columns, **extras}.items()}
    table[FILE_COLUMN] = pa.array(names, pa.string())
    table[LINE_COLUMN] = pa.array(lines, pa.int64())
    return pa.table(table)
