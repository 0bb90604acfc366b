"""K-ETS rule parameters, one set per phase and year.

Sources (digest ``northeast-asia.md``, "Korea", and through it the English ASPI
report ``001``, ``E:`` lines, and the Chinese edition's endnotes, ``C:``):

* phases: I 2015–2017, II 2018–2020, III 2021–2025 (E:2102–2103);
* phase I: grandfathering, 100% free allocation (E:2105–2106);
* phase II: "auctioning up to 3 percent, but auctioning of units will begin in
  2019 and allowances will continue to be allocated for free in 2018"
  (E:2160–2162);
* phase III: "more than 10 percent of its allowances to be auctioned" (E:2108–2109)
  and "the third phase will auction 10 percent" (E:2162): the sources disagree on
  "more than 10%" against "10%"; the default is 10% (the later, specific
  announcement) and :func:`phases` takes any other share;
* banking, borrowing and offsets are allowed (E:2112), with no figures in the
  sources. Every figure for them below is a **[GK]** assumption, configurable.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction

from adapters.compliance import Period, percent

SOURCE = "northeast-asia.md, Korea"


@dataclass(frozen=True)
class PhaseRules:
    """The parameters of one K-ETS phase."""

    id: str
    years: tuple[int, ...]
    #: share of each year's allowances that is auctioned instead of given free
    auction_share: dict[int, Fraction]
    auction_source: str
    #: offsets (KCU and recognised foreign units) as a share of the obligation [GK]
    offset_share: Fraction
    #: the part of the offset limit that may be international [GK]
    international_share: Fraction
    #: borrowing from a later year of the same phase, as a share of the
    #: obligation; None: no borrowing [GK]
    borrowing_share: Fraction | None
    #: carry-over limit: net sales of the year's allowances plus this many tonnes;
    #: None: banking is unlimited [GK]
    carry_over_base: int | None
    allocation_method: str = "grandfathering (E:2106)"
    assumptions: tuple[str, ...] = field(default=())

    def auction(self, year: int) -> Fraction:
        return self.auction_share[year]


#: [GK] offset limit: 10% of the obligation in phases I–II (international up to
#: half of it from phase II), 5% in phase III (northeast-asia.md, Korea, the [GK]
#: item): the report says offsets are allowed (E:2112) but names no limit.
OFFSETS_GK = "[GK] offset limits per phase, northeast-asia.md Korea (not in the report, E:2112)"

#: [GK] borrowing: the report says borrowing is allowed (E:2112) and that the April
#: 2017 stabilisation plan raised "the borrowing ratio" (E:2144–2145) without a
#: figure. Defaults: 10% of the obligation in phase I, 15% from phase II, from a
#: later year of the same phase only (the K-ETS Act lets allowances be borrowed
#: within a phase, as commonly reported by ICAP).
BORROWING_GK = "[GK] borrowing limits (E:2112, E:2144–2145 give no figure)"

#: [GK] banking: allowed (E:2112); the April 2017 plan brought "restrictions on
#: banking that penalize entities for excessive carryover" (E:2144) without a
#: figure. Default from phase II: carry-over up to the year's net sales plus
#: 250,000 t (the phase II rule as ICAP reports it); phase I unlimited.
BANKING_GK = "[GK] carry-over limit (E:2144 gives no figure)"


#: E:2162, "the third phase will auction 10 percent of the allowances"
PHASE3_AUCTION = percent(10)


def phases(phase3_auction: Fraction = PHASE3_AUCTION) -> tuple[PhaseRules, ...]:
    """The three phases with their default parameters; ``phase3_auction`` selects
    the phase III auction share (E:2162 "10 percent", the default, or E:2109 "more
    than 10 percent", for which a caller states the share it means)."""
    return (
        PhaseRules(
            id="I",
            years=(2015, 2016, 2017),
            auction_share={y: Fraction(0) for y in (2015, 2016, 2017)},
            auction_source="E:2106 (100 percent free allocation)",
            offset_share=percent(10),
            international_share=Fraction(0),
            borrowing_share=percent(10),
            carry_over_base=None,
            assumptions=(OFFSETS_GK, BORROWING_GK, BANKING_GK),
        ),
        PhaseRules(
            id="II",
            years=(2018, 2019, 2020),
            auction_share={2018: Fraction(0), 2019: percent(3), 2020: percent(3)},
            auction_source="E:2160–2162 (2018 free; up to 3% auctioned from 2019)",
            offset_share=percent(10),
            international_share=Fraction(1, 2),
            borrowing_share=percent(15),
            carry_over_base=250_000,
            assumptions=(OFFSETS_GK, BORROWING_GK, BANKING_GK),
        ),
        PhaseRules(
            id="III",
            years=(2021, 2022, 2023, 2024, 2025),
            auction_share={y: phase3_auction for y in range(2021, 2026)},
            auction_source="E:2162 (10%) / E:2109 (more than 10%)",
            offset_share=percent(5),
            # [GK]: the 5% may be met with international units in full
            international_share=Fraction(1),
            borrowing_share=percent(15),
            carry_over_base=250_000,
            assumptions=(OFFSETS_GK, BORROWING_GK, BANKING_GK),
        ),
    )


PHASES = phases()


def with_changes(
    base: tuple[PhaseRules, ...], phase: str, **changes: object
) -> tuple[PhaseRules, ...]:
    """The phases with one phase's parameters changed (a configured assumption)."""
    return tuple(replace(p, **changes) if p.id == phase else p for p in base)  # type: ignore[arg-type]


def compliance_periods(all_phases: tuple[PhaseRules, ...]) -> tuple[Period, ...]:
    """One compliance period per year. [GK]: K-ETS obligations are annual and
    allowances are surrendered within six months of the year's end (by 30 June);
    the report states the phases but not the annual calendar."""
    return tuple(
        Period(
            id=str(year),
            years=(year,),
            surrender_by=date(year + 1, 6, 30),
            source="[GK] annual K-ETS compliance, surrender by 30 June (docs/jurisdictions.md)",
        )
        for p in all_phases
        for year in p.years
    )


@dataclass(frozen=True)
class Coverage:
    """Who is covered: emissions above a threshold for a business or a facility."""

    name: str
    business: int
    facility: int
    source: str


#: Endnote 80 (C:4759): "The TMS currently covers businesses that emit more than
#: 50,000 tCO2e and facilities that cover 15,000 tCO2e". The brief applies it as
#: the coverage threshold: an entity is covered when its emissions are *more
#: than* the threshold for its level (business or facility).
TMS = Coverage("TMS", 50_000, 15_000, "C: endnote 80 (C:4759)")
#: [GK] the K-ETS's own thresholds (125,000 t per business, 25,000 t per
#: facility, the K-ETS Act as ICAP reports it): not in the sources, selectable.
KETS = Coverage("K-ETS Act [GK]", 125_000, 25_000, "[GK] K-ETS Act thresholds")
