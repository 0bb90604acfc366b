"""Helpers for the pilot tests: stand pilots up and drive them through the system."""

from __future__ import annotations

from typing import Any

from adapters.base import Receipt, RegistryConfig
from adapters.pilots import PilotRegistry, pilot
from clearinghouse.system import EmbeddedSystem


def system_with(*configs: RegistryConfig) -> EmbeddedSystem:
    s = EmbeddedSystem()
    s.clearinghouse.register_party(
        {
            "code": "CN",
            "name": "China",
            "ndc": {"type": "intensity", "period": "single-year", "target_years": [2030]},
        }
    )
    for config in configs:
        s.add_registry(config)
    return s


def stand_up(name: str, **options: Any) -> tuple[EmbeddedSystem, PilotRegistry]:
    config = pilot(name, **options)
    s = system_with(config)
    r = s.registries[config.code]
    assert isinstance(r, PilotRegistry)
    return s, r


def register(r: PilotRegistry, entity: str, sector: str, emissions: int, **attributes: Any) -> Any:
    return r.register_entity(
        {
            "entity": entity,
            "name": entity.title(),
            "sector": sector,
            "emissions": emissions,
            "attributes": {"name": entity, **attributes},
            "business_date": "2013-01-05",
        }
    )


def verify(r: PilotRegistry, entity: str, year: int, tonnes: int, **activity: Any) -> None:
    r.verify_emissions(
        {
            "entity": entity,
            "year": year,
            "tonnes": tonnes,
            "activity": activity,
            "business_date": f"{year + 1}-03-31",
        }
    )


def allocate(
    s: EmbeddedSystem, r: PilotRegistry, tid: str, entity: str, year: int, stage: str
) -> Receipt:
    data = {
        "transaction_id": tid,
        "entity": entity,
        "year": year,
        "stage": stage,
        "business_date": f"{year}-03-01" if stage == "initial" else f"{year + 1}-04-30",
    }
    return s.do(r.code, "allocate", data)


def issue(
    s: EmbeddedSystem,
    r: PilotRegistry,
    tid: str,
    account: str,
    unit_type: str,
    vintage: int,
    q: int,
) -> None:
    data = {
        "transaction_id": tid,
        "account": account,
        "unit_type": unit_type,
        "vintage": vintage,
        "quantity": q,
        "business_date": f"{vintage}-05-01",
    }
    assert s.do(r.code, "issue", data).state == "completed"


def trade(
    s: EmbeddedSystem,
    r: PilotRegistry,
    tid: str,
    seller: str,
    buyer: str,
    quantity: int,
    on: str,
    price: str | None = None,
    **more: Any,
) -> Receipt:
    data = {
        "transaction_id": tid,
        "account": seller,
        "to_account": buyer,
        "quantity": quantity,
        "business_date": on,
        **({"price": price} if price is not None else {}),
        **more,
    }
    return s.do(r.code, "transfer", data)


def comply(
    s: EmbeddedSystem, r: PilotRegistry, tid: str, entity: str, period: str, on: str, **units: Any
) -> Receipt:
    data = {
        "transaction_id": tid,
        "entity": entity,
        "period": period,
        "business_date": on,
        **units,
    }
    return s.do(r.code, "comply", data)


def holdings(r: PilotRegistry) -> dict[str, tuple[Any, ...]]:
    """Every account's available and held blocks: to prove a refusal changed nothing."""
    names = ["RESERVE", "RECOVERY", "SURRENDER", *(e.entity for e in r.entities())]
    out: dict[str, tuple[Any, ...]] = {}
    for name in names:
        a = r.account(name)
        assert a is not None
        out[name] = (tuple(a.available), tuple(sorted(a.held.items())))
    return out


def held(r: PilotRegistry, account: str, unit_type: str | None = None) -> int:
    a = r.account(account)
    assert a is not None
    return a.available.quantity(unit_type)
