"""California's, Québec's and Ontario's cap-and-trade rules, pure and per jurisdiction.

Sources: reference/registries-and-reporting.md L44–49 and the market data in
:mod:`adapters.wci.market`. Rules, with what is **[GK]**:

* **Compliance periods** of three years (two for the first), surrender by
  1 November after the period [GK: Cal. Code Regs. tit. 17 §95856; Québec's
  regulation]; Ontario's first period 2017–2020 [GK]. The annual partial
  obligation (30% of the previous year's emissions) is not modelled.
* **Offset limits** as rules by emission year, so a period straddling two
  rules adds them year by year: Québec 8% of the obligation (L47); California
  8% to 2020, 4% for 2021–2025 emissions and 6% for 2026–2030 [GK in L47];
  Ontario 8% [GK]. Rounded down to whole tonnes.
* **The holding limit** (L46) on the allowances in an entity's holding
  ("general") account, with C the combined cap of the jurisdictions linked on
  the day (so it shrank when Ontario left). The **compliance account** is
  exempt [L46's "compliance-account exemption"; modelled as a full exemption,
  GK: the real limited exemption is sized on emissions]. Units move into a
  compliance account only from the entity's own holding account, an auction
  or an allocation, and out of it only by surrender (CMP-602) [GK: CITSS].
* **Free allocation** follows the allocation table given as the entity's
  ``attributes.allocation`` (industrial assistance factors are not in the
  sources) and is deposited in the compliance account [GK].
* **A shortfall** at the deadline: four allowances for each one missing are due
  with the next period [GK: the untimely surrender obligation, §95857].
* **Ontario's units after its exit** (L45: "left mid-2018", a de-linking): they
  cannot cross between the remaining registries (CMP-603); what they are worth
  where they are held is a rule choice, :data:`ONTARIO_UNIT_RULES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from adapters.base import Operation, RegistryApplication
from adapters.compliance import (
    Allocation,
    ComplianceRules,
    CoveredEntity,
    Penalty,
    Period,
    PeriodFacts,
    floor,
)
from adapters.wci.market import (
    ALLOWANCES,
    HL_SOURCE,
    OFFSET_SOURCE,
    ONTARIO,
    ONTARIO_SOURCE,
    SOURCE,
    WciMarket,
)
from clearinghouse.checks import Refused
from clearinghouse.units import Block

#: What happens to Ontario allowances held in California or Québec after Ontario
#: leaves: ``remain_valid`` (default [GK: California and Québec kept the Ontario
#: allowances their entities held valid for compliance]) — they can still be
#: traded inside the registry holding them and surrendered there; ``frozen`` —
#: they can be neither moved nor surrendered. Either way none crosses a border.
ONTARIO_UNIT_RULES = ("remain_valid", "frozen")
OntarioUnits = Literal["remain_valid", "frozen"]

COMPLIANCE_SUFFIX = ".COMPLIANCE"
PERIOD_SOURCE = "[GK] Cal. Code Regs. tit. 17 §95840, §95856; Québec Regulation Q-2, r. 46.1"


def compliance_account(entity: str) -> str:
    """The compliance account of ``entity`` (its holding account is ``entity``)."""
    return f"{entity}{COMPLIANCE_SUFFIX}"


def periods(first_year: int = 2013) -> tuple[Period, ...]:
    """California's and Québec's compliance periods [GK], surrender by 1 November
    after each."""
    spans = ((2013, 2014), (2015, 2017), (2018, 2020), (2021, 2023), (2024, 2026),
             (2027, 2029), (2030, 2030))  # fmt: skip
    return tuple(
        Period(
            f"CP{i}",
            tuple(range(a, b + 1)),
            date(b + 1, 11, 1),
            PERIOD_SOURCE,
        )
        for i, (a, b) in enumerate(spans, start=1)
        if b >= first_year
    )


def ontario_periods() -> tuple[Period, ...]:
    """Ontario's first (and only) compliance period, 2017–2020 [GK: O. Reg. 144/16]."""
    return (Period("ON1", (2017, 2018, 2019, 2020), date(2021, 11, 1), "[GK] O. Reg. 144/16"),)


@dataclass(frozen=True)
class OffsetRule:
    """Offsets may cover ``percent`` of the emissions of ``first``–``last``."""

    first: int
    last: int
    percent: Fraction
    source: str


