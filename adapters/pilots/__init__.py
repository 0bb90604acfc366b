"""The eight Chinese pilot ETSs as one parameterised adapter.

Stand a pilot up with one call::

    system.add_registry(pilot("hubei"))                 # code CN_HB, unit HBEA
    system.add_registry(pilot("fujian", fujian_offsets="chinese"))  # 8% offsets

Sources: china-ets.md "Pilots" (the ASPI table, E:1200–1894, C: endnotes) and
northeast-asia.md "Source inconsistencies"; see :mod:`adapters.pilots.parameters`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from adapters.base import RegistryConfig
from adapters.compliance import Period
from adapters.pilots.parameters import (
    DEADLINE,
    LAST_YEAR,
    NAMES,
    PILOTS,
    TCE_FACTOR,
    PilotProfile,
    profile,
)
from adapters.pilots.registry import RESERVE, PilotRegistry
from adapters.pilots.rules import PilotRules

__all__ = ["NAMES", "PILOTS", "PilotRegistry", "PilotRules", "periods", "pilot"]


def periods(
    p: PilotProfile, last_year: int = LAST_YEAR, deadline: tuple[int, int] = DEADLINE
) -> tuple[Period, ...]:
    """Annual compliance periods from the pilot's launch to ``last_year``, each
    year's emissions surrendered by ``deadline`` of the next year [GK: the sources
    give no deadlines]."""
    return tuple(
        Period(
            str(year),
            (year,),
            date(year + 1, *deadline),
            source=f"{p.name}: annual compliance [GK deadline {deadline[1]:02d}/{deadline[0]:02d}]",
        )
        for year in range(p.launch, last_year + 1)
    )


def _check_range(value: Any, bounds: tuple[Any, Any], what: str) -> None:
    if not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"{what} {value} is outside the rule's range {bounds[0]}–{bounds[1]}")


def pilot(
    name: str,
    *,
    code: str | None = None,
    fujian_offsets: Literal["english", "chinese"] = "english",
    tianjin_entities: Literal["table", "text"] = "table",
    shenzhen_entities: Literal["table", "text"] = "table",
    shenzhen_threshold: Literal["table", "endnote"] = "table",
    hubei_banking: Literal["table", "text"] = "table",
    last_year: int = LAST_YEAR,
    deadline: tuple[int, int] = DEADLINE,
    tce_factor: Fraction = TCE_FACTOR,
    caps: dict[int, int] | None = None,
    fine_multiple: int | None = None,
    fixed_fine: Decimal | None = None,
    auction_floor: Decimal | None = None,
    grandfathering_factor: Fraction | None = None,
    changes: dict[int, dict[str, Any]] | None = None,
) -> RegistryConfig:
    """A registry config for pilot ``name`` (``"hubei"`` or ``"CN_HB"``).

    * the readings where sources disagree: see :func:`adapters.pilots.parameters.profile`;
    * [GK] assumptions: ``deadline`` (annual, 30 June), ``tce_factor`` (2.66 t/tce),
      ``auction_floor`` (Guangdong, CNY 60), ``grandfathering_factor`` (1),
      ``fine_multiple`` / ``fixed_fine`` (where the rule gives a range: checked
      to lie within it), ``caps`` (years other than 2016);
    * ``changes``: ``{year: {field: value}}`` starts a new parameter version in
      ``year`` (e.g. a different offset limit from 2016), for a rule change the
      sources do not record.
    """
    p = profile(
        name,
        fujian_offsets=fujian_offsets,
        tianjin_entities=tianjin_entities,
        shenzhen_entities=shenzhen_entities,
        shenzhen_threshold=shenzhen_threshold,
        hubei_banking=hubei_banking,
    )
    versions = list(p.versions)
    for i, v in enumerate(versions):
        penalty = v.penalty
        if fine_multiple is not None:
            _check_range(fine_multiple, penalty.multiples, "fine multiple")
            penalty = replace(penalty, multiple=fine_multiple)
        if fixed_fine is not None:
            _check_range(fixed_fine, penalty.amounts, "fixed fine")
            penalty = replace(penalty, amount=fixed_fine)
        stabilisation = v.stabilisation
        if auction_floor is not None:
            stabilisation = replace(stabilisation, auction_floor=auction_floor)
        versions[i] = replace(
            v,
            penalty=penalty,
            stabilisation=stabilisation,
            grandfathering_factor=(
                grandfathering_factor
                if grandfathering_factor is not None
                else v.grandfathering_factor
            ),
        )
    p = replace(p, versions=tuple(versions), caps={**p.caps, **(caps or {})})
    for year, fields in sorted((changes or {}).items()):
        p = replace(
            p, versions=(*p.versions, replace(p.parameters(year), from_year=year, **fields))
        )
    registry = code or p.code
    rules = PilotRules(
        jurisdiction=registry,
        currency="CNY",
        periods=periods(p, last_year, deadline),
        allowance_types=(p.allowance_type,),
        offset_types=p.offset_types,
        authority_accounts={RESERVE: "authority"},
        profile=p,
        tce_factor=tce_factor,
    )
    return RegistryConfig(
        registry,
        p.name,
        "CN",
        (p.allowance_type, *p.offset_types),
        rules,
        PilotRegistry,
    )
