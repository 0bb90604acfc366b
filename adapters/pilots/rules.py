"""The pilots' compliance and market rules as one :class:`ComplianceRules` subclass.

Each method reads the parameter version in force for the year it decides
(:meth:`PilotProfile.parameters`), so a 2014 and a 2015 cycle follow their own
rules (Guangdong's auction share, E:1339–1344). Sources are cited per rule; the
numbers and their lines are in :mod:`adapters.pilots.parameters`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

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
from adapters.pilots import penalties
from adapters.pilots.parameters import TCE_FACTOR, PilotParameters, PilotProfile, Threshold
from adapters.pilots.stabilisation import move_band, share_of
from clearinghouse.checks import Refused
from clearinghouse.units import Block


def uncovered(blocks: list[Block], traded: list[Block]) -> int:
    """How many units of ``blocks`` are not inside any of the ``traded`` blocks."""
    missing = 0
    for b in blocks:
        ranges = sorted(
            (max(t.first, b.first), min(t.last, b.last))
            for t in traded
            if t.kind == b.kind and t.first <= b.last and b.first <= t.last
        )
        covered, reach = 0, b.first - 1
        for first, last in ranges:
            first = max(first, reach + 1)
            if last >= first:
                covered += last - first + 1
                reach = last
        missing += b.count - covered
    return missing


@dataclass(frozen=True)
class PilotRules(ComplianceRules):
    """One pilot's rules, from its :class:`PilotProfile`."""

    profile: PilotProfile | None = None
    #: [GK] t CO2 per tce for tce thresholds when no energy use is reported
    tce_factor: Fraction = TCE_FACTOR

    @property
    def pilot(self) -> PilotProfile:
        assert self.profile is not None, "a pilot's rules need its profile"
        return self.profile

    def parameters(self, year: int) -> PilotParameters:
        return self.pilot.parameters(year)

    # -- coverage ------------------------------------------------------------------------

    def _thresholds(self, sector: str, year: int) -> tuple[Threshold, ...]:
        rules = self.parameters(year).thresholds
        named = tuple(t for t in rules if t.sectors is not None and sector in t.sectors)
        return named or tuple(t for t in rules if t.sectors is None)

    def _measured(
        self, t: Threshold, emissions: int, attributes: dict[str, Any]
    ) -> Fraction | None:
        if t.measure == "tCO2":
            return Fraction(emissions)
        if t.measure == "tce":
            if "energy_tce" in attributes:
                return Fraction(str(attributes["energy_tce"]))
            return Fraction(emissions) / self.tce_factor
        area = attributes.get("floor_area_m2")
        return None if area is None else Fraction(str(area))

    def check_coverage(self, sector: str, emissions: int, attributes: dict[str, Any]) -> None:
        """Refuse (CMP-001) an entity below every threshold that applies to its
        sector (the pilot table's "Thresholds" row, E:1697–1894). Thresholds in
        tce use reported ``energy_tce`` or emissions ÷ ``tce_factor``; building
        thresholds use ``floor_area_m2``. Met if any applicable threshold is met
        (Guangdong: 20,000 t *or* 10,000 tce, E:1773–1778). The attribute
        ``year`` picks the parameter version (default: the launch year's)."""
        year = int(attributes.get("year", self.pilot.launch))
        applicable = self._thresholds(sector, year)
        reasons = []
        for t in applicable:
            value = self._measured(t, emissions, attributes)
            if value is not None and (value > t.minimum or (not t.strict and value == t.minimum)):
                return
            shown = "not reported" if value is None else f"{float(value):,.0f}"
            sign = "more than" if t.strict else "at least"
            reasons.append(f"{t.measure} {shown}, needs {sign} {t.minimum:,} ({t.source})")
        raise Refused(
            "CMP-001",
            entity=attributes.get("name", sector),
            registry=self.jurisdiction,
            reason="; ".join(reasons),
            source=f"{self.pilot.name} coverage threshold, tCO2 per tce {float(self.tce_factor):g}",
        )

    # -- allocation ------------------------------------------------------------------------

    def stages(self, year: int) -> tuple[str, ...]:
        """Initial allocation, then the adjustment (two of the five allowance types
        every pilot has, E:495–497); new entrants are allocated by benchmark."""
        return ("initial", "adjustment")

    def _fact(self, entity: CoveredEntity, key: str, where: dict[str, Any], what: str) -> Fraction:
        if key not in where:
            raise self.facts_missing(entity, "compute the allocation", f"{what} is not recorded")
        return Fraction(str(where[key]))

    def allocation(self, entity: CoveredEntity, year: int, stage: str) -> Allocation:
        """Free allocation under a tradable performance standard (E:516–524):

        * benchmark sectors (and Beijing's new entrants, E:1316–1325):
          ``benchmark`` (t CO2 per unit of output, an entity attribute: the
          sources give no values) × output; the initial allocation uses the
          previous year's output (or ``planned_output`` for a new entrant), the
          adjustment the year's verified output;
        * other sectors are grandfathered: ``historical_emissions`` × the
          grandfathering factor [GK, default 1];
        * Guangdong auctions a share instead of giving it free (2.04% in 2014,
          0.51% in 2015, E:1339–1344): free = gross × (1 − share).
        Whole tonnes, rounded down."""
        p = self.parameters(year)
        a = entity.attributes
        benchmarked = (
            entity.sector in p.benchmark_sectors
            if p.benchmark_sectors is not None
            else bool(a.get("new_entrant"))
        )
        if benchmarked:
            benchmark = self._fact(entity, "benchmark", a, "the benchmark (t per unit of output)")
            if stage == "initial" and (year - 1) in entity.activity:
                prior = entity.activity[year - 1]
                output = self._fact(entity, "output", prior, f"the {year - 1} output")
            elif stage == "initial":
                output = self._fact(entity, "planned_output", a, "the planned output")
            else:
                output = self._fact(
                    entity, "output", entity.activity.get(year, {}), f"the {year} output"
                )
            gross = benchmark * output
            how = f"benchmark {benchmark} t × output {output}"
        else:
            base = self._fact(entity, "historical_emissions", a, "historical emissions")
            gross = base * p.grandfathering_factor
            how = f"grandfathered {base} t × {p.grandfathering_factor}"
        free = floor(gross * (1 - p.auction_share))
        if p.auction_share:
            how += f" less {float(p.auction_share * 100):g}% auctioned"
        return Allocation(free, f"{how} ({p.allocation_source})")

    def allocation_account(self, entity: CoveredEntity) -> str:
        return entity.account

    # -- surrender ---------------------------------------------------------------------

    def offset_limit(self, entity: CoveredEntity, period: Period) -> tuple[int, str, str]:
        """Offsets (CCER etc.) up to a share of the obligation, or of the year's
        allocation in Beijing (E:1598–1684); rounded down."""
        p = self.parameters(period.first)
        if p.offset_basis == "allocation":
            base = sum(entity.allocated(y) for y in period.years)
            of = "of the allocation"
        else:
            base = self.obligation(entity, period)
            of = "of the compliance obligation"
        share = float(p.offset_limit * 100)
        return floor(base * p.offset_limit), f"{share:g}% {of} ({base} t)", p.offset_source

    def check_banking(
        self, entity: CoveredEntity, period: Period, blocks: list[Block], on: date
    ) -> None:
        """Banking is allowed in every pilot (E:1601–1679) except Hubei, where only
        units traded at least once may be banked (E:1644–1649) or, in the text's
        reading, none between periods (E:589) (refused: CMP-007)."""
        p = self.parameters(period.first)
        if p.banking == "allowed":
            return
        if p.banking == "none":
            reason = "banking between compliance periods is not allowed"
        else:
            never = uncovered(blocks, entity.traded)
            if never == 0:
                return
            reason = f"{never} t of them were never traded, and only traded units may be banked"
        raise self.banking_refused(period, blocks, reason, p.banking_source)

    def check_borrowing(
        self, entity: CoveredEntity, period: Period, blocks: list[Block], on: date
    ) -> None:
        """No pilot allows borrowing (E:1601–1679): refused with CMP-008."""
        source = self.parameters(period.first).banking_source
        raise self.borrowing_refused(entity, period, blocks, "borrowing is not allowed", source)

    # -- after the deadline ------------------------------------------------------------

    def penalty(self, entity: CoveredEntity, facts: PeriodFacts) -> Penalty:
        """The pilot's penalty formula (:mod:`adapters.pilots.penalties`)."""
        p = self.parameters(facts.period.first)
        return penalties.assess(
            p.penalty,
            shortfall=facts.shortfall,
            allowances=sum(entity.allocated(y) for y in facts.period.years),
            price=facts.reference_price,
            next_year=facts.period.last + 1,
            currency=self.currency,
            registry=self.jurisdiction,
            entity=entity.entity,
        )

    # -- market rules ------------------------------------------------------------------

    def check_trade(
        self, op: Operation, previous: Decimal | None, seller: CoveredEntity | None
    ) -> None:
        """Rules that forbid a trade (E:1499–1591, E:551), given the previous trading
        day's average price and the selling entity:

        * Shanghai: a price more than 10% from the previous day's is refused
          (MKT-001); 100,000 t or more must be a negotiated transfer (MKT-002);
        * Chongqing: an entity sells at most 50% of its free allocation of a year
          (MKT-002)."""
        if op.kind != "transfer":
            return
        s = self.parameters(op.business_date.year).stabilisation
        if s.daily_move is not None and op.price is not None and previous is not None:
            low, high = move_band(previous, s.daily_move)
            if not low <= op.price <= high:
                raise Refused(
                    "MKT-001",
                    price=op.price,
                    currency=self.currency,
                    registry=self.jurisdiction,
                    low=low,
                    high=high,
                    rule=f"at most {float(s.daily_move * 100):g}% from the previous trading "
                    f"day's {previous}",
                    source=s.source,
                )
        if (
            s.negotiated_from is not None
            and op.quantity >= s.negotiated_from
            and op.purpose != "negotiated"
        ):
            raise Refused(
                "MKT-002",
                entity=op.account,
                total=op.quantity,
                registry=self.jurisdiction,
                limit=s.negotiated_from - 1,
                rule=f"a listed trade; {s.negotiated_from:,} t or more must be negotiated",
                source="E:551",
            )
        if s.sale_share is not None and seller is not None:
            for vintage in sorted({b.vintage for b in op.blocks}):
                selling = sum(b.count for b in op.blocks if b.vintage == vintage)
                total = seller.sold.get(vintage, 0) + selling
                limit = share_of(seller.allocated(vintage), s.sale_share)
                if total > limit:
                    raise Refused(
                        "MKT-002",
                        entity=seller.entity,
                        total=total,
                        registry=self.jurisdiction,
                        limit=limit,
                        rule=f"at most {float(s.sale_share * 100):g}% of its {vintage} free "
                        f"allocation ({seller.allocated(vintage)} t)",
                        source=s.source,
                    )

    def check(self, op: Operation, registry: RegistryApplication) -> None:
        """Nothing beyond :meth:`check_trade`, which the registry runs with the
        market state it loads in the same unit of work."""
