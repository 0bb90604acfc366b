"""China's national ETS (unit CEA): its compliance rules and the factory ``cn_ets()``.

Every rule cites china-ets.md and, through it, the EDF report (seed 004, ``L…``).
The numbers that change between cycles live in :mod:`adapters.china.cycles`;
benchmarks in :mod:`adapters.china.benchmarks`; the allocation, penalty and
market formulas in :mod:`~adapters.china.allocation`,
:mod:`~adapters.china.penalties` and :mod:`~adapters.china.market`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from adapters.base import Operation, RegistryApplication, RegistryConfig
from adapters.china import allocation as alloc
from adapters.china import penalties
from adapters.china.benchmarks import Benchmark, GasReading, benchmark
from adapters.china.cycles import (
    COVERAGE_THRESHOLD,
    CYCLES,
    INDUSTRY,
    MRV_ONLY,
    POWER,
    Cycle,
)
from adapters.china.market import band
from adapters.china.registry import ChinaNationalRegistry
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

CEA = "CEA"
CCER = "CCER"
#: CCERs recorded before 14 Mar 2017 (L396, L628): their own unit type, so a
#: surrender can tell them apart after their sunset
CCER_2012 = "CCER_2012"
LEGACY_CCER_LAST_USE = date(2024, 12, 31)  # L396, L628

#: **[GK]** The provincial-level divisions whose authorities hold the provincial
#: accounts of the issuance and surrender chain (L470–500 name "provincial
#: accounts" but not the list): the 31 mainland divisions, GB/T 2260 letters.
PROVINCES = (
    "BJ", "TJ", "HE", "SX", "NM", "LN", "JL", "HL", "SH", "JS", "ZJ", "AH", "FJ", "JX", "SD", "HA",
    "HB", "HN", "GD", "GX", "HI", "CQ", "SC", "GZ", "YN", "XZ", "SN", "GS", "QH", "NX", "XJ",
)  # fmt: skip

MEE = "MEE"
OFFSET_SHARE = percent(5)  # L162, L357, L628

AboveLimit = Literal["unusable", "report_only"]


def province_account(province: str) -> str:
    return f"PROV-{province}"


@dataclass(frozen=True)
class ChinaNationalRules(ComplianceRules):
    """The national ETS's rules, parameterised per cycle (see :class:`Cycle`)."""

    cycles: tuple[Cycle, ...] = CYCLES
    #: Table 2's gas inconsistency (benchmarks.py): "printed" or "below_balance"
    gas_2023: GasReading = "printed"
    #: benchmarks for years Table 2 does not give (e.g. 2019–2022), supplied by the user
    extra_benchmarks: dict[int, dict[str, Benchmark]] = field(default_factory=dict)
    provinces: tuple[str, ...] = PROVINCES
    #: cycles 1–2: the fine within CNY 20,000–30,000 (L455)
    fixed_fine: Decimal = Decimal(20_000)
    #: from cycle 3: the multiple of last month's average price, within 5–10 (L457)
    price_multiple: Decimal = Decimal(5)
    #: [GK] a net buyer's negative net sales count as zero in the carry-over limit
    negative_net_sales_as_zero: bool = True
    #: what happens to allowances banked above the carry-over limit (unstated, L453)
    above_carry_over_limit: AboveLimit = "unusable"
    #: the registry CCERs come from (a domestic link, same Party)
    ccer_registry: str = "CCER"
    #: the hypothetical scenario switch: CEAs may leave China (L400: nothing provides for it)
    allow_export: bool = False
    #: steel, cement and aluminium after 2024: t CO2 per t of product, by year and
    #: sector, supplied by the user (the sources say intensity-based from 2025 and
    #: tightening from 2027, L288–292, but give no benchmark); none: refused
    industry_benchmarks: dict[int, dict[str, Decimal]] = field(default_factory=dict)

    # -- calendar --------------------------------------------------------------------

    def cycle(self, period_id: str) -> Cycle:
        self.period(period_id)  # refuses an unknown period (CMP-005)
        return next(c for c in self.cycles if c.period.id == period_id)

    def cycle_of_year(self, year: int) -> Cycle | None:
        return next((c for c in self.cycles if year in c.period.years), None)

    def _previous(self, cycle: Cycle) -> Cycle | None:
        i = self.cycles.index(cycle)
        return self.cycles[i - 1] if i > 0 else None

    # -- coverage (L156, L161, L193) -----------------------------------------------------

    def check_coverage(self, sector: str, emissions: int, attributes: dict[str, Any]) -> None:
        """26,000 tCO2e a year on the latest verified result (L156); power, steel,
        cement, aluminium surrender; six MRV-only sectors report (L161)."""
        name = str(attributes.get("name", "the entity"))

        def refuse(reason: str, source: str) -> None:
            raise Refused(
                "CMP-001", entity=name, registry=self.jurisdiction, reason=reason, source=source
            )

        if sector not in (POWER, *INDUSTRY, *MRV_ONLY):
            refuse(f"sector {sector!r} is neither covered nor MRV-only", "china-ets.md, L156, L161")
        if emissions < COVERAGE_THRESHOLD:
            refuse(
                f"{emissions} t is below the {COVERAGE_THRESHOLD} tCO2e threshold",
                "china-ets.md, L156",
            )
        if sector not in MRV_ONLY and attributes.get("province") not in self.provinces:
            refuse(
                f"province {attributes.get('province')!r} has no provincial account "
                "(allowances reach entities through their province)",
                "china-ets.md, L470–500",
            )

    def obligated(self, entity: CoveredEntity, cycle: Cycle) -> bool:
        return entity.sector in cycle.sectors

    # -- allocation ----------------------------------------------------------------------

    def stages(self, year: int) -> tuple[str, ...]:
        """Pre-allocation, then the ex-post final allocation (L109, L159, L260–264)."""
        return ("pre", "final")

    def _refuse_allocation(self, stage: str, reason: str, source: str) -> Refused:
        return Refused(
            "CMP-009",
            registry=self.jurisdiction,
            operation=f"{stage} allocation",
            reason=reason,
            source=source,
        )

    def allocation(self, entity: CoveredEntity, year: int, stage: str) -> Allocation:
        cycle = self.cycle_of_year(year)
        if cycle is None:
            raise self._refuse_allocation(
                stage, f"{year} is in no compliance cycle", "china-ets.md, L166, L447"
            )
        if not self.obligated(entity, cycle):
            raise self._refuse_allocation(
                stage,
                f"{entity.entity} ({entity.sector}) has no allocation in {cycle.period.id}: "
                "the sector reports only or is not yet covered",
                "china-ets.md, L161, L193",
            )
        if entity.sector in INDUSTRY:
            return self._industry(entity, year, stage)
        if stage == "pre":
            previous = entity.verified_in([year - 1])
            return Allocation(
                alloc.pre_allocation(previous),
                f"pre-allocation: 70% of {year - 1} verified {previous} t "
                "(china-ets.md, L159, L260)",
            )
        return self._power_final(entity, year, cycle)

    def _industry(self, entity: CoveredEntity, year: int, stage: str) -> Allocation:
        benchmark = self.industry_benchmarks.get(year, {}).get(entity.sector)
        if year != 2024 and benchmark is not None:
            return self._industry_intensity(entity, year, stage, benchmark)
        if year != 2024:
            raise self._refuse_allocation(
                stage,
                f"the {entity.sector} allocation for {year} has no numbers in the sources "
                "(2025–2026 intensity-based, tightening from 2027)",
                "china-ets.md, L288–292",
            )
        if stage == "pre":
            raise self._refuse_allocation(
                stage,
                "the 2024 steel, cement and aluminium allocation equals verified emissions "
                "and is issued once they are verified",
                "china-ets.md, L159, L290",
            )
        verified = entity.verified_in([year])
        return Allocation(
            alloc.industry_2024(verified),
            f"2024 {entity.sector}: allocation = verified {verified} t (china-ets.md, L159, L290)",
        )

    def _industry_intensity(
        self, entity: CoveredEntity, year: int, stage: str, benchmark: Decimal
    ) -> Allocation:
        """After 2024, with a supplied benchmark: benchmark × the year's verified output
        (``activity["output_t"]``, t of product), rounded down, issued once verified
        like 2024's (L288–292: intensity-based; the numbers are the user's)."""
        if stage == "pre":
            raise self._refuse_allocation(
                stage,
                f"the {year} {entity.sector} allocation is intensity-based on verified output "
                "and is issued once it is verified",
                "china-ets.md, L288–292",
            )
        output = entity.activity.get(year, {}).get("output_t")
        if output is None:
            raise self.facts_missing(
                entity,
                f"compute the {year} {entity.sector} allocation",
                "the verified output (activity output_t, t of product) is not recorded",
            )
        total = floor(Fraction(Decimal(str(output))) * Fraction(benchmark))
        return Allocation(
            total,
            f"{year} {entity.sector}: benchmark {benchmark} t/t × output {output} t "
            "(supplied benchmark; china-ets.md, L288–292)",
        )

    def benchmark(self, category: str, year: int) -> Benchmark | None:
        extra = self.extra_benchmarks.get(year, {}).get(category)
        return extra or benchmark(category, year, self.gas_2023)

    def _power_final(self, entity: CoveredEntity, year: int, cycle: Cycle) -> Allocation:
        verified = entity.verified_in([year])
        try:
            units = alloc.units_of(entity.activity.get(year, {}), entity.attributes, verified)
        except ValueError as error:
            raise self.facts_missing(
                entity, f"compute the {year} final allocation", str(error)
            ) from error
        lines = []
        for unit in units:
            b = self.benchmark(unit.category, year)
            if b is None:
                raise self._refuse_allocation(
                    "final",
                    f"no {year} benchmark for unit category {unit.category!r} (Table 2 gives "
                    "2023 and 2024; supply others with cn_ets(benchmarks=...))",
                    "china-ets.md Table 2, L274–282",
                )
            lines.append(alloc.unit_allocation(unit, b, cycle))
        return Allocation(
            sum(u.final for u in lines), "final: " + "; ".join(u.basis for u in lines)
        )

    # -- the registry chain (L470–500) ------------------------------------------------------

    def allocation_account(self, entity: CoveredEntity) -> str:
        return MEE

    def delivery_chain(self, entity: CoveredEntity) -> tuple[str, ...]:
        """MEE account → provincial account → entity account (L470–500)."""
        return (MEE, province_account(entity.attributes["province"]), entity.account)

    def surrender_chain(self, entity: CoveredEntity) -> tuple[str, ...]:
        """Entity → provincial account → MEE account → cancelled (注销) (L470–500)."""
        return (province_account(entity.attributes["province"]), MEE)

    # -- surrender ------------------------------------------------------------------------

    def obligation(self, entity: CoveredEntity, period: Period) -> int:
        """One allowance per tonne of the cycle's verified emissions (L445); none
        for MRV-only sectors or before a sector is covered (L161, L193)."""
        if not self.obligated(entity, self.cycle(period.id)):
            return 0
        return entity.verified_in(period.years)

    def offset_limit(self, entity: CoveredEntity, period: Period) -> tuple[int, str, str]:
        """CCER offsets up to 5% of the allowances due (L162, L357, L628), rounded down."""
        return (
            floor(self.obligation(entity, period) * OFFSET_SHARE),
            "CCER up to 5% of the allowances due for surrender",
            "china-ets.md, L162, L357, L628",
        )

    def check_offsets(self, entity: CoveredEntity, blocks: list[Block], on: date) -> None:
        """CCERs from the CCER registry only; legacy CCERs (recorded before
        14 Mar 2017) only until 31 Dec 2024 (L396, L628)."""
        foreign = [b for b in blocks if b.registry != self.ccer_registry]
        if foreign:
            self._refuse_offsets(
                foreign, f"offsets must be CCERs from the {self.ccer_registry} registry", "L162"
            )
        legacy = [b for b in blocks if b.unit_type == CCER_2012]
        if legacy and on > LEGACY_CCER_LAST_USE:
            self._refuse_offsets(
                legacy,
                f"CCERs recorded before 14 Mar 2017 were usable until {LEGACY_CCER_LAST_USE} "
                f"(surrender on {on})",
                "L396, L628",
            )

    def _refuse_offsets(self, blocks: list[Block], reason: str, lines: str) -> None:
        raise Refused(
            "CMP-004",
            blocks=", ".join(map(str, blocks)),
            registry=self.jurisdiction,
            reason=reason,
            source=f"china-ets.md, {lines}",
        )

    def carry_over_limit(self, entity: CoveredEntity, facts: PeriodFacts) -> int | None:
        """Unlimited in cycles 1–2; from cycle 3, 10,000 t + 1.5 × net sales (L453, L466)."""
        return self._limit(entity, self.cycle(facts.period.id))

    def _limit(self, entity: CoveredEntity, cycle: Cycle) -> int | None:
        rule = cycle.carry_over
        if rule is None:
            return None
        net = entity.net_sales(rule.net_sales_vintages)
        return penalties.carry_over_limit(rule, net, self.negative_net_sales_as_zero)

    def check_banking(
        self, entity: CoveredEntity, period: Period, blocks: list[Block], on: date
    ) -> None:
        """Allowances of earlier cycles count without limit until the cycle they
        leave has a carry-over rule (cycle 3 onwards, L453); then together at most
        the limit recorded when that cycle closed (or computed now if not closed)."""
        previous = self._previous(self.cycle(period.id))
        if previous is None or self.above_carry_over_limit == "report_only":
            return
        closed = entity.results.get(previous.period.id)
        limit = closed["carry_over_limit"] if closed else self._limit(entity, previous)
        if limit is None:
            return
        used = entity.surrendered("banked", period.id) + sum(b.count for b in blocks)
        if used > limit:
            raise self.banking_refused(
                period,
                blocks,
                f"{used} t carried over from {previous.period.id} would exceed the "
                f"limit of {limit} t (10,000 t + 1.5 × net sales)",
                "china-ets.md, L453, L466",
            )

    def check_borrowing(
        self, entity: CoveredEntity, period: Period, blocks: list[Block], on: date
    ) -> None:
        """Only in cycle 2: shortfall rate ≥ 10%, up to 50% of the shortfall, from
        the 2023 pre-allocation (L166, L451)."""
        cycle = self.cycle(period.id)

        def refuse(reason: str) -> None:
            raise self.borrowing_refused(entity, period, blocks, reason, "china-ets.md, L166, L451")

        rule = cycle.borrowing
        if rule is None:
            refuse(f"borrowing was allowed only in cycle 2, not in {period.id}")
            return
        if any(b.vintage != rule.from_year for b in blocks):
            refuse(f"only {rule.from_year} allowances (the pre-allocation) may be borrowed")
        obligation = self.obligation(entity, period)
        allocated = sum(entity.allocated(y) for y in period.years)
        cap, rate = penalties.borrowing_cap(rule, obligation, allocated)
        borrowed = entity.surrendered("borrowed", period.id) + sum(b.count for b in blocks)
        pre = sum(
            line["quantity"]
            for line in entity.allocations.get(rule.from_year, [])
            if line["stage"] == "pre"
        )
        if cap == 0:
            refuse(
                f"the shortfall rate {float(rate):.2%} is below "
                f"{float(rule.min_shortfall_rate):.0%}"
            )
        if borrowed > min(cap, pre):
            refuse(
                f"{borrowed} t borrowed would exceed {min(cap, pre)} t "
                f"(50% of the {obligation - allocated} t shortfall is {cap} t; "
                f"the {rule.from_year} pre-allocation is {pre} t)"
            )

    # -- after the deadline ----------------------------------------------------------------

    def penalty(self, entity: CoveredEntity, facts: PeriodFacts) -> Penalty:
        """Cycles 1–2: CNY 20,000–30,000 (L455); from cycle 3: 5–10 × the average
        price of the month before the deadline on the shortfall (L457); both
        deduct the shortfall from next year's allocation."""
        cycle = self.cycle(facts.period.id)
        policy = cycle.fine
        point = self.fixed_fine if policy.kind == "fixed" else self.price_multiple
        try:
            amount = penalties.fine(policy, facts.shortfall, point, facts.reference_price)
        except ValueError as error:
            raise self.facts_missing(
                entity, f"assess the {facts.period.id} penalty", f"{error} ({policy.source})"
            ) from error
        if facts.shortfall == 0:
            basis = "no shortfall"
        elif policy.kind == "fixed":
            basis = f"fixed fine CNY {point} within 20,000–30,000 ({policy.source})"
        else:
            basis = (
                f"{point} × average price {facts.reference_price} × {facts.shortfall} t "
                f"({policy.source})"
            )
        deduct = facts.shortfall
        return Penalty(
            amount,
            self.currency,
            deduct,
            basis + (f"; {deduct} t deducted from {facts.period.last + 1}" if deduct else ""),
            facts.period.last + 1 if deduct else None,
        )

    # -- market and border rules --------------------------------------------------------------

    def check(self, op: Operation, registry: RegistryApplication) -> None:
        if op.kind == "export" and not self.allow_export:
            raise Refused(
                "CMP-009",
                registry=self.jurisdiction,
                operation=f"export to {op.counterparty}",
                reason="nothing in Chinese rules provides for cross-border transfer of CEAs "
                "(a hypothetical scenario: cn_ets(allow_export=True))",
                source="china-ets.md, L400",
            )
        if op.kind == "import":
            self._check_import(op)
        if op.kind == "transfer":
            self._check_trade(op, registry)

    def _check_trade(self, op: Operation, registry: RegistryApplication) -> None:
        """Only covered entities hold accounts and trade (L410); no OTC trades:
        every trade is made on the exchange, at a price (L416); and the price
        must fall in the mode's band (L420–434)."""

        def refuse(reason: str, lines: str) -> None:
            raise Refused(
                "CMP-009",
                registry=self.jurisdiction,
                operation=f"transfer from {op.account} to {op.counterparty}",
                reason=reason,
                source=f"china-ets.md, {lines}",
            )

        if not isinstance(registry, ChinaNationalRegistry):
            return
        for side in (op.account, op.counterparty):
            entity = registry.entity(side) if side is not None else None
            if entity is None or entity.sector in MRV_ONLY:
                refuse(f"{side} is not a covered entity; only covered entities trade", "L410")
        if op.price is None:
            refuse("no OTC trades: every trade is made on the exchange, at a price", "L416")
        self._check_price(op, registry)

    def _check_import(self, op: Operation) -> None:
        offsets = {CCER, CCER_2012}
        others = [
            b
            for b in op.blocks
            if not (b.unit_type in offsets and b.registry == self.ccer_registry)
        ]
        if others and not self.allow_export:
            raise Refused(
                "CMP-009",
                registry=self.jurisdiction,
                operation=f"import from {op.counterparty}",
                reason="only CCERs from the CCER registry reach the national ETS "
                "(other imports only in the cross-border scenario)",
                source="china-ets.md, L83, L400",
            )

    def _check_price(self, op: Operation, registry: ChinaNationalRegistry) -> None:
        if op.price is None:
            return
        previous = registry.previous_close(op.business_date)
        if previous is None:
            return  # no close published yet: nothing to measure the band against
        day, close = previous
        b = band(op.quantity, close)
        if not b.low <= op.price <= b.high:
            raise Refused(
                "MKT-001",
                price=op.price,
                currency=self.currency,
                registry=self.jurisdiction,
                low=b.low,
                high=b.high,
                rule=f"{b.mode} of {op.quantity} t against the {day} close of {close}",
                source=b.source,
            )


