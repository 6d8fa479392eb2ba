"""The forecasts' settings: read from FUNNELHOUSE_* variables, checked, passed to dbt."""

from __future__ import annotations

from datetime import date

import pytest

from ingestion.settings import SettingsError, load_settings


def test_draws_seed_and_cadence_reach_dbt_from_the_environment(monkeypatch):
    monkeypatch.setenv("FUNNELHOUSE_FORECAST_SIMULATIONS", "200")
    monkeypatch.setenv("FUNNELHOUSE_FORECAST_SEED", "7")
    monkeypatch.setenv("FUNNELHOUSE_FORECAST_RELEARN_EVERY_DAYS", "1")
    dbt_vars = load_settings().dbt_vars(date(2025, 12, 31))
    assert dbt_vars["forecast_simulations"] == 200
    assert dbt_vars["forecast_seed"] == 7
    assert dbt_vars["forecast_relearn_every_days"] == 1


def test_by_default_past_forecasts_are_learned_again_weekly(monkeypatch):
    monkeypatch.delenv("FUNNELHOUSE_FORECAST_RELEARN_EVERY_DAYS", raising=False)
    assert load_settings().dbt_vars(date(2025, 12, 31))["forecast_relearn_every_days"] == 7


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SIMULATIONS", "0", "forecast_simulations is 0: use 1 or more"),
        ("RELEARN_EVERY_DAYS", "0", "forecast_relearn_every_days is 0: use 1 or more"),
        ("RELEARN_EVERY_DAYS", "weekly", "FUNNELHOUSE_FORECAST_RELEARN_EVERY_DAYS='weekly'"),
    ],
)
def test_a_bad_value_names_the_setting(monkeypatch, variable, value, message):
    monkeypatch.setenv(f"FUNNELHOUSE_FORECAST_{variable}", value)
    with pytest.raises(SettingsError, match=message):
        load_settings()
