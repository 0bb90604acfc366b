"""Market clearing: autarky and linked equilibria under link constraints.

Each jurisdiction in each compliance year is a :class:`Market`: it must abate
``required`` Mt (BAU emissions − allowances) unless it imports units, at the
marginal cost its MAC curve gives, clamped by its price floor and ceiling. Links
are directed :class:`Arc` s (a two-way link is two arcs) carrying *source units*,
each converted at ``rate`` destination units per source unit (linkage-and-article6.md,
"Linkage (002)"; issue #5, item 2), up to a per-year limit in source units.

**The method.** A competitive equilibrium of linked markets is the allocation of
abatement that minimises total abatement cost (in one currency, converted at each
jurisdiction's exchange rate) given the links and their limits — its first-order
conditions are exactly the equilibrium: an arc carries units only while the
destination's price (per source unit, ``rate × p_d``) is above the source's; at
an interior flow the two are equal; at a binding limit the gap is the limit's
*rent* per unit. Banking adds a variable per jurisdiction and year with the
Hotelling condition (discounted prices equal while units are banked). So the
clearing is one convex programme per run (per year when nobody banks):

* variables: flows per arc and year, banks per banking jurisdiction and year;
* objective: Σ discounted Φ_j(x_j), Φ_j the integral of the clamped MAC, where
  ``x_j = required + exports − rate × imports + banked now − banked before``;
* solved with SciPy's SLSQP (bounds: 0 ≤ flow ≤ limit; no market abates beyond
  its potential unless a ceiling supplies allowances), then *polished*: with the
  active set SLSQP found, the interior first-order conditions are solved with
  SciPy's ``root`` (Newton-type, exact Jacobian) to machine precision;
* flows are then made canonical with a linear programme (SciPy's ``linprog``):
  among the flows and banks that give these net positions, the least total volume —
  prices are unique, but flows round a cycle of two-way links, or between markets
  whose price is zero, are not.

**Tolerance.** The result is accepted only if every first-order condition holds
to ``TOLERANCE`` (1e-6) times (1 + the largest price), in reporting currency
per t: interior flows equalise converted prices, zero flows face a destination
price no higher than the source's, flows at a limit face one no lower. Otherwise
:class:`ClearingError` is raised (SIM-005) rather than a wrong answer.

Pure: numbers in, numbers out; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
from scipy.optimize import linprog, minimize, root

from clearinghouse.simulation.mac import Floats, MacCurve

TOLERANCE = 1e-6
#: a cost per unit on every flow and bank, relative to the largest price, that breaks
#: ties towards moving and banking less (see _optimise)
FRICTION = 1e-9


class ClearingError(Exception):
    """The optimiser did not reach an equilibrium within the tolerance."""


@dataclass(frozen=True)
class Market:
    """One jurisdiction in one compliance year (quantities in Mt, prices per t in
    the jurisdiction's currency)."""

    jurisdiction: str
    year: int
    required: float  # BAU emissions − allowances: what autarky must abate (may be < 0)
    curve: MacCurve
    fx: float = 1.0  # local currency per unit of the reporting currency
    floor: float | None = None
    ceiling: float | None = None
    #: at most this share of the obligation (the year's emissions) may be met with
    #: units arriving over ``Arc.counted`` arcs (an adapter's offset limit, K-ETS)
    foreign_share: float | None = None
    bau: float = 0.0  # Mt: what it would emit without a carbon price (for foreign_share)

    def __post_init__(self) -> None:
        if self.floor is not None and self.ceiling is not None and self.floor > self.ceiling:
            raise ValueError(f"{self.jurisdiction}: price floor above the ceiling")
        if not self.fx > 0:
            raise ValueError(f"{self.jurisdiction}: exchange rate must be positive")

    # -- the supply side, clamped by price controls --------------------------------------

    @property
    def _floor(self) -> float:
        return self.floor or 0.0

    @property
    def _x_floor(self) -> float:
        """Abatement done at the floor price whatever the requirement."""
        return self.curve.abatement(self._floor)

    @property
    def _x_ceiling(self) -> float:
        """Abatement beyond which the ceiling supplies allowances instead."""
        if self.ceiling is None:
            return self.curve.potential
        return self.curve.abatement(self.ceiling)

    @property
    def capacity(self) -> float:
        """The largest net requirement this market can meet (inf under a ceiling)."""
        return math.inf if self.ceiling is not None else self.curve.potential

    def price(self, x: float) -> float:
        """The market price when ``x`` Mt must be met by abatement (or the ceiling)."""
        if x <= self._x_floor:
            return self._floor
        if x > self._x_ceiling:
            return self.ceiling if self.ceiling is not None else math.inf
        return max(self._floor, self.curve.price(x))

    def dprice(self, x: float) -> float:
        if x < self._x_floor or (self.ceiling is not None and x >= self._x_ceiling):
            return 0.0
        return self.curve.slope_at(x)

    def value(self, x: float) -> float:
        """Φ(x) = ∫ price: the cost of meeting ``x`` (currency × Mt). Beyond the
        potential (no ceiling) it continues steeply so that an optimiser's trial
        step stays finite; the constraint keeps the solution inside."""
        f, xf, xk = self._floor, self._x_floor, self._x_ceiling
        if x <= xf:
            return f * x
        base = f * xf - self.curve.cost(xf)
        if x <= xk:
            return base + self.curve.cost(x)
        at_k = base + self.curve.cost(xk)
        steep = self.ceiling if self.ceiling is not None else 10 * self.curve.max_price + 1
        return at_k + steep * (x - xk)

    def position(self, x: float) -> Position:
        """What meeting ``x`` Mt means: price, abatement, its cost, units the ceiling
        supplied, units left unused (or withdrawn at the floor)."""
        abatement = min(max(x, self._x_floor), self._x_ceiling)
        abatement = max(abatement, 0.0)
        return Position(
            price=self.price(x),
            abatement=abatement,
            abatement_cost=self.curve.cost(abatement),
            reserve=max(0.0, x - abatement),
            surplus=max(0.0, abatement - x),
        )


@dataclass(frozen=True)
class Position:
    price: float  # local currency per t
    abatement: float  # Mt
    abatement_cost: float  # local currency × Mt (million currency units)
    reserve: float  # Mt of allowances the ceiling supplied
    surplus: float  # Mt of allowances unused (or withdrawn at the floor)


@dataclass(frozen=True)
class Arc:
    """Units flowing ``source`` → ``destination`` under link ``link``."""

    link: str
    source: str
    destination: str
    rate: float = 1.0  # destination units per source unit
    limit: float | None = None  # Mt of source units per year
    #: the units count against the destination's ``foreign_share`` (offsets there)
    counted: bool = False

    @property
    def name(self) -> str:
        return f"{self.source}->{self.destination}"


@dataclass
class Solution:
    """The cleared markets: net requirement, position, flows and banks."""

    years: list[int]
    net: dict[tuple[str, int], float]
    positions: dict[tuple[str, int], Position]
    flows: dict[tuple[str, int], float] = field(default_factory=dict)  # (arc name, year)
    banked: dict[tuple[str, int], float] = field(default_factory=dict)  # end-of-year bank
    residual: float = 0.0  # largest first-order-condition violation, reporting currency/t

    def price(self, jurisdiction: str, year: int) -> float:
        return self.positions[(jurisdiction, year)].price


@dataclass(frozen=True)
class _Var:
    kind: str  # arc | bank
    year: int
    key: str  # arc name or jurisdiction
    upper: float
    terms: tuple[tuple[int, float], ...]  # (market index, coefficient in x)
    #: (market index, units received there that count against its foreign share)
    counted: tuple[int, float] | None = None


def clear(
    markets: Sequence[Market],
    arcs: Mapping[int, Sequence[Arc]] | None = None,
    banking: Iterable[str] = (),
    discount_rate: float = 0.0,
) -> Solution:
    """Clear ``markets`` (several jurisdictions and years) linked by ``arcs`` per year.

    Without banking each year is an independent programme; with it the years of a
    run are solved together. With no arcs and no banking this is autarky: each
    market meets its own requirement."""
    arcs = arcs or {}
    banks = set(banking)
    years = sorted({m.year for m in markets})
    if banks:
        return _solve(markets, arcs, banks, discount_rate, years)
    solutions = [
        _solve([m for m in markets if m.year == y], arcs, set(), discount_rate, [y]) for y in years
    ]
    merged = Solution(years, {}, {})
    for s in solutions:
        merged.net.update(s.net)
        merged.positions.update(s.positions)
        merged.flows.update(s.flows)
        merged.residual = max(merged.residual, s.residual)
    return merged


def _solve(
    markets: Sequence[Market],
    arcs: Mapping[int, Sequence[Arc]],
    banks: set[str],
    rate: float,
    years: list[int],
) -> Solution:
    index = {(m.jurisdiction, m.year): i for i, m in enumerate(markets)}
    if len(index) != len(markets):
        raise ValueError("one market per jurisdiction and year")
    variables: list[_Var] = []
    for y in years:
        for a in arcs.get(y, ()):
            src, dst = index.get((a.source, y)), index.get((a.destination, y))
            if src is None or dst is None:
                raise ValueError(f"arc {a.name} in {y} joins a market that does not exist")
            upper = math.inf if a.limit is None else a.limit
            counted = (dst, a.rate) if a.counted else None
            variables.append(_Var("arc", y, a.name, upper, ((src, 1.0), (dst, -a.rate)), counted))
    for j in sorted(banks):
        for y, nxt in pairwise(years):
            now, later = index.get((j, y)), index.get((j, nxt))
            if now is not None and later is not None:
                variables.append(_Var("bank", y, j, math.inf, ((now, 1.0), (later, -1.0))))
    required = np.array([m.required for m in markets], dtype=np.float64)
    first = years[0]
    weight = np.array([(1 + rate) ** -(m.year - first) / m.fx for m in markets], dtype=np.float64)
    coef = np.zeros((len(markets), len(variables)))
    for k, var in enumerate(variables):
        for i, c in var.terms:
            coef[i, k] += c

    def net(v: Floats) -> Floats:
        result: Floats = required + coef @ v
        return result

    def prices(x: Floats) -> Floats:
        return np.array([m.price(float(xi)) for m, xi in zip(markets, x, strict=True)])

    shares = _foreign_shares(markets, variables, coef, required)
    if variables:
        v = _optimise(markets, variables, coef, weight, net, prices, shares)
        v = _canonical_flows(variables, coef, net(v), required, v, shares)
    else:
        v = np.zeros(0)
    x = net(v)
    held = _held_by_shares(variables, shares, v, required)
    residual = _check(markets, variables, coef, weight, x, v, prices, held)
    solution = Solution(years, {}, {}, residual=residual)
    for m, xi in zip(markets, x, strict=True):
        solution.net[(m.jurisdiction, m.year)] = float(xi)
        solution.positions[(m.jurisdiction, m.year)] = m.position(float(xi))
    for var, value in zip(variables, v, strict=True):
        target = solution.flows if var.kind == "arc" else solution.banked
        target[(var.key, var.year)] = max(0.0, float(value))
    return solution


def _optimise(
    markets: Sequence[Market],
    variables: list[_Var],
    coef: Floats,
    weight: Floats,
    net: Callable[[Floats], Floats],
    prices: Callable[[Floats], Floats],
    shares: tuple[Floats, Floats] | None,
) -> Floats:
    required = net(np.zeros(len(variables)))
    scale = float(
        sum(
            w * (abs(r) + 1.0) * (min(m.price(max(r, 0.0)), 10 * m.curve.max_price + 1) + 1.0)
            for m, w, r in zip(markets, weight, required, strict=True)
        )
    )

    # A tiny cost per unit moved or banked picks, among equally cheap solutions, the
    # one that moves and banks least: between two markets at a zero price (or round a
    # cycle) flows are otherwise arbitrary. It is a thousandth of the tolerance.
    top = max(w * m.curve.max_price for m, w in zip(markets, weight, strict=True))
    friction = FRICTION * (1.0 + top)

    def objective(v: Floats) -> float:
        x = net(v)
        costs = [w * m.value(float(xi)) for m, w, xi in zip(markets, weight, x, strict=True)]
        return float(sum(costs) + friction * v.sum())

    def gradient(v: Floats) -> Floats:
        x = net(v)
        p = np.minimum(prices(x), np.array([10 * m.curve.max_price + 1 for m in markets]))
        result: Floats = coef.T @ (weight * p) + friction
        return result

    bounds = [(0.0, None if math.isinf(v.upper) else v.upper) for v in variables]
    capped = [i for i, m in enumerate(markets) if math.isfinite(m.capacity)]
    constraints = []
    if capped:
        caps = np.array([markets[i].capacity for i in capped])
        rows = coef[capped]
        base = required[capped]
        constraints.append(
            {
                "type": "ineq",
                "fun": lambda v: caps - (base + rows @ v),
                "jac": lambda v: -rows,
            }
        )
    if shares is not None:
        rows_s, base_s = shares
        constraints.append(
            {"type": "ineq", "fun": lambda v: base_s + rows_s @ v, "jac": lambda v: rows_s}
        )
    start = np.zeros(len(variables))
    result = minimize(
        lambda v: objective(v) / scale,
        start,
        jac=lambda v: gradient(v) / scale,
        method="SLSQP",
        bounds=bounds,
        constraints=constraints,
        options={"ftol": 1e-15, "maxiter": 2000},
    )
    v = np.clip(result.x, 0.0, [b[1] if b[1] is not None else np.inf for b in bounds])
    held = _held_by_shares(variables, shares, v, required)
    return _polish(markets, variables, coef, weight, net, v, held)


def _held_by_shares(
    variables: list[_Var], shares: tuple[Floats, Floats] | None, v: Floats, required: Floats
) -> set[int]:
    """Counted arcs into a market whose foreign-share constraint binds at ``v``."""
    if shares is None:
        return set()
    rows, base = shares
    slack = base + rows @ v
    eps = 1e-7 * (1.0 + float(np.max(np.abs(required))))
    binding = np.nonzero(slack <= eps)[0]
    held = set()
    for r in binding:
        held |= {k for k in range(len(variables)) if rows[r, k] < 0 and variables[k].counted}
    return held


def _foreign_shares(
    markets: Sequence[Market], variables: list[_Var], coef: Floats, required: Floats
) -> tuple[Floats, Floats] | None:
    """Linear constraints ``base + rows @ v >= 0``: for a market with a foreign share s,
    received ≤ s × emissions, where emissions = BAU − x (x its net requirement)."""
    limited = [i for i, m in enumerate(markets) if m.foreign_share is not None]
    if not limited or not any(var.counted for var in variables):
        return None
    rows = np.zeros((len(limited), len(variables)))
    base = np.zeros(len(limited))
    for r, i in enumerate(limited):
        s = float(markets[i].foreign_share or 0.0)
        base[r] = s * (markets[i].bau - required[i])
        rows[r] = -s * coef[i]
        for k, var in enumerate(variables):
            if var.counted is not None and var.counted[0] == i:
                rows[r, k] -= var.counted[1]
    return rows, base


def _polish(
    markets: Sequence[Market],
    variables: list[_Var],
    coef: Floats,
    weight: Floats,
    net: Callable[[Floats], Floats],
    v: Floats,
    held: set[int],
) -> Floats:
    """Solve the interior first-order conditions exactly, keeping SLSQP's active set
    (``held``: flows a binding foreign-share constraint holds where they are)."""
    upper = np.array([var.upper for var in variables])
    span = 1.0 + float(np.max(np.abs(net(np.zeros(len(variables))))))
    eps = 1e-7 * span
    free = [k for k in range(len(v)) if eps < v[k] < upper[k] - eps and k not in held]
    if not free:
        return v
    fixed = v.copy()
    fixed[[k for k in range(len(v)) if v[k] <= eps]] = 0.0
    at_limit = [k for k in range(len(v)) if math.isfinite(upper[k]) and v[k] >= upper[k] - eps]
    fixed[at_limit] = upper[at_limit]
    sub = coef[:, free]

    def full(z: Floats) -> Floats:
        out = fixed.copy()
        out[free] = z
        return out

    def equations(z: Floats) -> Floats:
        x = net(full(z))
        p = np.array([m.price(float(xi)) for m, xi in zip(markets, x, strict=True)])
        result: Floats = sub.T @ (weight * p)
        return result

    def jacobian(z: Floats) -> Floats:
        x = net(full(z))
        d = np.array([m.dprice(float(xi)) for m, xi in zip(markets, x, strict=True)])
        result: Floats = sub.T @ np.diag(weight * np.where(np.isfinite(d), d, 0.0)) @ sub
        return result

    if any(not math.isfinite(m.price(float(xi))) for m, xi in zip(markets, net(v), strict=True)):
        return v
    try:
        solved = root(equations, v[free], jac=jacobian, method="hybr", options={"xtol": 1e-14})
    except (ValueError, np.linalg.LinAlgError):
        return v
    z = solved.x
    if np.any(z < -eps) or np.any(z > upper[free] + eps):
        return v
    # keep the polished point when it satisfies the conditions better (hybr may stop
    # short of its own xtol and still be far more exact than SLSQP)
    if np.max(np.abs(equations(z))) >= np.max(np.abs(equations(v[free]))):
        return v
    return np.clip(full(z), 0.0, upper)


def _canonical_flows(
    variables: list[_Var],
    coef: Floats,
    x: Floats,
    required: Floats,
    v: Floats,
    shares: tuple[Floats, Floats] | None = None,
) -> Floats:
    """Among the flows and banks that give the net positions ``x``, the ones that move
    and bank the least (a linear programme): prices are unique, flows round a cycle
    of links or between markets whose price is zero are not."""
    if len(variables) < 2:
        return v
    bounds = [(0.0, None if math.isinf(var.upper) else var.upper) for var in variables]
    result = linprog(
        np.ones(len(variables)),
        A_ub=-shares[0] if shares is not None else None,
        b_ub=shares[1] if shares is not None else None,
        A_eq=coef,
        b_eq=x - required,
        bounds=bounds,
        method="highs",
    )
    if not result.success:
        return v
    out: Floats = np.clip(result.x, 0.0, None)
    return out


def _check(
    markets: Sequence[Market],
    variables: list[_Var],
    coef: Floats,
    weight: Floats,
    x: Floats,
    v: Floats,
    prices: Callable[[Floats], Floats],
    held: set[int] | None = None,
) -> float:
    """The largest violation of the equilibrium conditions; raise above the tolerance."""
    p = prices(x)
    if not np.all(np.isfinite(p)):  # also without links: an isolated market can be short
        at = [m.jurisdiction for m, pi in zip(markets, p, strict=True) if not math.isfinite(pi)]
        raise ClearingError(
            f"{', '.join(at)} cannot meet its requirement at any price: abatement potential "
            "exhausted (give it a price ceiling or a smaller cap)"
        )
    if not variables:
        return 0.0
    gradient = coef.T @ (weight * p)
    scale = 1.0 + float(np.max(np.abs(weight * p)))
    span = 1.0 + float(np.max(np.abs(x)))
    eps = 1e-7 * span
    worst = 0.0
    for k, var in enumerate(variables):
        g = float(gradient[k])
        if var.upper <= eps:
            violation = 0.0  # a limit of zero: the variable is fixed
        elif v[k] <= eps:
            violation = max(0.0, -g)  # more flow would lower the cost
        elif (math.isfinite(var.upper) and v[k] >= var.upper - eps) or k in (held or ()):
            violation = max(0.0, g)  # less flow would lower the cost (more is not allowed)
        else:
            violation = abs(g)
        worst = max(worst, violation)
    if worst > TOLERANCE * scale:
        raise ClearingError(
            f"the markets did not clear: an equilibrium condition is off by {worst:.3g} "
            f"(tolerance {TOLERANCE * scale:.3g})"
        )
    return worst
