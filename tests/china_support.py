"""Shared set-up for the China national ETS and CCER tests: a system with Party
CN, the national registry, the CCER registry and the domestic link between them."""

from __future__ import annotations

from typing import Any

from adapters.china import ccer, cn_ets
from adapters.china.ccer import CCERRegistry
from adapters.china.registry import ChinaNationalRegistry
from clearinghouse.system import EmbeddedSystem

CN_NDC = {
    "type": "intensity",
    "period": "single-year",
    "target_years": [2030],
    "description": "CO2 intensity -60 to -65% vs 2005 by 2030 (E:2625)",
}


def china(**options: Any) -> tuple[EmbeddedSystem, ChinaNationalRegistry, CCERRegistry]:
    """A system with CN_ETS (``cn_ets(**options)``), CCER and the domestic link."""
    s = EmbeddedSystem()
    s.clearinghouse.register_party({"code": "CN", "name": "China", "ndc": CN_NDC})
    national = s.add_registry(cn_ets(**options))
    offsets = s.add_registry(ccer())
    assert isinstance(national, ChinaNationalRegistry) and isinstance(offsets, CCERRegistry)
    # CCER reaches the national ETS only through offsetting (china-ets.md L83, L87,
    # L376): a domestic link, same Party, not authorized (no corresponding adjustment)
    s.clearinghouse.conclude_agreement(
        {
            "code": "CN_CCER_OFFSETS",
            "jurisdictions": ["CCER", "CN_ETS"],
            "directions": [
                {"source": "CCER", "destination": "CN_ETS", "unit_types": ["CCER", "CCER_2012"]}
            ],
            "effective_from": "2012-01-01",
        }
    )
    return s, national, offsets


def register(
    r: ChinaNationalRegistry,
    entity: str,
    emissions: int = 1_000_000,
    sector: str = "power",
    province: str = "GD",
    category: str | None = "coal_above_300mw",
    **attributes: Any,
) -> None:
    attrs: dict[str, Any] = {"province": province, "name": entity, **attributes}
    if category is not None:
        attrs["category"] = category
    r.register_entity(
        {
            "entity": entity,
            "name": entity.title(),
            "sector": sector,
            "emissions": emissions,
            "attributes": attrs,
            "business_date": "2019-01-02",
        }
    )


def verify(r: ChinaNationalRegistry, entity: str, year: int, tonnes: int, **activity: Any) -> None:
    r.verify_emissions(
        {
            "entity": entity,
            "year": year,
            "tonnes": tonnes,
            "activity": activity,
            "business_date": f"{year + 1}-06-30",
        }
    )


def allocate(s: EmbeddedSystem, tid: str, entity: str, year: int, stage: str) -> Any:
    on = f"{year}-03-01" if stage == "pre" else f"{year + 1}-09-01"
    data = {"transaction_id": tid, "entity": entity, "year": year, "stage": stage}
    return s.do("CN_ETS", "allocate", {**data, "business_date": on})


def comply(s: EmbeddedSystem, tid: str, entity: str, period: str, on: str, **units: Any) -> Any:
    data = {"transaction_id": tid, "entity": entity, "period": period, "business_date": on}
    return s.do("CN_ETS", "comply", {**data, **units})


def trade(
    s: EmbeddedSystem, tid: str, seller: str, buyer: str, quantity: int, on: str, **kw: Any
) -> Any:
    data = {
        "transaction_id": tid,
        "account": seller,
        "to_account": buyer,
        "quantity": quantity,
        "business_date": on,
        **kw,
    }
    return s.do("CN_ETS", "transfer", data)


def held(r: Any, account: str, unit_type: str = "CEA") -> int:
    a = r.account(account)
    assert a is not None
    return int(a.available.quantity(unit_type))


def holdings(r: Any) -> dict[str, dict[str, int]]:
    """Every account's available units by type, to prove a refusal changed nothing."""
    from adapters.accounts import Account
    from projections.holdings import fold
    from projections.log import read

    out: dict[str, dict[str, int]] = {}
    for account in fold(list(read(r)), Account).values():
        by_type: dict[str, int] = {}
        for b in account.available:
            by_type[b.unit_type] = by_type.get(b.unit_type, 0) + b.count
        held_blocks = sum(b.count for blocks in account.held.values() for b in blocks)
        out[account.account] = {**by_type, "held": held_blocks}
    return out
