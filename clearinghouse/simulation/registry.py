"""The registry of a jurisdiction a scenario describes itself (A, B, … of the minimal form).

A scenario jurisdiction without an adapter still runs through a real registry: a
:class:`~adapters.compliance_registry.ComplianceRegistry` with
:class:`ScenarioRules`, so its allocations are issuances the clearinghouse
clears, its trades internal transfers and its surrenders status changes — the
same events as any adapter's. The rules are the plain cap-and-trade cycle
(:class:`~adapters.compliance.ComplianceRules` defaults: obligation = verified
emissions, unlimited banking, no borrowing) plus what the scenario states:

* one compliance period per year, surrender by 30 June of the next year
  [assumption: the scenario gives no calendar];
* free allocation = the scenario's allocation plan for the entity and year
  (``attributes["allocation"]``, whole tonnes: the scenario's cap, benchmark or
  grandfathering rule computed by :mod:`clearinghouse.simulation.model`);
* units of linked jurisdictions count like the registry's own (the link's
  exchange rate already converted them, issue #5 item 1);
* offsets up to the stated share of the entity's allocation (CMP-003);
* the plain ``issue`` command stays open: the authority issues offset credits
  and sells allowances from its price-ceiling reserve with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from adapters.base import RegistryConfig
from adapters.compliance import Allocation, ComplianceRules, CoveredEntity, Period, floor
from adapters.compliance_registry import ComplianceRegistry


def allowance_type(jurisdiction: str) -> str:
    return f"{jurisdiction[:27]}_ALW"


def offset_type(jurisdiction: str) -> str:
    return f"{jurisdiction[:27]}_OFS"


@dataclass(frozen=True)
class ScenarioRules(ComplianceRules):
    offset_share: Fraction | None = None

    def allocation(self, entity: CoveredEntity, year: int, stage: str) -> Allocation:
        plan = entity.attributes.get("allocation", {})
        total = int(plan.get(str(year), 0))
        return Allocation(total, f"the scenario's allocation plan for {year}")

    def offset_limit(self, entity: CoveredEntity, period: Period) -> tuple[int, str, str] | None:
        if self.offset_share is None:
            return None
        allocated = sum(entity.allocated(y) for y in period.years)
        return (
            floor(allocated * self.offset_share),
            f"offsets up to {float(self.offset_share):.4g} of the allocation",
            "the scenario file (offsets.limit)",
        )


def scenario_registry(
    code: str,
    name: str,
    party: str,
    years: list[int],
    accepted: tuple[str, ...] = (),
    offset_share: Fraction | None = None,
    currency: str = "",
) -> RegistryConfig:
    """A registry for a scenario's own jurisdiction, with annual periods over ``years``."""
    own = allowance_type(code)
    offsets = (offset_type(code),) if offset_share is not None else ()
    periods = tuple(Period(str(y), (y,), date(y + 1, 6, 30), "the scenario file") for y in years)
    rules = ScenarioRules(
        jurisdiction=code,
        currency=currency,
        periods=periods,
        allowance_types=(own, *accepted),
        offset_types=offsets,
        offset_share=offset_share,
    )
    return RegistryConfig(code, name, party, (own, *offsets), rules, ComplianceRegistry)
