"""One small YAML file per CSV export says how to read it as canonical records.

A CRM without an API leaves a folder of exports whose column names, date formats and
stage labels are its own. The mapping is where that knowledge lives, so the loader stays
generic and a new CRM needs a YAML file, not code::

    kind: deals                     # deals | leads | stage_history | activities | targets | owners
    instance: acme_crm              # becomes _source_instance
    files: exports/deals_*.csv      # a glob, relative to this file
    columns:                        # canonical field: the file's column
      deal_id: Opportunity ID
      stage: Stage
      amount: Amount
      created_at: Created
    constants: {pipeline: default}  # the same value on every row
    defaults: {currency: USD}       # where the column is blank, or the field unmapped
    values: {stage: {Closed Won: won}}   # relabel values; others stay as read
    date_formats: {created_at: "%d/%m/%Y"}   # a strptime format or a list; default ISO 8601
    extras: [Region]                # file columns kept as-is; default: every unmapped one
    snapshot: {file_name: "deals_{date:%Y-%m-%d}.csv"}   # or {at: 2024-03-31}
    complete: true                  # the files hold every live record (default)
    delimiter: ","                  # the default
    encoding: utf-8                 # the default; a byte-order mark is skipped

A snapshot time comes from the file name or the mapping, never from the file system:
copying a folder must not change history.
"""

from __future__ import annotations

import codecs
import glob
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

import duckdb
import yaml

from ingestion.csv_exports.objects import ACTIVITIES, DEALS, KINDS, ExportKind

_KEYS = (
    "kind",
    "instance",
    "files",
    "columns",
    "constants",
    "defaults",
    "values",
    "date_formats",
    "extras",
    "snapshot",
    "complete",
    "delimiter",
    "encoding",
)
_DATE_PLACEHOLDER = re.compile(r"\{date:([^}]+)\}")


class CsvExportError(ValueError):
    """A mapping or an export cannot be landed; the message names the file and what to fix."""


@dataclass(frozen=True)
class ExportMapping:
    path: Path
    kind: ExportKind
    instance: str
    files: str
    columns: Mapping[str, str]
    constants: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    date_formats: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    extras: tuple[str, ...] | None = None
    snapshot_at: datetime | None = None
    snapshot_file_name: str | None = None
    complete: bool = True
    delimiter: str = ","
    encoding: str = "utf-8-sig"

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def stage_field(self) -> str:
        """The deal field whose changes make stage history: ``stage``, else ``status``."""
        given = {*self.columns, *self.constants, *self.defaults}
        return "stage" if "stage" in given else "status"

    def fail(self, message: str) -> NoReturn:
        raise CsvExportError(f"mapping {self.path}: {message}")

    def find_files(self) -> list[Path]:
        pattern = self.files if os.path.isabs(self.files) else str(self.path.parent / self.files)
        found = sorted(Path(p) for p in glob.glob(pattern) if os.path.isfile(p))
        if not found:
            self.fail(f"files {self.files!r} match no file (looked for {pattern})")
        return found

    def snapshot_time(self, file: Path) -> datetime:
        """When ``file`` was exported, read from its name with ``snapshot_file_name``."""
        regex, date_format = _file_name_pattern(str(self.snapshot_file_name))
        match = regex.fullmatch(file.name)
        if match is None:
            self.fail(
                f"file {file.name} does not match snapshot file_name {self.snapshot_file_name!r}"
            )
        try:
            return datetime.strptime(match[1], date_format)
        except ValueError:
            self.fail(f"{match[1]!r} in file name {file.name} is not a date like {date_format}")


def _file_name_pattern(pattern: str) -> tuple[re.Pattern[str], str]:
    parts = _DATE_PLACEHOLDER.split(pattern)
    if len(parts) != 3:
        raise ValueError(f"{pattern!r} needs exactly one {{date:FORMAT}}")

    def literal(text: str) -> str:
        return re.escape(text).replace(r"\*", ".*").replace(r"\?", ".")

    return re.compile(f"{literal(parts[0])}(.+){literal(parts[2])}"), parts[1]


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _fields(raw: dict[str, Any], key: str, allowed: tuple[str, ...], what: str) -> dict[str, Any]:
    """``raw[key]`` as field: value, refusing fields that ``allowed`` does not list."""
    given = raw.get(key) or {}
    if not isinstance(given, dict):
        raise ValueError(f"{key} must be a mapping of field: value")
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise ValueError(
            f"{key} names {', '.join(map(str, unknown))}, not {what} fields ({', '.join(allowed)})"
        )
    return given


