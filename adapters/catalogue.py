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
import typing
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from pydantic import TypeAdapter, ValidationError

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


class OptionError(ValueError):
    """An option a factory does not take, or a value that is not of its type."""

    def __init__(self, option: str | None, reason: str) -> None:
        super().__init__(f"{option}: {reason}" if option else reason)
        self.option = option
        self.reason = reason


def _factory_function(factory: Callable[..., Any]) -> tuple[Callable[..., Any], set[str]]:
    """The function behind a catalogue factory and the arguments already bound."""
    if isinstance(factory, partial):
        return factory.func, set(factory.keywords) | {"__positional__"}
    return factory, set()


def option_types(code: str) -> dict[str, Any]:
    """The options a catalogue factory accepts, with their type hints."""
    func, bound = _factory_function(FACTORIES[code])
    hints = typing.get_type_hints(func)
    hints.pop("return", None)
    params = list(hints)
    if "__positional__" in bound and params:
        hints.pop(params[0], None)  # a pilot's name, bound by the catalogue
    for name in bound:
        hints.pop(name, None)
    return hints


def typed_options(code: str, options: dict[str, Any]) -> dict[str, Any]:
    """Options as data (JSON, YAML: ``{"2017": ...}``, lists) converted to the types
    the factory declares (``{2017: ...}``, tuples, dataclasses) with pydantic."""
    if code not in FACTORIES:
        known = ", ".join(sorted(FACTORIES))
        raise KeyError(f"no standard registry {code!r}; the catalogue has {known}")
    types = option_types(code)
    typed: dict[str, Any] = {}
    for name, value in options.items():
        if name not in types:
            raise OptionError(
                name, f"{code} takes no option {name!r} (it takes {', '.join(sorted(types))})"
            )
        try:
            typed[name] = TypeAdapter(types[name]).validate_python(value)
        except ValidationError as error:
            first = error.errors()[0]
            inner = ".".join(str(p) for p in first["loc"])
            raise OptionError(name, f"{inner + ': ' if inner else ''}{first['msg']}") from None
    return typed


def from_data(code: str, options: dict[str, Any]) -> RegistryConfig:
    """:func:`standard` with options given as data (a request, a scenario, a record)."""
    return standard(code, **typed_options(code, options))


def recordable(code: str, options: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The options as JSON values, and the names of those that are not JSON or do
    not come back as the same value (a phase table or cycle schedule passed as
    Python objects), so a record never stands up a registry with other rules."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for name, value in options.items():
        try:
            data = json.loads(json.dumps(value))
            same = typed_options(code, {name: data}) == typed_options(code, {name: value})
        except (TypeError, ValueError):
            same = False
        if same:
            kept[name] = data
        else:
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
    config = from_data(adapter["standard"], adapter["options"])
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
