"""The HTTP API end to end (in process, delivering in process): what a user can
do, the error statuses with their check codes, and Idempotency-Key."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from clearinghouse.api import create_app
from clearinghouse.api.services import Services
from clearinghouse.service.settings import ServiceSettings
from tests.api_support import Api, abroad, api, issuance
from tests.coverage import covers

__all__ = ["api"]  # the fixture

NDC = {"type": "absolute", "period": "single-year", "target_years": [2030]}


def fund(api: Api, quantity: int = 100_000) -> None:
    done = api.issue("cn", "CN_ETS", "fund", "HUANENG", "CEA", quantity)
    assert done.status_code == 200 and done.json()["state"] == "completed"


def test_a_cross_border_transfer_through_the_api(api: Api) -> None:
    fund(api)
    sent = api.send("cn", "CN_ETS", "x1", "HUANENG", "KR_ETS/POSCO", 40_000)
    assert sent.status_code == 200, sent.json()
    assert sent.json()["state"] == "completed" and sent.json()["quantity"] == 40_000
    posco = api.get("kr", "/registries/KR_ETS/accounts/POSCO").json()
    assert posco["total"] == 40_000
    assert posco["available"] == [
        {"registry": "CN_ETS", "unit_type": "CEA", "vintage": 2025, "first": 1, "last": 40_000}
    ]
    cleared = api.get("admin", "/clearing/transactions/CN_ETS/x1").json()
    assert cleared["agreement"] == "CN_KR_RESTRICTED"
    adjustment = {"party": "CN", "role": "first_transfer", "year": 2025, "vintage": 2025}
    assert cleared["adjustments"] == [{**adjustment, "quantity": 40_000}]
    # the restricted link's import limit: 11.3% of the 1,000,000 t reference (demo.py,
    # reference/northeast-asia.md E:2129) = 113,000 t in 2025
    usage = api.get("admin", "/agreements/CN_KR_RESTRICTED").json()["usage"]
    limit = {"jurisdiction": "KR_ETS", "flow": "import", "period": "2025"}
    assert usage == [{**limit, "used": 40_000, "limit": 113_000}]


def test_a_transaction_refused_by_the_clearinghouse_is_409_with_its_check_code(api: Api) -> None:
    fund(api, 200_000)
    issued = api.post("kr", "/registries/KR_ETS/issuances", issuance("k", "POSCO", "KAU", 500))
    assert issued.status_code == 200
    # the CN->KR link is one way: KAU cannot go to China (AGR-001)
    backwards = api.send("kr", "KR_ETS", "b1", "POSCO", "CN_ETS/HUANENG", 10)
    assert backwards.status_code == 409
    body = backwards.json()
    assert body["code"] == "AGR-001" and "KR_ETS" in body["reason"]
    assert body["receipt"]["state"] == "rejected"
    assert api.get("kr", "/registries/KR_ETS/accounts/POSCO").json()["total"] == 500  # released
    # over the import limit of 113,000 t (QTY-001)
    over = api.send("cn", "CN_ETS", "o1", "HUANENG", "KR_ETS/POSCO", 113_001)
    assert (over.status_code, over.json()["code"]) == (409, "QTY-001")
    # only the rejections were recorded: no holding changed anywhere
    assert api.get("cn", "/registries/CN_ETS/accounts/HUANENG").json()["total"] == 200_000
    assert api.get("kr", "/registries/KR_ETS/accounts/POSCO").json()["total"] == 500
    verdict = api.get("admin", "/clearing/transactions/CN_ETS/o1").json()["verdict"]
    assert verdict["code"] == "QTY-001"


def test_a_registry_refusal_is_409_and_changes_no_holding(api: Api) -> None:
    fund(api, 10)
    refused = api.send("cn", "CN_ETS", "x", "HUANENG", "KR_ETS/POSCO", 11)
    assert refused.status_code == 409
    assert refused.json()["code"] == "UNT-006"
    assert refused.json()["receipt"]["state"] == "refused"
    assert api.get("cn", "/registries/CN_ETS/accounts/HUANENG").json()["total"] == 10


@covers("INP-001")
def test_invalid_input_is_422_naming_the_field_and_the_reason(api: Api) -> None:
    before = api.positions()
    bad = api.post(
        "cn",
        "/registries/CN_ETS/issuances",
        {**issuance("i", "HUANENG", "CEA", 0), "vintage": 1066},
    )
    assert bad.status_code == 422
    body = bad.json()
    assert body["code"] == "INP-001"
    assert {e["field"] for e in body["errors"]} == {"body.quantity", "body.vintage"}
    assert any("greater than or equal to 1" in e["reason"] for e in body["errors"])
    missing = api.post("cn", "/registries/CN_ETS/transfers", {"transaction_id": "t"})
    assert {e["field"] for e in missing.json()["errors"]} >= {"body.account", "body.to_account"}
    internal = {"transaction_id": "t", "business_date": "2025-01-01", "account": "HUANENG"}
    both = api.post("cn", "/registries/CN_ETS/transfers", {**internal, "to_account": "DATANG"})
    assert "either by quantity or by blocks" in both.json()["reason"]
    vault = {"account": "A", "holder": "A", "kind": "vault"}
    kind = api.post("cn", "/registries/CN_ETS/accounts", vault)
    assert (kind.status_code, kind.json()["errors"][0]["field"]) == (422, "kind")
    headers = api.headers("admin", **{"Content-Type": "application/json"})
    assert api.client.post("/parties", content=b"{", headers=headers).status_code == 422
    assert api.positions() == before


@covers("SVC-005")
def test_unknown_things_are_404(api: Api) -> None:
    for who, path in [
        ("admin", "/registries/XX_ETS"),
        ("admin", "/registries/XX_ETS/accounts"),
        ("kr", "/registries/KR_ETS/accounts/NOBODY"),
        ("kr", "/registries/KR_ETS/transactions/none"),
        ("admin", "/clearing/transactions/KR_ETS/none"),
        ("admin", "/agreements/NONE"),
        ("admin", "/authorizations/NONE"),
        ("admin", "/parties/XX"),
    ]:
        found = api.get(who, path)
        assert (found.status_code, found.json()["code"]) == (404, "SVC-005"), path
    sent = api.post("admin", "/registries", {"standard": "XX_ETS"})
    assert sent.status_code == 404


@covers("TXN-001")
def test_a_transaction_id_reused_for_another_command_is_409(api: Api) -> None:
    fund(api)
    body = {"transaction_id": "t1", "business_date": "2025-02-01", "account": "HUANENG"}
    body |= {"to_account": "DATANG", "quantity": 5}
    wrong = api.post("cn", "/registries/CN_ETS/transfers", {**body, "to_registry": "KR_ETS"})
    assert wrong.status_code == 422  # to_registry is not an internal transfer's field
    assert api.post("cn", "/registries/CN_ETS/transfers", body).status_code == 200
    assert api.post("cn", "/registries/CN_ETS/transfers", body).status_code == 200  # same: harmless
    reused = api.post("cn", "/registries/CN_ETS/transfers", {**body, "quantity": 6})
    assert (reused.status_code, reused.json()["code"]) == (409, "TXN-001")
    assert api.get("cn", "/registries/CN_ETS/accounts/DATANG").json()["total"] == 5


@covers("SVC-004")
def test_an_idempotency_key_returns_the_first_result_and_changes_nothing(api: Api) -> None:
    fund(api)
    transfer = abroad("x1", "HUANENG", "KR_ETS", "POSCO", 1_000)
    first = api.post("cn", "/registries/CN_ETS/cross-border-transfers", transfer, key="k-1")
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    before = api.positions()
    again = api.post("cn", "/registries/CN_ETS/cross-border-transfers", transfer, key="k-1")
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert api.positions() == before
    # the same key for another request is refused, and changes nothing either
    other = api.post(
        "cn", "/registries/CN_ETS/cross-border-transfers", {**transfer, "quantity": 2}, key="k-1"
    )
    assert (other.status_code, other.json()["code"]) == (422, "SVC-004")
    assert "POST /registries/CN_ETS/cross-border-transfers" in other.json()["reason"]
    assert api.positions() == before
    # a refusal is a result too: repeated, it is the same refusal
    nobody = issuance("i", "NOBODY", "CEA", 1)
    refused = api.post("cn", "/registries/CN_ETS/issuances", nobody, key="k-2")
    assert (refused.status_code, refused.json()["code"]) == (409, "UNT-007")
    before = api.positions()
    repeated = api.post("cn", "/registries/CN_ETS/issuances", nobody, key="k-2")
    assert repeated.json() == refused.json() and api.positions() == before
    # keys are per API key: another caller's "k-1" is another request
    new = {"account": "NEW", "holder": "n"}
    assert api.post("kr", "/registries/KR_ETS/accounts", new, key="k-1").status_code == 201


@covers("SVC-006")
def test_administration_through_the_api(api: Api) -> None:
    party = {"code": "MN", "name": "Mongolia", "ndc": NDC}
    assert api.post("admin", "/parties", party).status_code == 201
    assert api.post("admin", "/parties", party).status_code == 200  # again: unchanged
    renamed = api.post("admin", "/parties", {**party, "name": "Mongol Uls"})
    assert (renamed.status_code, renamed.json()["code"]) == (409, "SVC-006")

    # a standard adapter, with its options recorded for every process
    made = api.post("admin", "/registries", {"standard": "JCM_MN"})
    assert made.status_code == 201, made.json()
    assert made.json()["adapter"] == {"standard": "JCM_MN", "options": {}, "unrecorded": []}
    plain = {"code": "MN_PLAIN", "name": "A plain registry", "party": "MN", "unit_types": ["MNU"]}
    assert api.post("admin", "/registries", plain).status_code == 201
    orphan = api.post("admin", "/registries", {**plain, "code": "XX_REG", "party": "XX"})
    assert (orphan.status_code, orphan.json()["code"]) == (409, "SVC-006")
    assert "register Party XX" in orphan.json()["reason"]
    bad_option = api.post("admin", "/registries", {"standard": "KR_ETS", "options": {"colour": 1}})
    assert (bad_option.status_code, bad_option.json()["code"]) == (422, "INP-001")

    agreement = {
        "code": "MN_KR",
        "jurisdictions": ["MN_PLAIN", "KR_ETS"],
        "directions": [{"source": "MN_PLAIN", "destination": "KR_ETS", "unit_types": ["MNU"]}],
        "effective_from": "2025-01-01",
    }
    assert api.post("admin", "/agreements", agreement).status_code == 201
    assert api.post("admin", "/agreements", agreement).status_code == 200
    changed = api.post("admin", "/agreements", {**agreement, "effective_from": "2026-01-01"})
    assert (changed.status_code, changed.json()["code"]) == (409, "SVC-006")
    suspended = api.post(
        "admin",
        "/agreements/MN_KR/changes",
        {"code": "MN_KR", "action": "suspend", "on": "2025-06-01"},
    )
    assert suspended.status_code == 200 and suspended.json()["suspended"] is True
    mismatch = api.post(
        "admin",
        "/agreements/MN_KR/changes",
        {"code": "OTHER", "action": "resume", "on": "2025-07-01"},
    )
    assert mismatch.status_code == 422

    grant = {
        "code": "MN-A62",
        "party": "MN",
        "cooperative_approach": "MN_KR",
        "unit_types": ["MNU"],
        "vintages": [2025, 2030],
        "authorized_on": "2025-01-01",
    }
    assert api.post("admin", "/authorizations", grant).status_code == 201
    assert api.post("admin", "/authorizations", grant).status_code == 200
    assert api.post("admin", "/authorizations", {**grant, "cap": 5}).status_code == 409
    assert [a["code"] for a in api.get("auditor", "/authorizations").json()] == [
        "CN-A62-CEA-DEMO",
        "MN-A62",
    ]
    codes = [r["code"] for r in api.get("negotiator", "/registries").json()]
    assert codes == ["CN_ETS", "KR_ETS", "TOKYO", "SAITAMA", "JCM_MN", "MN_PLAIN"]


@covers("ART-009")
def test_article6_views(api: Api) -> None:
    fund(api)
    api.send("cn", "CN_ETS", "x1", "HUANENG", "KR_ETS/POSCO", 1_000)
    party = {
        "party": "CN",
        "ndc": {"type": "single-year", "target_year": 2030, "period": [2021, 2030]},
        "ca_method": "trajectory",
    }
    summary = api.post("auditor", "/article6/summary", {"party": party})
    assert summary.status_code == 200, summary.json()
    # row 7: ITMOs first transferred by China in 2025 = the 1,000 t transferred
    assert summary.json()["rows"]["7"]["2025"] == 1_000
    assert api.get("auditor", "/article6/check").json() == {"count": 0, "violations": []}
    aef = api.get("auditor", "/article6/aef", party="CN", year=2025)
    assert aef.status_code == 200 and aef.json()["party"] == "CN"
    for rules in ["no-such-preset", "../../../etc/passwd"]:
        refused = api.post("auditor", "/article6/summary", {"party": party, "rules": rules})
        assert (refused.status_code, refused.json()["code"]) == (422, "ART-009"), rules
    multi = {**party, "ca_method": "multi-year"}
    refused = api.post("auditor", "/article6/summary", {"party": multi})
    assert (refused.status_code, refused.json()["code"]) == (422, "ART-001")


@covers("SVC-007")
def test_readiness_is_503_when_redis_is_unreachable() -> None:
    settings = ServiceSettings(
        store=":memory:",
        database_url=None,
        redis_url="redis://127.0.0.1:1/0",  # nothing listens there
        clearing_in_api=False,
    )
    services = Services.open(settings)
    try:
        with TestClient(create_app(services=services)) as client:
            ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["code"] == "SVC-007" and "Redis" in ready.json()["reason"]
    finally:
        services.close()


def test_the_openapi_document_lists_every_area(api: Api) -> None:
    spec: dict[str, Any] = api.client.get("/openapi.json").json()
    tags = {t for p in spec["paths"].values() for op in p.values() for t in op.get("tags", [])}
    assert tags >= {
        "health", "registries", "parties", "accounts", "transactions", "agreements",
        "article6", "audit", "simulations",
    }  # fmt: skip
    issue = spec["paths"]["/registries/{registry}/issuances"]["post"]
    assert {"200", "202", "401", "403", "409", "422"} <= set(issue["responses"])
    assert "Idempotency-Key" in {p["name"] for p in issue["parameters"]}
    assert api.client.get("/docs").status_code == 200


def test_a_percentage_of_zero_over_zero_is_invalid_input_not_a_crash(api: Api) -> None:
    """Found by the fuzz (test_api_fuzz.py): Fraction("0/0") raised ZeroDivisionError,
    which pydantic does not turn into a validation error, so it was a 500."""
    limit = {"jurisdiction": "KR_ETS", "flow": "import", "percent": "0/0", "reference": 1}
    agreement = {
        "code": "ZERO",
        "jurisdictions": ["KR_ETS", "TOKYO"],
        "directions": [{"source": "KR_ETS", "destination": "TOKYO", "unit_types": ["KAU"]}],
        "limits": [limit],
        "effective_from": "2025-01-01",
    }
    refused = api.post("admin", "/agreements", agreement)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.limits.0.percent"


def test_a_store_that_stops_answering_is_503_and_nothing_is_half_done(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventsourcing.persistence import OperationalError

    registry = api.services.system.registry("CN_ETS")

    def down(*_: object, **__: object) -> None:
        raise OperationalError("connection refused")

    before = api.positions()
    monkeypatch.setattr(registry, "commit", down)
    refused = api.issue("cn", "CN_ETS", "i1", "HUANENG", "CEA", 10)
    assert (refused.status_code, refused.json()["code"]) == (503, "SVC-007")
    assert "event store" in refused.json()["reason"]
    monkeypatch.undo()
    assert api.positions() == before
    assert api.issue("cn", "CN_ETS", "i1", "HUANENG", "CEA", 10).status_code == 200  # retried


@covers("ART-008")
def test_bounds_on_what_one_request_can_ask_for(api: Api) -> None:
    """Found by the fuzz: an NDC period of a billion years made Table 4 walk every
    year (the request never returned). Years are bounded; so are bodies."""
    party = {
        "party": "CN",
        "ndc": {"type": "single-year", "target_year": 2030, "period": [2021, 1_000_000_000]},
        "ca_method": "trajectory",
    }
    refused = api.post("auditor", "/article6/summary", {"party": party})
    assert (refused.status_code, refused.json()["code"]) == (422, "ART-008")
    assert "1000000000" in refused.json()["reason"]
    huge = api.client.post(
        "/parties",
        content=b" " * (2 << 20),
        headers=api.headers("admin", **{"Content-Type": "application/json"}),
    )
    assert huge.status_code == 413


def test_a_command_that_loses_every_race_is_503_and_writes_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventsourcing.persistence import IntegrityError

    registry = api.services.system.registry("CN_ETS")

    def always_beaten(*_: object, **__: object) -> None:
        raise IntegrityError("another writer was first")

    before = api.positions()
    monkeypatch.setattr(registry, "commit", always_beaten)
    refused = api.issue("cn", "CN_ETS", "i1", "HUANENG", "CEA", 10)
    assert (refused.status_code, refused.json()["code"]) == (503, "SVC-007")
    assert "gave up after 20 concurrent writes" in refused.json()["reason"]
    monkeypatch.undo()
    assert api.positions() == before


def test_an_auditor_verifies_reconciles_and_traces_over_http(api: Api) -> None:
    fund(api, 1_000)
    api.send("cn", "CN_ETS", "x1", "HUANENG", "KR_ETS/POSCO", 400)
    before = api.positions()
    verified = api.get("auditor", "/audit/verify")
    assert verified.status_code == 200, verified.json()
    assert verified.json()["intact"] is True
    reconciled = api.get("auditor", "/audit/reconcile", registry=["CN_ETS", "KR_ETS"])
    assert reconciled.status_code == 200, reconciled.json()
    assert {r["registry"]: r["status"] for r in reconciled.json()} == {
        "CN_ETS": "completed",
        "KR_ETS": "completed",
    }
    traced = api.get("auditor", "/audit/trace/CN_ETS:CEA:150")
    assert traced.status_code == 200, traced.json()
    assert traced.json()["space"] == "CN_ETS:CEA"
    assert [n["holder"] for n in traced.json()["now"]] == ["KR_ETS"]  # serial 150 went abroad
    bad = api.get("auditor", "/audit/trace/150")  # a bare serial needs its registry
    assert (bad.status_code, bad.json()["code"]) == (422, "INP-001")
    assert api.get("auditor", "/audit/reconcile", registry="XX_ETS").status_code == 404
    assert api.positions() == before  # the auditor changed nothing
