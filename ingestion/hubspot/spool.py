"""Pages spooled to one temporary Parquet file per raw object, landed once at the end.

A complete snapshot must be landed in one piece (records missing from it are marked
vanished), and the raw loader takes any DuckDB relation, so pages go to disk as they
arrive and the loader reads the file: the sync's memory stays flat however many
records the portal holds.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP_ROWS = 20_000


class Spool:
    """Buffered Parquet writers, one per object, in ``folder``; empty objects still get a file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._buffers: dict[str, list[pa.RecordBatch]] = {}
        self.rows: dict[str, int] = {}

    def open(self, name: str, schema: pa.Schema) -> None:
        self._writers[name] = pq.ParquetWriter(self.path(name), schema, compression="zstd")
        self._buffers[name] = []
        self.rows[name] = 0

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.parquet"

    def add(self, name: str, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        self._buffers[name].append(batch)
        self.rows[name] += batch.num_rows
        if sum(b.num_rows for b in self._buffers[name]) >= ROW_GROUP_ROWS:
            self._flush(name)

    def _flush(self, name: str) -> None:
        if self._buffers[name]:
            self._writers[name].write_table(pa.Table.from_batches(self._buffers[name]))
            self._buffers[name] = []

    def close(self) -> None:
        for name, writer in self._writers.items():
            self._flush(name)
            writer.close()
        self._writers.clear()

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
