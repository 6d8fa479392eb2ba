"""The data-driven models' channel credits (int_attribution_channel_credits.py) against an
independent brute force on small hand-made path sets: the Markov chain's conversion
probability by propagating probability mass step by step (the model solves the chain's
linear equations), and Shapley values by averaging marginal contributions over every order
of the channels (the model uses the game's closed form)."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise, permutations
from math import factorial

import pandas as pd
import pytest
from python_models import load_python_model

credits_model = load_python_model("attribution", "int_attribution_channel_credits")

# (channel path, conversions, non-conversions); repeats already collapsed, loops allowed.
PATHS = [
    ("paid_search > email > direct", 5, 3),
    ("paid_search > direct", 2, 6),
    ("email", 1, 4),
    ("organic_search > email > organic_search", 3, 1),
    ("direct", 0, 7),
    ("organic_search", 2, 2),
    ("email > paid_search", 0, 2),
    ("events > paid_search > email", 4, 0),
]


def _frame(paths, conversion: str = "pipeline") -> pd.DataFrame:
    return pd.DataFrame(
        [(conversion, path, conv, non) for path, conv, non in paths],
        columns=["conversion", "channel_path", "conversions", "non_conversions"],
    )


def _brute_markov_probability(paths, removed: str | None = None) -> float:
    """P(start reaches conversion), by pushing probability mass through the chain."""
    moves: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for path, conv, non in paths:
        states = ["(start)", *path.split(" > ")]
        for here, there in pairwise(states):
            moves[here][there] += conv + non
        moves[states[-1]]["(conversion)"] += conv
        moves[states[-1]]["(null)"] += non
    mass, converted = {"(start)": 1.0}, 0.0
    for _ in range(10_000):
        spread: dict[str, float] = defaultdict(float)
        for here, amount in mass.items():
            leaving = sum(moves[here].values())
            for there, count in moves[here].items():
                if there == "(conversion)":
                    converted += amount * count / leaving
                elif there not in ("(null)", removed):
                    spread[there] += amount * count / leaving
        mass = spread
        if sum(mass.values()) < 1e-15:
            return converted
    raise AssertionError("the chain did not drain")


def _brute_shapley(paths) -> dict[str, float]:
    channels = sorted({c for path, _, _ in paths for c in path.split(" > ")})

    def value(coalition: set[str]) -> float:
        return sum(conv for path, conv, _ in paths if set(path.split(" > ")) <= coalition)

    totals = dict.fromkeys(channels, 0.0)
    for order in permutations(channels):
        joined: set[str] = set()
        for channel in order:
            before = value(joined)
            joined.add(channel)
            totals[channel] += value(joined) - before
    return {channel: total / factorial(len(channels)) for channel, total in totals.items()}


def test_markov_removal_effects_equal_the_brute_force_chain():
    total = _brute_markov_probability(PATHS)
    got_total, got_without = credits_model.conversion_probabilities(_frame(PATHS))
    assert got_total == pytest.approx(total, rel=1e-9)
    effects = credits_model.markov_removal_effects(_frame(PATHS))
    assert set(effects.index) == {"paid_search", "email", "direct", "organic_search", "events"}
    for channel, effect in effects.items():
        without = _brute_markov_probability(PATHS, removed=channel)
        assert got_without[channel] == pytest.approx(without, rel=1e-9, abs=1e-12), channel
        assert effect == pytest.approx(1 - without / total, rel=1e-9, abs=1e-12), channel


def test_shapley_values_equal_the_average_over_every_order_of_the_channels():
    expected = _brute_shapley(PATHS)
    got = credits_model.shapley_values(_frame(PATHS))
    assert got.to_dict() == pytest.approx(expected, rel=1e-12)
    assert got.sum() == pytest.approx(sum(conv for _, conv, _ in PATHS))  # efficiency


def test_a_channel_only_on_failing_paths_gets_no_markov_credit():
    paths = [("paid_search", 1, 0), ("direct", 0, 1)]
    got = credits_model.channel_credits(_frame(paths)).set_index(["model", "channel"]).credit
    # P(conversion) = 1/2; without paid_search it is 0 (RE 1), without direct still 1/2.
    assert got[("markov", "paid_search")] == pytest.approx(1.0)
    assert got[("markov", "direct")] == pytest.approx(0.0)
    assert got[("shapley", "paid_search")] == pytest.approx(1.0)


def test_credits_are_per_conversion_and_sum_to_one():
    revenue = [("paid_search > email", 1, 9), ("email", 0, 5)]
    credits = credits_model.channel_credits(
        pd.concat([_frame(PATHS), _frame(revenue, "revenue")], ignore_index=True)
    )
    sums = credits.groupby(["conversion", "model"]).credit.sum()
    assert sums.to_dict() == pytest.approx(dict.fromkeys(sums.index, 1.0))
    revenue_credits = credits[credits.conversion == "revenue"].set_index(["model", "channel"])
    # One converting path holding both channels: Shapley halves it.
    assert revenue_credits.credit[("shapley", "email")] == pytest.approx(0.5)


def test_no_conversion_gives_no_credit():
    credits = credits_model.channel_credits(_frame([("email", 0, 3)]))
    assert credits.empty and list(credits.columns) == credits_model.COLUMNS
