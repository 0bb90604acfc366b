"""K-ETS compliance rules: a :class:`ComplianceRules` with parameters per phase.

Each rule cites its source; the numbers live in :mod:`adapters.korea.phases`.
The obligation is the framework's: one unit per tonne of the year's verified
emissions (annual compliance, [GK], see :func:`phases.compliance_periods`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from adapters.compliance import (
    Allocation,
    ComplianceRules,
    CoveredEntity,
    Penalty,
    Period,
    PeriodFacts,
    floor,
)
from adapters.korea.eite import eite_of
from adapters.korea.phases import PHASES, TMS, Coverage, PhaseRules
from clearinghouse.checks import Refused
from clearinghouse.units import Block

#: [GK] penalty: a fine of up to three times the average market price of the
#: compliance year on each missing tonne, at most KRW 100,000/t (the K-ETS Act,
#: as ICAP reports it). The sources name no penalty for the K-ETS (the TMS's
#: fine "up to 10 million KRW", E:2095–2096, is for the earlier system).
PENALTY_MULTIPLE = 3
PENALTY_CAP = Decimal(100_000)


@dataclass(frozen=True)
class KetsRules(ComplianceRules):
    """The K-ETS: KAU allowances, KCU offsets, foreign units under a link."""

    phases: tuple[PhaseRules, ...] = PHASES
    coverage: Coverage = TMS
    #: unit types of other registries that count as international offsets when a
    #: linkage agreement brings them in [GK]: the report expects Korea to buy
    #: abroad (E:2186, E:2249–2252) but names no unit
    international_types: tuple[str, ...] = ("CEA",)
    #: [GK] Korean offset credits (KOC) are converted into KCU, the unit that
    #: counts for compliance (northeast-asia.md, Korea: the report names no
    #: offset unit): both type names are configurable
    credit_type: str = "KOC"
    converted_type: str = "KCU"
    penalty_multiple: int = PENALTY_MULTIPLE
    penalty_cap: Decimal = PENALTY_CAP
    authority_accounts: dict[str, str] = field(default_factory=lambda: {"AUCTION": "authority"})

    # -- phases -----------------------------------------------------------------------

    def phase(self, year: int) -> PhaseRules:
        for p in self.phases:
            if year in p.years:
                return p
        raise Refused(
            "CMP-005",
            registry=self.jurisdiction,
            period=str(year),
            reason=f"{year} is in no K-ETS phase ({', '.join(p.id for p in self.phases)})",
            source="E:2102–2103",
        )

    # -- coverage (C: endnote 80) ---------------------------------------------------------

    def check_coverage(self, sector: str, emissions: int, attributes: dict[str, Any]) -> None:
        """Covered when emissions are *more than* the threshold for the entity's
        level, ``attributes["level"]``: "business" (default) or "facility"."""
        level = attributes.get("level", "business")
        threshold = self.coverage.facility if level == "facility" else self.coverage.business
        if emissions <= threshold:
            raise Refused(
                "CMP-001",
                entity=attributes.get("name", f"a {sector} {level}"),
                registry=self.jurisdiction,
                reason=f"{emissions} t is not more than the {self.coverage.name} "
                f"threshold of {threshold} t for a {level}",
                source=self.coverage.source,
            )

    # -- allocation (E:2105–2109, E:2117–2120, E:2160–2162) ----------------------------------

    def gross_allocation(self, entity: CoveredEntity, year: int) -> int:
        """The allowances the allocation plan gives ``entity`` for ``year`` before
        the auctioned share is withheld: its base-period emissions (grandfathering,
        E:2106), registered as ``attributes["base_emissions"]``."""
        base = entity.attributes.get("base_emissions")
        if not isinstance(base, int) or base < 0:
            raise self.facts_missing(
                entity,
                f"allocate for {year}",
                "its base-period emissions (attribute base_emissions) are not registered",
            )
        return base

    def free_allocation(self, entity: CoveredEntity, year: int) -> tuple[int, str]:
        """Free allowances and why: all of the gross allocation for an EITE entity
        or in a year with no auction; else the gross less the auctioned share,
        rounded down (the remainder goes to the auction pool)."""
        phase = self.phase(year)
        gross = self.gross_allocation(entity, year)
        share = phase.auction(year)
        if eite_of(entity.attributes):
            return gross, f"EITE: 100% free in every phase (E:2117–2120); {gross} t"
        if share == 0:
            return gross, f"phase {phase.id}: 100% free in {year} ({phase.auction_source})"
        free = floor(gross * (1 - share))
        return free, (
            f"phase {phase.id}: {float(share * 100):g}% auctioned in {year}, "
            f"free {gross} × {float((1 - share) * 100):g}% = {free} t ({phase.auction_source})"
        )

    def auctioned(self, entity: CoveredEntity, year: int) -> int:
        """What ``entity``'s allocation puts into ``year``'s auction pool."""
        free, _ = self.free_allocation(entity, year)
        return self.gross_allocation(entity, year) - free

    def allocation(self, entity: CoveredEntity, year: int, stage: str) -> Allocation:
        free, basis = self.free_allocation(entity, year)
        return Allocation(free, basis)

    # -- surrender ------------------------------------------------------------------------

    def offset_limit(self, entity: CoveredEntity, period: Period) -> tuple[int, str, str]:
        """[GK] 10% of the obligation in phases I–II, 5% in phase III."""
        phase = self.phase(period.first)
        limit = floor(self.obligation(entity, period) * phase.offset_share)
        share = float(phase.offset_share * 100)
        rule = f"phase {phase.id}: offsets up to {share:g}% of the obligation"
        return limit, rule, "[GK] northeast-asia.md, Korea (E:2112 names no limit)"

    def international_limit(self, entity: CoveredEntity, period: Period) -> tuple[int, str, str]:
        """[GK] the part of the offset limit foreign units may fill: none in
        phase I, half of it in phase II, all of it in phase III."""
        phase = self.phase(period.first)
        share = phase.offset_share * phase.international_share
        limit = floor(self.obligation(entity, period) * share)
        rule = (
            f"phase {phase.id}: international units up to {float(share * 100):g}% of the "
            f"obligation ({phase.international_share} of the offset limit)"
        )
        return limit, rule, "[GK] northeast-asia.md, Korea"

    def is_international(self, block: Block) -> bool:
        return block.unit_type in self.international_types

    def check_international(
        self,
        entity: CoveredEntity,
        period: Period,
        blocks: list[Block],
        history: list[tuple[str, Block]],
    ) -> None:
        """Refuse (CMP-003) international units beyond :meth:`international_limit`;
        ``history`` is (period, block) for what the entity surrendered before."""
        new = sum(b.count for b in blocks if self.is_international(b))
        if not new:
            return
        limit, rule, source = self.international_limit(entity, period)
        used = sum(b.count for p, b in history if p == period.id and self.is_international(b))
        if used + new > limit:
            raise Refused(
                "CMP-003",
                entity=entity.entity,
                period=period.id,
                total=used + new,
                limit=limit,
                rule=rule,
                source=source,
            )

    def check_carry_over(
        self,
        entity: CoveredEntity,
        period: Period,
        blocks: list[Block],
        history: list[tuple[str, Block]],
    ) -> None:
        """Refuse (CMP-007) allowances of an earlier year beyond that year's
        carry-over limit, set when the year closed (:meth:`carry_over_limit`), or
        before it is closed. [GK] BANKING_GK; phase I banking is unlimited."""
        banked = [
            b for b in blocks if b.unit_type in self.allowance_types and b.vintage < period.first
        ]
        for vintage in sorted({b.vintage for b in banked}):
            origin = self.period_of(vintage)
            base = self.phase(vintage).carry_over_base
            if origin is None or base is None:
                continue  # banking from this year is unlimited
            these = [b for b in banked if b.vintage == vintage]
            source = "[GK] E:2144 (carry-over restricted; no figure given)"
            result = entity.results.get(origin.id)
            if result is None:
                raise self.banking_refused(
                    period,
                    these,
                    f"{vintage} allowances are carried over only once {origin.id} "
                    "is closed and its carry-over limit set",
                    source,
                )
            limit = result["carry_over_limit"]
            if limit is None:
                continue
            used = sum(
                b.count
                for p, b in history
                if p != origin.id and b.unit_type in self.allowance_types and b.vintage == vintage
            )
            total = used + sum(b.count for b in these)
            if total > limit:
                raise self.banking_refused(
                    period,
                    these,
                    f"{total} t of {vintage} allowances used after {origin.id} is above "
                    f"its carry-over limit of {limit} t (net sales + {base} t)",
                    source,
                )

    def check_borrowing(
        self, entity: CoveredEntity, period: Period, blocks: list[Block], on: date
    ) -> None:
        """[GK] allowances of a later year of the same phase, up to the phase's
        share of the obligation (E:2112: borrowing allowed; no figure given)."""
        phase = self.phase(period.first)
        other = [b for b in blocks if b.vintage not in phase.years]

        def refused(reason: str) -> Refused:
            return self.borrowing_refused(
                entity, period, blocks, reason, "[GK] E:2112, E:2144–2145"
            )

        if other:
            raise refused(f"borrowing is only from a later year of phase {phase.id}")
        if phase.borrowing_share is None:
            raise refused(f"phase {phase.id} allows no borrowing")
        limit = floor(self.obligation(entity, period) * phase.borrowing_share)
        total = entity.surrendered("borrowed", period.id) + sum(b.count for b in blocks)
        if total > limit:
            raise refused(
                f"{total} t borrowed would exceed {limit} t, "
                f"{float(phase.borrowing_share * 100):g}% of the obligation"
            )

    # -- after the deadline -----------------------------------------------------------------

    def carry_over_limit(self, entity: CoveredEntity, facts: PeriodFacts) -> int | None:
        """[GK] from phase II: the year's net sales plus a fixed allowance (BANKING_GK)."""
        phase = self.phase(facts.period.first)
        if phase.carry_over_base is None:
            return None
        return max(0, entity.net_sales(facts.period.years)) + phase.carry_over_base

    def penalty(self, entity: CoveredEntity, facts: PeriodFacts) -> Penalty:
        """[GK] shortfall × min(3 × reference price, KRW 100,000); no deduction.
        Without a reference price the cap applies."""
        if facts.shortfall == 0:
            return Penalty(Decimal(0), self.currency, 0, "compliant")
        price = facts.reference_price
        per_tonne = (
            self.penalty_cap
            if price is None
            else min(self.penalty_multiple * price, self.penalty_cap)
        )
        return Penalty(
            facts.shortfall * per_tonne,
            self.currency,
            0,
            f"[GK] {facts.shortfall} t × min({self.penalty_multiple} × price, "
            f"{self.penalty_cap}) = {per_tonne} KRW/t",
        )