def _snapshot(raw: Any) -> tuple[datetime | None, str | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, dict) or len(raw) != 1 or not {"at", "file_name"} & set(raw):
        raise ValueError("snapshot must be {at: <time>} or {file_name: <pattern>}")
    if "file_name" in raw:
        _file_name_pattern(str(raw["file_name"]))
        return None, str(raw["file_name"])
    at = raw["at"]
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if not isinstance(at, datetime):
        at = datetime.combine(at, datetime.min.time())
    # Snapshot times carry no zone; an aware one is compared in UTC.
    return (at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at), None


def _date_formats(given: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """The formats per field, each one checked now, before any file is read: DuckDB parses
    the dates, and a format it rejects would otherwise fail halfway through a load."""
    formats = {
        f: tuple(map(str, v)) if isinstance(v, list) else (str(v),) for f, v in given.items()
    }
    if formats:
        with duckdb.connect() as check:
            for field_name, date_format in ((f, x) for f, xs in formats.items() for x in xs):
                try:
                    check.execute("select try_strptime('', ?)", [date_format])
                except duckdb.Error as exc:
                    raise ValueError(f"date_formats for {field_name}: {exc}") from exc
    return formats


def _parse(path: Path, raw: dict[str, Any]) -> ExportMapping:
    unknown = sorted(set(raw) - set(_KEYS))
    if unknown:
        raise ValueError(f"unknown keys {', '.join(unknown)}; allowed: {', '.join(_KEYS)}")
    kind = KINDS.get(raw.get("kind"))
    if kind is None:
        raise ValueError(f"kind {raw.get('kind')!r} is not one of {', '.join(KINDS)}")
    for key in ("instance", "files"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ValueError(f"{key} is required: a non-empty string")
    what = f"canonical {kind.name}"
    columns = {f: str(c) for f, c in _fields(raw, "columns", kind.fields, what).items()}
    constants = {f: _text(v) for f, v in _fields(raw, "constants", kind.fields, what).items()}
    defaults = {f: _text(v) for f, v in _fields(raw, "defaults", kind.fields, what).items()}
    values = _fields(raw, "values", tuple(columns), "mapped column")
    if not all(isinstance(relabel, dict) for relabel in values.values()):
        raise ValueError("values must map each field to {value as read: value to land}")
    formats = _date_formats(_fields(raw, "date_formats", kind.dates, f"{kind.name} date"))
    missing = [f for f in kind.required_fields if f not in columns]
    if missing:
        raise ValueError(f"columns must map the required field(s) {', '.join(missing)}")
    if kind is DEALS and not {"stage", "status"} & {*columns, *constants, *defaults}:
        raise ValueError("a deals mapping needs a stage or a status (a column or a constant)")
    if kind is ACTIVITIES and "type" not in {*columns, *constants, *defaults}:
        raise ValueError("an activities mapping needs a type (a column or a constant)")
    if set(columns) & set(constants):
        raise ValueError(
            f"{', '.join(sorted(set(columns) & set(constants)))} is both a column and a constant"
        )
    extras = raw.get("extras")
    if extras is not None and not isinstance(extras, list):
        raise ValueError("extras must be a list of column names")
    delimiter = str(raw.get("delimiter", ","))
    if len(delimiter) != 1:
        raise ValueError(f"delimiter {delimiter!r} must be one character")
    encoding = codecs.lookup(str(raw.get("encoding", "utf-8"))).name
    if not isinstance(raw.get("complete", True), bool):
        raise ValueError("complete must be true or false")
    snapshot_at, snapshot_file_name = _snapshot(raw.get("snapshot"))
    return ExportMapping(
        path=path,
        kind=kind,
        instance=raw["instance"].strip(),
        files=raw["files"],
        columns=columns,
        constants=constants,
        defaults=defaults,
        values={f: {_text(k): _text(v) for k, v in m.items()} for f, m in values.items()},
        date_formats=formats,
        extras=None if extras is None else tuple(map(str, extras)),
        snapshot_at=snapshot_at,
        snapshot_file_name=snapshot_file_name,
        complete=raw.get("complete", True),
        delimiter=delimiter,
        # utf-8-sig reads plain UTF-8 too, and drops the byte-order mark spreadsheets write.
        encoding="utf-8-sig" if encoding == "utf-8" else encoding,
    )


def load_mapping(path: Path | str) -> ExportMapping:
    """Read and check one mapping file, so a typo fails before any export is read."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CsvExportError(f"mapping {path}: cannot be read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise CsvExportError(f"mapping {path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise CsvExportError(f"mapping {path}: expected a YAML mapping of keys, got {raw!r}")
    try:
        return _parse(path, raw)
    except (ValueError, LookupError) as exc:
        raise CsvExportError(f"mapping {path}: {exc}") from exc
