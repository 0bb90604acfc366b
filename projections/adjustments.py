"""Corresponding adjustments per Party and year, folded from the clearinghouse's log.

A first-transferring Party *adds* the ITMOs it first transferred; a using Party
*subtracts* the ITMOs it used towards its NDC (reference/linkage-and-article6.md,
"Adopted rules"). Each ``Transaction.AdjustmentRecorded`` event is one such
adjustment; this projection sums them by Party, year (of the business date)
and role, and by vintage for methods that adjust by vintage.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from projections.log import name_of

SIGN = {"first_transfer": +1, "use": -1}


def adjustments(events: Iterable[tuple[int, Any]]) -> dict[str, dict[str, dict[str, int]]]:
    """``{party: {year: {"first_transfer": t, "use": t, "net": ±t}}}`` (years as strings)."""
    table: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: {"first_transfer": 0, "use": 0, "net": 0})
    )
    for _, e in events:
        if name_of(e) != "Transaction.AdjustmentRecorded":
            continue
        row = table[e.party][str(e.year)]
        row[e.role] += e.quantity
        row["net"] += SIGN[e.role] * e.quantity
    return {p: dict(sorted(years.items())) for p, years in sorted(table.items())}


def adjustment_events(events: Iterable[tuple[int, Any]]) -> list[dict[str, Any]]:
    """Every adjustment with its log position, for tracing."""
    return [
        {
            "position": position,
            "party": e.party,
            "role": e.role,
            "year": e.year,
            "vintage": e.vintage,
            "quantity": e.quantity,
            "authorization": e.authorization,
            "blocks": [str(b) for b in e.blocks],
        }
        for position, e in events
        if name_of(e) == "Transaction.AdjustmentRecorded"
    ]
