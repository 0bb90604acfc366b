"""Marginal abatement cost (MAC) curves: how much a market abates at a carbon price.

Every curve here is a sum of *linear pieces*: piece ``i`` abates at marginal cost
``slope_i × a`` (currency per t, with ``a`` in Mt) until it reaches its
potential ``potential_i`` (Mt), after which it can abate no more. That covers the
three forms a scenario uses:

* a jurisdiction's linear MAC (issue #5: "marginal abatement cost in currency/t
  = slope × abatement in Mt"), one piece whose potential is its BAU emissions
  (nothing can abate more than it emits);
* the aggregate of covered entities' MACs: entity ``e`` with BAU emissions
  ``E`` (Mt) whose marginal cost reaches ``c`` (currency/t) when it has abated
  all of ``E`` is the piece ``slope = c / E``, ``potential = E``;
* an offset supply under a limit: one piece whose potential is the smaller of
  the supply and the limit.

The aggregate is exact, not fitted: supply at a price is the sum of each piece's
supply, and the price of a given abatement is found by inverting that
piecewise-linear sum on its breakpoints. Pure arithmetic on floats (Mt and
currency per t), vectorised with numpy so that thousands of entities cost one
sort; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Piece:
    """One linear piece: marginal cost ``slope × a`` (currency/t, ``a`` in Mt)
    up to ``potential`` Mt."""

    slope: float
    potential: float

    def __post_init__(self) -> None:
        if not self.slope > 0 or not math.isfinite(self.slope):
            raise ValueError(f"a MAC slope must be positive and finite, not {self.slope}")
        if not self.potential >= 0:
            raise ValueError(f"an abatement potential cannot be negative ({self.potential})")

    @property
    def top(self) -> float:
        """The marginal cost at which the piece is exhausted."""
        return self.slope * self.potential


class MacCurve:
    """A sum of linear pieces, with its supply, inverse and cost in closed form."""

    def __init__(self, pieces: Iterable[Piece]) -> None:
        items = [p for p in pieces if p.potential > 0]
        if not items:
            raise ValueError("a MAC curve needs at least one piece with a positive potential")
        self.pieces = tuple(items)
        slope = np.array([p.slope for p in items], dtype=np.float64)
        potential = np.array([p.potential for p in items], dtype=np.float64)
        top = slope * potential
        order = np.argsort(top, kind="stable")
        self._top: Floats = top[order]
        inverse = 1.0 / slope[order]
        pot = potential[order]
        n = len(items)
        # pieces k.. are still abating at a price below top[k]: their 1/slope summed;
        # pieces ..k-1 are exhausted: their potentials (and potential × top / 2) summed
        self._inv_after: Floats = np.concatenate([np.cumsum(inverse[::-1])[::-1], [0.0]])
        self._pot_before: Floats = np.concatenate([[0.0], np.cumsum(pot)])
        self._half_before: Floats = np.concatenate([[0.0], np.cumsum(pot * self._top / 2)])
        # supply at each breakpoint, for inverting
        self._supply_at_top: Floats = self._top * self._inv_after[1 : n + 1] + self._pot_before[1:]
        self.potential = float(self._pot_before[-1])
        self.max_price = float(self._top[-1])

    # -- supply ---------------------------------------------------------------------------

    def _k(self, price: float) -> int:
        """How many pieces are exhausted at ``price``."""
        return int(np.searchsorted(self._top, price, side="right"))

    def abatement(self, price: float) -> float:
        """Mt abated by every piece whose marginal cost is at most ``price``."""
        if price <= 0:
            return 0.0
        k = self._k(price)
        return float(price * self._inv_after[k] + self._pot_before[k])

    def area(self, price: float) -> float:
        """∫₀^price abatement(q) dq: the producer-surplus side of the cost."""
        if price <= 0:
            return 0.0
        k = self._k(price)
        return float(
            price * price / 2 * self._inv_after[k]
            + price * self._pot_before[k]
            - self._half_before[k]
        )

    # -- inverse and cost ---------------------------------------------------------------------

    def price(self, abatement: float) -> float:
        """The marginal cost of abating ``abatement`` Mt (inf beyond the potential)."""
        if abatement <= 0:
            return 0.0
        if abatement > self.potential * (1 + 1e-12):
            return math.inf
        k = int(np.searchsorted(self._supply_at_top, abatement, side="left"))
        if k >= len(self._top):
            return self.max_price
        return float((abatement - self._pot_before[k]) / self._inv_after[k])

    def slope_at(self, abatement: float) -> float:
        """d price / d abatement at ``abatement`` (from the right)."""
        if abatement < 0:
            return 0.0
        if abatement >= self.potential:
            return math.inf
        k = int(np.searchsorted(self._supply_at_top, abatement, side="right"))
        return float(1.0 / self._inv_after[k]) if k < len(self._top) else math.inf

    def cost(self, abatement: float) -> float:
        """Total cost of abating ``abatement`` Mt the cheapest way: ∫₀^a price(s) ds,
        in currency × Mt (= million currency units when prices are per t)."""
        if abatement <= 0:
            return 0.0
        p = self.price(abatement)
        if math.isinf(p):
            return math.inf
        return abatement * p - self.area(p)


def linear(slope: float, potential: float) -> MacCurve:
    """The issue's linear MAC: price = slope × abatement (Mt), up to ``potential``."""
    return MacCurve([Piece(slope, potential)])


def entities(
    bau: Iterable[float], full_cost: Iterable[float], max_share: Iterable[float] | None = None
) -> MacCurve:
    """The aggregate of covered entities' linear MACs.

    Entity ``e`` emits ``bau[e]`` Mt without a carbon price and can abate up to
    ``max_share[e]`` of it (default all); its marginal cost rises linearly to
    ``full_cost[e]`` (currency/t) at that point."""
    baus = list(bau)
    costs = list(full_cost)
    shares = list(max_share) if max_share is not None else [1.0] * len(baus)
    if not len(baus) == len(costs) == len(shares):
        raise ValueError("bau, full_cost and max_share must have one value per entity")
    return MacCurve(
        Piece(c / (b * s), b * s) for b, c, s in zip(baus, costs, shares, strict=True) if b * s > 0
    )


def combine(*curves: MacCurve) -> MacCurve:
    """Several sources of abatement in one market (domestic abatement and offsets, say)."""
    return MacCurve(p for c in curves for p in c.pieces)
