"""The two deal pipelines and the Markov chain that moves deals through them.

Stage ids and labels are HubSpot's configuration; downstream stage-mapping seeds depend on
the exact ids, so they are constants here and nowhere else.

The chain works on canonical stage indices 0-4 (open: prospecting ... proposal_negotiation),
5 (closed_won) and 6 (closed_lost). From an open stage a deal is lost, advances one stage,
skips one (from demo_trial a skip lands on closed_won) or regresses one. A closed deal is
reopened with a small probability (won -> proposal_negotiation, lost -> qualification);
otherwise it stays closed for good (column ABSORB). Each deal belongs to one attention class
(neglected / normal / worked): attention scales the chance of losing and the dwell times,
so worked deals move faster and win more often.

truth_stage_win_probabilities is defined as: for deals created in prospecting, the share of
those that ever enter stage s which end up closed_won for good, with no time limit. Per
attention class k it is x_k(s) = P(absorbed won | at s) and the chance h_k(s) of ever
reaching s from prospecting; the mix is sum_k w_k h_k(s) x_k(s) / sum_k w_k h_k(s). Both come
from linear systems on the transition matrices below; a very large world's deals created in
prospecting converge to it once they are resolved (the two-year horizon censors slow deals).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestion.simulator.schema import CANONICAL_STAGES

N_OPEN = 5
WON = 5
LOST = 6
ABSORB = 7  # "stays closed for good": not a stage, ends the simulation of a deal
N_STAGES = len(CANONICAL_STAGES)

PROSPECTING, CONTACT_NURTURE, QUALIFICATION, DEMO_TRIAL, PROPOSAL = range(N_OPEN)

# Attention classes: neglected, normal, worked.
ATTENTION_SHARES = np.array([0.25, 0.50, 0.25])
ATTENTION_LOST_FACTOR = np.array([1.5, 1.0, 0.6])
ATTENTION_DWELL_FACTOR = np.array([6.0, 1.0, 0.55])

REOPEN_WON = 0.015
REOPEN_LOST = 0.025
REOPEN_WON_TO = PROPOSAL
REOPEN_LOST_TO = QUALIFICATION

FORECAST_CATEGORY = ("PIPELINE", "PIPELINE", "PIPELINE", "BEST_CASE", "COMMIT", "CLOSED", "OMIT")


@dataclass(frozen=True)
class Pipeline:
    """One HubSpot pipeline and the parameters of its generating chain."""

    id: str
    label: str
    display_order: int
    stage_ids: tuple[str, ...]  # by canonical index
    stage_labels: tuple[str, ...]
    probabilities: tuple[str, ...]  # HubSpot stage metadata, strings
    share: float  # of all deals
    start_probs: tuple[float, ...]  # P(created in open stage s)
    lost: tuple[float, ...]  # per open stage, normal attention
    skip: tuple[float, ...]
    regress: tuple[float, ...]
    dwell_days: tuple[float, ...]  # median dwell per open stage, normal attention
    amount_median_usd: float
    amount_sigma: float
    deal_suffix: str


DEFAULT = Pipeline(
    id="default",
    label="New Business",
    display_order=0,
    stage_ids=(
        "prospect",
        "contacted",
        "qualifiedtobuy",
        "presentationscheduled",
        "contractsent",
        "closedwon",
        "closedlost",
    ),
    stage_labels=(
        "Prospect",
        "Contacted",
        "Qualified to Buy",
        "Presentation Scheduled",
        "Contract Sent",
        "Closed Won",
        "Closed Lost",
    ),
    probabilities=("0.1", "0.2", "0.4", "0.6", "0.8", "1.0", "0.0"),
    share=0.75,
    start_probs=(0.80, 0.06, 0.10, 0.04, 0.0),
    lost=(0.20, 0.18, 0.20, 0.22, 0.38),
    skip=(0.08, 0.08, 0.08, 0.08, 0.0),
    regress=(0.0, 0.05, 0.05, 0.05, 0.05),
    dwell_days=(6.0, 9.0, 13.0, 15.0, 18.0),
    amount_median_usd=24_000.0,
    amount_sigma=0.85,
    deal_suffix="New Business",
)

EXPANSION = Pipeline(
    id="7654321",
    label="Expansion",
    display_order=1,
    stage_ids=("1001", "1002", "1003", "1004", "1005", "1006", "1007"),
    stage_labels=(
        "Discovery",
        "Engaged",
        "Qualified",
        "Trial",
        "Proposal",
        "Closed Won",
        "Closed Lost",
    ),
    probabilities=("0.1", "0.3", "0.5", "0.7", "0.9", "1.0", "0.0"),
    share=0.25,
    start_probs=(0.55, 0.10, 0.25, 0.10, 0.0),
    lost=(0.12, 0.10, 0.12, 0.14, 0.25),
    skip=(0.08, 0.08, 0.08, 0.08, 0.0),
    regress=(0.0, 0.05, 0.05, 0.05, 0.05),
    dwell_days=(5.0, 7.0, 10.0, 12.0, 14.0),
    amount_median_usd=9_000.0,
    amount_sigma=0.75,
    deal_suffix="Expansion",
)

PIPELINES = (DEFAULT, EXPANSION)
DWELL_SIGMA = 0.85
REOPEN_DELAY_DAYS = 20.0


def transition_matrix(p: Pipeline, attention: int) -> np.ndarray:
    """Rows: stages 0-6; columns: next stage 0-6 or ABSORB. Rows sum to 1."""
    m = np.zeros((N_STAGES, ABSORB + 1))
    factor = ATTENTION_LOST_FACTOR[attention]
    for s in range(N_OPEN):
        lost = min(p.lost[s] * factor, 0.95)
        # The non-losing moves keep their relative weights when attention changes the loss.
        scale = (1.0 - lost) / (1.0 - p.lost[s])
        skip, regress = p.skip[s] * scale, p.regress[s] * scale
        m[s, LOST] = lost
        m[s, min(s + 2, WON)] += skip
        if s > 0:
            m[s, s - 1] += regress
        m[s, s + 1] += 1.0 - lost - skip - regress
    m[WON, REOPEN_WON_TO] = REOPEN_WON
    m[WON, ABSORB] = 1.0 - REOPEN_WON
    m[LOST, REOPEN_LOST_TO] = REOPEN_LOST
    m[LOST, ABSORB] = 1.0 - REOPEN_LOST
    return m


def cumulative_transitions() -> np.ndarray:
    """Cumulative transition rows, shape (pipeline, attention, stage, next), for sampling."""
    cum = np.stack(
        [
            np.stack([transition_matrix(p, k) for k in range(len(ATTENTION_SHARES))])
            for p in PIPELINES
        ]
    ).cumsum(axis=-1)
    cum[..., -1] = 1.0  # guard against rounding: every draw lands somewhere
    return cum


def _absorbed_won(m: np.ndarray) -> np.ndarray:
    """P(closed_won for good | currently at stage), for every stage."""
    q = m[:, :N_STAGES]
    won_for_good = np.zeros(N_STAGES)
    won_for_good[WON] = m[WON, ABSORB]
    return np.linalg.solve(np.eye(N_STAGES) - q, won_for_good)


def _hits_from_prospecting(m: np.ndarray, target: int) -> float:
    """P(ever entering target | created in prospecting)."""
    if target == PROSPECTING:
        return 1.0
    a = np.eye(N_STAGES) - m[:, :N_STAGES]
    b = np.zeros(N_STAGES)
    a[target] = 0.0
    a[target, target] = 1.0
    b[target] = 1.0
    return float(np.linalg.solve(a, b)[PROSPECTING])


def win_probabilities(p: Pipeline) -> list[float]:
    """Exact P(eventually won | entered s) per open stage, for deals created in prospecting."""
    out = []
    for s in range(N_OPEN):
        num = den = 0.0
        for k, w in enumerate(ATTENTION_SHARES):
            m = transition_matrix(p, k)
            h = _hits_from_prospecting(m, s)
            num += w * h * _absorbed_won(m)[s]
            den += w * h
        out.append(num / den)
    return out
