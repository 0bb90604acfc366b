"""Synthetic covered entities drawn from a scenario's stated distributions, and cohorts.

Each sector of an ``entities`` block gives distributions for an entity's BAU
emissions, emission intensity (hence output), abatement cost and registration
attributes; :func:`draw` draws ``count`` entities with numpy's generator seeded
by the scenario's ``seed``, so a scenario file always yields the same entities.

The market clears with every synthetic entity's MAC (an exact aggregate,
:mod:`clearinghouse.simulation.mac`). In the registry an entity can stand for
itself or, with ``cohorts: N``, the entities are grouped into about N
*cohorts* — same sector and same categorical attributes, neighbouring
abatement costs — and each cohort is one covered entity in the registry, its
quantities the sums of its members' (docs/scenarios.md, "What one event
represents"). Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from clearinghouse.simulation.scenario import Choice, Dist, Entities, From, Number, Sector, Value


@dataclass(frozen=True)
class Entity:
    """One synthetic covered entity."""

    id: str
    sector: str
    base: float  # t CO2e in the first simulated year, without a carbon price
    growth: float  # BAU growth per year
    intensity: float | None  # t CO2e per unit of output
    full_cost: float  # currency/t at ``max_share`` abated
    max_share: float  # share of BAU it can abate
    attributes: dict[str, Any]  # drawn constants and categories (``From`` kept as is)
    activity: dict[str, Any]
    #: an aggregate market's BAU and full cost by year (the scenario's series)
    registry_sector: str = ""
    bau_years: dict[int, float] | None = None
    cost_years: dict[int, float] | None = None
    share_years: dict[int, float] | None = None

    def bau(self, year: int, first: int) -> float:
        if self.bau_years is not None:
            return self.bau_years[year]
        return self.base * (1 + self.growth) ** (year - first)

    def cost(self, year: int) -> float:
        return self.cost_years[year] if self.cost_years is not None else self.full_cost

    def potential(self, year: int, first: int) -> float:
        """t it can abate at most in ``year``."""
        share = self.share_years[year] if self.share_years is not None else self.max_share
        return share * self.bau(year, first)

    def output(self, year: int, first: int) -> float | None:
        return None if self.intensity is None else self.bau(year, first) / self.intensity

    def abatement(self, price: float, year: int, first: int) -> float:
        """t abated at ``price`` (linear MAC up to ``max_share`` of BAU)."""
        if price <= 0:
            return 0.0
        return min(price / self.cost(year), 1.0) * self.potential(year, first)


@dataclass
class Cohort:
    """Entities that share one covered entity in the registry."""

    id: str
    sector: str
    members: list[Entity] = field(default_factory=list)

    @property
    def categories(self) -> dict[str, Any]:
        return {k: v for k, v in self.members[0].attributes.items() if isinstance(v, str | bool)}

    def bau(self, year: int, first: int) -> float:
        return sum(e.bau(year, first) for e in self.members)

    def abatement(self, price: float, year: int, first: int) -> float:
        return sum(e.abatement(price, year, first) for e in self.members)


def _sample(rng: np.random.Generator, spec: Number, n: int) -> np.ndarray[Any, Any]:
    if not isinstance(spec, Dist):
        return np.full(n, float(spec))
    d = spec
    if d.dist == "fixed":
        out = np.full(n, float(d.value or 0))
    elif d.dist == "uniform":
        out = rng.uniform(d.low or 0, d.high or 0, n)
    elif d.dist == "normal":
        out = rng.normal(d.mean or 0, d.sd or 0, n)
    elif d.dist == "lognormal":
        out = rng.lognormal(math.log(d.median or 1), d.sigma or 0, n)
    else:
        out = rng.triangular(d.low or 0, d.mode or 0, d.high or 0, n)
    if d.min is not None or d.max is not None:
        out = np.clip(out, d.min, d.max)
    return out


def _values(rng: np.random.Generator, spec: Value, n: int) -> list[Any]:
    if isinstance(spec, Choice):
        labels = list(spec.choice)
        weights = np.array([spec.choice[k] for k in labels], dtype=float)
        picks = rng.choice(len(labels), size=n, p=weights / weights.sum())
        return [labels[i] for i in picks]
    if isinstance(spec, Dist):
        return [float(x) for x in _sample(rng, spec, n)]
    return [spec] * n  # constants, and From (resolved per year by the execution)


def _sector_counts(spec: Entities) -> list[int]:
    fixed = sum(s.count or 0 for s in spec.sectors)
    rest = spec.count - fixed
    shares = [s.share or 0.0 for s in spec.sectors]
    total = sum(shares)
    counts = [s.count or 0 for s in spec.sectors]
    if total > 0:
        raw = [rest * sh / total for sh in shares]
        floors = [math.floor(r) for r in raw]
        left = rest - sum(floors)
        order = sorted(range(len(raw)), key=lambda i: raw[i] - floors[i], reverse=True)
        for i in order[:left]:
            floors[i] += 1
        counts = [c + f if s.share is not None else c for c, f, s in
                  zip(counts, floors, spec.sectors, strict=True)]  # fmt: skip
    return counts


def draw(prefix: str, spec: Entities) -> list[Entity]:
    """``spec.count`` entities, reproducibly from ``spec.seed``."""
    rng = np.random.default_rng(spec.seed)
    out: list[Entity] = []
    for sector, n in zip(spec.sectors, _sector_counts(spec), strict=True):
        if n == 0:
            continue
        out.extend(_draw_sector(rng, prefix, sector, n, spec.growth, len(out)))
    return out


def _draw_sector(
    rng: np.random.Generator, prefix: str, s: Sector, n: int, growth: float, offset: int
) -> list[Entity]:
    base = _sample(rng, s.emissions, n)
    intensity = _sample(rng, s.intensity, n) if s.intensity is not None else None
    cost = _sample(rng, s.mac.full_cost, n)
    share = np.clip(_sample(rng, s.mac.max_share, n), 0.0, 1.0)
    attributes = {k: _values(rng, v, n) for k, v in s.attributes.items()}
    activity = {k: _values(rng, v, n) for k, v in s.activity.items()}
    if np.any(base <= 0):
        raise ValueError(f"sector {s.name}: drawn emissions must be positive (add min: …)")
    if np.any(cost <= 0):
        raise ValueError(f"sector {s.name}: drawn full_cost must be positive (add min: …)")
    if intensity is not None and np.any(intensity <= 0):
        raise ValueError(f"sector {s.name}: drawn intensity must be positive (add min: …)")
    return [
        Entity(
            id=f"{prefix}{offset + i + 1:05d}",
            sector=s.name,
            base=float(base[i]),
            growth=s.growth if s.growth is not None else growth,
            intensity=float(intensity[i]) if intensity is not None else None,
            full_cost=float(cost[i]),
            max_share=float(share[i]),
            attributes={k: v[i] for k, v in attributes.items()},
            activity={k: v[i] for k, v in activity.items()},
            registry_sector=s.registry_sector or s.name,
        )
        for i in range(n)
    ]


def cohorts(entities: list[Entity], wanted: int | None) -> list[Cohort]:
    """Group ``entities`` into about ``wanted`` cohorts (one each when None)."""
    if wanted is None or wanted >= len(entities):
        return [Cohort(_account(e.sector, i + 1), e.sector, [e]) for i, e in enumerate(entities)]
    groups: dict[tuple[Any, ...], list[Entity]] = {}
    for e in entities:
        key = (e.sector, *sorted((k, v) for k, v in e.attributes.items() if isinstance(v, str)))
        groups.setdefault(key, []).append(e)
    out: list[Cohort] = []
    counter: dict[str, int] = {}
    for members in groups.values():
        k = max(1, round(wanted * len(members) / len(entities)))
        members = sorted(members, key=lambda e: e.full_cost / max(e.max_share, 1e-9))
        for chunk in np.array_split(np.arange(len(members)), k):
            if len(chunk) == 0:
                continue
            sector = members[int(chunk[0])].sector
            counter[sector] = counter.get(sector, 0) + 1
            out.append(
                Cohort(
                    _account(sector, counter[sector]),
                    sector,
                    [members[int(i)] for i in chunk],
                )
            )
    return out


def _account(sector: str, n: int) -> str:
    """A registry account id for a cohort (A-Z, 0-9, '-', at most 64 characters)."""
    name = "".join(c if c.isalnum() else "_" for c in sector.upper())[:40] or "ENTITY"
    return f"{name}-{n:04d}"


def resolve(value: Any, quantities: dict[str, float]) -> Any:
    """A registration or activity value for one cohort-year: ``From`` fields are
    read from ``quantities`` (emissions, bau, base, output, allocation)."""
    if isinstance(value, From):
        number = quantities[value.from_] * value.times
        return round(number) if value.round else number
    return value
