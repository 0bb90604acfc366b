"""Tokyo cap-and-trade and Saitama's target-setting ETS: factories and the link.

``system.add_registry(tokyo())`` and ``system.add_registry(saitama())`` stand the
two registries up; ``system.clearinghouse.conclude_agreement(tokyo_saitama_link())``
links them both ways from 1 April 2011 (agreed September 2010) for
excess-reduction credits and small and mid-size facility credits
(reference/northeast-asia.md, "Tokyo–Saitama link"; E:891–908). Both are Japan,
so the clearinghouse records no corresponding adjustment.

The rules are in :mod:`adapters.japan.metropolitan_rules`, the registry's native
commands in :mod:`adapters.japan.metropolitan_registry`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from adapters.base import RegistryConfig
from adapters.japan.metropolitan_registry import MetropolitanRegistry
from adapters.japan.metropolitan_rules import (
    MetropolitanRules,
    PeriodFactors,
    Reading,
    periods,
)
from clearinghouse.commands import ConcludeAgreement

#: agreed September 2010, in force April 2011 (E:891–898)
LINK_AGREED = date(2010, 9, 1)
LINK_EFFECTIVE = date(2011, 4, 1)

TOKYO_CREDITS = ("TKY_ERC", "TKY_SMC")
SAITAMA_CREDITS = ("STM_ERC", "STM_SMC")


def _config(
    code: str,
    name: str,
    jurisdiction: str,
    own: tuple[str, str],
    linked: tuple[str, ...],
    schedule: tuple[PeriodFactors, ...],
    surcharge: Fraction | None,
    order_fine: Decimal,
) -> RegistryConfig:
    rules = MetropolitanRules(
        jurisdiction=jurisdiction,
        currency="JPY",
        periods=tuple(p.period for p in schedule),
        # What counts towards an obligation: the registry's own credits and, once
        # linked, the other system's credits of both kinds (E:900–902).
        allowance_types=(*own, *linked),
        schedule=schedule,
        excess_credit=own[0],
        small_facility_credit=own[1],
        surcharge=surcharge,
        order_fine=order_fine,
    )
    return RegistryConfig(code, name, "JP", own, rules, MetropolitanRegistry)


def tokyo(
    code: str = "TOKYO",
    *,
    reading: Reading = "endnote49",
    linked: bool = True,
    schedule: tuple[PeriodFactors, ...] | None = None,
) -> RegistryConfig:
    """The Tokyo cap-and-trade registry (units ``TKY_ERC``, ``TKY_SMC``).

    ``reading`` picks the category → factor mapping (endnote 49 or TMG's table,
    see :data:`~adapters.japan.metropolitan_rules.FACTOR_READINGS`); ``linked``
    lets Saitama's credits count towards Tokyo obligations; ``schedule``
    replaces the periods and factors altogether."""
    return _config(
        code,
        "Tokyo cap-and-trade registry",
        "Tokyo",
        TOKYO_CREDITS,
        SAITAMA_CREDITS if linked else (),
        schedule or periods(reading),
        Fraction(13, 10),
        Decimal(500_000),
    )


def saitama(
    code: str = "SAITAMA",
    *,
    reading: Reading = "endnote49",
    linked: bool = True,
    schedule: tuple[PeriodFactors, ...] | None = None,
    penalty: bool = False,
) -> RegistryConfig:
    """Saitama's target-setting ETS registry (units ``STM_ERC``, ``STM_SMC``).

    The report says Saitama differs from Tokyo "on coverage, reduction
    requirements, and other fundamental issues" (E:897–899) but gives none of
    its numbers; so its threshold, periods and factors are Tokyo's [assumption,
    configurable through ``schedule``]. Its targets carry no penalty by default
    [GK: a "target setting" system (endnote 57's title), compliance is not
    legally enforced]; ``penalty=True`` applies Tokyo's order instead."""
    return _config(
        code,
        "Saitama target-setting ETS registry",
        "Saitama",
        SAITAMA_CREDITS,
        TOKYO_CREDITS if linked else (),
        schedule or periods(reading),
        Fraction(13, 10) if penalty else None,
        Decimal(500_000) if penalty else Decimal(0),
    )


def tokyo_saitama_link(
    tokyo_code: str = "TOKYO", saitama_code: str = "SAITAMA", code: str = "TOKYO_SAITAMA"
) -> ConcludeAgreement:
    """The two-way link for excess-reduction and small/mid-size facility credits,
    in force from 1 April 2011 (E:891–908). Not an Article 6 arrangement: both
    registries are Japan's."""
    return ConcludeAgreement.model_validate(
        {
            "code": code,
            "jurisdictions": [tokyo_code, saitama_code],
            "directions": [
                {"source": tokyo_code, "destination": saitama_code, "unit_types": TOKYO_CREDITS},
                {"source": saitama_code, "destination": tokyo_code, "unit_types": SAITAMA_CREDITS},
            ],
            "effective_from": LINK_EFFECTIVE,
        }
    )


__all__ = [
    "LINK_AGREED",
    "LINK_EFFECTIVE",
    "MetropolitanRegistry",
    "MetropolitanRules",
    "periods",
    "saitama",
    "tokyo",
    "tokyo_saitama_link",
]
