"""`funnelhouse explain-deal`: a deal's attribution audit trail as text, read from the marts.

For each conversion (pipeline, then revenue for a won deal): the touches of its path in
order with their key points, and under each touch every model's weight and the rule that
set it, as marts.attribution_credits holds them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import duckdb

CONVERSIONS = {
    "pipeline": "touches up to deal creation, splitting the amount at creation",
    "revenue": "touches up to closed won, splitting the amount at close",
}


class DealNotFoundError(LookupError):
    """No deal (or more than one) answers to the id given; the message says what to do."""


def resolve_deal_key(con: duckdb.DuckDBPyConnection, deal: str, warehouse: str) -> str:
    """The deal_key of ``deal``, given as a deal key or as the CRM's own deal id."""
    keys = [
        key
        for (key,) in con.execute(
            "select deal_key from marts.deals where deal_key = ? or deal_id = ? order by 1",
            [deal, deal],
        ).fetchall()
    ]
    if not keys:
        raise DealNotFoundError(
            f"no deal {deal!r} in marts.deals of {warehouse}: give a deal_key "
            "(<source system>:<instance>:<deal id>) or a CRM deal id; list them with "
            "`select deal_key, deal_id from marts.deals` on that warehouse"
        )
    if len(keys) > 1:
        raise DealNotFoundError(
            f"deal id {deal!r} names {len(keys)} deals ({', '.join(keys)}): give one deal_key"
        )
    return keys[0]


def explain_deal(con: duckdb.DuckDBPyConnection, deal: str, warehouse: str, currency: str) -> str:
    """The audit trail of ``deal`` as printable lines."""
    deal_key = resolve_deal_key(con, deal, warehouse)
    outcome, created, closed, excluded, at_creation, at_close = con.execute(
        "select outcome, created_at, closed_at, is_excluded_from_metrics, "
        "amount_at_creation_reporting, amount_at_close_reporting "
        "from marts.deals where deal_key = ?",
        [deal_key],
    ).fetchone()
    header = f"Deal {deal_key}: {outcome}, created {_when(created)}"
    header += f", closed {_when(closed)}" if closed else ""
    if excluded:
        return f"{header}\nDeleted or merged: attribution leaves it out."
    amounts = {"pipeline": at_creation, "revenue": at_close}
    rows = con.execute(
        "select conversion, path_position, touch_key, occurred_at, channel, source_value, "
        "campaign, key_points, model, weight, rule from marts.attribution_credits "
        "where deal_key = ? order by conversion, path_position nulls first, touch_key, model",
        [deal_key],
    ).fetchall()
    touches: dict[tuple, list[tuple]] = defaultdict(list)
    for conversion, position, touch, at, channel, source, campaign, points, *credit in rows:
        touches[(conversion, position, touch, at, channel, source, campaign, points)].append(
            tuple(credit)
        )
    lines = [header]
    for conversion, meaning in CONVERSIONS.items():
        path = [(key, credits) for key, credits in touches.items() if key[0] == conversion]
        if not path:
            continue
        lines.append(
            f"\n{conversion.capitalize()} ({meaning}: {_money(amounts[conversion], currency)}):"
        )
        for (_, position, touch, at, channel, source, campaign, points), credits in path:
            where = " / ".join(v for v in (source, campaign) if v)
            place = f"{position:>3}  {_when(at)}" if touch else "  -  (no touch)"
            lines.append(f"{place}  {channel}" + (f"  {where}" if where else ""))
            lines.append(f"       {touch or ''}" + (f"  [{points}]" if points else ""))
            lines += [f"       {model:<12}{weight:7.4f}  {rule}" for model, weight, rule in credits]
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def _money(amount: float | None, currency: str) -> str:
    return "no amount" if amount is None else f"{amount:,.2f} {currency}"
