"""A small world for the audit tests: a unit that crosses two borders.

Three Parties, each with a registry: AA (registry A_REG, unit AU), BB (B_REG,
BU) and CC (C_REG, CU). AA authorizes its AU for Article 6.2 (NDC and OIMP,
first transfer at the first international transfer). Links, both Article
6.2-authorized under cooperative approach ABC:

* A_REG -> B_REG converts AU into BU at 1/2 (two AU for one BU);
* B_REG -> C_REG carries BU as they are.

:func:`cross_two_borders` issues 1,000 AU, moves 600 between two accounts of
A_REG (a split), sends 400 to B_REG (converted to 200 BU: AA's first transfer,
AA adds 400 t), sends 150 BU on to C_REG, and C_REG retires 100 of them
towards CC's NDC (CC subtracts 200 t: each BU carries the 2 t of the two AU it
replaced, clearinghouse/conversion.py). Business dates are spread over 2025-2026 so
that as-of replays have something to cut.
"""

from __future__ import annotations

from typing import Any

from adapters.base import Receipt, RegistryConfig
from clearinghouse.system import EmbeddedSystem

NDC = {"type": "absolute", "period": "single-year", "target_years": [2030]}

REGISTRIES = [
    RegistryConfig("A_REG", "Registry of AA", "AA", ("AU",)),
    RegistryConfig("B_REG", "Registry of BB", "BB", ("BU",)),
    RegistryConfig("C_REG", "Registry of CC", "CC", ("CU", "BU")),
]


def setup(system: EmbeddedSystem) -> None:
    ch = system.clearinghouse
    for code in ("AA", "BB", "CC"):
        ch.register_party({"code": code, "name": f"Party {code}", "ndc": NDC})
    for config in REGISTRIES:
        system.add_registry(config)
    ch.grant_authorization(
        {
            "code": "AA-AUTH",
            "party": "AA",
            "cooperative_approach": "ABC",
            "unit_types": ["AU"],
            "vintages": [2020, 2030],
            "purposes": "ndc_and_oimp",
            "first_transfer": "first_international_transfer",
            "authorized_on": "2024-12-01",
        }
    )
    ch.conclude_agreement(
        {
            "code": "A_TO_B",
            "jurisdictions": ["A_REG", "B_REG"],
            "directions": [
                {"source": "A_REG", "destination": "B_REG", "unit_types": ["AU"],
                 "rate": "1/2", "convert_to": "BU"},
            ],
            "effective_from": "2025-01-01",
            "authorized": True,
            "cooperative_approach": "ABC",
        }
    )  # fmt: skip
    ch.conclude_agreement(
        {
            "code": "B_TO_C",
            "jurisdictions": ["B_REG", "C_REG"],
            "directions": [{"source": "B_REG", "destination": "C_REG", "unit_types": ["BU"]}],
            "effective_from": "2025-01-01",
            "authorized": True,
            "cooperative_approach": "ABC",
        }
    )
    for registry, account in [
        ("A_REG", "DEV"), ("A_REG", "TRADER"), ("B_REG", "BUYER"), ("C_REG", "UTILITY"),
    ]:  # fmt: skip
        system.registry(registry).open_account({"account": account, "holder": account.title()})


def do(system: EmbeddedSystem, registry: str, command: str, data: dict[str, Any]) -> Receipt:
    receipt = system.do(registry, command, data)
    assert receipt.state == "completed", receipt
    return receipt


def issue(system: EmbeddedSystem) -> None:
    do(system, "A_REG", "issue", {
        "transaction_id": "a-issue", "business_date": "2025-01-10", "account": "DEV",
        "unit_type": "AU", "vintage": 2025, "quantity": 1_000,
    })  # fmt: skip


def split(system: EmbeddedSystem) -> None:
    do(system, "A_REG", "transfer", {
        "transaction_id": "a-split", "business_date": "2025-02-01", "account": "DEV",
        "to_account": "TRADER", "quantity": 600,
    })  # fmt: skip


def first_border(system: EmbeddedSystem) -> None:
    do(system, "A_REG", "transfer_abroad", {
        "transaction_id": "a-to-b", "business_date": "2025-03-01", "account": "TRADER",
        "to_registry": "B_REG", "to_account": "BUYER", "quantity": 400,
    })  # fmt: skip


def second_border(system: EmbeddedSystem) -> None:
    do(system, "B_REG", "transfer_abroad", {
        "transaction_id": "b-to-c", "business_date": "2025-06-01", "account": "BUYER",
        "to_registry": "C_REG", "to_account": "UTILITY", "quantity": 150,
    })  # fmt: skip


def retire(system: EmbeddedSystem) -> None:
    do(system, "C_REG", "retire", {
        "transaction_id": "c-retire", "business_date": "2026-03-01", "account": "UTILITY",
        "quantity": 100, "purpose": "ndc",
    })  # fmt: skip


def cross_two_borders(system: EmbeddedSystem) -> None:
    setup(system)
    issue(system)
    split(system)
    first_border(system)
    second_border(system)
    retire(system)
