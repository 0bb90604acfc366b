"""The Joint Crediting Mechanism: Joint Committee decisions, the host/Japan split,
and Japan's share crossing to Japan as Article 6.2 ITMOs.

Sources: reference/northeast-asia.md, "Joint Crediting Mechanism" (E:990–1013):
"part of the resulting emissions reduction is accounted by the recipient
country, and part accrues to Japan as offset credits" (E:994–996); the Joint
Committee "designates third-party verifiers, registers projects, and determines
the amount of offset credits that will be issued in each case" (E:1000–1003).
The JCM as an Article 6.2 cooperative approach is [GK] (linkage-and-article6.md,
003 L123–177). Mongolia as the partner is illustrative.
"""

from __future__ import annotations

from typing import Any

import pytest

from adapters.compliance import percent
from adapters.japan import jcm, jcm_japan
from adapters.japan.jcm import JcmRegistry, japan_share_of, jcm_agreement, jcm_authorization
from clearinghouse.system import EmbeddedSystem
from projections import invariants
from projections.adjustments import adjustment_events, adjustments
from projections.log import read
from tests.coverage import covers

NDC = {"type": "absolute", "period": "single-year", "target_years": [2030]}


@pytest.fixture
def system() -> EmbeddedSystem:
    s = EmbeddedSystem()
    ch = s.clearinghouse
    ch.register_party({"code": "JP", "name": "Japan", "ndc": NDC})
    ch.register_party({"code": "MN", "name": "Mongolia (illustrative partner)", "ndc": NDC})
    s.add_registry(jcm())
    s.add_registry(jcm_japan()).open_account({"account": "GOJ", "holder": "Government of Japan"})
    ch.grant_authorization(jcm_authorization())
    ch.conclude_agreement(jcm_agreement())
    host = committee(s)
    host.approve_methodology(
        {"methodology": "MN_AM001", "title": "Heat-only boilers", "business_date": "2021-01-10"}
    )
    host.designate_verifier({"verifier": "TPE_1", "business_date": "2021-01-10"})
    host.register_project(
        {
            "project": "MN001",
            "name": "Efficient boilers, Ulaanbaatar",
            "methodology": "MN_AM001",
            "participant": "JP_INVESTOR",
            "japan_share": "50",
            "business_date": "2021-02-01",
        }
    )
    return s


def committee(s: EmbeddedSystem) -> JcmRegistry:
    r = s.registry("JCM_MN")
    assert isinstance(r, JcmRegistry)
    return r


def decide(s: EmbeddedSystem, tid: str, reductions: int, year: int = 2022, **kw: Any) -> Any:
    data = {
        "transaction_id": tid,
        "project": "MN001",
        "year": year,
        "reductions": reductions,
        "verifier": "TPE_1",
        "business_date": f"{year + 1}-03-01",
        **kw,
    }
    return s.do("JCM_MN", "decide_issuance", data)


def held(s: EmbeddedSystem, registry: str, account: str) -> int:
    a = s.registry(registry).account(account)
    assert a is not None
    return a.available.total


def to_japan(s: EmbeddedSystem, tid: str, qty: int, on: str = "2023-04-01", **kw: Any) -> Any:
    data = {
        "transaction_id": tid,
        "account": "JP_INVESTOR",
        "to_registry": "JP_JCM",
        "to_account": "GOJ",
        "quantity": qty,
        "business_date": on,
        **kw,
    }
    return s.do("JCM_MN", "transfer_abroad", data)


def test_the_split_between_host_and_japan_is_a_per_project_share() -> None:
    # E:994–996: part accounted by the host, part accrues to Japan; Japan's share is
    # rounded down to whole credits, the host keeps the remainder
    assert japan_share_of(1_001, percent(50)) == (500, 501)
    assert japan_share_of(10_000, percent(30)) == (3_000, 7_000)


def test_the_joint_committee_decides_issuance_of_japans_share(system: EmbeddedSystem) -> None:
    issued = decide(system, "D22", 10_000)
    assert (issued.state, issued.quantity) == ("completed", 5_000)
    assert held(system, "JCM_MN", "JP_INVESTOR") == 5_000
    project = committee(system).project("MN001")
    assert project is not None
    assert project.credited[2022]["host_accounted"] == 5_000
    assert project.credited[2022]["verifier"] == "TPE_1"


