"""Every registry adapter by its standard code: stand one up with one call.

    system.add_registry(standard("KR_ETS"))
    system.add_registry(standard("CN_HB", hubei_banking="text"))

Options are passed to the jurisdiction's factory (see docs/jurisdictions.md for
each one's options). The options are not recorded in the store: a process that
reopens a store to run commands stands each registry up again the same way.
"""

from __future__ import annotations

from collections.abc import Callable
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
    return factory(**options)


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
