"""Free allocation in China's national ETS: pure functions, no I/O.

Power (china-ets.md, "Allocation — power"; seed 004 L159, L256–284):

* pre-allocation = 70% of the previous year's verified emissions (L159, L260);
* final allocation = benchmark × output, per generating unit: electricity
  supplied (MWh) × electricity benchmark + heat supplied (GJ) × heat benchmark
  (L258, L284). **[GK]** The per-unit form follows the 2021–22 allocation plan;
  the digest marks it general knowledge, so a unit's activity is an explicit
  input and an entity may report one unit (flat activity) or several;
* relief, per cycle (L166, L449): a gas unit whose formula gives less than its
  verified emissions is topped up to them (cycles 3–4); a coal unit whose
  formula gives less than 80% of its verified emissions is raised to 80%
  (cycles 3–4: the "20% gap cap").

Steel, cement, aluminium (L159, L288–292): the 2024 allocation equals verified
emissions; 2025–2026 intensity-based and the tightening from 2027 have no
numbers in the sources and are not modelled.

Rounding: every allocation is rounded down to whole tonnes (a registry cannot
issue part of a unit), per unit before summing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.china.benchmarks import COAL, GAS, Benchmark
from adapters.china.cycles import Cycle
from adapters.compliance import floor, percent

#: pre-allocation share of the previous year's verified emissions (L159, L260)
PRE_ALLOCATION_SHARE = percent(70)


def pre_allocation(previous_year_verified: int) -> int:
    """70% of the previous year's verified emissions, rounded down (L159, L260)."""
    return floor(previous_year_verified * PRE_ALLOCATION_SHARE)


class UnitActivity(BaseModel):
    """One generating unit's verified year: its category, what it supplied and
    what it emitted. Emissions default to the entity's verified total when the
    entity reports a single unit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: str = "unit"
    category: str
    electricity_mwh: Decimal = Field(default=Decimal(0), ge=0)
    heat_gj: Decimal = Field(default=Decimal(0), ge=0)
    emissions: int | None = Field(default=None, ge=0)


def units_of(
    activity: dict[str, Any], attributes: dict[str, Any], verified: int
) -> list[UnitActivity]:
    """The generating units of an entity's verified year.

    ``activity`` holds ``units`` (a list, each with its own category and
    emissions) or, for a one-unit entity, ``electricity_mwh`` and ``heat_gj``
    with the category from the entity's attributes. Raises ValueError when the
    facts do not add up (unit emissions must sum to the verified total)."""
    try:
        if "units" in activity:
            units = [UnitActivity.model_validate(u) for u in activity["units"]]
        else:
            category = activity.get("category", attributes.get("category"))
            units = [
                UnitActivity(
                    category=str(category),
                    electricity_mwh=Decimal(str(activity.get("electricity_mwh", 0))),
                    heat_gj=Decimal(str(activity.get("heat_gj", 0))),
                    emissions=verified,
                )
            ]
    except ValidationError as error:
        raise ValueError(f"invalid unit activity: {error.errors()[0]['msg']}") from error
    if not units:
        raise ValueError("no generating units reported")
    if any(u.emissions is None for u in units):
        raise ValueError("each unit of a multi-unit entity needs its verified emissions")
    total = sum(u.emissions or 0 for u in units)
    if total != verified:
        raise ValueError(f"unit emissions add up to {total} t, not the verified {verified} t")
    return units


@dataclass(frozen=True)
class UnitAllocation:
    unit: str
    formula: int
    final: int
    basis: str


def benchmark_formula(unit: UnitActivity, b: Benchmark) -> int:
    """Electricity supplied × electricity benchmark + heat supplied × heat
    benchmark, rounded down (L258, L284; [GK] per-unit form)."""
    electricity = Fraction(unit.electricity_mwh) * Fraction(b.electricity)
    heat = Fraction(unit.heat_gj) * Fraction(b.heat)
    return floor(electricity + heat)


def unit_allocation(unit: UnitActivity, b: Benchmark, cycle: Cycle) -> UnitAllocation:
    """One unit's final allocation: the benchmark formula, then the cycle's relief."""
    formula = benchmark_formula(unit, b)
    emissions = unit.emissions or 0
    basis = (
        f"{unit.unit}: {unit.electricity_mwh} MWh × {b.electricity} + "
        f"{unit.heat_gj} GJ × {b.heat} = {formula} t ({b.source})"
    )
    final = formula
    if unit.category == GAS and cycle.gas_top_up and formula < emissions:
        final = emissions
        basis += f", gas unit topped up to its verified {emissions} t (L166, L449)"
    elif unit.category in COAL and cycle.coal_floor is not None:
        floor_t = floor(emissions * cycle.coal_floor)
        if formula < floor_t:
            final = floor_t
            basis += (
                f", below {cycle.coal_floor * 100}% of its verified {emissions} t: "
                f"raised to {floor_t} t (L166, L449)"
            )
    return UnitAllocation(unit.unit, formula, final, basis)


def industry_2024(verified: int) -> int:
    """Steel, cement and aluminium in 2024: free allocation = verified emissions
    (L159, L290)."""
    return verified
