"""Every registry adapter by its standard code: stand one up with one call.

    system.add_registry(standard("KR_ETS"))
    system.add_registry(standard("CN_HB", hubei_banking="text"))

Options are passed to the jurisdiction's factory (see docs/jurisdictions.md for
each one's options). The config remembers its code and options, and connecting
the registry records them in the clearinghouse's log (``Jurisdiction.adapter``),
so a process that reopens the store (a registry's worker, issue #7) stands the
registry up again exactly as it was created: :func:`configured`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from adapters.a64 import a64
from adapters.base import RegistryConfig
from adapters.china import ccer, cn_ets
from adapters.europe import eu_ets, swiss_ets
from adapters.japan import jcm, jcm_japan, jcredit, saitama, tokyo
from adapters.korea import k_ets
from adapters.pilots import pilot
from adapters.pilots.parameters import PILOTS
from adapters.wci import california, ontario, quebec
from clearinghouse.parties import Jurisdiction

Factory = Callable[..., RegistryConfig]

FACTORIES: dict[str, Factory] = {
    "CN_ETS": cn_ets,
    "CCER": ccer,
    "KR_ETS": k_ets,
    **{code: partial(pilot, code) for code in PILOTS},
    "TOKYO": tokyo,
    "SAITAMA": saitama,
    "JCM_MN": jcm,
    "JP_JCM": jcm_japan,
    "J_CREDIT": jcredit,
    "EU_ETS": eu_ets,
    "CH_ETS": swiss_ets,
    "CALIFORNIA": california,
    "QUEBEC": quebec,
    "ONTARIO": ontario,
    "A64_GH": a64,
}


def standard(code: str, **options: Any) -> RegistryConfig:
    """The registry config of a known jurisdiction, by its standard code."""
    try:
        factory = FACTORIES[code]
    except KeyError:
        known = ", ".join(sorted(FACTORIES))
        raise KeyError(f"no standard registry {code!r}; the catalogue has {known}") from None
    return replace(factory(**options), standard=code, options=dict(options))


class NotReproducible(ValueError):
    """A registry whose adapter options could not be recorded (not JSON)."""


def recordable(options: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The options as JSON values, and the names of those that are not JSON
    (a phase table or cycle schedule passed as Python objects)."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for name, value in options.items():
        try:
            kept[name] = json.loads(json.dumps(value))
        except (TypeError, ValueError):
            dropped.append(name)
    return kept, dropped


def configured(jurisdiction: Jurisdiction, native: bool = True) -> RegistryConfig:
    """The config a connected registry was created with: its standard adapter and
    options as recorded, or a plain registry when nothing was recorded (stores
    written before adapters were recorded, or registries made by hand) or when
    ``native`` is False (enough to read its log and relay its messages)."""
    adapter = jurisdiction.adapter
    if adapter is None or not native:
        return RegistryConfig(
            jurisdiction.code,
            jurisdiction.name,
            jurisdiction.party,
            tuple(jurisdiction.unit_types),
        )
    if adapter.get("unrecorded"):
        raise NotReproducible(
            f"{jurisdiction.code} was created from {adapter['standard']} with options that "
            f"could not be recorded ({', '.join(adapter['unrecorded'])}): only the process "
            "that created it can stand it up; give JSON options to run it as a service"
        )
    config = standard(adapter["standard"], **adapter["options"])
    if config.code != jurisdiction.code:
        raise NotReproducible(
            f"the recorded adapter of {jurisdiction.code} makes registry {config.code}"
        )
    return config


def describe() -> list[dict[str, Any]]:
    """One row per standard registry: code, name, Party, unit types, periods."""
    rows = []
    for code in FACTORIES:
        config = standard(code)
        periods = getattr(config.rules, "periods", ())
        rows.append(
            {
                "code": config.code,
                "name": config.name,
                "party": config.party,
                "unit_types": list(config.unit_types),
                "periods": [
                    {"id": p.id, "years": list(p.years), "surrender_by": p.surrender_by.isoformat()}
                    for p in periods
                ],
            }
        )
    return rows
