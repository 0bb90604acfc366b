"""A small Article 6 world for the accounting tests: a host (HOST, registry H_REG,
unit type HU) and a buyer (BUYER, registry B_REG), an authorized link between
them, and helpers to issue, transfer and use ITMOs on chosen business dates."""

from __future__ import annotations

from typing import Any

from adapters.base import RegistryConfig
from clearinghouse.system import EmbeddedSystem
from projections.article6 import accounting, party, rules, table4
from projections.article6.view import Article6View, catch_up

NDC = {"type": "absolute", "period": "single-year", "target_years": [2030]}


class A6World:
    def __init__(self, first_transfer: str = "authorization", purposes: str = "ndc_and_oimp"):
        self.system = EmbeddedSystem()
        ch = self.ch = self.system.clearinghouse
        ch.register_party({"code": "HOST", "name": "Host", "ndc": NDC})
        ch.register_party({"code": "BUYER", "name": "Buyer", "ndc": NDC})
        self.system.add_registry(RegistryConfig("H_REG", "host registry", "HOST", ("HU",)))
        self.system.add_registry(RegistryConfig("B_REG", "buyer registry", "BUYER", ("HU",)))
        self.system.registry("H_REG").open_account({"account": "DEV", "holder": "developer"})
        self.system.registry("B_REG").open_account({"account": "CO", "holder": "company"})
        ch.grant_authorization(
            {
                "code": "AUTH",
                "party": "HOST",
                "cooperative_approach": "HB",
                "unit_types": ["HU"],
                "vintages": [2015, 2035],
                "purposes": purposes,
                "first_transfer": first_transfer,
                "authorized_on": "2021-01-01",
            }
        )
        ch.conclude_agreement(
            {
                "code": "HB_LINK",
                "jurisdictions": ["H_REG", "B_REG"],
                "directions": [{"source": "H_REG", "destination": "B_REG", "unit_types": ["HU"]}],
                "effective_from": "2015-01-01",
                "authorized": True,
                "cooperative_approach": "HB",
            }
        )
        self.n = 0

    def _id(self) -> str:
        self.n += 1
        return f"t{self.n}"

    def issue(self, quantity: int, on: str, vintage: int, authorized: bool = True) -> None:
        data: dict[str, Any] = {
            "transaction_id": self._id(),
            "business_date": on,
            "account": "DEV",
            "unit_type": "HU",
            "vintage": vintage,
            "quantity": quantity,
        }
        if authorized:
            data["authorization_id"] = "AUTH"
        assert self.system.do("H_REG", "issue", data).state == "completed"

    def transfer(self, quantity: int, on: str, vintage: int | None = None) -> None:
        receipt = self.system.do(
            "H_REG",
            "transfer_abroad",
            {
                "transaction_id": self._id(),
                "business_date": on,
                "account": "DEV",
                "quantity": quantity,
                "unit_type": "HU",
                "vintage": vintage,
                "to_registry": "B_REG",
                "to_account": "CO",
            },
        )
        assert receipt.state == "completed", receipt

    def use(self, quantity: int, on: str, registry: str = "B_REG", purpose: str = "ndc") -> None:
        account = "CO" if registry == "B_REG" else "DEV"
        receipt = self.system.do(
            registry,
            "retire",
            {
                "transaction_id": self._id(),
                "business_date": on,
                "account": account,
                "quantity": quantity,
                "unit_type": "HU",
                "purpose": purpose,
            },
        )
        assert receipt.state == "completed", receipt

    def view(self) -> Article6View:
        return catch_up(self.ch)

    def summary(
        self, party_data: dict[str, Any], rule_set: str | rules.RuleSet = "glasgow-2021"
    ) -> table4.Summary:
        pf = party.parse(party_data)
        rs = rule_set if isinstance(rule_set, rules.RuleSet) else rules.load(rule_set)
        return table4.summarize(accounting.evaluate(self.view(), rs, pf), pf)


def party_data(
    code: str = "HOST",
    method: str = "trajectory",
    inventory: dict[int, int] | None = None,
    ndc_type: str = "single-year",
    period: tuple[int, int] = (2021, 2030),
    target_year: int = 2030,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "party": code,
        "ndc": {"type": ndc_type, "target_year": target_year, "period": list(period)},
        "ca_method": method,
        "inventory": inventory or {},
        **extra,
    }
