"""Data-driven channel credits per conversion: Markov-chain removal effects and Shapley values.

Both work on channel paths (int_attribution_channel_paths: distinct paths with counts of
conversions and non-conversions), so the work grows with the variety of paths, not with the
number of deals.

- Markov: a first-order chain over start, the channels, conversion and null, with
  transition probabilities counted from every path walked. P(conversion) is the chance of
  reaching conversion from start, solved exactly from the chain's linear equations; removing
  a channel sends every transition into it to null. RE(c) = 1 - P(conversion without c) /
  P(conversion); a channel's credit is RE(c) / the sum of RE. One (n+1)-square solve per
  channel: hundreds of channels still take moments.
- Shapley: v(S) = conversions of paths whose channel set lies within S. That game is a sum of
  unanimity games, one per channel set T with its conversions w(T) as dividend, so each
  channel's Shapley value is exactly sum over T holding it of w(T) / |T|: no enumeration of
  the 2^n coalitions, whatever the number of channels. Credit: value / the sum of values.

Learned with the paths (int_attribution_channel_paths, learned again on a cadence:
macros/learned_parameters.sql): each row carries the paths' learned_as_of and
learned_with and a fingerprint of the paths, and a run computes the credits again only
when the paths' fingerprint differs, so the runs between two learnings keep them.

A dbt Python model: dbt-duckdb runs it in-process. The numeric code is plain functions so
tests and benchmarks can import this file; it carries its own ``to_pandas`` since each
Python model is shipped on its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

PATH_SEPARATOR = " > "
COLUMNS = ["conversion", "model", "channel", "score", "credit"]
LEARNED = ["learned_as_of", "learned_with"]
PATH_COLUMNS = ["conversion", "channel_path", "conversions", "non_conversions", *LEARNED]


def to_pandas(relation: Any) -> pd.DataFrame:
    """A ``dbt.ref()`` result as pandas: DuckDB relations have ``.df()``, Snowpark and
    BigQuery DataFrames ``.to_pandas()``, Spark ones ``.toPandas()``."""
    for method in ("df", "to_pandas", "toPandas"):
        if hasattr(relation, method):
            return getattr(relation, method)()
    raise TypeError(f"cannot turn a {type(relation).__name__} into a pandas DataFrame")


def _split_paths(paths: pd.DataFrame) -> pd.DataFrame:
    """One row per path and step: path (row index), step, channel."""
    steps = paths.channel_path.str.split(PATH_SEPARATOR).rename("channel").explode()
    steps = steps.to_frame().rename_axis("path").reset_index()
    steps["step"] = steps.groupby("path").cumcount()
    return steps


def conversion_probabilities(paths: pd.DataFrame) -> tuple[float, dict[str, float]]:
    """P(conversion) of the chain, and P(conversion) with each channel removed.

    ``paths``: channel_path, conversions, non_conversions (one row per distinct path).
    """
    paths = paths.reset_index(drop=True)
    steps = _split_paths(paths)
    channels = sorted(steps.channel.unique())
    # Transient states: 0 = start, 1..n = channels; the absorbing ones are kept as vectors.
    state = {channel: i + 1 for i, channel in enumerate(channels)}
    size = len(channels) + 1
    path_of_step = steps.path.to_numpy()
    here = steps.channel.map(state).to_numpy()
    after = np.roll(here, -1)
    walkers = (paths.conversions + paths.non_conversions).to_numpy(dtype=float)[path_of_step]
    first = steps.step.to_numpy() == 0
    last = np.append(path_of_step[1:] != path_of_step[:-1], True)
    counts = np.zeros((size, size))
    np.add.at(counts, (np.zeros(first.sum(), dtype=int), here[first]), walkers[first])
    np.add.at(counts, (here[~last], after[~last]), walkers[~last])
    to_conversion = np.zeros(size)
    np.add.at(to_conversion, here[last], paths.conversions.to_numpy(dtype=float))
    to_null = np.zeros(size)
    np.add.at(to_null, here[last], paths.non_conversions.to_numpy(dtype=float))
    leaving = counts.sum(axis=1) + to_conversion + to_null
    transitions = counts / leaving[:, None]
    converting = to_conversion / leaving

    def reach(removed: int | None) -> float:
        kept = transitions.copy()
        if removed is not None:
            kept[:, removed] = 0.0  # into the removed channel means null
        return float(np.linalg.solve(np.eye(size) - kept, converting)[0])

    return reach(None), {channel: reach(state[channel]) for channel in channels}


def markov_removal_effects(paths: pd.DataFrame) -> pd.Series:
    """RE(c) = 1 - P(conversion without c) / P(conversion), per channel."""
    total, without = conversion_probabilities(paths)
    return pd.Series({channel: 1.0 - p / total for channel, p in without.items()}, dtype=float)


def shapley_values(paths: pd.DataFrame) -> pd.Series:
    """Each channel's Shapley value of v(S) = conversions of paths with channels within S."""
    steps = _split_paths(paths.reset_index(drop=True)).drop_duplicates(["path", "channel"])
    set_sizes = steps.groupby("path").channel.transform("size")
    conversions = paths.conversions.to_numpy(dtype=float)[steps.path.to_numpy()]
    return (conversions / set_sizes).groupby(steps.channel.to_numpy()).sum().astype(float)


def channel_credits(paths: pd.DataFrame) -> pd.DataFrame:
    """Both models' scores and normalised credits for every conversion in ``paths``."""
    frames = []
    for conversion, group in paths.groupby("conversion", sort=True):
        if group.conversions.sum() == 0:
            continue
        for name, scores in (
            ("markov", markov_removal_effects(group)),
            ("shapley", shapley_values(group)),
        ):
            frames.append(
                pd.DataFrame(
                    {
                        "conversion": conversion,
                        "model": name,
                        "channel": scores.index,
                        "score": scores.to_numpy(),
                        "credit": (scores / scores.sum()).to_numpy(),
                    }
                )
            )
    if not frames:
        numeric = ("score", "credit")
        return pd.DataFrame(
            {column: pd.Series(dtype=float if column in numeric else str) for column in COLUMNS}
        )
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def paths_fingerprint(paths: pd.DataFrame) -> str:
    """The paths as learned, in any order, as text: equal fingerprints, equal credits."""
    rows = pd.util.hash_pandas_object(paths[PATH_COLUMNS], index=False).to_numpy()
    return f"{len(rows)}:{int(rows.sum(dtype=np.uint64)):016x}"


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(packages=["numpy", "pandas"])
    paths = to_pandas(dbt.ref("int_attribution_channel_paths"))
    fingerprint = paths_fingerprint(paths)
    if dbt.is_incremental:
        built = to_pandas(session.sql(f"select distinct paths_fingerprint from {dbt.this}"))
        if built.paths_fingerprint.tolist() == [fingerprint]:  # learned from these paths
            return to_pandas(session.sql(f"select * from {dbt.this} limit 0"))
    # Every path carries the same learned_as_of and learned_with (one build wrote them);
    # dates, as in the paths (pandas reads them as timestamps).
    learned = paths[LEARNED].drop_duplicates()
    learned["learned_as_of"] = learned.learned_as_of.dt.date
    credits = channel_credits(paths).merge(learned, how="cross")
    return credits.assign(paths_fingerprint=fingerprint)
