"""Time-to-close curves for every forecast as-of date, learned only from what was known then.

Two kinds of curve, by day since the clock started:

- stage curves, per pipeline, open stage and days-in-stage band: the clock starts at a
  landmark (a past month end) for each deal then open in that stage and band, so a curve
  describes deals like the ones open now, conditioned on where they are and how long they
  have been there (a separate curve for every band pooled, ``any``, backs up thin bands);
- creation curves, per pipeline (stage ``created``, band ``any``): the clock starts when a
  deal is created, for the deals not created yet.

Won and lost are competing outcomes, and a clock still running at the as-of instant is
censored there: the Aalen-Johansen estimator gives the cumulative incidence of winning and
of losing, and Kaplan-Meier survival is the share still open. It is computed here in numpy
because a run fits about a thousand small curves and lifelines' AalenJohansenFitter costs
about 20 ms a fit whatever its size (and jitters tied times at random); the tests check
these curves against lifelines on the warehouse's data.

Past as-of dates' curves are kept between learnings and a daily run adds its own: the
model follows the open deals' learning (macros/learned_parameters.sql; ``dates_to_learn``).

A dbt Python model: dbt-duckdb runs it in-process, Snowflake, Databricks and BigQuery in
the warehouse. The numeric code is plain functions so tests and benchmarks can import this
file; each Python model is shipped on its own, so it carries its own ``to_pandas``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

CENSORED, WON, LOST = 0, 1, 2
DAY = np.timedelta64(1, "D")
ANY_BAND = "any"
CURVE_KEYS = ["pipeline_id", "start_point", "days_in_stage_band"]
COLUMNS = [
    "as_of_date",
    *CURVE_KEYS,
    "clocks",
    "closes_observed",
    "median_days_to_close",
    "day",
    "cif_won",
    "cif_lost",
    "survival",
]


def to_pandas(relation: Any) -> pd.DataFrame:
    """A ``dbt.ref()`` result as pandas: DuckDB relations have ``.df()``, Snowpark and
    BigQuery DataFrames ``.to_pandas()``, Spark ones ``.toPandas()``."""
    for method in ("df", "to_pandas", "toPandas"):
        if hasattr(relation, method):
            return getattr(relation, method)()
    raise TypeError(f"cannot turn a {type(relation).__name__} into a pandas DataFrame")


def aalen_johansen(
    durations: np.ndarray, outcomes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct times, and the cumulative incidence of winning and of losing just after each.

    At each distinct time t with n clocks still running, w wins and l losses, survival
    S(t) = S(t-) (1 - (w + l) / n) (Kaplan-Meier) and CIF_won(t) = CIF_won(t-) + S(t-) w / n.
    """
    order = np.argsort(durations, kind="stable")
    times, first, _ = np.unique(durations[order], return_index=True, return_counts=True)
    at_risk = durations.size - first
    won = np.add.reduceat((outcomes[order] == WON).astype(float), first)
    lost = np.add.reduceat((outcomes[order] == LOST).astype(float), first)
    survival = np.cumprod(1.0 - (won + lost) / at_risk)
    before = np.r_[1.0, survival[:-1]]
    return times, np.cumsum(before * won / at_risk), np.cumsum(before * lost / at_risk)


def close_curve(durations: np.ndarray, outcomes: np.ndarray, last_day: int) -> dict[str, Any]:
    """The curve on whole days 0..last_day (columns as arrays), with the median days to
    close, won or lost (null when fewer than half of the clocks are seen to close)."""
    times, won, lost = aalen_johansen(durations, outcomes)
    halved = np.searchsorted(won + lost, 0.5, side="left")
    days = np.arange(last_day + 1)
    at = np.searchsorted(times, days, side="right") - 1
    # Clipped: sums of S(t-) w / n reach 1 + 1e-16 when every clock closes one way.
    won_by, lost_by = (
        np.clip(np.where(at >= 0, curve[np.maximum(at, 0)], 0.0), 0.0, 1.0) for curve in (won, lost)
    )
    return {
        "clocks": durations.size,
        "closes_observed": int((outcomes != CENSORED).sum()),
        "median_days_to_close": times[halved] if halved < times.size else np.nan,
        "day": days,
        "cif_won": won_by,
        "cif_lost": lost_by,
        "survival": np.clip(1.0 - won_by - lost_by, 0.0, 1.0),
    }