QUEBEC_OFFSETS = (OffsetRule(2013, 2030, Fraction(8, 100), OFFSET_SOURCE),)
CALIFORNIA_OFFSETS = (
    OffsetRule(2013, 2020, Fraction(8, 100), OFFSET_SOURCE),
    OffsetRule(2021, 2025, Fraction(4, 100), OFFSET_SOURCE + " [GK]"),
    OffsetRule(2026, 2030, Fraction(6, 100), OFFSET_SOURCE + " [GK]"),
)
ONTARIO_OFFSETS = (OffsetRule(2017, 2020, Fraction(8, 100), "[GK] O. Reg. 144/16"),)


@dataclass(frozen=True)
class WciRules(ComplianceRules):
    """One WCI jurisdiction's rules (factories: :mod:`adapters.wci`)."""

    #: a covered entity's compliance account is a kind of its own
    account_kinds: tuple[str, ...] = ("compliance",)
    home: str = ""  # CALIFORNIA, QUEBEC or ONTARIO
    market: WciMarket = field(default_factory=WciMarket)
    offset_rules: tuple[OffsetRule, ...] = ()
    ontario_units: OntarioUnits = "remain_valid"
    #: allowances due for each one missing at the deadline [GK: 4]
    untimely_ratio: int = 4

    @property
    def wci_allowances(self) -> tuple[str, ...]:
        return tuple(ALLOWANCES.values())

    # -- coverage and allocation -------------------------------------------------------

    def check_coverage(self, sector: str, emissions: int, attributes: dict[str, Any]) -> None:
        """Facilities emitting at least 25,000 t CO2e a year are covered [GK: the
        threshold of all three programmes]; fuel and electricity ``utility``
        distributors are covered whatever they emit."""
        if emissions < 25_000 and sector != "utility":
            raise Refused(
                "CMP-001",
                entity=attributes.get("name", f"the {sector} facility"),
                registry=self.jurisdiction,
                reason=f"{emissions} t CO2e a year is below the 25,000 t threshold",
                source="[GK] Cal. Code Regs. tit. 17 §95812",
            )

    def allocation(self, entity: CoveredEntity, year: int, stage: str) -> Allocation:
        table = entity.attributes.get("allocation", {})
        total = int(table.get(str(year), 0))
        return Allocation(total, f"{year}: {total} t in the allocation table")

    def allocation_account(self, entity: CoveredEntity) -> str:
        return compliance_account(entity.entity)

    def surrender_account(self, entity: CoveredEntity) -> str:
        return compliance_account(entity.entity)

    # -- offsets -----------------------------------------------------------------------

    def offset_limit(self, entity: CoveredEntity, period: Period) -> tuple[int, str, str] | None:
        """Σ over the period's years of the year's rule × its verified emissions."""
        total = Fraction(0)
        used: list[OffsetRule] = []
        for year in period.years:
            rule = next((r for r in self.offset_rules if r.first <= year <= r.last), None)
            if rule is None:
                continue
            total += rule.percent * entity.verified_in([year])
            if rule not in used:
                used.append(rule)
        if not used:
            return None
        words = "; ".join(f"{r.percent * 100}% of {r.first}–{r.last} emissions" for r in used)
        return floor(total), f"offsets ≤ {words}", ", ".join(sorted({r.source for r in used}))

    # -- the holding limit ----------------------------------------------------------------

    def holding(self, registry: RegistryApplication, account: str) -> int:
        """Allowances of every WCI jurisdiction in ``account``, available or on hold."""
        found = registry.account(account)
        if found is None:
            return 0
        held = sum(
            b.count
            for blocks in found.held.values()
            for b in blocks
            if b.unit_type in self.wci_allowances
        )
        return sum(found.available.quantity(t) for t in self.wci_allowances) + held

    def check_holding_limit(
        self, registry: RegistryApplication, account: str, incoming: int, on: date
    ) -> None:
        """Refuse (CMP-601) a credit that takes a holding account above the limit."""
        found = registry.account(account)
        if found is None or found.kind != "holding" or incoming == 0:
            return
        total = self.holding(registry, account) + incoming
        cap = self.market.combined_cap(on)
        limit = self.market.holding_limit(on)
        if total > limit:
            raise Refused(
                "CMP-601",
                account=account,
                total=total,
                registry=self.jurisdiction,
                limit=limit,
                cap=cap,
                members=" + ".join(self.market.linked(on)),
                year=on.year,
                source=HL_SOURCE,
            )

    # -- the native check on every operation -------------------------------------------------

    def check(self, op: Operation, registry: RegistryApplication) -> None:
        self._check_compliance_account(op, registry)
        self._check_ontario_units(op)
        allowances = sum(b.count for b in op.blocks if b.unit_type in self.wci_allowances)
        if op.kind == "transfer" and op.counterparty is not None:
            self.check_holding_limit(registry, op.counterparty, allowances, op.business_date)
        elif op.kind == "import":
            self.check_holding_limit(registry, op.account, allowances, op.business_date)

    def _check_compliance_account(self, op: Operation, registry: RegistryApplication) -> None:
        def refuse(account: str, reason: str) -> Refused:
            return Refused(
                "CMP-602", registry=self.jurisdiction, account=account, reason=reason, source=SOURCE
            )

        if op.account_kind == "compliance" and op.kind in ("transfer", "export", "retirement"):
            raise refuse(op.account, "units leave a compliance account only by surrender [GK]")
        if op.kind == "transfer" and op.counterparty is not None:
            target = registry.account(op.counterparty)
            if target is not None and target.kind == "compliance":
                owner = op.counterparty.removesuffix(COMPLIANCE_SUFFIX)
                if op.account != owner and op.account_kind == "holding":
                    raise refuse(
                        op.counterparty,
                        f"only {owner}'s own holding account transfers into it [GK]",
                    )

    def _check_ontario_units(self, op: Operation) -> None:
        exit_on = self.market.ontario_exit
        if exit_on is None or op.business_date < exit_on or self.home == ONTARIO:
            return
        ontario = [
            b for b in op.blocks if b.registry == ONTARIO or b.unit_type == ALLOWANCES[ONTARIO]
        ]
        if not ontario:
            return
        crossing = op.kind in ("export", "import")
        frozen = self.ontario_units == "frozen" and op.kind in ("transfer", "surrender")
        if crossing or frozen:
            reason = (
                "they cannot cross the link any more"
                if crossing
                else "they are frozen where they are held (rule choice 'frozen')"
            )
            raise Refused(
                "CMP-603",
                blocks=", ".join(map(str, ontario)),
                exit=exit_on,
                registry=self.jurisdiction,
                reason=reason,
                source=ONTARIO_SOURCE,
            )

    # -- after the deadline ---------------------------------------------------------------

    def obligation(self, entity: CoveredEntity, period: Period) -> int:
        """Verified emissions of the period, plus the untimely surrender obligation
        of the previous one [GK]."""
        owed = 0
        index = [p.id for p in self.periods].index(period.id)
        if index > 0:
            previous = entity.results.get(self.periods[index - 1].id, {})
            owed = self.untimely_ratio * int(previous.get("shortfall", 0))
        return entity.verified_in(period.years) + owed

    def penalty(self, entity: CoveredEntity, facts: PeriodFacts) -> Penalty:
        if facts.shortfall == 0:
            return Penalty(Decimal(0), self.currency, 0, "complied")
        due = self.untimely_ratio * facts.shortfall
        return Penalty(
            Decimal(0),
            self.currency,
            0,
            f"untimely surrender: {self.untimely_ratio} × {facts.shortfall} t = {due} allowances "
            "due with the next period [GK: Cal. Code Regs. tit. 17 §95857]",
        )

    def check_banking(
        self, entity: CoveredEntity, period: Period, blocks: list[Block], on: date
    ) -> None:
        """Banking is unlimited (subject only to the holding limit) [GK]."""

    def check_borrowing(
        self, entity: CoveredEntity, period: Period, blocks: list[Block], on: date
    ) -> None:
        """Allowances of a later vintage cannot be surrendered for an earlier period [GK]."""
        raise self.borrowing_refused(
            entity,
            period,
            blocks,
            "future-vintage allowances cannot be surrendered for an earlier period [GK]",
            "[GK] Cal. Code Regs. tit. 17 §95856",
        )
