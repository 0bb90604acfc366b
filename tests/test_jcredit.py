"""J-Credit, Japan's domestic crediting scheme.

Sources: reference/northeast-asia.md, "J-Credit"; ASPI report E:953–964 (J-VER and
the domestic credit system merged in 2013; energy saving, renewables, forest
management; used in emissions reporting and voluntary targets such as
Keidanren's) and E:1027–1030 (Sony's plan to buy 70,000 J-Credits).
"""

from __future__ import annotations

from typing import Any

import pytest

from adapters.japan import jcredit, saitama, tokyo
from adapters.japan.jcredit import JCreditRegistry
from adapters.japan.metropolitan import tokyo_saitama_link
from clearinghouse.system import EmbeddedSystem
from projections import invariants
from projections.adjustments import adjustments
from projections.log import read
from tests.coverage import covers

NDC = {"type": "absolute", "period": "single-year", "target_years": [2030]}


def new_system(**options: Any) -> EmbeddedSystem:
    s = EmbeddedSystem()
    s.clearinghouse.register_party({"code": "JP", "name": "Japan", "ndc": NDC})
    r = s.add_registry(jcredit(**options))
    assert isinstance(r, JCreditRegistry)
    for project, kind in (
        ("ENERGY1", "energy_saving"),
        ("SOLAR1", "renewable_energy"),
        ("FOREST1", "forestry"),
    ):
        r.register_project(
            {
                "project": project,
                "name": f"{kind} project",
                "kind": kind,
                "participant": f"{project}_OWNER",
                "business_date": "2014-05-01",
            }
        )
    r.open_account({"account": "SONY", "holder": "Sony (demand example, E:1029)"})
    return s


@pytest.fixture
def system() -> EmbeddedSystem:
    return new_system()


def registry(s: EmbeddedSystem) -> JCreditRegistry:
    r = s.registry("J_CREDIT")
    assert isinstance(r, JCreditRegistry)
    return r


def certify(s: EmbeddedSystem, tid: str, project: str, fy: int, tonnes: int, on: str) -> Any:
    data = {
        "transaction_id": tid,
        "project": project,
        "fiscal_year": fy,
        "reductions": tonnes,
        "business_date": on,
    }
    return s.do("J_CREDIT", "certify", data)


def held(s: EmbeddedSystem, account: str) -> int:
    a = registry(s).account(account)
    assert a is not None
    return a.available.total


@covers("CMP-005", "CMP-009")
def test_projects_of_the_three_kinds_are_certified_after_the_fiscal_year(
    system: EmbeddedSystem,
) -> None:
    # E:955–957: energy-saving equipment, renewable energy, forest management
    assert certify(system, "C1", "ENERGY1", 2016, 30_000, "2017-06-01").quantity == 30_000
    assert certify(system, "C2", "SOLAR1", 2016, 25_000, "2017-06-01").quantity == 25_000
    assert certify(system, "C3", "FOREST1", 2016, 15_000, "2017-06-01").quantity == 15_000
    project = registry(system).project("FOREST1")
    assert project is not None and project.kind == "forestry" and 2016 in project.credited
    # before the fiscal year ends (31 March 2018), FY2017 cannot be certified
    early = certify(system, "C4", "FOREST1", 2017, 1_000, "2018-03-31")
    assert early.code == "CMP-005" and held(system, "FOREST1_OWNER") == 15_000
    # a year is certified once; an unregistered project is not certified at all
    assert certify(system, "C5", "FOREST1", 2016, 1_000, "2017-07-01").code == "CMP-009"
    assert certify(system, "C6", "WIND9", 2016, 1_000, "2017-07-01").code == "CMP-009"
    assert held(system, "FOREST1_OWNER") == 15_000


