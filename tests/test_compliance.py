"""The compliance framework every jurisdiction adapter builds on, on a toy system.

The toy jurisdiction has the shape of China's national ETS (pre-allocation then
final allocation, an authority account allowances pass through, a 5% offset
limit, a fine with a deduction from next year) but round numbers of its own, so
that these tests are about the framework; the real rules and their sources are
tested in each jurisdiction's own test module.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from adapters.base import Operation, RegistryApplication, RegistryConfig
from adapters.compliance import (
    Allocation,
    ComplianceRules,
    CoveredEntity,
    Penalty,
    Period,
    PeriodFacts,
    floor,
    percent,
)
from adapters.compliance_registry import ComplianceRegistry
from clearinghouse.checks import Refused
from clearinghouse.system import EmbeddedSystem
from projections import invariants
from projections.log import read
from tests.coverage import covers

P1 = Period("P1", (2021, 2022), date(2023, 12, 31))
P2 = Period("P2", (2023,), date(2024, 12, 31))


class ToyRules(ComplianceRules):
    def check_coverage(self, sector: str, emissions: int, attributes: dict[str, Any]) -> None:
        if emissions < 10_000:
            raise Refused(
                "CMP-001",
                entity=attributes.get("name", "?"),
                registry=self.jurisdiction,
                reason=f"{emissions} t is below 10000 t",
                source="toy",
            )

    def stages(self, year: int) -> tuple[str, ...]:
        return ("pre", "final")

    def allocation(self, entity: CoveredEntity, year: int, stage: str) -> Allocation:
        if stage == "pre":
            return Allocation(floor(entity.verified[year - 1] * percent(70)), "70% of last year")
        return Allocation(floor(entity.verified[year] * percent(90)), "90% of verified")

    def offset_limit(self, entity: CoveredEntity, period: Period) -> tuple[int, str, str]:
        return floor(self.obligation(entity, period) * percent(5)), "5% of obligation", "toy"

    def penalty(self, entity: CoveredEntity, facts: PeriodFacts) -> Penalty:
        price = facts.reference_price or Decimal(0)
        return Penalty(
            facts.shortfall * price * 2, "TOY", facts.shortfall, "2x price", facts.period.last + 1
        )

    def carry_over_limit(self, entity: CoveredEntity, facts: PeriodFacts) -> int | None:
        return 100

    def check_banking(
        self, entity: CoveredEntity, period: Period, blocks: list[Any], on: date
    ) -> None:
        limit = entity.results.get("P1", {}).get("carry_over_limit")
        used = entity.surrendered("banked") + sum(b.count for b in blocks)
        if limit is not None and used > limit:
            raise Refused(
                "CMP-007",
                blocks=", ".join(map(str, blocks)),
                period=period.id,
                registry=self.jurisdiction,
                reason=f"{used} t banked is above the carry-over limit of {limit} t",
                source="toy",
            )

    def check(self, op: Operation, registry: RegistryApplication) -> None:
        if op.kind == "transfer" and op.price is not None and op.price > 1000:
            raise Refused(
                "MKT-001",
                price=op.price,
                currency="TOY",
                registry=self.jurisdiction,
                low=0,
                high=1000,
                rule="price band",
                source="toy",
            )
        if op.kind == "transfer" and op.quantity > 5_000:
            raise Refused(
                "MKT-002",
                entity=op.account,
                total=op.quantity,
                registry=self.jurisdiction,
                limit=5_000,
                rule="sale limit",
                source="toy",
            )


class Toy(ToyRules):
    def allocation_account(self, entity: CoveredEntity) -> str:
        return "AUTHORITY"

    def delivery_chain(self, entity: CoveredEntity) -> tuple[str, ...]:
        return ("AUTHORITY", entity.account)

    def surrender_chain(self, entity: CoveredEntity) -> tuple[str, ...]:
        return ("AUTHORITY",)


CONFIG = RegistryConfig(
    "TOY",
    "Toy ETS",
    "TY",
    ("TA", "TO", "TX"),
    Toy(
        jurisdiction="TOY",
        currency="TOY",
        periods=(P1, P2),
        allowance_types=("TA",),
        offset_types=("TO",),
        authority_accounts={"AUTHORITY": "authority"},
    ),
    ComplianceRegistry,
)


@pytest.fixture
def toy() -> tuple[EmbeddedSystem, ComplianceRegistry]:
    s = EmbeddedSystem()
    s.clearinghouse.register_party(
        {
            "code": "TY",
            "name": "Toy",
            "ndc": {"type": "absolute", "period": "single-year", "target_years": [2030]},
        }
    )
    registry = s.add_registry(CONFIG)
    assert isinstance(registry, ComplianceRegistry)
    for name, emissions in (("PLANT", 100_000), ("MILL", 50_000)):
        registry.register_entity(
            {
                "entity": name,
                "name": name.title(),
                "sector": "power",
                "emissions": emissions,
                "business_date": "2021-01-05",
            }
        )
    return s, registry


def verify(r: ComplianceRegistry, entity: str, year: int, tonnes: int) -> None:
    r.verify_emissions(
        {"entity": entity, "year": year, "tonnes": tonnes, "business_date": f"{year + 1}-06-30"}
    )


def allocate(s: EmbeddedSystem, tid: str, entity: str, year: int, stage: str) -> Any:
    data = {
        "transaction_id": tid,
        "entity": entity,
        "year": year,
        "stage": stage,
        "business_date": f"{year}-03-01",
    }
    return s.do("TOY", "allocate", data)


def comply(s: EmbeddedSystem, tid: str, entity: str, period: str, **units: Any) -> Any:
    data = {
        "transaction_id": tid,
        "entity": entity,
        "period": period,
        "business_date": "2023-11-30",
        **units,
    }
    return s.do("TOY", "comply", data)


def held(r: ComplianceRegistry, account: str, unit_type: str = "TA") -> int:
    a = r.account(account)
    assert a is not None
    return a.available.quantity(unit_type)


@covers("CMP-001")
def test_registration_below_the_threshold_is_refused_and_changes_nothing(toy: Any) -> None:
    _s, r = toy
    before = r.recorder.max_notification_id()
    with pytest.raises(Refused) as refused:
        r.register_entity(
            {
                "entity": "SHOP",
                "name": "Shop",
                "sector": "retail",
                "emissions": 9_999,
                "business_date": "2021-01-05",
            }
        )
    assert refused.value.code == "CMP-001" and "SHOP" in refused.value.reason
    assert r.recorder.max_notification_id() == before
    assert r.entity("SHOP") is None


def test_allocation_is_issued_through_the_clearinghouse_and_delivered_down_the_chain(
    toy: Any,
) -> None:
    s, r = toy
    verify(r, "PLANT", 2020, 100_000)
    pre = allocate(s, "PRE-21", "PLANT", 2021, "pre")
    assert (pre.state, pre.quantity) == ("completed", 70_000)
    assert held(r, "PLANT") == 70_000 and held(r, "AUTHORITY") == 0
    hop = r.transaction("PRE-21:hop1", "internal")
    assert hop is not None and hop.details["to_account"] == "PLANT"
    # the central ledger knows the registry holds the units
    ledger = s.clearinghouse.ledger("TOY", "TA")
    assert ledger is not None and ledger.holdings() == {("TOY", "active"): 70_000}
    # final: 90% of 2021 verified emissions = 72,000 t, so 2,000 more
    verify(r, "PLANT", 2021, 80_000)
    final = allocate(s, "FIN-21", "PLANT", 2021, "final")
    assert final.quantity == 2_000 and held(r, "PLANT") == 72_000
    # repeating the command changes nothing
    again = allocate(s, "FIN-21", "PLANT", 2021, "final")
    assert again.quantity == 2_000 and held(r, "PLANT") == 72_000
    assert r.conservation().balanced


def test_over_allocation_is_recovered(toy: Any) -> None:
    s, r = toy
    verify(r, "PLANT", 2020, 100_000)
    allocate(s, "PRE-21", "PLANT", 2021, "pre")
    verify(r, "PLANT", 2021, 60_000)  # 90% = 54,000 < 70,000 pre-allocated
    recovered = allocate(s, "FIN-21", "PLANT", 2021, "final")
    assert recovered.kind == "recovery" and recovered.quantity == 16_000
    assert held(r, "PLANT") == 54_000 and held(r, "RECOVERY") == 16_000
    c = r.conservation()
    assert (c.issued, c.recovered, c.holdings) == (70_000, 16_000, 54_000) and c.balanced


@covers("CMP-003")
def test_surrender_offset_limit_close_penalty_and_deduction(toy: Any) -> None:
    s, r = toy
    for year, tonnes in ((2020, 40_000), (2021, 40_000), (2022, 40_000)):
        verify(r, "PLANT", year, tonnes)
    allocate(s, "F21", "PLANT", 2021, "final")  # 36,000
    allocate(s, "F22", "PLANT", 2022, "final")  # 36,000
    s.do(
        "TOY",
        "issue",
        {
            "transaction_id": "OFS",
            "account": "PLANT",
            "unit_type": "TO",
            "vintage": 2022,
            "quantity": 10_000,
            "business_date": "2022-05-01",
        },
    )
    # obligation 80,000 t; offsets at most 5% = 4,000 t
    over = comply(s, "S-over", "PLANT", "P1", quantity=4_001, unit_type="TO")
    assert over.code == "CMP-003" and held(r, "PLANT", "TO") == 10_000
    assert comply(s, "S-ofs", "PLANT", "P1", quantity=4_000, unit_type="TO").state == "completed"
    assert comply(s, "S-ta", "PLANT", "P1", quantity=70_000, unit_type="TA").state == "completed"
    assert held(r, "SURRENDER") == 70_000 and held(r, "SURRENDER", "TO") == 4_000
    # the way out went through the authority's account, hop by hop
    assert r.transaction("S-ta:hop2", "internal") is not None


@covers("CMP-005")
def test_close_assesses_shortfall_fine_and_next_year_deduction(toy: Any) -> None:
    s, r = toy
    for year, tonnes in ((2021, 40_000), (2022, 40_000), (2023, 50_000)):
        verify(r, "PLANT", year, tonnes)
    allocate(s, "F21", "PLANT", 2021, "final")
    allocate(s, "F22", "PLANT", 2022, "final")
    comply(s, "S1", "PLANT", "P1", quantity=72_000)
    with pytest.raises(Refused) as early:
        r.close_period({"period": "P1", "business_date": "2023-12-31"})
    assert early.value.code == "CMP-005"
    results = r.close_period(
        {"period": "P1", "business_date": "2024-01-02", "reference_price": "50"}
    )
    plant = next(x for x in results if x["entity"] == "PLANT")
    assert (plant["obligation"], plant["shortfall"], plant["fine"]) == (80_000, 8_000, "800000")
    assert plant["deduct_from"] == 2023 and plant["carry_over_limit"] == 100
    # closing again changes nothing
    assert r.close_period({"period": "P1", "business_date": "2024-01-03"})[0] == results[0]
    # a late surrender for a closed period is refused
    late = comply(s, "S-late", "PLANT", "P1", quantity=1)
    assert late.code == "CMP-005"
    # the 2023 allocation is 90% × 50,000 = 45,000 less the 8,000 t deducted
    assert allocate(s, "F23", "PLANT", 2023, "final").quantity == 37_000


@covers("CMP-008")
def test_borrowing_from_a_later_period_is_refused(toy: Any) -> None:
    s, r = toy
    verify(r, "PLANT", 2023, 10_000)
    verify(r, "PLANT", 2021, 10_000)
    verify(r, "PLANT", 2022, 10_000)
    allocate(s, "F23", "PLANT", 2023, "final")
    borrowed = comply(s, "S-b", "PLANT", "P1", quantity=100, vintage=2023)
    assert borrowed.code == "CMP-008"
    assert held(r, "PLANT") == 9_000


@covers("CMP-002")
def test_unknown_entity_and_unknown_period(toy: Any) -> None:
    s, _r = toy
    assert comply(s, "S-x", "NOBODY", "P1", quantity=1).code == "CMP-002"
    assert comply(s, "S-y", "PLANT", "P9", quantity=1).code == "CMP-005"


def test_trades_are_remembered_for_banking_and_net_sales(toy: Any) -> None:
    s, r = toy
    verify(r, "PLANT", 2021, 10_000)
    allocate(s, "F21", "PLANT", 2021, "final")
    sold = s.do(
        "TOY",
        "transfer",
        {
            "transaction_id": "T1",
            "account": "PLANT",
            "to_account": "MILL",
            "quantity": 1_000,
            "price": "55.5",
            "business_date": "2021-05-05",
        },
    )
    assert sold.state == "completed"
    plant, mill = r.entity("PLANT"), r.entity("MILL")
    assert plant is not None and mill is not None
    assert plant.net_sales([2021]) == 1_000 and mill.net_sales([2021]) == -1_000
    assert sum(b.count for b in mill.traded) == 1_000
    assert invariants.check(read(s.clearinghouse)) == []


def issue_units(s: EmbeddedSystem, tid: str, unit_type: str, vintage: int, qty: int) -> None:
    data = {
        "transaction_id": tid,
        "account": "PLANT",
        "unit_type": unit_type,
        "vintage": vintage,
        "quantity": qty,
        "business_date": f"{vintage}-05-01",
    }
    assert s.do("TOY", "issue", data).state == "completed"


@covers("CMP-004")
def test_a_unit_type_that_does_not_count_is_refused(toy: Any) -> None:
    s, r = toy
    issue_units(s, "VOL", "TX", 2021, 500)  # a voluntary unit: not for compliance
    refused = comply(s, "S-x", "PLANT", "P1", quantity=500, unit_type="TX")
    assert refused.code == "CMP-004" and held(r, "PLANT", "TX") == 500


@covers("CMP-006", "CMP-009")
def test_allocation_and_closing_need_their_facts(toy: Any) -> None:
    s, r = toy
    verify(r, "PLANT", 2021, 10_000)
    assert allocate(s, "A1", "PLANT", 2021, "interim").code == "CMP-009"
    allocate(s, "F21", "PLANT", 2021, "final")
    # the P1 obligation needs 2021 and 2022 verified
    with pytest.raises(Refused) as missing:
        r.close_period({"period": "P1", "business_date": "2024-01-02"})
    assert missing.value.code == "CMP-006" and "2022" in missing.value.reason


@covers("CMP-007")
def test_banking_beyond_the_carry_over_limit_is_refused(toy: Any) -> None:
    s, r = toy
    for year in (2021, 2022, 2023):
        verify(r, "PLANT", year, 10_000)
    allocate(s, "F21", "PLANT", 2021, "final")
    allocate(s, "F22", "PLANT", 2022, "final")
    comply(s, "S1", "PLANT", "P1", quantity=17_000)
    r.close_period({"period": "P1", "business_date": "2024-01-02"})  # limit: 100 t
    late = {"business_date": "2024-06-01"}
    over = s.do(
        "TOY",
        "comply",
        {"transaction_id": "S2", "entity": "PLANT", "period": "P2", "quantity": 101, **late},
    )
    assert over.code == "CMP-007" and held(r, "PLANT") == 1_000
    ok = s.do(
        "TOY",
        "comply",
        {"transaction_id": "S3", "entity": "PLANT", "period": "P2", "quantity": 100, **late},
    )
    assert ok.state == "completed" and held(r, "PLANT") == 900


@covers("MKT-001", "MKT-002")
def test_native_market_rules_see_the_price_and_quantity_of_a_trade(toy: Any) -> None:
    s, r = toy
    verify(r, "PLANT", 2021, 10_000)
    allocate(s, "F21", "PLANT", 2021, "final")
    trade = {"account": "PLANT", "to_account": "MILL", "business_date": "2021-05-05"}
    dear = s.do(
        "TOY", "transfer", {"transaction_id": "T1", "quantity": 10, "price": "1000.01", **trade}
    )
    big = s.do("TOY", "transfer", {"transaction_id": "T2", "quantity": 5_001, **trade})
    assert (dear.code, big.code) == ("MKT-001", "MKT-002")
    assert held(r, "PLANT") == 9_000 and held(r, "MILL") == 0


@covers("CMP-008")
def test_an_allowance_dated_after_every_period_is_borrowing_not_banking(toy: Any) -> None:
    """Found while building the China adapter: a vintage after every period was
    taken for banking, so check_borrowing never saw it."""
    s, r = toy
    future = {
        "transaction_id": "F",
        "account": "PLANT",
        "unit_type": "TA",
        "vintage": 2030,  # the toy's periods end in 2023
        "quantity": 100,
        "business_date": "2023-05-01",
    }
    assert s.do("TOY", "issue", future).state == "completed"
    surrender = {
        "transaction_id": "S",
        "entity": "PLANT",
        "period": "P2",
        "quantity": 100,
        "business_date": "2024-05-01",
    }
    # the toy forbids borrowing (the default check_borrowing)
    assert s.do("TOY", "comply", surrender).code == "CMP-008"
    assert held(r, "PLANT") == 100
