"""The cross-border transfer lifecycle, end to end on the embedded system.

Numbers: the import limit is 11.3% of a 1,000,000 t reference = 113,000 t a year,
the share of Korea's NDC meant for international mechanisms
(reference/northeast-asia.md, E:2129, E:2186; restricted linkage E:2238-2252).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from adapters.base import RegistryConfig
from clearinghouse import cli, demo
from clearinghouse.messages import Envelope
from clearinghouse.system import EmbeddedSystem
from clearinghouse.units import Block
from projections import invariants
from projections.adjustments import adjustments
from projections.log import read
from tests.conftest import issue


@pytest.fixture
def system() -> EmbeddedSystem:
    s = EmbeddedSystem()
    demo.setup(s)
    return s


def abroad(s: EmbeddedSystem, tid: str, qty: int, to_account: str = "POSCO", **kw: Any) -> Any:
    data = {
        "transaction_id": tid,
        "business_date": date(2025, 3, 1),
        "account": "HUANENG",
        "to_registry": "KR_ETS",
        "to_account": to_account,
        "quantity": qty,
        **kw,
    }
    return s.do("CN_ETS", "transfer_abroad", data)


def test_transfer_moves_units_and_records_chinas_adjustment(system: EmbeddedSystem) -> None:
    issue(system, "CN_ETS", "HUANENG", "CEA", 200_000)
    receipt = abroad(system, "x1", 50_000)
    assert receipt.state == "completed"
    # the destination registry, the source registry and the central ledger agree
    posco = system.registry("KR_ETS").account("POSCO")
    assert posco is not None and posco.available.quantity("CEA") == 50_000
    huaneng = system.registry("CN_ETS").account("HUANENG")
    assert huaneng is not None and huaneng.available.total == 150_000
    ledger = system.clearinghouse.ledger("CN_ETS", "CEA")
    assert ledger is not None
    assert ledger.holdings() == {("KR_ETS", "active"): 50_000, ("CN_ETS", "active"): 150_000}
    # first international transfer of an authorized ITMO: China adds 50,000 t
    table = adjustments(read(system.clearinghouse))
    assert table == {"CN": {"2025": {"first_transfer": 50_000, "use": 0, "net": 50_000}}}
    txn = system.clearinghouse.transaction("x1")
    assert txn is not None and txn.state == "completed" and txn.agreement == "CN_KR_RESTRICTED"


def test_import_limit_is_11_3_percent_of_the_reference(system: EmbeddedSystem) -> None:
    issue(system, "CN_ETS", "HUANENG", "CEA", 200_000)
    assert abroad(system, "x1", 113_000).state == "completed"  # exactly at the limit
    refused = abroad(system, "x2", 1)
    assert (refused.state, refused.code) == ("rejected", "QTY-001")
    agreement = system.clearinghouse.agreement("CN_KR_RESTRICTED")
    assert agreement is not None and agreement.usage()[0]["used"] == 113_000
    # a new year has a new allowance
    assert abroad(system, "x3", 1, business_date=date(2026, 1, 5)).state == "completed"


def test_use_by_korea_and_no_adjustment_inside_japan(system: EmbeddedSystem) -> None:
    issue(system, "CN_ETS", "HUANENG", "CEA", 10_000)
    assert abroad(system, "x1", 10_000).state == "completed"
    r = system.do(
        "KR_ETS",
        "surrender",
        {
            "transaction_id": "s1",
            "business_date": "2025-06-30",
            "account": "POSCO",
            "quantity": 4_000,
        },
    )
    assert r.state == "completed"
    issue(system, "TOKYO", "MARUNOUCHI", "TKY_ERC", 1_000, "t1")
    t = system.do(
        "TOKYO",
        "transfer_abroad",
        {
            "transaction_id": "ts1",
            "business_date": "2025-05-01",
            "account": "MARUNOUCHI",
            "to_registry": "SAITAMA",
            "to_account": "KUMAGAYA",
            "quantity": 600,
        },
    )
    assert t.state == "completed"
    s = system.do(
        "SAITAMA",
        "surrender",
        {
            "transaction_id": "s2",
            "business_date": "2025-09-30",
            "account": "KUMAGAYA",
            "quantity": 600,
        },
    )
    assert s.state == "completed"
    table = adjustments(read(system.clearinghouse))
    assert table["CN"]["2025"]["first_transfer"] == 10_000
    assert table["KR"]["2025"] == {"first_transfer": 0, "use": 4_000, "net": -4_000}
    assert "JP" not in table  # Tokyo and Saitama are both Japan
    assert invariants.check(read(system.clearinghouse)) == []


def test_destination_refusal_returns_units_and_frees_limit_and_cap(system: EmbeddedSystem) -> None:
    issue(system, "CN_ETS", "HUANENG", "CEA", 200_000)
    receipt = abroad(system, "x1", 113_000, to_account="NO_SUCH_ACCOUNT")
    assert (receipt.state, receipt.code) == ("returned", "UNT-007")
    huaneng = system.registry("CN_ETS").account("HUANENG")
    assert huaneng is not None and huaneng.available.total == 200_000  # units are back
    ch = system.clearinghouse
    ledger = ch.ledger("CN_ETS", "CEA")
    assert ledger is not None
    assert [(e.holder, e.status, e.hold, e.itmo) for e in ledger.entries] == [
        ("CN_ETS", "active", None, None)
    ]
    assert adjustments(read(ch)) == {}
    # the limit and the authorization cap were given back: the full 113,000 t still clear
    assert abroad(system, "x2", 113_000).state == "completed"


def test_exchange_rate_converts_into_destination_units() -> None:
    s = EmbeddedSystem()
    ch = s.clearinghouse
    for code in ("AA", "BB"):
        ch.register_party(
            {
                "code": code,
                "name": code,
                "ndc": {"type": "absolute", "period": "single-year", "target_years": [2030]},
            }
        )
    s.add_registry(RegistryConfig("A_ETS", "A", "AA", ("AU",)))
    s.add_registry(RegistryConfig("B_ETS", "B", "BB", ("BU",)))
    ch.grant_authorization(
        {
            "code": "AA-1",
            "party": "AA",
            "cooperative_approach": "AB",
            "unit_types": ["AU"],
            "vintages": [2025, 2025],
            "first_transfer": "first_international_transfer",
            "authorized_on": "2025-01-01",
        }
    )
    ch.conclude_agreement(
        {
            "code": "AB",
            "jurisdictions": ["A_ETS", "B_ETS"],
            "directions": [
                {
                    "source": "A_ETS",
                    "destination": "B_ETS",
                    "unit_types": ["AU"],
                    "rate": "1/2",
                    "convert_to": "BU",
                }
            ],
            "effective_from": "2025-01-01",
            "authorized": True,
        }
    )
    s.registry("A_ETS").open_account({"account": "X", "holder": "x"})
    s.registry("B_ETS").open_account({"account": "Y", "holder": "y"})
    issue(s, "A_ETS", "X", "AU", 1_000)
    r = s.do(
        "A_ETS",
        "transfer_abroad",
        {
            "transaction_id": "c1",
            "business_date": "2025-02-01",
            "account": "X",
            "to_registry": "B_ETS",
            "to_account": "Y",
            "quantity": 1_000,
        },
    )
    assert r.state == "completed"
    y = s.registry("B_ETS").account("Y")
    assert y is not None and list(y.available) == [Block("B_ETS", "BU", 2025, 1, 500)]
    a_ledger, b_ledger = ch.ledger("A_ETS", "AU"), ch.ledger("B_ETS", "BU")
    assert a_ledger is not None and b_ledger is not None
    assert a_ledger.holdings() == {("A_ETS", "converted"): 1_000}
    assert b_ledger.holdings() == {("B_ETS", "active"): 500}
    # B uses the converted units: covered by A's first-transfer adjustment of the 1,000
    u = s.do(
        "B_ETS",
        "surrender",
        {"transaction_id": "u1", "business_date": "2025-06-01", "account": "Y", "quantity": 500},
    )
    assert u.state == "completed"
    table = adjustments(read(ch))
    assert table["AA"]["2025"]["first_transfer"] == 1_000
    # the 500 BU carry the 1,000 t that left AA: BB subtracts what AA added
    assert table["BB"]["2025"]["use"] == 1_000
    assert invariants.check(read(ch)) == []


def test_redelivered_message_has_no_second_effect(system: EmbeddedSystem) -> None:
    sent: list[Envelope] = []
    publish = system.bus.publish

    def capture(envelope: Envelope) -> None:
        sent.append(envelope)
        publish(envelope)

    system.bus.publish = capture  # type: ignore[method-assign]
    issue(system, "CN_ETS", "HUANENG", "CEA", 10_000)
    assert abroad(system, "x1", 5_000).state == "completed"
    positions = {app.name: app.recorder.max_notification_id() for app in system.apps()}
    for envelope in sent:  # at-least-once: everything arrives a second time
        system.bus.handlers[envelope.destination](envelope)
    system.settle()
    assert {app.name: app.recorder.max_notification_id() for app in system.apps()} == positions
    posco = system.registry("KR_ETS").account("POSCO")
    assert posco is not None and posco.available.total == 5_000


def test_repeating_a_command_is_idempotent(system: EmbeddedSystem) -> None:
    issue(system, "CN_ETS", "HUANENG", "CEA", 10_000)
    first = abroad(system, "x1", 5_000)
    before = system.clearinghouse.recorder.max_notification_id()
    again = abroad(system, "x1", 5_000)
    assert again == first
    assert system.clearinghouse.recorder.max_notification_id() == before


def test_demo_json_reports_no_violations_and_the_refusal_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["demo", "--store", ":memory:", "--json", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["double_counting"]["count"] == 0
    codes = {t["code"] for t in report["transactions"] if t["code"]}
    # over the limit, one-way link, unrecognised unit type, already surrendered, not held
    assert codes == {"QTY-001", "AGR-001", "UNT-001", "UNT-008", "UNT-002"}
    assert report["adjustments"]["CN"]["2025"]["first_transfer"] == 110_000
    assert report["adjustments"]["KR"]["2025"]["use"] == 60_000
    assert "JP" not in report["adjustments"]
    # the registries' own logs and the central ledger agree on what Korea holds
    kr_cea = sum(a["units"].get("CN_ETS:CEA", 0) for a in report["holdings"]["KR_ETS"].values())
    central = report["central_ledger"]["KR_ETS"]["CN_ETS:CEA"]
    assert kr_cea == central["active"] + central["surrendered"] == 110_000
