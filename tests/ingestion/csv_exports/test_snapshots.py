"""Stage history from successive deal snapshots, timed by their file names."""

import pytest

DEALS_MAPPING = """
    kind: deals
    instance: acme
    files: deals_*.csv
    snapshot: {file_name: "deals_{date:%Y-%m-%d}.csv"}
    columns: {deal_id: Id, stage: Stage, amount: Amount}
    values:
      stage: {Closed Won: won}
"""
SNAPSHOTS = {
    "deals_2024-01-01.csv": "Id,Stage,Amount\nD1,Lead,100\nD2,Demo,200\n",
    "deals_2024-01-08.csv": "Id,Stage,Amount\nD1,Demo,100\nD2,Demo,250\nD3,Lead,\n",
    "deals_2024-01-15.csv": "Id,Stage,Amount\nD1,Closed Won,120\nD3,Lead,\n",
}


def _history(con):
    return con.execute(
        """select deal_id, stage, changed_at, previous_stage, derived_from_snapshot
        from raw_csv.stage_history order by changed_at, deal_id"""
    ).fetchall()


@pytest.fixture
def mapping(write):
    path = write("deals.yml", DEALS_MAPPING)
    for name in ("deals_2024-01-01.csv", "deals_2024-01-08.csv"):
        write(name, SNAPSHOTS[name])
    return path


def test_stage_changes_between_snapshots_become_history(mapping, write, land, con):
    first = land([mapping], load_id="L1")
    assert [(s.snapshot_at.isoformat(), s.new_versions, s.history_rows) for s in first] == [
        ("2024-01-01T00:00:00", 2, 2),
        ("2024-01-08T00:00:00", 3, 2),  # D2's amount changed: a version, not a stage change
    ]
    write("deals_2024-01-15.csv", SNAPSHOTS["deals_2024-01-15.csv"])
    second, third = land([mapping], load_id="L2")  # the latest landed snapshot is reread
    assert (second.snapshot_at.day, second.new_versions, second.history_rows) == (8, 0, 0)
    assert (third.new_versions, third.vanished, third.history_rows) == (1, 1, 1)
    assert _history(con) == [
        ("D1", "Lead", "2024-01-01 00:00:00", None, "deals_2024-01-01.csv"),
        ("D2", "Demo", "2024-01-01 00:00:00", None, "deals_2024-01-01.csv"),
        ("D1", "Demo", "2024-01-08 00:00:00", "Lead", "deals_2024-01-08.csv"),
        ("D3", "Lead", "2024-01-08 00:00:00", None, "deals_2024-01-08.csv"),
        ("D1", "won", "2024-01-15 00:00:00", "Demo", "deals_2024-01-15.csv"),
    ]
    assert land.messages == [
        "deals.yml: deals_2024-01-01.csv (2024-01-01 00:00:00) landed before, skipped",
        "deals.yml -> raw_csv.deals (deals_2024-01-08.csv of 2024-01-08 00:00:00): 3 rows = "
        "3 landed + 0 quarantined + 0 duplicates; 0 new versions, 0 vanished; 0 stage-history rows",
        "deals.yml -> raw_csv.deals (deals_2024-01-15.csv of 2024-01-15 00:00:00): 2 rows = "
        "2 landed + 0 quarantined + 0 duplicates; 1 new versions, 1 vanished; 1 stage-history rows",
    ]


def test_rerunning_the_same_snapshots_adds_nothing(mapping, land, counts):
    land([mapping], load_id="L1")
    before = counts()
    (rerun,) = land([mapping], load_id="L2")
    assert (rerun.rows_landed, rerun.new_versions, rerun.vanished, rerun.history_rows) == (
        3,
        0,
        0,
        0,
    )
    after = counts()
    assert after.pop("raw_csv._export_reads") == before.pop("raw_csv._export_reads") + 1
    assert after.pop("raw_csv._loads") == before.pop("raw_csv._loads") + 2
    assert after == before


def test_an_older_snapshot_is_rejected_and_nothing_is_written(
    mapping, write, land, con, counts, csv_exports
):
    land([mapping], load_id="L1")
    before = counts()
    write("deals_2024-01-15.csv", SNAPSHOTS["deals_2024-01-15.csv"])  # new, and fine
    write("deals_2024-01-05.csv", "Id,Stage,Amount\nD1,Won,100\n")  # new, but too old
    with pytest.raises(csv_exports.CsvExportError) as error:
        land([mapping], load_id="L2")
    assert str(error.value) == (
        f"mapping {mapping}: snapshot deals_2024-01-05.csv is of 2024-01-05 00:00:00, older "
        "than the last deals snapshot landed for instance 'acme' (2024-01-08 00:00:00); "
        "snapshots must land oldest first"
    )
    assert counts() == before
    assert con.execute("select max(snapshot_at) from raw_csv._export_reads").fetchone()[
        0
    ].isoformat() == ("2024-01-08T00:00:00")


def test_a_stage_history_export_replaces_derivation(write, land, con):
    write("deals.yml", DEALS_MAPPING)
    write("deals_2024-01-01.csv", SNAPSHOTS["deals_2024-01-01.csv"])
    history = write(
        "history.yml",
        """
        kind: stage_history
        instance: acme
        files: history.csv
        columns: {deal_id: Deal, stage: To, changed_at: When}
        date_formats: {changed_at: "%d/%m/%Y %H:%M"}
        """,
    )
    write("history.csv", "Deal,To,When\nD1,Lead,30/12/2023 09:15\nD2,Lead,29/12/2023 17:00\n")
    stats = land(history.parent)
    assert [(s.kind, s.rows_landed, s.history_rows) for s in stats] == [
        ("stage_history", 2, None),
        ("deals", 2, None),
    ]
    assert con.execute(
        "select deal_id, stage, changed_at from raw_csv.stage_history order by deal_id"
    ).fetchall() == [("D1", "Lead", "2023-12-30 09:15:00"), ("D2", "Lead", "2023-12-29 17:00:00")]


def test_a_snapshot_time_can_come_from_the_mapping(write, land, con):
    mapping = write(
        "deals.yml",
        """
        kind: deals
        instance: acme
        files: pipeline.csv
        snapshot: {at: 2024-03-31 18:00:00}
        columns: {deal_id: Id, status: Status}
        """,
    )
    write("pipeline.csv", "Id,Status\nD1,open\n")
    (stats,) = land([mapping])
    assert stats.history_rows == 1
    assert _history(con) == [("D1", "open", "2024-03-31 18:00:00", None, "pipeline.csv")]
