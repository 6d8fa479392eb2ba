"""Attribution's settings: read from FUNNELHOUSE_* variables, checked, passed to dbt."""

from __future__ import annotations

from datetime import date

import pytest

from ingestion.settings import SettingsError, load_settings


def test_lookback_half_life_and_cadence_reach_dbt_from_the_environment(monkeypatch):
    monkeypatch.setenv("FUNNELHOUSE_ATTRIBUTION_LOOKBACK_DAYS", "90")
    monkeypatch.setenv("FUNNELHOUSE_ATTRIBUTION_HALF_LIFE_DAYS", "3.5")
    monkeypatch.setenv("FUNNELHOUSE_ATTRIBUTION_RELEARN_EVERY_DAYS", "1")
    dbt_vars = load_settings().dbt_vars(date(2025, 12, 31))
    assert dbt_vars["attribution_lookback_days"] == 90
    assert dbt_vars["attribution_half_life_days"] == 3.5
    assert dbt_vars["attribution_relearn_every_days"] == 1


def test_by_default_every_touch_counts_time_decay_halves_and_credits_relearn_weekly(
    monkeypatch,
):
    for name in ("LOOKBACK_DAYS", "HALF_LIFE_DAYS", "RELEARN_EVERY_DAYS"):
        monkeypatch.delenv(f"FUNNELHOUSE_ATTRIBUTION_{name}", raising=False)
    dbt_vars = load_settings().dbt_vars(date(2025, 12, 31))
    assert dbt_vars["attribution_lookback_days"] is None
    assert dbt_vars["attribution_half_life_days"] == 7.0
    assert dbt_vars["attribution_relearn_every_days"] == 7


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LOOKBACK_DAYS", "0", "attribution_lookback_days is 0: use 1 or more"),
        ("HALF_LIFE_DAYS", "-2", "attribution_half_life_days is -2.0: use a positive"),
        ("HALF_LIFE_DAYS", "weekly", "FUNNELHOUSE_ATTRIBUTION_HALF_LIFE_DAYS='weekly'"),
        ("RELEARN_EVERY_DAYS", "0", "attribution_relearn_every_days is 0: use 1 or more"),
    ],
)
def test_a_bad_value_names_the_setting(monkeypatch, variable, value, message):
    monkeypatch.setenv(f"FUNNELHOUSE_ATTRIBUTION_{variable}", value)
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        load_settings()
