"""The Article 6.4 mechanism registry: issuance with the share of proceeds and the
OMGE, forwarding, authorized A6.4ERs becoming ITMOs, mitigation contribution
units, and the CDM transition as rule variants.

Sources: reference/linkage-and-article6.md L21 — "share of proceeds 5% of
A6.4ERs at issuance ... OMGE: at least 2% of issued A6.4ERs cancelled at
issuance; unauthorised 'mitigation contribution' A6.4ERs carry no CA; the CA
applies after the share-of-proceeds deduction. Example: issuance 1,000 →
holding 930, OMGE 20, SOP 50 (rounding down)"; reference/
registries-and-reporting.md L52 (issued first into a pending account;
authorized A6.4ERs become ITMOs at first transfer); 003 L389–417 (the CDM
transition). Ghana as host and Switzerland as buyer are illustrative.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from adapters.a64 import (
    ADAPTATION_FUND,
    OMGE_ACCOUNT,
    PENDING,
    A64Registry,
    Deductions,
    Split,
    a64,
    a64_authorization,
    a64_forwarding,
)
from adapters.a64.transition import filtered
from adapters.base import RegistryConfig
from clearinghouse.checks import Refused
from clearinghouse.system import EmbeddedSystem
from projections import invariants
from projections.adjustments import adjustments
from projections.log import read
from tests.coverage import covers

NDC = {"type": "absolute", "period": "single-year", "target_years": [2030]}
SECTION = "A64_GH"


def new_system(
    *, first_transfer: str = "first_international_transfer", **options: Any
) -> EmbeddedSystem:
    s = EmbeddedSystem()
    ch = s.clearinghouse
    ch.register_party({"code": "GH", "name": "Ghana (illustrative host)", "ndc": NDC})
    ch.register_party({"code": "CH", "name": "Switzerland (illustrative buyer)", "ndc": NDC})
    s.add_registry(a64("GH", **options))
    s.add_registry(RegistryConfig("CH_NR", "Swiss national registry", "CH", ("CHNR",)))
    s.add_registry(RegistryConfig("GH_NR", "Ghana national registry", "GH", ("GHNR",)))
    for code in ("CH_NR", "GH_NR"):
        s.registry(code).open_account({"account": "GOV", "holder": "Government"})
        s.clearinghouse.conclude_agreement(a64_forwarding(SECTION, code))
    ch.grant_authorization(a64_authorization("GH", first_transfer=first_transfer))
    return s


@pytest.fixture
def system() -> EmbeddedSystem:
    return new_system()


def mech(s: EmbeddedSystem) -> A64Registry:
    r = s.registry(SECTION)
    assert isinstance(r, A64Registry)
    return r


def register(s: EmbeddedSystem, activity: str = "COOKSTOVES", **extra: Any) -> None:
    mech(s).register_activity(
        {
            "activity": activity,
            "name": "Clean cookstoves",
            "scope": "programme",
            "methodology": "A6.4-AM-001",
            "participants": ["DEVELOPER", "INVESTOR"],
            "crediting": (2021, 2030),
            "business_date": "2022-01-10",
            **extra,
        }
    )


def authorize(s: EmbeddedSystem, activity: str = "COOKSTOVES") -> None:
    mech(s).authorize_activity(
        {"activity": activity, "authorization": "GH-A64", "business_date": "2022-02-01"}
    )


def issue(
    s: EmbeddedSystem, tid: str, vintage: int, reductions: int, activity: str = "COOKSTOVES"
) -> Any:
    return s.do(
        SECTION,
        "issue_reductions",
        {"transaction_id": tid, "activity": activity, "vintage": vintage,
         "reductions": reductions, "business_date": f"{vintage + 1}-05-01"},
    )  # fmt: skip


def held(s: EmbeddedSystem, registry: str, account: str, unit_type: str | None = None) -> int:
    a = s.registry(registry).account(account)
    assert a is not None
    return a.available.quantity(unit_type) if unit_type else a.available.total


def forward(s: EmbeddedSystem, tid: str, quantity: int, to: str = "CH_NR", **extra: Any) -> Any:
    data = {"transaction_id": tid, "activity": "COOKSTOVES", "participant": "DEVELOPER",
            "quantity": quantity, "to_registry": to, "to_account": "GOV",
            "business_date": "2023-06-01", **extra}  # fmt: skip
    return s.do(SECTION, "forward", data)


def retire(s: EmbeddedSystem, tid: str, quantity: int, purpose: str = "ndc") -> Any:
    data = {"transaction_id": tid, "business_date": "2024-03-01", "account": "GOV"}
    return s.do("CH_NR", "retire", {**data, "quantity": quantity, "purpose": purpose})


# -- the deductions ----------------------------------------------------------------------


def test_the_split_of_1000_is_930_50_20() -> None:
    # L21: issuance 1,000 → holding 930, OMGE 20, SOP 50 (rounding down)
    assert Deductions().split(1_000) == Split(1_000, 930, 50, 20)
    assert Deductions().split(1_000).adjusted == 950  # the CA applies after the SOP


def test_the_rounding_rule_is_stated_and_the_omge_never_below_2_percent() -> None:
    # rounding down (L21) leaves the participants the fractions: 50.05 → 50, 20.02 → 20
    assert Deductions().split(1_001) == Split(1_001, 931, 50, 20)
    # "at least 2%": rounding the OMGE up never cancels less than 2%
    assert Deductions(omge_rounding="up").split(1_001) == Split(1_001, 930, 50, 21)
    assert Deductions(omge=Deductions().omge * 2).split(1_000).omge == 40
    with pytest.raises(ValueError, match="at least 2%"):
        Deductions(omge=Deductions().omge / 2)


def test_issuance_of_1000_a64ers_goes_930_pending_50_to_the_fund_20_cancelled(
    system: EmbeddedSystem,
) -> None:
    s = system
    register(s)
    authorize(s)
    receipt = issue(s, "I22", 2022, 1_000)
    assert receipt.state == "completed"
    assert held(s, SECTION, PENDING, "A64ER") == 930
    assert held(s, SECTION, ADAPTATION_FUND, "A64ER") == 50
    assert held(s, SECTION, OMGE_ACCOUNT, "A64ER") == 20
    omge = mech(s).transaction("I22:OMGE")
    assert omge is not None and omge.state == "completed"
    activity = mech(s).activity("COOKSTOVES")
    assert activity is not None and activity.pending.total == 930
    assert activity.issued["2022"]["omge"] == 20
    # the central ledger agrees: 20 cancelled, 980 active
    ledger = s.clearinghouse.ledger(SECTION, "A64ER")
    assert ledger is not None
    status = {}
    for e in ledger.entries:
        status[e.status] = status.get(e.status, 0) + e.block.count
    assert status == {"active": 980, "cancelled": 20}
    # the share of proceeds is outside the authorization: not an ITMO
    fund = {e.block.count: e.itmo for e in ledger.entries if e.status == "active"}
    assert fund[50] is None and fund[930] is not None


# -- authorized A6.4ERs become ITMOs at first transfer -------------------------------------


def test_authorized_a64ers_become_itmos_at_first_transfer_after_the_sop(
    system: EmbeddedSystem,
) -> None:
    s = system
    register(s)
    authorize(s)
    issue(s, "I22", 2022, 1_000)
    # at issuance the OMGE is cancelled: the host adjusts for it (nobody may claim it)
    assert adjustments(read(s.clearinghouse)) == {
        "GH": {"2023": {"first_transfer": 20, "use": 0, "net": 20}}
    }
    sent = forward(s, "F1", 930)
    assert sent.state == "completed"
    assert held(s, "CH_NR", "GOV", "A64ER") == 930
    used = retire(s, "U1", 930)
    assert used.state == "completed"
    table = adjustments(read(s.clearinghouse))
    # the host adds 950 = 1,000 − the 50 of the share of proceeds (L21); the buyer subtracts
    host = sum(row["first_transfer"] for row in table["GH"].values())
    assert host == 950
    assert table["CH"]["2024"]["use"] == 930
    assert invariants.check(read(s.clearinghouse)) == []


def test_with_the_issuance_definition_the_host_adjusts_at_issuance() -> None:
    s = new_system(first_transfer="issuance")
    register(s)
    authorize(s)
    issue(s, "I22", 2022, 1_000)
    table = adjustments(read(s.clearinghouse))
    assert table["GH"]["2023"]["first_transfer"] == 950
    forward(s, "F1", 930)
    assert adjustments(read(s.clearinghouse))["GH"]["2023"]["first_transfer"] == 950


def test_the_sop_inside_the_authorization_is_a_variant() -> None:
    s = new_system(first_transfer="issuance", sop_adjusted=True)
    register(s)
    authorize(s)
    issue(s, "I22", 2022, 1_000)
    assert adjustments(read(s.clearinghouse))["GH"]["2023"]["first_transfer"] == 1_000


def test_forwarding_to_the_hosts_own_registry_is_no_first_transfer(system: EmbeddedSystem) -> None:
    s = system
    register(s)
    authorize(s)
    issue(s, "I22", 2022, 1_000)
    assert forward(s, "F1", 100, to="GH_NR").state == "completed"
    assert adjustments(read(s.clearinghouse))["GH"]["2023"]["first_transfer"] == 20  # OMGE only


@covers("CMP-704")
def test_forwarding_follows_a_participants_instruction(system: EmbeddedSystem) -> None:
    s = system
    register(s)
    authorize(s)
    issue(s, "I22", 2022, 1_000)
    inside = forward(s, "F1", 300, to=None, to_account="INVESTOR")
    assert inside.state == "completed" and held(s, SECTION, "INVESTOR") == 300
    stranger = forward(s, "F2", 1, participant="SOMEONE")
    assert stranger.state == "refused" and stranger.code == "CMP-704"
    too_much = forward(s, "F3", 631)
    assert too_much.code == "CMP-704" and "630" in (too_much.reason or "")
    outsider = forward(s, "F4", 1, to=None, to_account=ADAPTATION_FUND)
    assert outsider.code == "CMP-704"
    # nothing leaves the pending account but by forwarding
    plain = s.do(SECTION, "transfer", {"transaction_id": "P", "business_date": "2023-06-01",
                                       "account": PENDING, "to_account": "DEVELOPER",
                                       "quantity": 1})  # fmt: skip
    assert plain.code == "CMP-704"
    assert held(s, SECTION, PENDING) == 630


# -- mitigation contribution units -----------------------------------------------------------


@covers("ACC-002")
def test_mitigation_contribution_units_are_never_adjusted(system: EmbeddedSystem) -> None:
    s = system
    register(s)  # not authorized
    issue(s, "I22", 2022, 1_000)
    assert held(s, SECTION, PENDING, "A64MCU") == 930
    assert held(s, SECTION, OMGE_ACCOUNT, "A64MCU") == 20
    assert forward(s, "F1", 930).state == "completed"
    # no Party can count them towards its NDC: that would be double claiming
    use = retire(s, "U1", 100)
    assert use.state == "rejected" and use.code == "ACC-002"
    contribution = s.do("CH_NR", "cancel", {"transaction_id": "C1", "business_date": "2024-03-01",
                                            "account": "GOV", "quantity": 100})  # fmt: skip
    assert contribution.state == "completed"
    assert adjustments(read(s.clearinghouse)) == {}
    assert invariants.check(read(s.clearinghouse)) == []


# -- what the registry refuses -----------------------------------------------------------


@covers("CMP-701", "CMP-703", "CMP-009")
def test_issuance_only_for_a_registered_activity_in_its_crediting_period(
    system: EmbeddedSystem,
) -> None:
    s = system
    assert issue(s, "X", 2022, 10, activity="NOPE").code == "CMP-701"
    register(s)
    assert issue(s, "I22", 2022, 1_000).state == "completed"
    again = issue(s, "I22b", 2022, 1_000)
    assert again.code == "CMP-701" and "already" in (again.reason or "")
    assert issue(s, "I31", 2031, 10).code == "CMP-703"
    # a new activity is credited from 2021 [GK]
    register(s, "EARLY", crediting=(2019, 2025))
    assert issue(s, "I20", 2020, 10, activity="EARLY").code == "CMP-703"
    plain = s.do(SECTION, "issue", {"transaction_id": "P", "business_date": "2023-01-01",
                                    "account": PENDING, "unit_type": "A64ER", "vintage": 2022,
                                    "quantity": 1})  # fmt: skip
    assert plain.code == "CMP-009"


@covers("AUT-001")
def test_an_authorization_that_does_not_cover_the_vintage_rejects_the_issuance(
    system: EmbeddedSystem,
) -> None:
    s = system
    register(s, crediting=(2021, 2035))
    authorize(s)
    rejected = issue(s, "I31", 2031, 1_000)  # the authorization covers 2021–2030
    assert rejected.state == "rejected" and rejected.code == "AUT-001"
    activity = mech(s).activity("COOKSTOVES")
    assert activity is not None and "2031" not in activity.issued
    assert held(s, SECTION, PENDING) == 0


# -- the CDM transition ------------------------------------------------------------------


def cdm(
    registered: str, requested: str | None = "2023-06-01", kind: str = "project"
) -> dict[str, Any]:
    return {"registered_on": registered, "kind": kind, "technology": "hydro",
            "requested_on": requested}  # fmt: skip


@covers("CMP-702")
def test_cdm_activities_transition_with_the_hosts_approval(system: EmbeddedSystem) -> None:
    s = system
    register(s, "HYDRO", cdm=cdm("2014-03-01"), crediting=(2013, 2030))
    early = issue(s, "H22", 2022, 1_000, activity="HYDRO")
    assert early.code == "CMP-702" and "not approved" in (early.reason or "")
    with pytest.raises(Refused) as late:
        mech(s).approve_transition({"activity": "HYDRO", "business_date": "2026-01-05"})
    assert late.value.code == "CMP-702"
    mech(s).approve_transition({"activity": "HYDRO", "business_date": "2024-05-01"})
    # a refused id stays refused: the retry is a new transaction
    assert issue(s, "H22", 2022, 1_000, activity="HYDRO").state == "refused"
    assert issue(s, "H22b", 2022, 1_000, activity="HYDRO").state == "completed"
    assert held(s, SECTION, PENDING, "A64MCU") == 930
    # reductions of 2013–2020: pre-2021 units, no deductions, no adjustment [GK]
    assert issue(s, "H19", 2019, 1_000, activity="HYDRO").state == "completed"
    assert held(s, SECTION, PENDING, "A64CER") == 1_000
    # registered before 2013: no pre-2021 units
    register(s, "OLD", cdm=cdm("2010-01-01"), crediting=(2013, 2030))
    mech(s).approve_transition({"activity": "OLD", "business_date": "2024-05-01"})
    assert issue(s, "O19", 2019, 10, activity="OLD").code == "CMP-703"
    # requested after 31 Dec 2023 [GK]
    with pytest.raises(Refused):
        register(s, "LATE", cdm=cdm("2015-01-01", requested="2024-02-01"), crediting=(2021, 2030))


def test_the_transition_variants_of_003() -> None:
    # 003 L398–400: automatic transition, no approval needed
    s = new_system(transition="automatic")
    register(s, "HYDRO", cdm=cdm("2014-03-01", requested=None), crediting=(2013, 2035))
    assert issue(s, "H22", 2022, 1_000, activity="HYDRO").state == "completed"
    # 003 L406–417: only programmes, issuance limited to the first NDC period
    f = new_system(transition=filtered())
    with pytest.raises(Refused) as project:
        register(f, "HYDRO", cdm=cdm("2014-03-01"), crediting=(2013, 2035))
    assert project.value.code == "CMP-702" and "programmatic" in project.value.reason
    register(f, "POA", cdm=cdm("2014-03-01", kind="programmatic"), crediting=(2013, 2035))
    mech(f).approve_transition({"activity": "POA", "business_date": "2024-05-01"})
    assert issue(f, "P30", 2030, 100, activity="POA").state == "completed"
    assert issue(f, "P31", 2031, 100, activity="POA").code == "CMP-703"
    # no transition at all
    n = new_system(transition="none")
    with pytest.raises(Refused) as none:
        register(n, "HYDRO", cdm=cdm("2014-03-01"), crediting=(2013, 2030))
    assert none.value.code == "CMP-702"
    assert mech(n).activity("HYDRO") is None


def test_activities_span_projects_to_policies(system: EmbeddedSystem) -> None:
    # 003 L205–216: from projects to sub-sectors, sectors and policies
    register(system, "GRID", scope="sector")
    activity = mech(system).activity("GRID")
    assert activity is not None and activity.scope == "sector"
    assert activity.registered_on == date(2022, 1, 10)
    with pytest.raises(Refused) as bad:
        register(system, "BAD", scope="galaxy")
    assert bad.value.code == "INP-001"
