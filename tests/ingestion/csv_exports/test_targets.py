"""A targets export: rows bad on their own are quarantined naming file, line, field and fix;
a target names a team or an owner, so a key part may be null without the target vanishing."""

import pytest

TARGETS_MAPPING = """
    kind: targets
    instance: plan
    files: targets.csv
    columns:
      period: Period
      pipeline: Pipeline
      team: Team
      owner: Rep
      bookings_target: Quota
      pipeline_target: Pipeline quota
"""
TARGETS_CSV = """\
Period,Pipeline,Team,Rep,Quota,Pipeline quota
2025-02,default,EMEA,,90000,300000
2025-02,default,,ana@x.com,30000,
FY2025-Q1,default,,ana@x.com,-5,
2025-13,default,,bo@x.com,100,
Q1 2025,default,EMEA,,100,
2025-02,default,EMEA,bo@x.com,100,
2025-02,default,,,100,
2025-03,default,,bo@x.com,,
2025-03,default,,cy@x.com,12k,
2025-03,default,,dee@x.com,100,-1
"""


def test_bad_target_rows_are_quarantined_naming_file_line_field_and_fix(write, land, con):
    mapping = write("targets.yml", TARGETS_MAPPING)
    write("targets.csv", TARGETS_CSV)
    (stats,) = land([mapping])
    assert (stats.rows_in, stats.rows_landed, stats.rows_quarantined) == (10, 2, 8)
    fix = "; fix the row in the targets export and rerun"
    assert con.execute(
        """select rule, reason from quarantine.csv__targets
        order by cast(regexp_extract(reason, 'line (\\d+)', 1) as int)"""
    ).fetchall() == [
        ("bookings_target_negative", f"targets.csv line 4: bookings_target -5 is negative{fix}"),
        (
            "period_unrecognised",
            "targets.csv line 5: period '2025-13' is neither a month (2025-02) nor a fiscal "
            f"quarter (FY2025-Q1){fix}",
        ),
        (
            "period_unrecognised",
            "targets.csv line 6: period 'Q1 2025' is neither a month (2025-02) nor a fiscal "
            f"quarter (FY2025-Q1){fix}",
        ),
        (
            "team_or_owner",
            "targets.csv line 7: team and owner are both filled: a target is for a team or "
            f"for an owner{fix}",
        ),
        (
            "team_or_owner",
            "targets.csv line 8: team and owner are both blank: a target is for a team or "
            f"for an owner{fix}",
        ),
        ("bookings_target_missing", "targets.csv line 9: bookings_target is missing"),
        (
            "bookings_target_not_numeric",
            "targets.csv line 10: bookings_target '12k' is not a plain decimal number",
        ),
        ("pipeline_target_negative", f"targets.csv line 11: pipeline_target -1 is negative{fix}"),
    ]
    landed = "select period, team, owner, bookings_target from raw_csv.targets order by 1, 2"
    assert con.execute(landed).fetchall() == [
        ("2025-02", "EMEA", None, "90000"),
        ("2025-02", None, "ana@x.com", "30000"),
    ]


def test_landing_the_same_targets_again_adds_nothing_and_vanishes_nothing(write, land, con):
    """A target's blank team or owner is part of its key: the next complete read still
    finds it (null matches null), so it is neither tombstoned nor landed again."""
    mapping = write("targets.yml", TARGETS_MAPPING)
    write("targets.csv", TARGETS_CSV)
    land([mapping], load_id="L1")
    (again,) = land([mapping], load_id="L2")
    assert (again.new_versions, again.vanished) == (0, 0)
    write("targets.csv", TARGETS_CSV.replace("2025-02,default,EMEA,,90000", "2025-02,x,EMEA,,9"))
    (changed,) = land([mapping], load_id="L3")
    assert (changed.new_versions, changed.vanished) == (1, 1)
    current = con.execute(
        """select pipeline, team, owner, _vanished from raw_csv.targets
        qualify row_number() over (
            partition by pipeline, team, owner order by _load_sequence desc) = 1
        order by 1, 2"""
    ).fetchall()
    assert current == [
        ("default", "EMEA", None, True),
        ("default", None, "ana@x.com", False),
        ("x", "EMEA", None, False),
    ]


def test_a_targets_mapping_must_map_the_required_fields(write, land, csv_exports):
    mapping = write("targets.yml", TARGETS_MAPPING.replace("      bookings_target: Quota\n", ""))
    write("targets.csv", TARGETS_CSV)
    with pytest.raises(csv_exports.CsvExportError, match=r"required field\(s\) bookings_target"):
        land([mapping])
