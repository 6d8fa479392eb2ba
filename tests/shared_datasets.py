"""The public exports in ../shared/datasets, read in place (never copied into the repo)."""

from __future__ import annotations

from pathlib import Path

from ingestion.settings import PROJECT_ROOT

DATASETS = (PROJECT_ROOT / ".." / "shared" / "datasets").resolve()
EXAMPLE_MAPPINGS = PROJECT_ROOT / "ingestion" / "csv_exports" / "examples"


def lay_out_csv_examples(folder: Path, pattern: str = "*.yml") -> Path:
    """The example mappings matching ``pattern``, laid out as a user would: the exports
    they name linked into exports/ beside them."""
    (folder / "exports").mkdir(parents=True)
    for csv in sorted(DATASETS.glob("*/*.csv")):
        (folder / "exports" / csv.name).symlink_to(csv)
    for mapping in EXAMPLE_MAPPINGS.glob(pattern):
        (folder / mapping.name).write_text(mapping.read_text())
    return folder
