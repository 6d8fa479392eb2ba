"""Dagster's SQLite event log, with its connections kept open.

Dagster's `SqliteEventLogStorage` creates an engine, opens a connection and disposes of both
for every event it stores (its engines use `NullPool`), and a run of the main job stores a few
thousand events: the dbt tests alone are a planned and an evaluated asset-check event each.
This storage keeps one engine per database file (the run's own and the index), so a
connection is opened once and reused (`funnelhouse run --deals 2000`: 180 CPU s -> 158).
Everything else, including where the files live and how they are laid out, is Dagster's,
so a home written by either class reads with the other. dagster.yaml selects it.

SQLite allows this: an idle connection holds no lock, and the files stay in WAL mode, so the
UI and a run in another process read and write them as before.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster import DagsterInstance
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

# The index and the runs being written or read at the moment; the UI browses many runs, and
# each engine holds a file open.
OPEN_DATABASES = 8


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` in its instance's `history/runs` folder, where Dagster keeps it
    by default, reusing one connection per database file.

    dagster.yaml cannot name the folder of the instance reading it (an instance opened with
    `DagsterInstance.from_config(home)` need not be `$DAGSTER_HOME`), so the storage opens
    its files when the instance registers itself, which Dagster does as it builds one."""

    def __init__(self, inst_data: ConfigurableClassData | None = None) -> None:
        # Dagster's __init__ runs in register_instance, once the folder is known.
        self._config_data = inst_data
        self._engines: OrderedDict[str, Engine] = OrderedDict()

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data)

    def register_instance(self, instance: DagsterInstance) -> None:
        base_dir = os.path.join(instance.root_directory, "history", "runs", "")
        super().__init__(base_dir, self._config_data)
        super().register_instance(instance)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > OPEN_DATABASES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def dispose(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()
        super().dispose()