@covers("CMP-009")
def test_the_committee_refuses_what_it_has_not_approved(system: EmbeddedSystem) -> None:
    host = committee(system)
    # an undesignated verifier, a project it never registered, a year already decided
    assert decide(system, "D1", 1_000, verifier="NOBODY").code == "CMP-009"
    assert decide(system, "D2", 1_000, project="MN999").code == "CMP-009"
    assert decide(system, "D3", 1_000).state == "completed"
    assert decide(system, "D4", 1_000).code == "CMP-009"
    assert held(system, "JCM_MN", "JP_INVESTOR") == 500
    # a methodology the committee has not approved cannot register a project
    before = host.recorder.max_notification_id()
    with pytest.raises(Exception) as refused:
        host.register_project(
            {
                "project": "MN002",
                "name": "Solar",
                "methodology": "MN_AM999",
                "participant": "JP_INVESTOR",
                "japan_share": "50",
                "business_date": "2021-03-01",
            }
        )
    assert "CMP-009" in str(refused.value)
    assert host.recorder.max_notification_id() == before and host.project("MN002") is None
    # nothing exists but by a committee decision: the plain issue command is refused
    plain = system.do(
        "JCM_MN",
        "issue",
        {
            "transaction_id": "I1",
            "account": "JP_INVESTOR",
            "unit_type": "JCM",
            "vintage": 2022,
            "quantity": 1,
            "business_date": "2023-03-01",
        },
    )
    assert plain.code == "CMP-009" and held(system, "JCM_MN", "JP_INVESTOR") == 500


def test_japans_credits_cross_as_itmos_with_both_adjustments(system: EmbeddedSystem) -> None:
    """Host's authorization → first international transfer to Japan: Mongolia adds
    (first transfer); Japan uses them towards its NDC: Japan subtracts (use)."""
    decide(system, "D22", 10_000)
    moved = to_japan(system, "X1", 5_000)
    assert moved.state == "completed" and held(system, "JP_JCM", "GOJ") == 5_000
    used = system.do(
        "JP_JCM",
        "retire",
        {
            "transaction_id": "R1",
            "account": "GOJ",
            "quantity": 3_000,
            "purpose": "ndc",
            "business_date": "2023-06-30",
        },
    )
    assert used.state == "completed"
    table = adjustments(read(system.clearinghouse))
    assert table["MN"]["2023"] == {"first_transfer": 5_000, "use": 0, "net": 5_000}
    assert table["JP"]["2023"] == {"first_transfer": 0, "use": 3_000, "net": -3_000}
    events = adjustment_events(read(system.clearinghouse))
    assert {e["authorization"] for e in events} == {"MN-A62-JCM_JP_MN"}
    assert {e["vintage"] for e in events} == {2022}
    assert invariants.check(read(system.clearinghouse)) == []


@covers("UNT-008")
def test_japans_registry_issues_nothing_and_host_credits_go_to_japan_only(
    system: EmbeddedSystem,
) -> None:
    refused = system.do(
        "JP_JCM",
        "issue",
        {
            "transaction_id": "I1",
            "account": "GOJ",
            "unit_type": "JCM",
            "vintage": 2022,
            "quantity": 1,
            "business_date": "2023-03-01",
        },
    )
    assert refused.code == "CMP-009" and held(system, "JP_JCM", "GOJ") == 0
    decide(system, "D22", 10_000)
    elsewhere = to_japan(system, "X2", 10, to_registry="KR_ETS", to_account="POSCO")
    assert elsewhere.code == "CMP-009" and held(system, "JCM_MN", "JP_INVESTOR") == 5_000
    # a used credit is spent: retired units never move again
    to_japan(system, "X1", 100)
    system.do(
        "JP_JCM",
        "retire",
        {
            "transaction_id": "R1",
            "account": "GOJ",
            "quantity": 100,
            "purpose": "ndc",
            "business_date": "2023-06-30",
        },
    )
    again = system.do(
        "JP_JCM",
        "transfer",
        {
            "transaction_id": "T1",
            "account": "RETIREMENT",
            "to_account": "GOJ",
            "quantity": 100,
            "business_date": "2023-07-01",
        },
    )
    assert again.code == "UNT-008"
    assert held(system, "JP_JCM", "GOJ") == 0 and held(system, "JP_JCM", "RETIREMENT") == 100


