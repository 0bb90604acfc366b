"""Korea's emissions trading system (K-ETS): KAU allowances, KOC/KCU offsets.

Stand the registry up with one call::

    system.add_registry(k_ets())

Rules: :mod:`.rules` (allocation, offsets, banking, borrowing, penalty) with
parameters per phase in :mod:`.phases`; the EITE test in :mod:`.eite`; auctions
in :mod:`.auction`; the stabilisation triggers in :mod:`.stabilisation`; the NDC
share for import limits in :mod:`.ndc`; native commands in :mod:`.registry`.
Sources and assumptions: docs/jurisdictions.md, "Korea: K-ETS".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from adapters.base import RegistryConfig
from adapters.compliance import percent
from adapters.korea.phases import KETS, TMS, PhaseRules, compliance_periods
from adapters.korea.phases import phases as default_phases
from adapters.korea.registry import KoreaRegistry
from adapters.korea.rules import KetsRules


def k_ets(
    code: str = "KR_ETS",
    *,
    name: str = "Korea ETS registry",
    party: str = "KR",
    phases: tuple[PhaseRules, ...] | None = None,
    phase3_auction: str = "10",
    coverage: Literal["tms", "kets"] = "tms",
    international_types: Sequence[str] = ("CEA",),
    credit_type: str = "KOC",
    converted_type: str = "KCU",
) -> RegistryConfig:
    """A K-ETS registry config.

    ``phases`` replaces the per-phase parameters (see :func:`phases.with_changes`);
    ``phase3_auction`` is the phase III auction share in percent (E:2162 "10",
    the default, or a share above it for E:2109's "more than 10 percent");
    ``coverage`` is the TMS threshold of endnote 80 (default) or the K-ETS Act's
    [GK]; ``international_types`` are the foreign unit types that count as
    international offsets; ``credit_type``/``converted_type`` name the offset
    credit and the converted unit [GK].
    """
    all_phases = phases if phases is not None else default_phases(percent(phase3_auction))
    intl = tuple(international_types)
    rules = KetsRules(
        jurisdiction=code,
        currency="KRW",
        periods=compliance_periods(all_phases),
        allowance_types=("KAU",),
        offset_types=(converted_type, *intl),
        phases=all_phases,
        coverage=TMS if coverage == "tms" else KETS,
        international_types=intl,
        credit_type=credit_type,
        converted_type=converted_type,
    )
    return RegistryConfig(
        code, name, party, ("KAU", credit_type, converted_type), rules, KoreaRegistry
    )


__all__ = ["KetsRules", "KoreaRegistry", "k_ets"]
