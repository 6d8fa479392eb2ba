"""Helpers for comparing warehouse tables with the simulator's ground truth."""

from __future__ import annotations

import pandas as pd


def naive_utc(series: pd.Series) -> pd.Series:
    """Timestamps as naive UTC microseconds, the warehouse's convention."""
    series = pd.to_datetime(series)
    if series.dt.tz is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series.astype("datetime64[us]")


def month_start(series: pd.Series) -> pd.Series:
    """The first day of each timestamp's UTC month (the default reporting time zone)."""
    return naive_utc(series).dt.to_period("M").dt.start_time.dt.date
