"""Versioned raw landing: reruns add nothing, changes add versions, bad rows are quarantined."""

from datetime import UTC, datetime

import duckdb
import pytest

from ingestion.raw.objects import ObjectKind, RawObject, decimal_string, required, timestamp_string
from ingestion.raw.snapshot import load_snapshot

DEALS = RawObject(
    "testcrm",
    "deals",
    key=("id",),
    rules=(
        required("id"),
        timestamp_string("createdate", nullable=False),
        decimal_string("amount"),
    ),
    updated_column="modified",
)
HISTORY = RawObject("testcrm", "history", key=("deal_id", "ts"), kind=ObjectKind.EVENT)
AT = datetime(2025, 1, 1, tzinfo=UTC)


def _values(rows: list[tuple]) -> str:
    body = ", ".join(
        "(" + ", ".join("null" if v is None else f"'{v}'" for v in row) + ")" for row in rows
    )
    return f"(select * from (values {body}) t(id, amount, createdate, modified))"


def _load(con, rows, load_id, complete=True, obj=DEALS):
    return load_snapshot(
        con,
        obj,
        _values(rows),
        source_instance="inst1",
        load_id=load_id,
        loaded_at=AT,
        complete=complete,
    )


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def _current(con):
    return con.execute(
        """select id, amount, _vanished from raw_testcrm.deals
        qualify row_number() over (partition by id order by _load_sequence desc) = 1 order by id"""
    ).fetchall()


def test_rerun_adds_nothing_and_changes_add_versions(con):
    rows = [("1", "100", "2024-01-01T00:00:00Z", "1"), ("2", "50.5", "2024-02-01", "1")]
    first = _load(con, rows, "L1")
    assert (first.rows_read, first.rows_inserted, first.rows_quarantined) == (2, 2, 0)
    again = _load(con, rows, "L2")
    assert again.rows_inserted == 0
    changed = _load(con, [("1", "150", "2024-01-01T00:00:00Z", "2"), rows[1]], "L3")
    assert changed.rows_inserted == 1
    assert con.execute("select count(*) from raw_testcrm.deals where id = '1'").fetchone()[0] == 2
    assert _current(con) == [("1", "150", False), ("2", "50.5", False)]


def test_vanished_records_get_a_tombstone_and_can_come_back(con):
    rows = [("1", "100", "2024-01-01", "1"), ("2", "7", "2024-01-02", "1")]
    _load(con, rows, "L1")
    gone = _load(con, rows[:1], "L2")
    assert gone.rows_vanished == 1
    assert _current(con) == [("1", "100", False), ("2", "7", True)]
    partial = _load(con, rows[:1], "L3", complete=False)
    assert partial.rows_vanished == 0
    back = _load(con, rows, "L4")
    assert back.rows_inserted == 1
    assert _current(con) == [("1", "100", False), ("2", "7", False)]


def test_bad_rows_are_quarantined_with_field_and_reason(con):
    rows = [
        ("1", "1.200,50 EUR", "2024-01-01", "1"),
        ("2", "10", "31/02/2024", "1"),
        (None, "10", "2024-01-01", "1"),
        ("4", "10", "2024-01-01", "1"),
    ]
    stats = _load(con, rows, "L1")
    assert (stats.rows_inserted, stats.rows_quarantined) == (1, 3)
    quarantined = con.execute(
        """select record_key, rule, reason, raw_payload->>'amount', source_system, object
        from quarantine.testcrm__deals order by record_key"""
    ).fetchall()
    assert quarantined == [
        (
            "1",
            "amount_not_numeric",
            "amount '1.200,50 EUR' is not a plain decimal number",
            "1.200,50 EUR",
            "testcrm",
            "deals",
        ),
        (
            "2",
            "createdate_unparsable",
            "createdate '31/02/2024' is not an ISO-8601 timestamp",
            "10",
            "testcrm",
            "deals",
        ),
        ("<null>", "id_missing", "id is missing", "10", "testcrm", "deals"),
    ]


def test_a_quarantined_record_is_not_marked_vanished(con):
    _load(con, [("1", "100", "2024-01-01", "1")], "L1")
    stats = _load(con, [("1", "oops", "2024-01-01", "2")], "L2")
    assert (stats.rows_quarantined, stats.rows_vanished) == (1, 0)
    assert _current(con) == [("1", "100", False)]


def test_conflicting_copies_keep_the_newest_and_quarantine_the_rest(con):
    rows = [
        ("1", "100", "2024-01-01", "1"),
        ("1", "200", "2024-01-01", "2"),
        ("1", "200", "2024-01-01", "2"),
    ]
    stats = _load(con, rows, "L1")
    assert (stats.rows_inserted, stats.rows_quarantined) == (1, 1)
    assert _current(con) == [("1", "200", False)]
    assert con.execute("select rule from quarantine.testcrm__deals").fetchall() == [
        ("duplicate_key",)
    ]


def test_new_source_columns_become_raw_columns(con):
    _load(con, [("1", "100", "2024-01-01", "1")], "L1")
    drifted = (
        "(select '1' as id, '100' as amount, '2024-01-01' as createdate, "
        "'2' as modified, 'x' as region)"
    )
    load_snapshot(
        con, DEALS, drifted, source_instance="inst1", load_id="L2", loaded_at=AT, complete=True
    )
    assert con.execute(
        "select region from raw_testcrm.deals order by _load_sequence"
    ).fetchall() == [(None,), ("x",)]


def test_a_new_column_spelt_in_another_case_is_the_same_column(con):
    """DuckDB's names ignore case: one export's "Region" after another's "region" fills the
    one column rather than failing to add it twice."""
    for load_id, modified, column in (("L1", "1", "region"), ("L2", "2", "Region")):
        drifted = (
            "(select '1' as id, '100' as amount, '2024-01-01' as createdate, "
            f"'{modified}' as modified, '{load_id}' as {column})"
        )
        load_snapshot(
            con,
            DEALS,
            drifted,
            source_instance="inst1",
            load_id=load_id,
            loaded_at=AT,
            complete=True,
        )
    assert con.execute(
        "select region from raw_testcrm.deals order by _load_sequence"
    ).fetchall() == [("L1",), ("L2",)]


def test_events_are_kept_once(con):
    rel = "(select * from (values ('1', 't1'), ('1', 't2')) t(deal_id, ts))"
    for load_id in ("L1", "L2"):
        load_snapshot(
            con, HISTORY, rel, source_instance="inst1", load_id=load_id, loaded_at=AT, complete=True
        )
    assert con.execute("select count(*) from raw_testcrm.history").fetchone()[0] == 2


def test_two_instances_never_collide(con):
    rows = [("1", "100", "2024-01-01", "1")]
    _load(con, rows, "L1")
    load_snapshot(
        con,
        DEALS,
        _values(rows),
        source_instance="inst2",
        load_id="L2",
        loaded_at=AT,
        complete=True,
    )
    assert con.execute(
        "select _source_instance, count(*) from raw_testcrm.deals group by 1 order by 1"
    ).fetchall() == [("inst1", 1), ("inst2", 1)]