def curve_rows(clocks: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each clock once per curve it counts in, sorted by curve number (``curve``): its own
    pipeline, start point and band and, for a stage clock, its stage's curve over all
    bands; and the curves' keys by number. Numbers follow the keys' sort order; a clock
    with a null key counts in no curve. Numbered once, the curves of every as-of date are
    runs of the rows that date knows: no grouping of millions of clocks per date."""
    keys = [
        pd.Categorical(clocks[key], categories=sorted({*clocks[key].dropna().unique(), *extra}))
        for key, extra in zip(CURVE_KEYS, ((), (), (ANY_BAND,)), strict=True)
    ]
    shape = tuple(len(key.categories) for key in keys)
    own = np.stack([key.codes.astype(np.intp) for key in keys])
    stage = (clocks.start_point != "created").to_numpy(dtype=bool)
    pooled = own[:, stage]
    pooled[2] = keys[2].categories.get_loc(ANY_BAND)
    codes = np.concatenate([own, pooled], axis=1)
    clock = np.r_[np.arange(len(clocks)), np.flatnonzero(stage)]
    keyed = (codes >= 0).all(axis=0)
    curve = np.ravel_multi_index(codes[:, keyed], shape)
    order = np.argsort(curve, kind="stable")
    columns = ["start_point", "started_at", "closed_at", "is_won"]
    rows = clocks[columns].iloc[clock[keyed][order]].assign(curve=curve[order])
    numbers = np.unique(curve)
    positions = np.unravel_index(numbers, shape)
    names = {
        key: np.asarray(category.categories)[at]
        for key, category, at in zip(CURVE_KEYS, keys, positions, strict=True)
    }
    return rows.reset_index(drop=True), pd.DataFrame(names, index=numbers)


def clocks_known_at(
    clocks: pd.DataFrame, as_of_at: pd.Timestamp, landmark_months: int
) -> pd.DataFrame:
    """The clocks started before ``as_of_at`` (landmarks: within ``landmark_months`` months
    before it) with their days run until their close, or until ``as_of_at`` if still open
    then (censored), and the outcome known then."""
    at = as_of_at.to_datetime64()
    since = (as_of_at - pd.DateOffset(months=landmark_months)).to_datetime64()
    started = clocks.started_at.to_numpy()
    creation = (clocks.start_point == "created").to_numpy(dtype=bool)
    known = clocks[(started < at) & (creation | (started >= since))]
    closed_at = known.closed_at.to_numpy()
    closed = closed_at < at
    end = np.where(closed, closed_at, at.astype(closed_at.dtype))
    won = known.is_won.to_numpy(dtype=bool)
    return known.assign(
        duration=(end - known.started_at.to_numpy()) / DAY,
        outcome=np.where(closed, np.where(won, WON, LOST), CENSORED),
    )


def curves_at(
    rows: pd.DataFrame,
    keys: pd.DataFrame,
    as_of_at: pd.Timestamp,
    landmark_months: int,
    last_day: int,
) -> pd.DataFrame:
    """Every curve as known at ``as_of_at``: one per pipeline, start point and band, and one
    per stage over all its bands (``rows`` and ``keys`` from ``curve_rows``)."""
    known = clocks_known_at(rows, as_of_at, landmark_months)
    curve = known.curve.to_numpy()
    starts = np.flatnonzero(np.diff(curve, prepend=-1))
    ends = np.r_[starts[1:], curve.size]
    duration, outcome = known.duration.to_numpy(), known.outcome.to_numpy()
    curves = [
        {**name, **close_curve(duration[first:end], outcome[first:end], last_day)}
        for name, first, end in zip(
            keys.loc[curve[starts]].to_dict("records"), starts, ends, strict=True
        )
    ]
    if not curves:
        return pd.DataFrame(columns=COLUMNS)
    # One frame from all curves' arrays: a frame per curve costs more than the estimator.
    days = last_day + 1
    return pd.DataFrame(
        {
            name: np.concatenate([curve[name] for curve in curves])
            if name in ("day", "cif_won", "cif_lost", "survival")
            else np.repeat([curve[name] for curve in curves], days)
            for name in COLUMNS[1:]
        }
    )


def forecast_curves(
    clocks: pd.DataFrame,
    forecast_dates: pd.DataFrame,
    horizon_days: pd.Series,
    landmark_months: int,
) -> pd.DataFrame:
    """Curves for each forecast as-of date, on whole days up to its horizon's end."""
    rows, keys = curve_rows(clocks)
    frames = []
    for as_of in forecast_dates.sort_values("as_of_date").itertuples():
        last_day = int(np.ceil(horizon_days[as_of.as_of_date]))
        as_of_at = pd.Timestamp(as_of.as_of_at)
        curves = curves_at(rows, keys, as_of_at, landmark_months, last_day)
        frames.append(curves.assign(as_of_date=as_of.as_of_date))
    return (
        pd.concat(frames, ignore_index=True)[COLUMNS] if frames else pd.DataFrame(columns=COLUMNS)
    )


def dates_to_learn(
    listed: pd.DataFrame, built_learnings: set | None, followed_learning: Any
) -> pd.DataFrame:
    """The as-of dates of ``listed`` (as_of_date, is_current) to build, as
    ``as_of_dates_to_learn()`` picks them in SQL for a follower: all on a whole build
    (``built_learnings`` none: else the learned_as_of values the table holds) or when the
    open deals were learned again since (``followed_learning``, their oldest learned_as_of,
    is not the table's; they are at every month end); else only the current one."""
    if built_learnings != {pd.Timestamp(followed_learning)}:
        return listed
    return listed[listed.is_current]


def oldest_learning(open_deals: Any) -> Any:
    """The open deals' oldest learned_as_of, computed in DuckDB (other warehouses' frames
    are read whole)."""
    if hasattr(open_deals, "aggregate"):
        open_deals = open_deals.aggregate("min(learned_as_of) as learned_as_of")
    return to_pandas(open_deals).learned_as_of.min()


def built_learnings(dbt: Any, session: Any) -> set | None:
    """The learned_as_of values the table holds: none on a whole build."""
    if not dbt.is_incremental:
        return None
    built = to_pandas(session.sql(f"select distinct learned_as_of from {dbt.this}"))
    return set(pd.to_datetime(built.learned_as_of))


def read_clocks(relation: Any) -> pd.DataFrame:
    """The clocks as pandas with their keys as categories: millions of rows over a few dozen
    distinct keys, so one string object per row would cost more than the curves. DuckDB
    hands them over through Arrow; other warehouses' frames are categorised after."""
    if hasattr(relation, "to_arrow_table"):
        return relation.to_arrow_table().to_pandas(strings_to_categorical=True)
    return to_pandas(relation).astype(dict.fromkeys(CURVE_KEYS, "category"))


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(packages=["numpy", "pandas"])
    landmark_months = int(dbt.config.get("landmark_months"))
    as_of_dates = to_pandas(dbt.ref("int_forecast_as_of_dates"))
    periods = to_pandas(dbt.ref("int_forecast_periods"))
    clocks = read_clocks(dbt.ref("int_forecast_close_clocks"))
    learning = oldest_learning(dbt.ref("int_forecast_open_deals"))
    forecast_dates = dates_to_learn(
        as_of_dates[as_of_dates.is_current | as_of_dates.is_backtest],
        built_learnings(dbt, session),
        learning,
    )
    horizon_days = periods.groupby("as_of_date").days_to_end.max()
    curves = forecast_curves(clocks, forecast_dates, horizon_days, landmark_months)
    return curves.assign(learned_as_of=pd.Timestamp(learning).date())
