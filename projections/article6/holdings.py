"""Holdings per registry and Party, from the Article 6 view's lots.

Current state (the end of the log): for each holding registry and the Party
it answers to, units by originating serial space and status (active,
surrendered, retired, cancelled, converted), with the ITMOs among them counted
apart. Table 3 of the AEF asks the same question at a date and for ITMOs only
(:mod:`projections.article6.aef`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from projections.article6.view import Article6View


def holdings(view: Article6View) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
    """``{party: {registry: {"REG:TYPE": {status: units, "itmo:<status>": units}}}}``."""
    table: dict[str, dict[str, dict[str, dict[str, int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    )
    for block, lot in view.lots():
        status = "converted" if lot.superseded else (lot.end.status if lot.end else "active")
        cell = table[view.party_of.get(lot.holder, "?")][lot.holder][
            f"{block.registry}:{block.unit_type}"
        ]
        cell[status] += block.count
        if lot.itmo:
            cell[f"itmo:{status}"] += block.count
    plain: dict[str, dict[str, dict[str, dict[str, int]]]] = _plain(table)
    return plain


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    return value
