"""The Article 6.4 mechanism registry (issue #8, item 3).

Stand a host's section up, authorize an activity and connect a buyer's registry::

    system.add_registry(a64(host="GH"))                    # A64_GH, Party GH
    system.clearinghouse.grant_authorization(a64_authorization("GH"))
    system.clearinghouse.conclude_agreement(a64_forwarding("A64_GH", "CH_ETS"))

The mechanism registry is one registry run by the secretariat; here each host
Party has its own section (``A64_<host>``), because the clearinghouse checks
that an authorization's Party is the issuing registry's Party and a registry
answers to one Party (the crediting programmes' import does the same, one
registry per host: adapters/crediting.py). Serial numbers are unique within a
section; A6.4ER serials name the host anyway [GK].

Sources: reference/linkage-and-article6.md L13, L21, L41; reference/
registries-and-reporting.md L51–52; 003 L194–241, L389–417. Deductions:
:mod:`.deductions`; the CDM transition: :mod:`.transition`; the registry:
:mod:`.registry`. Assumptions and choices: docs/jurisdictions.md,
"Article 6.4 mechanism registry".
"""

from __future__ import annotations

from datetime import date

from adapters.a64.deductions import Deductions, Split
from adapters.a64.registry import (
    ADAPTATION_FUND,
    AUTHORIZED,
    MITIGATION_CONTRIBUTION,
    OMGE_ACCOUNT,
    PENDING,
    PRE_2021,
    UNIT_TYPES,
    A64Registry,
    A64Rules,
    Activity,
)
from adapters.a64.transition import VARIANTS, CdmTransition, adopted
from adapters.base import RegistryConfig
from clearinghouse.commands import ConcludeAgreement, GrantAuthorization

APPROACH = "A64"
#: the mechanism's first issuances [GK]; a forwarding connection is in force from then
MECHANISM_START = date(2021, 1, 1)


def a64(
    host: str = "GH",
    *,
    host_name: str | None = None,
    deductions: Deductions | None = None,
    transition: CdmTransition | str = "adopted",
    sop_adjusted: bool = False,
) -> RegistryConfig:
    """The mechanism registry's section for ``host`` (default Ghana, illustrative).

    ``deductions``: the SOP and OMGE shares and their rounding (default 5% and
    2%, rounded down: 1,000 → 930 / 50 / 20); ``transition``: the CDM transition
    variant (``adopted``, ``automatic``, ``filtered`` or ``none``, or a
    :class:`CdmTransition`); ``sop_adjusted``: the share of proceeds falls under
    the authorization too (by default the CA applies after the SOP deduction)."""
    variant = VARIANTS[transition]() if isinstance(transition, str) else transition
    rules = A64Rules(
        host=host,
        deductions=deductions or Deductions(),
        transition=variant,
        sop_adjusted=sop_adjusted,
    )
    name = f"Article 6.4 mechanism registry ({host_name or host})"
    return RegistryConfig(f"A64_{host}", name, host, UNIT_TYPES, rules, A64Registry)


def a64_authorization(
    host: str = "GH",
    *,
    code: str | None = None,
    vintages: tuple[int, int] = (2021, 2030),
    purposes: str = "ndc_and_oimp",
    first_transfer: str = "first_international_transfer",
    cap: int | None = None,
    authorized_on: date = MECHANISM_START,
) -> GrantAuthorization:
    """The host's authorization of A6.4ERs (unit type ``A64ER``) for NDC use and/or
    other international mitigation purposes; the first transfer is the first
    international transfer unless the host defines it otherwise."""
    return GrantAuthorization.model_validate(
        {
            "code": code or f"{host}-{APPROACH}",
            "party": host,
            "cooperative_approach": APPROACH,
            "unit_types": [AUTHORIZED],
            "vintages": vintages,
            "cap": cap,
            "purposes": purposes,
            "first_transfer": first_transfer,
            "authorized_on": authorized_on,
        }
    )


def a64_forwarding(section: str, destination: str, code: str | None = None) -> ConcludeAgreement:
    """A one-way connection from a host's section to a Party's registry, for
    forwarding: authorized A6.4ERs keep the authorization they were issued
    under (so this is not itself an authorized agreement), mitigation
    contribution and pre-2021 units cross without one."""
    return ConcludeAgreement.model_validate(
        {
            "code": code or f"{section}_TO_{destination}",
            "jurisdictions": [section, destination],
            "directions": [
                {"source": section, "destination": destination, "unit_types": list(UNIT_TYPES)}
            ],
            "effective_from": MECHANISM_START,
        }
    )


__all__ = [
    "ADAPTATION_FUND",
    "APPROACH",
    "AUTHORIZED",
    "MITIGATION_CONTRIBUTION",
    "OMGE_ACCOUNT",
    "PENDING",
    "PRE_2021",
    "A64Registry",
    "A64Rules",
    "Activity",
    "CdmTransition",
    "Deductions",
    "Split",
    "a64",
    "a64_authorization",
    "a64_forwarding",
    "adopted",
]
