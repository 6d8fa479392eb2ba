"""Monte Carlo revenue ranges per as-of date, forecast period and grain.

Each draw decides every open deal's fate at once: won in one of the forecast periods (with
its time-aware probabilities, int_deal_period_win_probabilities) or not won within them.
Revenue is summed per owner cell (pipeline x team x owner) in every draw, and the team,
pipeline and total of the same draw are sums of those cells, so every grain's P10 / P50 /
P90 comes from the same draws. A fiscal quarter whose remaining months all lie within the
forecast periods gets rows of its own (``period_type`` fiscal_quarter): each draw's
revenue summed over those months, then its quantiles (quantiles never add up). Draws are
made a chunk of simulations at a time, so no deals x simulations matrix is ever held whole;
they are drawn simulation by simulation from one generator seeded with (var forecast_seed,
as-of date), so a seed gives the same results whatever the chunk size.

Incremental by as-of date: each date's rows carry a fingerprint of what its draws depend on
(its deal periods, as int_deal_period_fingerprints hashes them in the warehouse, the number
of draws, the seed), and a build reads and draws again only the dates whose fingerprint
changed: the run's own date, and the past month ends when their periods were learned
again. The post-hook drops the dates that left the forecast.

A dbt Python model: dbt-duckdb runs it in-process, Snowflake, Databricks and BigQuery in
the warehouse. The numeric code is plain functions so tests and benchmarks can import this
file; each Python model is shipped on its own, so it carries its own ``to_pandas``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

QUANTILES = (0.1, 0.5, 0.9)
LEVELS = ("owner", "team", "pipeline", "total")
CELL_COLUMNS = ["pipeline_id", "team_name", "owner_key"]
SUMMARY_COLUMNS = [
    "as_of_date",
    "period_type",
    "period_number",
    "fiscal_year",
    "fiscal_quarter",
    "aggregation_level",
    *CELL_COLUMNS,
    "deals",
    "simulations",
    "expected_amount",
    "mean_amount",
    "p10_amount",
    "p50_amount",
    "p90_amount",
]
COLUMNS = [*SUMMARY_COLUMNS, "input_fingerprint"]
# Deal-draw pairs handled at once (about 4 MB of draws and 8 MB of indices, small enough
# to stay in cache), whatever the number of deals.
CHUNK_ELEMENTS = 500_000


def to_pandas(relation: Any) -> pd.DataFrame:
    """A ``dbt.ref()`` result as pandas: DuckDB relations have ``.df()``, Snowpark and
    BigQuery DataFrames ``.to_pandas()``, Spark ones ``.toPandas()``."""
    for method in ("df", "to_pandas", "toPandas"):
        if hasattr(relation, method):
            return getattr(relation, method)()
    raise TypeError(f"cannot turn a {type(relation).__name__} into a pandas DataFrame")


def simulate_cell_revenue(
    probabilities: np.ndarray,
    amounts: np.ndarray,
    cells: np.ndarray,
    n_cells: int,
    simulations: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Revenue of each cell in each draw and period, shape (periods, simulations, cells).

    ``probabilities`` is (deals, periods): each deal's chance of being won in each period
    (a row sums to at most 1); ``cells`` holds each deal's cell. One uniform draw per deal
    and simulation picks the period it is won in, or none (index ``periods``); one
    weighted count per chunk then adds up the amounts by draw, cell and period.
    """
    n_deals, n_periods = probabilities.shape
    upper = np.cumsum(probabilities, axis=1).astype(np.float32)
    slots = n_periods + 1
    revenue = np.zeros((n_periods, simulations, n_cells))
    chunk = max(1, CHUNK_ELEMENTS // max(n_deals, 1))
    # Per chunk row (a draw): its first bin; per deal: its cell's first slot.
    draw_bins = (np.arange(chunk) * (n_cells * slots))[:, None]
    cell_slots = cells.astype(np.int64) * slots
    weights = np.tile(amounts.astype(float), chunk)
    for first in range(0, simulations, chunk):
        size = min(chunk, simulations - first)
        draws = rng.random((size, n_deals), dtype=np.float32)
        slot = (draws >= upper[:, 0]).astype(np.int64)
        for period in range(1, n_periods):
            slot += draws >= upper[:, period]
        slot += cell_slots
        slot += draw_bins[:size]
        sums = np.bincount(
            slot.ravel(), weights=weights[: slot.size], minlength=size * n_cells * slots
        )
        by_period = sums.reshape(size, n_cells, slots)[..., :n_periods]
        revenue[:, first : first + size] = by_period.transpose(2, 0, 1)
    return revenue


def group_starts(keys: pd.DataFrame) -> np.ndarray:
    """Index of the first row of each run of equal rows in sorted ``keys``."""
    if keys.shape[1] == 0:
        return np.zeros(1, dtype=np.intp)
    keys = keys.fillna("")
    changed = (keys != keys.shift()).any(axis=1).to_numpy()
    changed[0] = True
    return np.flatnonzero(changed)


def summarise(
    revenue: np.ndarray, expected: np.ndarray, deals: np.ndarray, cells: pd.DataFrame
) -> pd.DataFrame:
    """Mean, quantiles and analytic expectation per period at every grain, each grain's
    per-draw revenue being the sum of its owner cells' revenue in that same draw. One
    period and grain at a time, so only one draws x cells matrix is copied at once."""
    frames = []
    for level, depth in zip(LEVELS, (3, 2, 1, 0), strict=True):
        keys = cells[CELL_COLUMNS[:depth]]
        starts = group_starts(keys)
        for period in range(revenue.shape[0]):
            draws = revenue[period]
            if starts.size < cells.shape[0]:
                draws = np.add.reduceat(draws, starts, axis=1)
            quantiles = np.quantile(draws, QUANTILES, axis=0)
            frame = keys.iloc[starts].reset_index(drop=True).reindex(columns=CELL_COLUMNS)
            frame.insert(0, "period_number", period + 1)
            frame.insert(1, "aggregation_level", level)
            frame["deals"] = np.add.reduceat(deals[period], starts)
            frame["simulations"] = revenue.shape[1]
            frame["expected_amount"] = np.add.reduceat(expected[period], starts)
            frame["mean_amount"] = draws.mean(axis=0)
            for at, name in enumerate(("p10_amount", "p50_amount", "p90_amount")):
                frame[name] = quantiles[at]
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def quarter_periods(periods: pd.DataFrame) -> list[tuple[int, int, list[int]]]:
    """(fiscal year, fiscal quarter, period indices) of each quarter whose last month is
    among ``periods`` (one row per period, in order): the rest of it is forecast whole."""
    quarters = []
    for (year, quarter), months in periods.groupby(["fiscal_year", "fiscal_quarter"], sort=True):
        if (months.fiscal_month == quarter * 3).any():
            quarters.append((int(year), int(quarter), months.index.tolist()))
    return quarters


def summarise_quarters(
    revenue: np.ndarray,
    expected: np.ndarray,
    probabilities: np.ndarray,
    cell_starts: np.ndarray,
    cells: pd.DataFrame,
    periods: pd.DataFrame,
) -> pd.DataFrame:
    """The fiscal-quarter rows: each draw's revenue summed over the quarter's periods."""
    frames = []
    for year, quarter, at in quarter_periods(periods):
        chance = probabilities[:, at].sum(axis=1, keepdims=True)
        counts = np.add.reduceat((chance > 0).astype(np.int64), cell_starts, axis=0).T
        frame = summarise(
            revenue[at].sum(axis=0, keepdims=True),
            expected[at].sum(axis=0, keepdims=True),
            counts,
            cells,
        )
        frame["period_number"] = at[0] + 1
        frames.append(frame.assign(fiscal_year=year, fiscal_quarter=quarter))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def simulate_as_of(
    deal_periods: pd.DataFrame, simulations: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Monte Carlo summary of one as-of date's open deals (one row per deal and period),
    per fiscal month and per fiscal quarter forecast whole."""
    deals = (
        deal_periods.drop_duplicates("deal_key")
        .sort_values([*CELL_COLUMNS, "deal_key"])
        .reset_index(drop=True)
    )
    wide = deal_periods.pivot(index="deal_key", columns="period_number", values="win_probability")
    probabilities = wide.sort_index(axis=1).loc[deals.deal_key].fillna(0.0).to_numpy(dtype=float)
    amounts = deals.amount_reporting.to_numpy(dtype=float)
    cell_starts = group_starts(deals[CELL_COLUMNS])
    cells_of_deals = np.repeat(np.arange(cell_starts.size), np.diff(np.r_[cell_starts, len(deals)]))
    revenue = simulate_cell_revenue(
        probabilities, amounts, cells_of_deals, cell_starts.size, simulations, rng
    )
    expected = np.add.reduceat(probabilities * amounts[:, None], cell_starts, axis=0).T
    counts = np.add.reduceat((probabilities > 0).astype(np.int64), cell_starts, axis=0).T
    cells = deals[CELL_COLUMNS].iloc[cell_starts].reset_index(drop=True)
    periods = (
        deal_periods.drop_duplicates("period_number")
        .sort_values("period_number")
        .reset_index(drop=True)
    )
    months = summarise(revenue, expected, counts, cells)
    fiscal = periods.set_index(periods.index + 1)[["fiscal_year", "fiscal_quarter"]]
    months = months.join(fiscal, on="period_number")
    quarters = summarise_quarters(revenue, expected, probabilities, cell_starts, cells, periods)
    return pd.concat(
        [months.assign(period_type="fiscal_month"), quarters.assign(period_type="fiscal_quarter")],
        ignore_index=True,
    )


def seeded(seed: int, as_of_date: date) -> np.random.Generator:
    """The generator of one as-of date: the same seed and date always draw the same."""
    return np.random.default_rng(np.random.SeedSequence([seed, as_of_date.toordinal()]))


def simulate_forecast(
    deal_periods: pd.DataFrame, as_of_date: date, simulations: int, seed: int
) -> pd.DataFrame:
    """Monte Carlo summary of one as-of date's deal periods, with the date."""
    summary = simulate_as_of(deal_periods, simulations, seeded(seed, as_of_date))
    summary.insert(0, "as_of_date", as_of_date)
    return summary[SUMMARY_COLUMNS]


def simulate_forecasts(deal_periods: pd.DataFrame, simulations: int, seed: int) -> pd.DataFrame:
    """Monte Carlo summaries for every as-of date in ``deal_periods``."""
    frames = [
        simulate_forecast(group, pd.Timestamp(as_of_date).date(), simulations, seed)
        for as_of_date, group in deal_periods.groupby("as_of_date", sort=True)
    ]
    if not frames:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def read_deal_periods(relation: Any) -> pd.DataFrame:
    """The deal periods as pandas, each distinct string one object: a million deals' keys,
    owners and teams repeated per period would otherwise be millions of string objects,
    most of the model's memory. DuckDB hands them over through Arrow (strings as
    categories, then plain columns sharing the categories' objects, so sorting and
    grouping are the same as ever); other warehouses' frames come as they are."""
    if not hasattr(relation, "to_arrow_table"):
        return to_pandas(relation)
    frame = relation.to_arrow_table().to_pandas(strings_to_categorical=True, date_as_object=False)
    strings = frame.columns[frame.dtypes == "category"]
    return frame.astype(dict.fromkeys(strings, object))


def built_fingerprints(dbt: Any, session: Any) -> dict[date, str]:
    """The fingerprint of each as-of date the table holds: none on a full build, nor from a
    table built before the fingerprints were (its dates are all drawn again, and
    on_schema_change adds the column)."""
    if not dbt.is_incremental:
        return {}
    if "input_fingerprint" not in to_pandas(session.sql(f"select * from {dbt.this} limit 0")):
        return {}
    built = to_pandas(session.sql(f"select distinct as_of_date, input_fingerprint from {dbt.this}"))
    return {
        pd.Timestamp(day).date(): fingerprint
        for day, fingerprint in zip(built.as_of_date, built.input_fingerprint, strict=True)
    }


def input_fingerprints(periods: pd.DataFrame, simulations: int, seed: int) -> dict[date, str]:
    """Each as-of date's fingerprint of what its draws depend on, from the dates' rows of
    int_deal_period_fingerprints: the number of draws, the seed and its deal periods."""
    return {
        pd.Timestamp(day).date(): f"{simulations}:{seed}:{int(count)}:{rows_hash}"
        for day, count, rows_hash in zip(
            periods.as_of_date, periods.deal_periods, periods.rows_hash, strict=True
        )
    }


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(packages=["numpy", "pandas"])
    simulations = int(dbt.config.get("simulations"))
    seed = int(dbt.config.get("seed"))
    deal_periods = dbt.ref("int_deal_period_win_probabilities")
    fingerprints = input_fingerprints(
        to_pandas(dbt.ref("int_deal_period_fingerprints")), simulations, seed
    )
    built = built_fingerprints(dbt, session)
    frames = []
    # One changed as-of date read at a time: the draws are per date, and so is the memory.
    for as_of_date, fingerprint in sorted(fingerprints.items()):
        if built.get(as_of_date) == fingerprint:
            continue
        group = read_deal_periods(deal_periods.filter(f"as_of_date = '{as_of_date.isoformat()}'"))
        summary = simulate_forecast(group, as_of_date, simulations, seed)
        frames.append(summary.assign(input_fingerprint=fingerprint))
    if frames:
        return pd.concat(frames, ignore_index=True)
    if built:  # nothing changed: no rows, in the table's own types
        return to_pandas(session.sql(f"select * from {dbt.this} limit 0"))
    return pd.DataFrame(columns=COLUMNS)
