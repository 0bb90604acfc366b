"""The EU ETS (with the EEA states) and the Swiss ETS, linked since 2020 (issue #8, item 1).

Stand them up and link them::

    system.add_registry(eu_ets())          # EU_ETS, Party EU: EUA, EUAA
    system.add_registry(swiss_ets())       # CH_ETS, Party CH: CHU, CHUA
    for grant in eu_ch_authorizations():
        system.clearinghouse.grant_authorization(grant)
    system.clearinghouse.conclude_agreement(eu_ch_link())

Sources: reference/registries-and-reporting.md L42 (the link), reference/
linkage-and-article6.md L9 and ICAP's brief 002 L35 (the EEA states). Rules:
:mod:`.rules`; the settlement calendar and the 26-hour delay: :mod:`.settlement`;
held-back transfers and the trusted list: :mod:`.deferral`, :mod:`.registry`.
Assumptions and choices: docs/jurisdictions.md, "EU ETS and Swiss ETS".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from adapters.base import RegistryConfig
from adapters.europe.registry import EuropeanRegistry, ScheduledReceipt
from adapters.europe.rules import (
    EU_MEMBERS,
    LINK_SOURCE,
    EuropeanRules,
    Participation,
    annual_periods,
    eea_participation,
)
from adapters.europe.settlement import UNTRUSTED_DELAY, SettlementCalendar, calendar
from clearinghouse.commands import ConcludeAgreement, GrantAuthorization

EU_UNITS = ("EUA", "EUAA")
CH_UNITS = ("CHU", "CHUA")
#: the agreement was signed on 23 Nov 2017 and is in force from 1 Jan 2020 (L42)
LINK_SIGNED = date(2017, 11, 23)
LINK_IN_FORCE = date(2020, 1, 1)
APPROACH = "EU_CH_LINK"

#: [GK] surrender deadlines: 30 April of the next year; EU from 2024 emissions 30 September
EU_DEADLINES = {2013: (4, 30), 2024: (9, 30)}
CH_DEADLINES = {2013: (4, 30)}


def eu_ets(
    code: str = "EU_ETS",
    *,
    linked: bool = True,
    partner: str = "CH_ETS",
    eea_since: date = date(2008, 1, 1),
    settlement: SettlementCalendar | None = None,
    untrusted_delay: timedelta | None = UNTRUSTED_DELAY,
    penalty_per_tonne: Decimal = Decimal(100),
    years: tuple[int, int] = (2013, 2030),
    participation: Iterable[Participation] | None = None,
) -> RegistryConfig:
    """The Union Registry: EU member states and the EEA states Norway, Iceland and
    Liechtenstein (from ``eea_since``: 2008 by default, 2007 per 002 L35).

    ``linked`` lets Swiss units count for surrender (mutual recognition, L42) and
    makes transfers to ``partner`` follow the ``settlement`` calendar (default:
    :func:`adapters.europe.settlement.calendar`); ``untrusted_delay`` is the
    delay for accounts not on the trusted list (26 hours, L42; None: none)."""
    rules = EuropeanRules(
        jurisdiction=code,
        currency="EUR",
        periods=annual_periods(*years, EU_DEADLINES, "[GK] Directive 2003/87/EC Art. 12(3)"),
        allowance_types=(*EU_UNITS, *(CH_UNITS if linked else ())),
        aviation_types=("EUAA", *(("CHUA",) if linked else ())),
        participation=tuple(participation or (*EU_MEMBERS, *eea_participation(eea_since))),
        settlement_partners=(partner,) if linked else (),
        calendar=settlement or calendar(),
        untrusted_delay=untrusted_delay,
        penalty_per_tonne=penalty_per_tonne,
        penalty_source="[GK] Directive 2003/87/EC Art. 16(3)",
    )
    return RegistryConfig(code, "Union Registry (EU ETS)", "EU", EU_UNITS, rules, EuropeanRegistry)


def swiss_ets(
    code: str = "CH_ETS",
    *,
    linked: bool = True,
    partner: str = "EU_ETS",
    settlement: SettlementCalendar | None = None,
    penalty_per_tonne: Decimal = Decimal(125),
    years: tuple[int, int] = (2013, 2030),
) -> RegistryConfig:
    """The Swiss ETS registry (installations in Switzerland). ``linked`` lets EU
    units count for surrender and puts transfers to ``partner`` on the calendar.
    No 26-hour delay: the source states it for the EU registry only (L42)."""
    rules = EuropeanRules(
        jurisdiction=code,
        currency="CHF",
        periods=annual_periods(*years, CH_DEADLINES, "[GK] Swiss CO2 Ordinance"),
        allowance_types=(*CH_UNITS, *(EU_UNITS if linked else ())),
        aviation_types=("CHUA", *(("EUAA",) if linked else ())),
        participation=(Participation("CH", date(2013, 1, 1), source="[GK] Swiss CO2 Act"),),
        settlement_partners=(partner,) if linked else (),
        calendar=settlement or calendar(),
        untrusted_delay=None,
        penalty_per_tonne=penalty_per_tonne,
        penalty_source="[GK] Swiss CO2 Act Art. 21",
    )
    return RegistryConfig(code, "Swiss ETS registry", "CH", CH_UNITS, rules, EuropeanRegistry)


def eu_ch_link(
    eu: str = "EU_ETS",
    ch: str = "CH_ETS",
    code: str = "EU_CH",
    *,
    authorized: bool = True,
) -> ConcludeAgreement:
    """The two-way link for EUAs, CHUs and both aviation units, in force from
    1 Jan 2020 (L42).

    ``authorized`` treats the link as an Article 6.2 cooperative approach
    (:data:`APPROACH`): units first transferred across it carry their Party's
    corresponding adjustment, and the other Party's surrender of them counts
    for its NDC [assumption: the clearinghouse counts a surrender towards the
    surrendering Party's NDC, and refuses foreign units that are not ITMOs as
    double claiming (ACC-002); the sources state no accounting for this link].
    With ``authorized=False`` units still cross, but surrendering them abroad
    is refused ACC-002."""
    return ConcludeAgreement.model_validate(
        {
            "code": code,
            "jurisdictions": [eu, ch],
            "directions": [
                {"source": eu, "destination": ch, "unit_types": EU_UNITS},
                {"source": ch, "destination": eu, "unit_types": CH_UNITS},
            ],
            "effective_from": LINK_IN_FORCE,
            "authorized": authorized,
            "cooperative_approach": APPROACH if authorized else None,
        }
    )


def eu_ch_authorizations(vintages: tuple[int, int] = (2013, 2030)) -> list[GrantAuthorization]:
    """Each Party's authorization of its allowances crossing the link: NDC use,
    first transfer = the first international transfer, dated the link's entry
    into force [assumption, see :func:`eu_ch_link`]."""
    return [
        GrantAuthorization(
            code=f"{party}-{APPROACH}",
            party=party,
            cooperative_approach=APPROACH,
            unit_types=list(units),
            vintages=vintages,
            purposes="ndc",
            first_transfer="first_international_transfer",
            authorized_on=LINK_IN_FORCE,
        )
        for party, units in (("EU", EU_UNITS), ("CH", CH_UNITS))
    ]


__all__ = [
    "APPROACH",
    "CH_UNITS",
    "EU_UNITS",
    "LINK_IN_FORCE",
    "LINK_SIGNED",
    "LINK_SOURCE",
    "EuropeanRegistry",
    "EuropeanRules",
    "ScheduledReceipt",
    "calendar",
    "eu_ch_authorizations",
    "eu_ch_link",
    "eu_ets",
    "swiss_ets",
]