def test_multi_year_two_projects_with_different_shares_and_vintages(
    system: EmbeddedSystem,
) -> None:
    """Two crediting years under different parameters: 2022 from the 50% project,
    2026 from a second project registered with a 30% Japan share; both years cross
    to Japan and are adjusted by vintage."""
    host = committee(system)
    host.approve_methodology(
        {"methodology": "MN_AM002", "title": "Solar PV", "business_date": "2024-01-10"}
    )
    host.register_project(
        {
            "project": "MN002",
            "name": "Solar PV, Darkhan",
            "methodology": "MN_AM002",
            "participant": "JP_INVESTOR",
            "japan_share": "30",
            "business_date": "2024-02-01",
        }
    )
    assert decide(system, "D22", 10_000).quantity == 5_000
    assert decide(system, "D26", 10_000, year=2026, project="MN002").quantity == 3_000
    project = host.project("MN002")
    assert project is not None and project.credited[2026]["host_accounted"] == 7_000
    assert to_japan(system, "X22", 5_000, vintage=2022).state == "completed"
    assert to_japan(system, "X26", 3_000, on="2027-04-01", vintage=2026).state == "completed"
    table = adjustments(read(system.clearinghouse))
    assert table["MN"]["2023"]["first_transfer"] == 5_000
    assert table["MN"]["2027"]["first_transfer"] == 3_000
    assert held(system, "JP_JCM", "GOJ") == 8_000


@covers("AUT-001")
def test_credits_before_the_authorized_vintages_do_not_cross(system: EmbeddedSystem) -> None:
    """Two eras with different rules: the host authorizes vintages 2021–2030 as ITMOs
    [GK: the Paris-era JCM]; Japan's share of 2020 reductions is issued like any other
    but is not authorized, so it cannot cross under the authorized agreement."""
    assert decide(system, "D20", 2_000, year=2020).quantity == 1_000
    assert decide(system, "D21", 2_000, year=2021).quantity == 1_000
    refused = to_japan(system, "X20", 1_000, vintage=2020)
    assert refused.code == "AUT-001"
    assert held(system, "JCM_MN", "JP_INVESTOR") == 2_000 and held(system, "JP_JCM", "GOJ") == 0
    assert to_japan(system, "X21", 1_000, vintage=2021).state == "completed"
    assert adjustments(read(system.clearinghouse))["MN"]["2023"]["first_transfer"] == 1_000


def test_without_the_article_6_treatment_no_adjustment_is_recorded() -> None:
    # [GK, configurable] the JCM as a 6.2 cooperative approach: switched off, Japan's
    # share still crosses to Japan, but as a plain transfer without adjustments
    s = EmbeddedSystem()
    s.clearinghouse.register_party({"code": "JP", "name": "Japan", "ndc": NDC})
    s.clearinghouse.register_party({"code": "MN", "name": "Mongolia", "ndc": NDC})
    s.add_registry(jcm())
    s.add_registry(jcm_japan()).open_account({"account": "GOJ", "holder": "Government of Japan"})
    s.clearinghouse.conclude_agreement(jcm_agreement(authorized=False))
    host = committee(s)
    host.approve_methodology({"methodology": "M1", "title": "t", "business_date": "2021-01-10"})
    host.designate_verifier({"verifier": "TPE_1", "business_date": "2021-01-10"})
    host.register_project(
        {
            "project": "MN001",
            "name": "Boilers",
            "methodology": "M1",
            "participant": "JP_INVESTOR",
            "japan_share": "50",
            "business_date": "2021-02-01",
        }
    )
    decide(s, "D22", 10_000)
    assert to_japan(s, "X1", 5_000).state == "completed"
    assert adjustments(read(s.clearinghouse)) == {}