def cn_ets(
    code: str = "CN_ETS",
    *,
    name: str = "China national ETS registry",
    party: str = "CN",
    gas_2023: GasReading = "printed",
    benchmarks: dict[int, dict[str, Benchmark]] | None = None,
    provinces: tuple[str, ...] = PROVINCES,
    fixed_fine: Decimal | int = 20_000,
    price_multiple: Decimal | int = 5,
    net_sales_vintages: dict[str, tuple[int, ...]] | None = None,
    negative_net_sales_as_zero: bool = True,
    above_carry_over_limit: AboveLimit = "unusable",
    ccer_registry: str = "CCER",
    allow_export: bool = False,
    cycles: tuple[Cycle, ...] = CYCLES,
    industry_benchmarks: dict[int, dict[str, Decimal]] | None = None,
) -> RegistryConfig:
    """A national ETS registry, ready for ``system.add_registry(cn_ets())``.

    ``fixed_fine`` (20,000–30,000, L455) and ``price_multiple`` (5–10, L457) pick
    the point within the documented ranges; ``net_sales_vintages`` overrides the
    net-sales window of a cycle's carry-over limit (``{"CN3": (2019, ..., 2023)}``,
    L453); ``allow_export`` is the hypothetical scenario in which CEAs may cross
    a border (L400); ``cycles`` replaces the per-cycle parameters wholesale
    (e.g. ``dataclasses.replace`` a cycle to apply the coal floor earlier);
    ``industry_benchmarks`` ({year: {sector: t CO2 per t of product}}) lets steel,
    cement and aluminium be allocated after 2024 (L288–292 give the form, not the
    numbers)."""
    if net_sales_vintages:
        cycles = tuple(
            replace(
                c,
                carry_over=replace(
                    c.carry_over, net_sales_vintages=net_sales_vintages[c.period.id]
                ),
            )
            if c.carry_over is not None and c.period.id in net_sales_vintages
            else c
            for c in cycles
        )
    fixed, multiple = Decimal(fixed_fine), Decimal(price_multiple)
    for value, cycle in ((fixed, cycles[0]), (multiple, cycles[-1])):
        if not cycle.fine.low <= value <= cycle.fine.high:
            raise ValueError(
                f"{value} is outside {cycle.fine.low}–{cycle.fine.high} ({cycle.fine.source})"
            )
    rules = ChinaNationalRules(
        jurisdiction=code,
        currency="CNY",
        periods=tuple(c.period for c in cycles),
        allowance_types=(CEA,),
        offset_types=(CCER, CCER_2012),
        authority_accounts={
            MEE: "authority",
            **{province_account(p): "provincial" for p in provinces},
        },
        cycles=cycles,
        gas_2023=gas_2023,
        extra_benchmarks=dict(benchmarks or {}),
        provinces=provinces,
        fixed_fine=fixed,
        price_multiple=multiple,
        negative_net_sales_as_zero=negative_net_sales_as_zero,
        above_carry_over_limit=above_carry_over_limit,
        ccer_registry=ccer_registry,
        allow_export=allow_export,
        industry_benchmarks=dict(industry_benchmarks or {}),
    )
    return RegistryConfig(code, name, party, (CEA,), rules, ChinaNationalRegistry)
