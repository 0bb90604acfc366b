"""The Western Climate Initiative: California and Québec, and Ontario in 2018 (issue #8, item 2).

Stand the market up::

    system.add_registry(california())      # CALIFORNIA, Party US: CCA, ARBOC
    system.add_registry(quebec())          # QUEBEC, Party CA: QCA, QCOC
    system.add_registry(ontario())         # ONTARIO, Party CA: ONA, ONOC
    for grant in wci_authorizations():
        system.clearinghouse.grant_authorization(grant)
    system.clearinghouse.conclude_agreement(wci_link())            # from 1 Jan 2014
    system.clearinghouse.conclude_agreement(ontario_accession())   # from 1 Jan 2018
    system.clearinghouse.change_agreement(ontario_exit())          # 3 Jul 2018 [GK]

Sources: reference/registries-and-reporting.md L44–49, reference/
linkage-and-article6.md L9. Market data (caps, the holding limit, the reserve
price, purchase limits): :mod:`.market`; rules: :mod:`.rules`; joint auctions:
:mod:`.auction` (clearing) and :mod:`.joint` (the administrator); the registry:
:mod:`.registry`. Assumptions and choices: docs/jurisdictions.md, "WCI".
"""

from __future__ import annotations

from datetime import date

from adapters.base import RegistryConfig
from adapters.compliance import Period
from adapters.wci.joint import hold_joint_auction
from adapters.wci.market import (
    ALLOWANCES,
    CALIFORNIA,
    OFFSETS,
    ONTARIO,
    ONTARIO_EXIT,
    QUEBEC,
    WciMarket,
    holding_limit,
    memberships,
    reserve_price,
)
from adapters.wci.registry import WciRegistry
from adapters.wci.rules import (
    CALIFORNIA_OFFSETS,
    ONTARIO_OFFSETS,
    QUEBEC_OFFSETS,
    OffsetRule,
    OntarioUnits,
    WciRules,
    compliance_account,
    ontario_periods,
    periods,
)
from clearinghouse.commands import ChangeAgreement, ConcludeAgreement, GrantAuthorization

#: California and Québec linked on 1 Jan 2014 (L45)
LINK_EFFECTIVE = date(2014, 1, 1)
#: Ontario joined on 1 Jan 2018 (L45)
ONTARIO_JOINED = date(2018, 1, 1)
APPROACH = "WCI"
PARTIES = {CALIFORNIA: "US", QUEBEC: "CA", ONTARIO: "CA"}
NAMES = {
    CALIFORNIA: "California cap-and-trade registry (CITSS)",
    QUEBEC: "Québec cap-and-trade registry (CITSS)",
    ONTARIO: "Ontario cap-and-trade registry (CITSS)",
}


def _config(
    home: str,
    periods_: tuple[Period, ...],
    offsets: tuple[OffsetRule, ...],
    market: WciMarket | None,
    ontario_units: OntarioUnits,
    linked: bool,
) -> RegistryConfig:
    others = [j for j in (CALIFORNIA, QUEBEC, ONTARIO) if j != home] if linked else []
    rules = WciRules(
        jurisdiction=home,
        currency="USD" if home == CALIFORNIA else "CAD",
        periods=periods_,
        # compliance instruments of every linked jurisdiction count (L45: one market)
        allowance_types=(ALLOWANCES[home], *(ALLOWANCES[j] for j in others)),
        offset_types=(OFFSETS[home], *(OFFSETS[j] for j in others)),
        authority_accounts={"AUCTION": "auction"},
        home=home,
        market=market or WciMarket(),
        offset_rules=offsets,
        ontario_units=ontario_units,
    )
    return RegistryConfig(
        home, NAMES[home], PARTIES[home], (ALLOWANCES[home], OFFSETS[home]), rules, WciRegistry
    )


def california(
    *,
    market: WciMarket | None = None,
    offsets: tuple[OffsetRule, ...] = CALIFORNIA_OFFSETS,
    ontario_units: OntarioUnits = "remain_valid",
    linked: bool = True,
) -> RegistryConfig:
    """California's registry. ``offsets``: the offset-limit rules by emission year
    (8% to 2020, 4% 2021–2025, 6% 2026–2030; L47); ``ontario_units``: the fate of
    Ontario allowances held here after Ontario's exit (:data:`rules.ONTARIO_UNIT_RULES`)."""
    return _config(CALIFORNIA, periods(), offsets, market, ontario_units, linked)


def quebec(
    *,
    market: WciMarket | None = None,
    offsets: tuple[OffsetRule, ...] = QUEBEC_OFFSETS,
    ontario_units: OntarioUnits = "remain_valid",
    linked: bool = True,
) -> RegistryConfig:
    """Québec's registry: offsets ≤ 8% of an emitter's obligation per period (L47)."""
    return _config(QUEBEC, periods(), offsets, market, ontario_units, linked)


