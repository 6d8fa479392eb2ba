"""Tombstones for records merged away, found by an incremental read.

The raw loader marks records vanished only when a read is complete, and an incremental
read is not. But HubSpot names exactly the records that vanished by merging: each
survivor lists them in ``hs_merged_object_ids``. This tombstones just those records and
the associations that pointed at them, through the raw loader's own :func:`vanish`, and
finds the engagements still pointing at them (a merge moves those to the survivor
without modifying them, so no search finds them).
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from ingestion.hubspot import objects
from ingestion.raw.objects import RawObject
from ingestion.raw.snapshot import vanish

# Per merged object: the raw objects whose rows die with a merged-away record, and the
# column holding its id. (A merged deal's history stays: history entries are events.)
TOMBSTONES: dict[str, tuple[tuple[RawObject, str], ...]] = {
    objects.DEALS.name: (
        (objects.DEALS, "id"),
        (objects.DEAL_CONTACTS, "deal_id"),
        (objects.DEAL_COMPANIES, "deal_id"),
    ),
    objects.CONTACTS.name: ((objects.CONTACTS, "id"), (objects.DEAL_CONTACTS, "contact_id")),
}


def merged_ids(records: list[dict]) -> set[str]:
    """Ids the records' hs_merged_object_ids name (';'-separated)."""
    return {
        merged.strip()
        for record in records
        for merged in ((record.get("properties") or {}).get("hs_merged_object_ids") or "").split(
            ";"
        )
        if merged.strip()
    }


def vanish_merged(
    con: duckdb.DuckDBPyConnection,
    obj: RawObject,
    column: str,
    survivors: str,
    *,
    source_instance: str,
    load_id: str,
    loaded_at: datetime,
) -> int:
    """Tombstone the live rows of ``obj`` whose ``column`` is an id that ``survivors`` name
    in hs_merged_object_ids.

    ``survivors`` is any relation with that column (the read just landed); call inside the
    transaction that landed it. Returns the number of rows marked vanished.
    """
    return vanish(
        con,
        obj,
        f"l.{column} in (select trim(unnest(string_split(hs_merged_object_ids, ';'))) "
        f"from {survivors})",
        source_instance=source_instance,
        load_id=load_id,
        loaded_at=loaded_at,
    )


def engagements_linked_to_merged(
    con: duckdb.DuckDBPyConnection, portal: str
) -> dict[str, list[str]]:
    """Live engagements in raw_hubspot.engagements whose deal or contact is a record merged
    away (named in a current survivor's hs_merged_object_ids), as type -> ids."""

    def merged(obj: RawObject) -> str:
        return f"""select trim(unnest(string_split(hs_merged_object_ids, ';')))
            from (select hs_merged_object_ids, _vanished from {obj.table}
                where _source_instance = $portal
                qualify row_number() over (partition by id order by _load_sequence desc) = 1)
            where not _vanished and hs_merged_object_ids is not null"""

    rows = con.execute(
        f"""select type, id from {objects.ENGAGEMENTS.table}
        where _source_instance = $portal
        qualify row_number() over (partition by id order by _load_sequence desc) = 1
            and not _vanished
            and (deal_id in ({merged(objects.DEALS)})
                or contact_id in ({merged(objects.CONTACTS)}))
        order by type, id""",
        {"portal": portal},
    ).fetchall()
    found: dict[str, list[str]] = {}
    for kind, record_id in rows:
        found.setdefault(kind, []).append(record_id)
    return found
