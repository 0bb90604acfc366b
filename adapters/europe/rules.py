"""The EU ETS and the Swiss ETS: compliance rules, pure, parameterised per system.

Sources: reference/registries-and-reporting.md L42 (the link: EUAs, CHUs and
the aviation units valid for surrender in both systems and distinguishable in
balances; settlement dates; the EU's 26-hour delay; system sizes) and
reference/linkage-and-article6.md L9 with ICAP's brief 002 L35 (Norway,
Iceland and Liechtenstein in the EU ETS). What the sources do not give is
general knowledge, marked **[GK]**, each a parameter of :class:`EuropeanRules`:

* annual compliance: emissions of year *t* are surrendered by 30 April of
  *t* + 1 [GK: Directive 2003/87/EC Art. 12(3)]; in the EU, from 2024
  emissions, by 30 September [GK: Directive (EU) 2023/959]; in Switzerland by
  30 April [GK: CO2 Ordinance];
* trading phases: 2013–2020 and 2021–2030 [GK]; allowances of a later year of
  the same phase may be surrendered (the year's allocation is issued before
  the deadline), never across phases (CMP-008) [GK]; banking unlimited [GK];
* free allocation follows the national allocation table: the quantity per
  installation and year is an input (``attributes.allocation``), since the
  benchmarks behind it are not in the sources;
* coverage: an Annex I activity; combustion only above 20 MW rated thermal
  input [GK: Annex I]; aircraft operators are ``aviation``;
* aviation allowances (EUAA, CHUA) count only for aircraft operators (CMP-502)
  [GK: Art. 12(2a)–(3)];
* a shortfall costs EUR 100 per tonne [GK: Art. 16(3), indexed from 2013;
  configurable] or CHF 125 per tonne [GK: CO2 Act Art. 21] and the missing
  allowances are still due: added to the next year's obligation [GK].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from adapters.base import Operation, RegistryApplication
from adapters.compliance import (
    Allocation,
    ComplianceRules,
    CoveredEntity,
    Penalty,
    Period,
    PeriodFacts,
)
from adapters.europe.settlement import SettlementCalendar
from clearinghouse.checks import Refused
from clearinghouse.units import Block

LINK_SOURCE = "registries-and-reporting.md L42"
EEA_SOURCE = "linkage-and-article6.md L9; 002 L35"

#: Annex I activities [GK], by the sector names a registration uses
ACTIVITIES = (
    "combustion",
    "refining",
    "coke",
    "iron_steel",
    "non_ferrous_metals",
    "cement",
    "lime",
    "glass",
    "ceramics",
    "pulp_paper",
    "chemicals",
    "hydrogen",
    "aviation",
)
#: combustion installations are covered above this rated thermal input [GK: Annex I]
THERMAL_INPUT_MW = 20


@dataclass(frozen=True)
class Participation:
    """A state whose installations take part in a system, and since when."""

    state: str
    since: date
    until: date | None = None
    source: str = "[GK]"

    def on(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


#: EU member states [GK: from the start of the EU ETS in 2005, or accession]
_FOUNDING = "AT BE CY CZ DE DK EE ES FI FR GR HU IE IT LT LU LV MT NL PL PT SE SI SK"
EU_MEMBERS: tuple[Participation, ...] = (
    *(Participation(s, date(2005, 1, 1)) for s in _FOUNDING.split(" ")),
    Participation("BG", date(2007, 1, 1)),
    Participation("RO", date(2007, 1, 1)),
    Participation("HR", date(2013, 1, 1)),
    Participation("GB", date(2005, 1, 1), until=date(2020, 12, 31)),
)
EEA_STATES = ("NO", "IS", "LI")


def eea_participation(since: date = date(2008, 1, 1)) -> tuple[Participation, ...]:
    """Norway, Iceland and Liechtenstein as EU ETS participants.

    The sources disagree on the year: 002 L35 says the three "joined the EU ETS
    in 2007"; the digest (linkage-and-article6.md L9) says "since 2007/2008".
    Default 1 Jan 2008 [GK: the EEA Joint Committee decided in 2007, their
    installations took part from the second trading period, 2008];
    ``since=date(2007, 1, 1)`` follows 002 literally."""
    return tuple(Participation(s, since, source=EEA_SOURCE) for s in EEA_STATES)


def annual_periods(
    first: int, last: int, deadline: dict[int, tuple[int, int]], source: str
) -> tuple[Period, ...]:
    """One period per emission year; ``deadline`` maps the first emission year a
    deadline applies from to its (month, day) in the following year."""
    periods = []
    for year in range(first, last + 1):
        since = max(y for y in deadline if y <= year)
        month, day = deadline[since]
        periods.append(Period(str(year), (year,), date(year + 1, month, day), source))
    return tuple(periods)


@dataclass(frozen=True)
class EuropeanRules(ComplianceRules):
    """The EU ETS's or the Swiss ETS's rules (factories: :func:`adapters.europe.eu_ets`,
    :func:`adapters.europe.swiss_ets`)."""

    #: allowance types that only aircraft operators may surrender
    aviation_types: tuple[str, ...] = ()
    #: states whose installations take part, and since when
    participation: tuple[Participation, ...] = ()
    #: trading phases as (first year, last year): borrowing stays inside one [GK]
    phases: tuple[tuple[int, int], ...] = ((2013, 2020), (2021, 2030))
    #: registries across the link, whose transfers follow the settlement calendar
    settlement_partners: tuple[str, ...] = ()
    calendar: SettlementCalendar = field(default_factory=SettlementCalendar)
    link_name: str = "EU–Swiss"
    #: the delay for transfers to accounts not on the trusted list (EU: 26 h, L42)
    untrusted_delay: timedelta | None = None
    penalty_per_tonne: Decimal = Decimal(100)
    penalty_source: str = "[GK]"
    #: a shortfall is still due: added to the next year's obligation [GK]
    make_good: bool = True

    # -- coverage --------------------------------------------------------------------

    def check_coverage(self, sector: str, emissions: int, attributes: dict[str, Any]) -> None:
        """An Annex I activity in a participating state; combustion above 20 MW [GK]."""
        name = attributes.get("name", f"the {sector} installation")
        if sector not in ACTIVITIES:
            raise Refused(
                "CMP-001",
                entity=name,
                registry=self.jurisdiction,
                reason=f"{sector!r} is not an activity the system covers ({', '.join(ACTIVITIES)})",
                source="[GK] Directive 2003/87/EC Annex I",
            )
        if sector == "combustion":
            mw = attributes.get("thermal_input_mw")
            if not isinstance(mw, int | float) or mw <= THERMAL_INPUT_MW:
                raise Refused(
                    "CMP-001",
                    entity=name,
                    registry=self.jurisdiction,
                    reason=f"a combustion installation is covered above {THERMAL_INPUT_MW} MW "
                    f"rated thermal input (thermal_input_mw: {mw})",
                    source="[GK] Directive 2003/87/EC Annex I",
                )
        if attributes.get("state") not in {p.state for p in self.participation}:
            raise Refused(
                "CMP-001",
                entity=name,
                registry=self.jurisdiction,
                reason=f"state {attributes.get('state')!r} is not one of the participating "
                f"states ({', '.join(sorted({p.state for p in self.participation}))})",
                source=EEA_SOURCE,
            )

    def check_participation(self, entity: str, state: str, on: date) -> None:
        """Refuse (CMP-503) an installation of a state that does not take part on ``on``."""
        reason, source = "it is not a participating state", EEA_SOURCE
        for p in self.participation:
            if p.state == state:
                if p.on(on):
                    return
                window = f"from {p.since}" + (f" to {p.until}" if p.until else "")
                reason, source = f"its installations take part {window}", p.source
                break
        raise Refused(
            "CMP-503",
            entity=entity,
            state=state,
            registry=self.jurisdiction,
            date=on,
            reason=reason,
            source=source,
        )

    # -- allocation ------------------------------------------------------------------

    def allocation(self, entity: CoveredEntity, year: int, stage: str) -> Allocation:
        """What the national allocation table gives the installation for ``year``
        (``attributes.allocation``, by year); the benchmarks behind it are not in
        the sources."""
        table = entity.attributes.get("allocation", {})
        total = int(table.get(str(year), 0))
        return Allocation(total, f"{year}: {total} t in the national allocation table")

    # -- surrender ----------------------------------------------------------------------

    def phase_of(self, year: int) -> tuple[int, int] | None:
        for first, last in self.phases:
            if first <= year <= last:
                return (first, last)
        return None

    def obligation(self, entity: CoveredEntity, period: Period) -> int:
        """Verified emissions of the year, plus last year's shortfall still due [GK]."""
        owed = 0
        if self.make_good:
            previous = entity.results.get(str(period.first - 1), {})
            owed = int(previous.get("shortfall", 0))
        return entity.verified_in(period.years) + owed

    def check_borrowing(
        self, entity: CoveredEntity, period: Period, blocks: list[Block], on: date
    ) -> None:
        """Allowances of a later year of the same phase may be surrendered [GK]."""
        phase = self.phase_of(period.first)
        outside = [b for b in blocks if phase is None or self.phase_of(b.vintage) != phase]
        if outside:
            raise self.borrowing_refused(
                entity,
                period,
                outside,
                "allowances of a later trading phase cannot be used for this year [GK]",
                "[GK] Directive 2003/87/EC Art. 13",
            )

    def check_aviation(self, entity: CoveredEntity, blocks: list[Block]) -> None:
        """Aviation allowances count only for aircraft operators (CMP-502) [GK]."""
        if entity.sector == "aviation":
            return
        aviation = [b for b in blocks if b.unit_type in self.aviation_types]
        if aviation:
            raise Refused(
                "CMP-502",
                blocks=", ".join(map(str, aviation)),
                entity=entity.entity,
                registry=self.jurisdiction,
                source="[GK] Directive 2003/87/EC Art. 12(2a)-(3); " + LINK_SOURCE,
            )

    # -- after the deadline --------------------------------------------------------------

    def penalty(self, entity: CoveredEntity, facts: PeriodFacts) -> Penalty:
        if facts.shortfall == 0:
            return Penalty(Decimal(0), self.currency, 0, "complied")
        fine = self.penalty_per_tonne * facts.shortfall
        still = " and the shortfall is added to next year's obligation" if self.make_good else ""
        return Penalty(
            fine,
            self.currency,
            0,
            f"excess emissions penalty {self.penalty_per_tonne} {self.currency}/t × "
            f"{facts.shortfall} t{still} ({self.penalty_source})",
        )

    # -- the link ---------------------------------------------------------------------------

    def check(self, op: Operation, registry: RegistryApplication) -> None:
        """Units from across the link are credited only on a settlement date (CMP-501):
        a registry that proposed a transfer off the calendar gets its units back."""
        if (
            op.kind == "import"
            and op.counterparty in self.settlement_partners
            and not self.calendar.is_settlement_date(op.business_date)
        ):
            raise Refused(
                "CMP-501",
                registry=self.jurisdiction,
                link=self.link_name,
                date=op.business_date,
                reason="it is not a settlement date; the next one is "
                f"{self.calendar.next_on_or_after(op.business_date)}",
                source=self.calendar.source,
            )
