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


def reopens_per_deal(visits: pd.DataFrame) -> pd.Series:
    """Moves from a closed stage back to an open one, per deal_id. The simulator counts
    them apart from n_regressions; the metric definitions count them as regressions."""
    visits = visits.sort_values(["deal_id", "visit_number"])
    closed = visits.canonical_stage.isin(["closed_won", "closed_lost"])
    came_from_closed = closed.groupby(visits.deal_id).shift(fill_value=False)
    return (came_from_closed & ~closed).groupby(visits.deal_id).sum()
