"""Access control: each role's boundary, proved request by request, with the
logs unchanged after every refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearinghouse import cli
from clearinghouse.service.access import AccessApplication, digest
from clearinghouse.store import StoreConfig
from tests.api_support import Api, abroad, api, issuance
from tests.coverage import covers

__all__ = ["api"]  # the fixture

NDC = {"type": "absolute", "period": "single-year", "target_years": [2030]}
AGREEMENT = {
    "code": "KR_TOKYO",
    "jurisdictions": ["KR_ETS", "TOKYO"],
    "directions": [{"source": "KR_ETS", "destination": "TOKYO", "unit_types": ["KAU"]}],
    "effective_from": "2025-01-01",
}
SURRENDER = {"transaction_id": "s", "business_date": "2025-05-01", "account": "HUANENG"}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_health_and_readiness_need_no_key(api: Api) -> None:
    assert api.client.get("/health").json() == {"status": "ok"}
    ready = api.client.get("/ready").json()
    assert ready["status"] == "ready" and ready["transport"] == "in-process"


@covers("SVC-001")
def test_no_key_a_wrong_key_and_a_revoked_key_get_401(api: Api) -> None:
    missing = api.client.get("/registries")
    assert missing.status_code == 401 and missing.json()["code"] == "SVC-001"
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    wrong = api.client.get("/registries", headers=bearer("chk_0_nothing"))
    assert wrong.status_code == 401 and "unknown or revoked" in wrong.json()["reason"]
    forged = api.keys["cn"][:-2] + "xx"  # the right key id, a wrong secret
    assert api.client.get("/registries", headers=bearer(forged)).status_code == 401

    key_id = api.keys["kr"].split("_")[1]
    assert api.get("kr", "/registries").status_code == 200
    api.services.access.revoke_key(key_id, "operator left")
    revoked = api.get("kr", "/registries")
    assert revoked.status_code == 401 and revoked.json()["code"] == "SVC-001"


def test_keys_are_stored_hashed(api: Api) -> None:
    secret = api.keys["auditor"]
    stored = [k for k in api.services.access.api_keys() if k.role == "auditor"]
    assert [k.digest for k in stored] == [digest(secret)]
    assert all(secret not in str(vars(k)) for k in api.services.access.api_keys())


@covers("SVC-003")
def test_a_registry_key_cannot_move_another_registrys_units(api: Api) -> None:
    assert api.issue("cn", "CN_ETS", "i1", "HUANENG", "CEA", 1000).status_code == 200
    before = api.positions()
    # KR's operator tries to send CN's units to Korea
    stolen = api.send("kr", "CN_ETS", "steal", "HUANENG", "KR_ETS/POSCO", 500)
    assert stolen.status_code == 403
    assert stolen.json()["code"] == "SVC-003"
    assert "KR_ETS" in stolen.json()["reason"] and "CN_ETS" in stolen.json()["reason"]
    internal = {**SURRENDER, "transaction_id": "t", "to_account": "DATANG", "quantity": 1}
    for path, body in [
        ("/registries/CN_ETS/transfers", internal),
        ("/registries/CN_ETS/surrenders", {**SURRENDER, "quantity": 1}),
        ("/registries/CN_ETS/issuances", issuance("i2", "HUANENG", "CEA", 1)),
        ("/registries/CN_ETS/accounts", {"account": "MINE", "holder": "KR"}),
    ]:
        refused = api.post("kr", path, body)
        assert (refused.status_code, refused.json()["code"]) == (403, "SVC-003"), path
    assert api.get("kr", "/registries/CN_ETS/accounts").json()["code"] == "SVC-003"
    assert api.get("kr", "/registries/CN_ETS/transactions/i1").status_code == 403
    assert api.positions() == before  # nothing moved, nothing recorded
    assert api.get("cn", "/registries/CN_ETS/accounts/HUANENG").json()["total"] == 1000


def test_an_operator_follows_what_comes_into_its_registry(api: Api) -> None:
    api.issue("cn", "CN_ETS", "i1", "HUANENG", "CEA", 1000)
    api.send("cn", "CN_ETS", "x1", "HUANENG", "KR_ETS/POSCO", 100)
    # the destination's operator sees the clearinghouse's record of the transfer ...
    seen = api.get("kr", "/clearing/transactions/CN_ETS/x1")
    assert seen.status_code == 200 and seen.json()["state"] == "completed"
    incoming = api.get("kr", "/registries/KR_ETS/transactions/x1", direction="in")
    assert incoming.json()["state"] == "completed"
    # ids are unique per source registry: the source names which incoming x1
    named = api.get("kr", "/registries/KR_ETS/transactions/x1", direction="in", source="CN_ETS")
    assert named.json() == incoming.json()
    assert (
        api.get(
            "kr", "/registries/KR_ETS/transactions/x1", direction="in", source="TOKYO"
        ).status_code
        == 404
    )
    # ... a third registry's operator does not
    api.keys["tokyo"] = api.services.access.create_key("registry_operator", "Tokyo", "TOKYO")[1]
    assert api.get("tokyo", "/clearing/transactions/CN_ETS/x1").json()["code"] == "SVC-003"


@covers("SVC-002")
def test_an_auditor_reads_everything_and_changes_nothing(api: Api) -> None:
    api.issue("cn", "CN_ETS", "i1", "HUANENG", "CEA", 1000)
    before = api.positions()
    for path in [
        "/registries",
        "/registries/CN_ETS/accounts",
        "/registries/KR_ETS/accounts/POSCO",
        "/registries/CN_ETS/transactions/i1",
        "/clearing/transactions/CN_ETS/i1",
        "/parties",
        "/agreements",
        "/authorizations",
        "/article6/holdings",
        "/article6/check",
    ]:
        assert api.get("auditor", path).status_code == 200, path
    for path, body in [
        ("/registries/CN_ETS/issuances", issuance("i9", "HUANENG", "CEA", 1)),
        ("/registries/CN_ETS/cross-border-transfers", abroad("x9", "HUANENG", "KR_ETS", "P", 1)),
        ("/registries/CN_ETS/accounts", {"account": "A", "holder": "A"}),
        ("/agreements", AGREEMENT),
        ("/parties", {"code": "MN", "name": "Mongolia", "ndc": NDC}),
        ("/simulations", {"scenario": "x"}),
    ]:
        refused = api.post("auditor", path, body)
        assert refused.status_code == 403, path
        assert refused.json()["code"] == "SVC-002", path
        assert refused.json()["reason"].startswith("A key with the role auditor cannot")
    assert api.positions() == before


def test_an_administrator_administers_and_moves_no_units(api: Api) -> None:
    concluded = api.post("admin", "/agreements", AGREEMENT)
    assert concluded.status_code == 201 and concluded.json()["code"] == "KR_TOKYO"
    before = api.positions()
    refused = api.issue("admin", "KR_ETS", "i1", "POSCO", "KAU", 5)
    assert (refused.status_code, refused.json()["code"]) == (403, "SVC-002")
    assert api.get("admin", "/registries/KR_ETS/accounts").status_code == 200
    assert api.positions() == before


def test_an_operator_does_not_administer(api: Api) -> None:
    before = api.positions()
    for path, body in [("/agreements", AGREEMENT), ("/registries", {"standard": "CN_HB"})]:
        refused = api.post("kr", path, body)
        assert (refused.status_code, refused.json()["code"]) == (403, "SVC-002"), path
    assert api.get("kr", "/article6/holdings").status_code == 403
    assert api.positions() == before


def test_a_negotiator_compares_rule_variants_and_reads_no_accounts(api: Api) -> None:
    party = {
        "party": "KR",
        "ndc": {"type": "single-year", "target_year": 2030, "period": [2021, 2030]},
        "ca_method": "trajectory",
    }
    compared = api.post(
        "negotiator",
        "/article6/compare",
        {"party": party, "rules": ["glasgow-2021", "workbook-convention"]},
    )
    assert compared.status_code == 200, compared.json()
    assert api.get("negotiator", "/agreements").status_code == 200
    # simulations are the negotiator's (this one is not a scenario: refused, as input)
    invalid = api.post("negotiator", "/simulations", {"scenario": "x"})
    assert (invalid.status_code, invalid.json()["code"]) == (422, "INP-001")
    before = api.positions()
    for path in ["/registries/KR_ETS/accounts", "/clearing/transactions/CN_ETS/x"]:
        assert api.get("negotiator", path).json()["code"] == "SVC-002", path
    assert api.issue("negotiator", "KR_ETS", "i", "POSCO", "KAU", 1).status_code == 403
    assert api.get("negotiator", "/audit/verify").json()["code"] == "SVC-002"
    assert api.positions() == before


def test_keys_cli_creates_lists_and_revokes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store", str(tmp_path)]
    create = ["keys", "create", "--role", "registry_operator", "--label", "KR ops", *store]
    assert cli.main([*create, "--registry", "KR_ETS"]) == 0
    out = capsys.readouterr().out
    secret = next(w for w in out.split() if w.startswith("chk_"))
    access = AccessApplication(StoreConfig(kind="sqlite", path=tmp_path))
    principal = access.authenticate(secret)
    assert principal is not None and principal.jurisdiction == "KR_ETS"

    assert cli.main(["keys", "list", "--json", *store]) == 0
    assert '"role": "registry_operator"' in capsys.readouterr().out
    assert cli.main(["keys", "revoke", str(principal.key_id), *store]) == 0
    capsys.readouterr()
    assert AccessApplication(StoreConfig(kind="sqlite", path=tmp_path)).authenticate(secret) is None
    # an operator's key names its registry; other roles have none
    assert cli.main(create) == 2
    assert "--registry" in capsys.readouterr().err
    assert cli.main(["keys", "revoke", "00000000-0000-0000-0000-000000000000", *store]) == 2
