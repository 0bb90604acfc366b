"""The rules of the Tokyo cap-and-trade programme and of Saitama's linked system.

Pure functions and frozen parameters, no I/O. The registry that runs them is
:mod:`adapters.japan.metropolitan_registry`; the factories are in
:mod:`adapters.japan.metropolitan`.

How the real scheme works, and how it is modelled (reference/northeast-asia.md,
"Japan"; ASPI report E:840–866, E:885–908; Chinese edition endnotes C:4676–4702):

* **Coverage**: large offices and factories consuming at least 1,500 kl of crude
  oil equivalent a year (endnote 48, C:4676).
* **Base-year emissions** per facility: a facility's cap is measured from its
  own base-year emissions, not from a benchmark [GK: the average of three
  consecutive fiscal years chosen between FY2002 and FY2007].
* **Compliance factor** per period and facility category: first period
  FY2010–2014 6% or 8%, second period FY2015–2019 15% or 17% (E:840–844,
  endnote 49, C:4677–4678). Which category gets which factor: see
  :data:`FACTOR_READINGS` (the source's endnote and TMG's published table
  disagree; both are selectable).
* **Emission cap** of a period = base-year emissions × (1 − factor) × number of
  fiscal years. Nothing is allocated up front: a facility that emits less than
  its annual cap may have the difference issued as **excess-reduction credits**
  after verification; a facility that emits more must **surrender credits** for
  the excess by the end of the adjustment period.
* **Small and mid-size facility credits**: reductions by facilities below the
  coverage threshold, credited to them and usable by covered facilities
  (E:900–902).
* Tokyo and Saitama credits of both kinds count in either system from April 2011
  (E:891–908); same Party, so no corresponding adjustment.

What is simplified is listed in docs/jurisdictions.md ("not modelled yet").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from math import ceil
from typing import Any, Literal

from adapters.compliance import (
    Allocation,
    ComplianceRules,
    CoveredEntity,
    Penalty,
    Period,
    PeriodFacts,
    floor,
    percent,
)
from clearinghouse.checks import Refused
from clearinghouse.units import Block

SOURCE = "northeast-asia.md, Japan"
COVERAGE_SOURCE = "northeast-asia.md, Japan; C: endnote 48 (C:4676)"
FACTOR_SOURCE = "northeast-asia.md, Japan; E:840–844, C: endnote 49 (C:4677–4678)"
LINK_SOURCE = "northeast-asia.md, Tokyo–Saitama link; E:891–908, C: endnote 57"

#: threshold of coverage: kl of crude oil equivalent a year (endnote 48)
THRESHOLD_KL = 1_500

#: facility categories [GK, Tokyo Metropolitan Government]: I-1 office buildings
#: and the like, and district heating and cooling (DHC) plants; I-2 office
#: buildings that take a large share of their energy from DHC; II factories and
#: other facilities (water and sewage, waste).
CATEGORIES = ("I-1", "I-2", "II")

Reading = Literal["endnote49", "tmg"]

#: Which category gets which factor. Endnote 49 (C:4677–4678) reads "Six percent
#: for commercial buildings, district cooling and heating facilities, and
#: 8 percent for commercial buildings using district heating and cooling", i.e.
#: I-1 6%, I-2 8%, and names no factor for factories [GK: 6% like I-1]; TMG's
#: own table [GK] is the other way round: I-1 8%, I-2 and II 6%, and in the
#: second period I-1 17%, I-2 and II 15%. The report gives the second period
#: only as "15 to 17 percent" (E:842), so under the endnote reading the 15% goes
#: with the 6% categories and the 17% with the 8% one. Default: ``endnote49``,
#: the cited document; ``tmg`` is selectable.
FACTOR_READINGS: dict[Reading, dict[str, dict[str, Fraction]]] = {
    "endnote49": {
        "first": {"I-1": percent(6), "I-2": percent(8), "II": percent(6)},
        "second": {"I-1": percent(15), "I-2": percent(17), "II": percent(15)},
    },
    "tmg": {
        "first": {"I-1": percent(8), "I-2": percent(6), "II": percent(6)},
        "second": {"I-1": percent(17), "I-2": percent(15), "II": percent(15)},
    },
}


@dataclass(frozen=True)
class PeriodFactors:
    """One compliance period and its compliance factor per facility category."""

    period: Period
    factors: dict[str, Fraction]
    source: str = FACTOR_SOURCE


def periods(reading: Reading = "endnote49") -> tuple[PeriodFactors, ...]:
    """The two compliance periods of the sources, in fiscal years.

    FY2010–2014 and FY2015–2019 (E:840–844). The surrender deadline is the end
    of the adjustment period that follows each period [GK: 30 September of the
    second year after the period's last fiscal year ends, e.g. 30 Sep 2016 for
    the first period]."""
    table = FACTOR_READINGS[reading]
    return (
        PeriodFactors(
            Period("FY2010-2014", (2010, 2011, 2012, 2013, 2014), date(2016, 9, 30), FACTOR_SOURCE),
            table["first"],
        ),
        PeriodFactors(
            Period("FY2015-2019", (2015, 2016, 2017, 2018, 2019), date(2021, 9, 30), FACTOR_SOURCE),
            table["second"],
        ),
    )


def base_year_emissions(years: Sequence[int]) -> int:
    """A facility's base-year emissions: the average of three consecutive fiscal
    years [GK: chosen by the facility between FY2002 and FY2007], rounded down
    to whole tonnes."""
    if len(years) != 3:
        raise ValueError("base-year emissions average three consecutive fiscal years [GK]")
    return floor(Fraction(sum(years), 3))


@dataclass(frozen=True)
class MetropolitanRules(ComplianceRules):
    """Tokyo's (or Saitama's) cap-and-trade rules; the subclass is the same for
    both, their parameters differ (:func:`adapters.japan.metropolitan.tokyo`).

    Facility attributes at registration: ``energy_kl`` (crude oil equivalent a
    year), ``category`` (one of :data:`CATEGORIES`) and ``base_emissions``
    (t CO2 a year)."""

    schedule: tuple[PeriodFactors, ...] = ()
    threshold_kl: int = THRESHOLD_KL
    #: credits issued for excess reductions and to small and mid-size facilities
    excess_credit: str = ""
    small_facility_credit: str = ""
    #: a shortfall after the adjustment period: the Governor orders the facility
    #: to reduce 1.3 × the shortfall [GK: Tokyo Metropolitan Environmental
    #: Security Ordinance]; None: no order (Saitama's targets carry no penalty [GK])
    surcharge: Fraction | None = Fraction(13, 10)
    #: the fine for not carrying out that order [GK: up to JPY 500,000]
    order_fine: Decimal = Decimal(500_000)
    #: how many periods later a credit may still be surrendered [GK: banking into
    #: the next period only]
    banking_periods: int = 1

    # -- parameters ----------------------------------------------------------------------

    def factors(self, period: Period) -> PeriodFactors:
        for p in self.schedule:
            if p.period.id == period.id:
                return p
        raise Refused(
            "CMP-005",
            registry=self.jurisdiction,
            period=period.id,
            reason="no compliance factors for this period",
            source=FACTOR_SOURCE,
        )

    def factor(self, entity: CoveredEntity, period: Period) -> Fraction:
        return self.factors(period).factors[entity.attributes["category"]]

    def _period_of_year(self, entity: CoveredEntity, year: int) -> Period:
        period = self.period_of(year)
        if period is None:
            raise Refused(
                "CMP-005",
                registry=self.jurisdiction,
                period=f"FY{year}",
                reason="the fiscal year is in no compliance period",
                source=FACTOR_SOURCE,
            )
        return period

    # -- coverage ------------------------------------------------------------------------

    def check_coverage(self, sector: str, emissions: int, attributes: dict[str, Any]) -> None:
        """Large facilities only: ≥ 1,500 kl crude oil equivalent a year (endnote 48,
        C:4676); every facility needs a category and its base-year emissions."""
        name = attributes.get("name", f"the {sector} facility")
        kl = attributes.get("energy_kl")
        if not isinstance(kl, int) or kl < self.threshold_kl:
            raise Refused(
                "CMP-001",
                entity=name,
                registry=self.jurisdiction,
                reason=f"energy use {kl} kl crude oil equivalent a year is below "
                f"{self.threshold_kl} kl",
                source=COVERAGE_SOURCE,
            )
        if attributes.get("category") not in CATEGORIES:
            raise Refused(
                "CMP-001",
                entity=name,
                registry=self.jurisdiction,
                reason=f"facility category must be one of {', '.join(CATEGORIES)}",
                source=FACTOR_SOURCE,
            )
        base = attributes.get("base_emissions")
        if not isinstance(base, int) or base <= 0:
            raise Refused(
                "CMP-001",
                entity=name,
                registry=self.jurisdiction,
                reason="base-year emissions (t CO2 a year) are required",
                source=SOURCE,
            )

    # -- the cap ---------------------------------------------------------------------

    def annual_cap(self, entity: CoveredEntity, year: int) -> int:
        """Base-year emissions × (1 − factor), rounded down to whole tonnes
        (rounding down keeps the cap on the strict side)."""
        period = self._period_of_year(entity, year)
        base: int = entity.attributes["base_emissions"]
        return floor(base * (1 - self.factor(entity, period)))

    def period_cap(self, entity: CoveredEntity, period: Period) -> int:
        """Base-year emissions × (1 − factor) × fiscal years in the period, rounded down."""
        base: int = entity.attributes["base_emissions"]
        return floor(base * (1 - self.factor(entity, period)) * len(period.years))

    # -- excess-reduction credits ------------------------------------------------------

    def stages(self, year: int) -> tuple[str, ...]:
        """Nothing is allocated: the only issuance to a covered facility is of
        excess-reduction credits, after the fiscal year's emissions are verified."""
        return ("excess_reduction",)

    def allocation(self, entity: CoveredEntity, year: int, stage: str) -> Allocation:
        """Excess-reduction credits for ``year``: what the facility emitted below its
        annual cap [GK: issued year by year after verification]."""
        cap = self.annual_cap(entity, year)
        verified = entity.verified_in([year])
        credits = max(0, cap - verified)
        return Allocation(
            credits,
            f"FY{year}: annual cap {cap} t (base {entity.attributes['base_emissions']} t × "
            f"(1 − {self.factor(entity, self._period_of_year(entity, year))})) − verified "
            f"{verified} t ({FACTOR_SOURCE})",
        )

    def excess_credits_issued(self, entity: CoveredEntity, period: Period) -> int:
        return sum(entity.allocated(y) for y in period.years)

    # -- the obligation ------------------------------------------------------------------

    def order(self, entity: CoveredEntity, period: Period) -> int:
        """Tonnes ordered on top of this period's obligation for a shortfall in the
        previous one: 1.3 × the shortfall, rounded up [GK]."""
        if self.surcharge is None:
            return 0
        index = [p.id for p in self.periods].index(period.id)
        if index == 0:
            return 0
        previous = self.periods[index - 1].id
        shortfall: int = entity.results.get(previous, {}).get("shortfall", 0)
        return ceil(shortfall * self.surcharge)

    def obligation(self, entity: CoveredEntity, period: Period) -> int:
        """Credits to surrender for ``period``: verified emissions above the period's
        cap, plus the excess-reduction credits already issued for the same years
        (those tonnes left the cap when they were credited), plus any order from
        the previous period. Equal to the sum of each year's excess over its annual
        cap when credits were issued every year."""
        emitted = entity.verified_in(period.years)
        above = (
            emitted - self.period_cap(entity, period) + self.excess_credits_issued(entity, period)
        )
        return max(0, above) + self.order(entity, period)

    # -- what counts -------------------------------------------------------------------

    def check_banking(
        self, entity: CoveredEntity, period: Period, blocks: list[Block], on: date
    ) -> None:
        """Credits of the previous period may be used; older ones may not [GK]."""
        order = [p.id for p in self.periods]
        stale = [
            b
            for b in blocks
            if (p := self.period_of(b.vintage)) is None
            or order.index(period.id) - order.index(p.id) > self.banking_periods
        ]
        if stale:
            raise self.banking_refused(
                period,
                stale,
                f"credits may be used at most {self.banking_periods} period(s) after "
                "the fiscal year they were earned in [GK]",
                SOURCE,
            )

    # -- after the adjustment period ---------------------------------------------------

    def penalty(self, entity: CoveredEntity, facts: PeriodFacts) -> Penalty:
        """Tokyo [GK]: an order to reduce 1.3 × the shortfall, due with the next
        period's surrender; the fine (up to JPY 500,000) falls due when an order
        from the previous period is itself not carried out. Saitama [GK]: none."""
        if facts.shortfall == 0:
            return Penalty(Decimal(0), self.currency, 0, "complied")
        if self.surcharge is None:
            return Penalty(
                Decimal(0),
                self.currency,
                0,
                f"shortfall {facts.shortfall} t: no penalty, targets are not legally binding [GK]",
            )
        ordered = ceil(facts.shortfall * self.surcharge)
        fine = self.order_fine if self.order(entity, facts.period) else Decimal(0)
        return Penalty(
            fine,
            self.currency,
            0,
            f"order to reduce {self.surcharge} × {facts.shortfall} t = {ordered} t, added to "
            "the next period's obligation [GK]"
            + (f"; the previous order was not met: fine JPY {fine} [GK]" if fine else ""),
        )
