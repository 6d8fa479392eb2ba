"""The exact win probabilities agree with simulating the generating chain itself."""

import numpy as np
import pytest

from ingestion.simulator.pipelines import (
    ABSORB,
    ATTENTION_SHARES,
    N_OPEN,
    PIPELINES,
    PROSPECTING,
    WON,
    cumulative_transitions,
    transition_matrix,
    win_probabilities,
)


@pytest.mark.parametrize("pipe", PIPELINES, ids=lambda p: p.id)
def test_transition_rows_are_distributions(pipe):
    for k in range(len(ATTENTION_SHARES)):
        m = transition_matrix(pipe, k)
        assert (m >= 0).all()
        assert np.allclose(m.sum(axis=1), 1.0)


@pytest.mark.parametrize("p_index", range(len(PIPELINES)))
def test_win_probabilities_match_a_monte_carlo_of_the_chain(p_index):
    """Walk 200,000 deals created in prospecting through the chain, ignoring time."""
    rng = np.random.default_rng(0)
    n = 200_000
    cum = cumulative_transitions()[p_index]
    attention = rng.choice(len(ATTENTION_SHARES), size=n, p=ATTENTION_SHARES)
    state = np.full(n, PROSPECTING)
    entered = np.zeros((n, N_OPEN), dtype=bool)
    entered[:, PROSPECTING] = True
    won_for_good = np.zeros(n, dtype=bool)
    active = np.arange(n)
    while active.size:
        nxt = (rng.random(active.size)[:, None] >= cum[attention[active], state[active]]).sum(
            axis=1
        )
        absorbed = nxt == ABSORB
        won_for_good[active[absorbed]] = state[active[absorbed]] == WON
        active, nxt = active[~absorbed], nxt[~absorbed]
        state[active] = nxt
        open_ = nxt < N_OPEN
        entered[active[open_], nxt[open_]] = True
    exact = win_probabilities(PIPELINES[p_index])
    for s in range(N_OPEN):
        assert won_for_good[entered[:, s]].mean() == pytest.approx(exact[s], abs=0.006)
