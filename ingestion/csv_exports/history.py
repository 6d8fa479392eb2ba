"""Derive deal stage history from successive snapshots of a deals export.

Most CRMs export only the current stage of each deal. Landed snapshot after snapshot,
the versions in ``raw_csv.deals`` still tell when a stage was first seen: a deal whose
stage differs from its last landed one gets a history row at the snapshot's time.

A deal seen for the first time gets its first row at the snapshot time too, not at its
``created_at``: a deal first exported at "won" was not won when it was created, and the
snapshot time is the only moment the export vouches for. ``previous_stage`` keeps the
stage it left (null for a first sighting); ``derived_from_snapshot`` names the file(s).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from ingestion.csv_exports.mapping import ExportMapping
from ingestion.csv_exports.objects import DEALS, STAGE_HISTORY, raw_object
from ingestion.raw.snapshot import load_snapshot


def derive_stage_history(
    con: duckdb.DuckDBPyConnection,
    mapping: ExportMapping,
    *,
    deals_load_id: str,
    snapshot_at: datetime,
    files: tuple[Path, ...],
    loaded_at: datetime,
) -> int:
    """Land a history row per stage change in the deals load ``deals_load_id``; returns how many.

    A rerun lands no deal versions, so it derives nothing; a vanished deal's tombstone keeps
    its last stage, so a deal coming back in the same stage adds no row.
    """
    stage = mapping.stage_field
    con.execute(
        f"""create or replace temp table _csv_history as
        select deal_id, stage, ? as changed_at, previous_stage, ? as derived_from_snapshot
        from (
            select deal_id, {stage} as stage, _load_id, _vanished,
                lag({stage} ignore nulls) over (
                    partition by deal_id order by _load_sequence) as previous_stage
            from {raw_object(DEALS, {}, located=False).table}
            where _source_instance = ?)
        where _load_id = ? and not _vanished and stage is not null
            and stage is distinct from previous_stage""",
        [
            snapshot_at.isoformat(sep=" "),
            ", ".join(path.name for path in files),
            mapping.instance,
            deals_load_id,
        ],
    )
    stats = load_snapshot(
        con,
        raw_object(STAGE_HISTORY, {}, located=False),
        "_csv_history",
        source_instance=mapping.instance,
        load_id=deals_load_id,
        loaded_at=loaded_at,
        complete=False,
    )
    con.execute("drop table _csv_history")
    return stats.rows_inserted