def ontario(
    *,
    market: WciMarket | None = None,
    offsets: tuple[OffsetRule, ...] = ONTARIO_OFFSETS,
    linked: bool = True,
) -> RegistryConfig:
    """Ontario's registry (its market ran 2017–2018; linked 1 Jan 2018, L45)."""
    return _config(ONTARIO, ontario_periods(), offsets, market, "remain_valid", linked)


def _instruments(j: str) -> list[str]:
    return [ALLOWANCES[j], OFFSETS[j]]


def wci_link(
    california_code: str = CALIFORNIA,
    quebec_code: str = QUEBEC,
    code: str = "WCI_CA_QC",
    *,
    authorized: bool = True,
) -> ConcludeAgreement:
    """California–Québec, two-way from 1 Jan 2014 (L45), for both jurisdictions'
    allowances and offset credits and, once Ontario has joined, Ontario
    allowances held on either side (their crossing after Ontario's exit is
    refused by the registries, CMP-603).

    ``authorized`` makes the link an Article 6.2 cooperative approach (``WCI``)
    so that one Party's surrender of the other's units is not refused as double
    claiming (ACC-002) [assumption, like the EU–Swiss link: the clearinghouse
    counts a surrender towards the surrendering Party's NDC; in reality the
    United States applies no corresponding adjustment for California]."""
    return ConcludeAgreement.model_validate(
        {
            "code": code,
            "jurisdictions": [california_code, quebec_code],
            "directions": [
                {
                    "source": california_code,
                    "destination": quebec_code,
                    "unit_types": [*_instruments(CALIFORNIA), ALLOWANCES[ONTARIO]],
                },
                {
                    "source": quebec_code,
                    "destination": california_code,
                    "unit_types": [*_instruments(QUEBEC), ALLOWANCES[ONTARIO]],
                },
            ],
            "effective_from": LINK_EFFECTIVE,
            "authorized": authorized,
            "cooperative_approach": APPROACH if authorized else None,
        }
    )


def ontario_accession(code: str = "WCI_ONTARIO", *, authorized: bool = True) -> ConcludeAgreement:
    """Ontario's link with California and Québec from 1 Jan 2018 (L45) [GK: the
    2017 agreement among the three; modelled as Ontario's own agreement so that
    its end leaves the California–Québec link untouched]."""
    directions = []
    for other in (CALIFORNIA, QUEBEC):
        directions += [
            {"source": ONTARIO, "destination": other, "unit_types": _instruments(ONTARIO)},
            {"source": other, "destination": ONTARIO, "unit_types": _instruments(other)},
        ]
    return ConcludeAgreement.model_validate(
        {
            "code": code,
            "jurisdictions": [ONTARIO, CALIFORNIA, QUEBEC],
            "directions": directions,
            "effective_from": ONTARIO_JOINED,
            "authorized": authorized,
            "cooperative_approach": APPROACH if authorized else None,
        }
    )


def ontario_exit(on: date = ONTARIO_EXIT, code: str = "WCI_ONTARIO") -> ChangeAgreement:
    """Ontario leaves: its agreement is de-linked from ``on`` (default 3 July 2018
    [GK]; L45 says "mid-2018"); from then the clearinghouse refuses every transfer
    to or from Ontario (AGR-004). Pass the same date to :func:`memberships` (the
    holding limit's C and the registries' rule on Ontario units)."""
    return ChangeAgreement(code=code, action="delink", on=on)


def wci_authorizations(vintages: tuple[int, int] = (2013, 2030)) -> list[GrantAuthorization]:
    """The United States' authorization of California's instruments and Canada's of
    Québec's and Ontario's, as ITMOs for NDC use first transferred at the first
    international transfer [assumption, see :func:`wci_link`]."""
    grants = {"US": _instruments(CALIFORNIA), "CA": [*_instruments(QUEBEC), *_instruments(ONTARIO)]}
    return [
        GrantAuthorization(
            code=f"{party}-{APPROACH}",
            party=party,
            cooperative_approach=APPROACH,
            unit_types=units,
            vintages=vintages,
            purposes="ndc",
            first_transfer="first_international_transfer",
            authorized_on=LINK_EFFECTIVE,
        )
        for party, units in grants.items()
    ]


__all__ = [
    "ALLOWANCES",
    "APPROACH",
    "CALIFORNIA",
    "LINK_EFFECTIVE",
    "OFFSETS",
    "ONTARIO",
    "ONTARIO_EXIT",
    "ONTARIO_JOINED",
    "QUEBEC",
    "WciMarket",
    "WciRegistry",
    "WciRules",
    "california",
    "compliance_account",
    "hold_joint_auction",
    "holding_limit",
    "memberships",
    "ontario",
    "ontario_accession",
    "ontario_exit",
    "quebec",
    "reserve_price",
    "wci_authorizations",
    "wci_link",
]
