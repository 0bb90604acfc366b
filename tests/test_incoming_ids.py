"""Transaction ids are unique per *source* registry, not across registries.

Two registries may both name a transfer ``t1``; the clearinghouse keys
transactions by (source registry, id), and the destination registry must too —
otherwise the second credit is taken for a redelivery of the first and silently
dropped, leaving that transfer stuck at "debited" (found by the simulator, #5).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.base import RegistryConfig
from clearinghouse import cli
from clearinghouse.messages import Envelope
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem
from clearinghouse.units import Block
from projections import invariants
from projections.log import read
from tests.conftest import issue


def _world(store: StoreConfig | None = None) -> EmbeddedSystem:
    s = EmbeddedSystem(store)
    ch = s.clearinghouse
    for code in ("AA", "BB", "CC"):
        ch.register_party(
            {
                "code": code,
                "name": code,
                "ndc": {"type": "absolute", "period": "single-year", "target_years": [2030]},
            }
        )
    s.add_registry(RegistryConfig("A_ETS", "A", "AA", ("AU",)))
    s.add_registry(RegistryConfig("B_ETS", "B", "BB", ("BU",)))
    s.add_registry(RegistryConfig("C_ETS", "C", "CC", ("CU",)))
    for source, unit, rate in (("A_ETS", "AU", "1"), ("C_ETS", "CU", "1/2")):
        ch.conclude_agreement(
            {
                "code": f"{source}_B",
                "jurisdictions": [source, "B_ETS"],
                "directions": [
                    {
                        "source": source,
                        "destination": "B_ETS",
                        "unit_types": [unit],
                        "rate": rate,
                        "convert_to": "BU",
                    }
                ],
                "effective_from": "2025-01-01",
            }
        )
    for code in ("A_ETS", "C_ETS"):
        s.registry(code).open_account({"account": "X", "holder": "x"})
    s.registry("B_ETS").open_account({"account": "Y", "holder": "y"})
    issue(s, "A_ETS", "X", "AU", 1_000)
    issue(s, "C_ETS", "X", "CU", 1_000)
    return s


def _send(s: EmbeddedSystem, source: str, quantity: int) -> Any:
    return s.do(
        source,
        "transfer_abroad",
        {
            "transaction_id": "t1",  # the same id in both source registries
            "business_date": "2025-02-01",
            "account": "X",
            "to_registry": "B_ETS",
            "to_account": "Y",
            "quantity": quantity,
        },
    )


def test_same_id_from_two_sources_both_complete() -> None:
    s = _world()
    assert _send(s, "A_ETS", 400).state == "completed"
    assert _send(s, "C_ETS", 600).state == "completed"
    y = s.registry("B_ETS").account("Y")
    assert y is not None
    # 400 AU → 400 BU (serials 1-400), 600 CU → 300 BU (401-700): no serial
    # allocated twice (the holding shows the adjacent blocks merged)
    assert y.available.total == 400 + 300
    assert list(y.available) == [Block("B_ETS", "BU", 2025, 1, 700)]
    ch = s.clearinghouse
    for source in ("A_ETS", "C_ETS"):
        txn = ch.transaction("t1", source)
        assert txn is not None and txn.state == "completed", source
    b = s.registry("B_ETS")
    assert b.transaction("t1", "in") is not None
    assert b.transaction("t1", "in", source="C_ETS") is not None
    assert invariants.check(read(ch)) == []


def test_redelivering_both_credits_changes_nothing() -> None:
    s = _world()
    sent: list[Envelope] = []
    publish = s.bus.publish

    def capture(envelope: Envelope) -> None:
        sent.append(envelope)
        publish(envelope)

    s.bus.publish = capture  # type: ignore[method-assign]
    _send(s, "A_ETS", 400)
    _send(s, "C_ETS", 600)
    positions = {app.name: app.recorder.max_notification_id() for app in s.apps()}
    for envelope in sent:  # at-least-once: everything arrives a second time
        s.bus.handlers[envelope.destination](envelope)
    s.settle()
    assert {app.name: app.recorder.max_notification_id() for app in s.apps()} == positions
    y = s.registry("B_ETS").account("Y")
    assert y is not None and y.available.total == 700


@pytest.mark.parametrize("source", ["A_ETS", "C_ETS"])
def test_an_incoming_transaction_is_found_by_its_source(source: str) -> None:
    s = _world()
    _send(s, "A_ETS", 400)
    _send(s, "C_ETS", 600)
    txn = s.registry("B_ETS").transaction("t1", "in", source=source)
    assert txn is not None and txn.details["from_registry"] == source
    assert txn.state == "completed"


def test_events_of_a_transaction_id_show_both_incoming_transfers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _world(StoreConfig(kind="sqlite", path=tmp_path)) as s:
        _send(s, "A_ETS", 400)
        _send(s, "C_ETS", 600)
        b_app = s.registry("B_ETS").name
    assert cli.main(["events", "--store", str(tmp_path), "--transaction", "t1", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    credited = [
        r for r in rows if r["app"] == b_app and r["event"] == "RegistryTransaction.Credited"
    ]
    assert len(credited) == 2