def test_sony_buys_70000_and_cancels_them_for_reporting(system: EmbeddedSystem) -> None:
    # E:1027–1030: "Sony has announced plans to purchase 70,000 offsets from the
    # J-Credit Scheme"; E:957–959: credits used in emissions reporting and voluntary
    # targets. Domestic use: no corresponding adjustment.
    certify(system, "C1", "ENERGY1", 2016, 30_000, "2017-06-01")
    certify(system, "C2", "SOLAR1", 2016, 25_000, "2017-06-01")
    certify(system, "C3", "FOREST1", 2016, 15_000, "2017-06-01")
    for i, (owner, qty) in enumerate(
        (("ENERGY1_OWNER", 30_000), ("SOLAR1_OWNER", 25_000), ("FOREST1_OWNER", 15_000))
    ):
        bought = system.do(
            "J_CREDIT",
            "transfer",
            {
                "transaction_id": f"B{i}",
                "account": owner,
                "to_account": "SONY",
                "quantity": qty,
                "price": "1500",
                "business_date": "2017-09-01",
            },
        )
        assert bought.state == "completed"
    assert held(system, "SONY") == 70_000
    for tid, qty, use in (("U1", 50_000, "emissions_reporting"), ("U2", 20_000, "carbon_offset")):
        cancelled = system.do(
            "J_CREDIT",
            "cancel_for_use",
            {
                "transaction_id": tid,
                "account": "SONY",
                "quantity": qty,
                "use": use,
                "fiscal_year": 2017,
                "business_date": "2018-06-30",
            },
        )
        assert cancelled.state == "completed"
    assert registry(system).used("SONY", 2017) == {
        "emissions_reporting": 50_000,
        "carbon_offset": 20_000,
    }
    assert held(system, "SONY") == 0
    assert adjustments(read(system.clearinghouse)) == {}
    assert invariants.check(read(system.clearinghouse)) == []


def test_plain_issuance_is_refused(system: EmbeddedSystem) -> None:
    refused = system.do(
        "J_CREDIT",
        "issue",
        {
            "transaction_id": "I1",
            "account": "SONY",
            "unit_type": "JCR",
            "vintage": 2016,
            "quantity": 1,
            "business_date": "2017-06-01",
        },
    )
    assert refused.code == "CMP-009" and held(system, "SONY") == 0


def _to_tokyo(s: EmbeddedSystem) -> Any:
    return s.do(
        "J_CREDIT",
        "transfer_abroad",
        {
            "transaction_id": "X1",
            "account": "ENERGY1_OWNER",
            "to_registry": "TOKYO",
            "to_account": "OFFICE",
            "quantity": 1_000,
            "business_date": "2017-07-01",
        },
    )


def test_j_credits_are_not_exported(system: EmbeddedSystem) -> None:
    # domestic only [assumption: the sources describe only use inside Japan]
    certify(system, "C1", "ENERGY1", 2016, 30_000, "2017-06-01")
    system.add_registry(tokyo())
    refused = _to_tokyo(system)
    assert refused.code == "CMP-009" and held(system, "ENERGY1_OWNER") == 30_000


@covers("AGR-001")
def test_the_export_switch_hands_the_decision_to_the_clearinghouse() -> None:
    # exportable=True: the registry lets the transfer go, and it then needs a linkage
    # agreement like any other; Tokyo and Saitama do not accept J-Credits (the sources
    # do not say they do), so their link does not carry them
    s = new_system(exportable=True)
    certify(s, "C1", "ENERGY1", 2016, 30_000, "2017-06-01")
    s.add_registry(tokyo())
    s.add_registry(saitama())
    s.clearinghouse.conclude_agreement(tokyo_saitama_link())
    refused = _to_tokyo(s)
    assert refused.code == "AGR-001" and held(s, "ENERGY1_OWNER") == 30_000


def test_multi_year_each_fiscal_year_certified_and_used_on_its_own(
    system: EmbeddedSystem,
) -> None:
    """Two fiscal years: FY2016 and FY2017 reductions certified as their own vintages
    and cancelled in that year's report. The sources give no rule that changes from
    one year to the next for J-Credit; what differs is the fiscal-year calendar."""
    certify(system, "C16", "SOLAR1", 2016, 10_000, "2017-06-01")
    certify(system, "C17", "SOLAR1", 2017, 12_000, "2018-06-01")
    owner = registry(system).account("SOLAR1_OWNER")
    assert owner is not None
    assert (owner.available.quantity("JCR", 2016), owner.available.quantity("JCR", 2017)) == (
        10_000,
        12_000,
    )
    for tid, fy, vintage, qty in (("U16", 2016, 2016, 10_000), ("U17", 2017, 2017, 12_000)):
        done = system.do(
            "J_CREDIT",
            "cancel_for_use",
            {
                "transaction_id": tid,
                "account": "SOLAR1_OWNER",
                "quantity": qty,
                "vintage": vintage,
                "use": "voluntary_target",
                "fiscal_year": fy,
                "business_date": f"{fy + 1}-06-30",
            },
        )
        assert done.state == "completed"
    assert registry(system).used("SOLAR1_OWNER", 2016) == {"voluntary_target": 10_000}
    assert registry(system).used("SOLAR1_OWNER", 2017) == {"voluntary_target": 12_000}
