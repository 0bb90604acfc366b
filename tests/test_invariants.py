"""The double-counting check finds each kind of violation in a log.

The clearinghouse never writes such a log (its checks refuse first), so these
tests forge one by calling the aggregates' event methods directly, past their
guards: what an auditor's check must catch if the clearing code were wrong.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from clearinghouse.authorizations import Authorization
from clearinghouse.ledger import UnitLedger
from clearinghouse.transactions import Transaction
from clearinghouse.units import Block
from projections import invariants

CEA = Block("CN_ETS", "CEA", 2025, 1, 100)


def log(*aggregates: Any) -> list[tuple[int, Any]]:
    events = sorted((e for a in aggregates for e in a.collect_events()), key=lambda e: e.timestamp)
    return list(enumerate(events, start=1))


def adjusted(
    code: str, party: str, role: str, blocks: list[Block], authorization: str | None = None
) -> Transaction:
    """A transaction carrying one adjustment (as clearing would record it)."""
    registry = code.split("/")[0]
    txn = Transaction(code, "transfer", registry, {}, date(2025, 3, 1))
    txn.record_adjustment(
        party=party,
        role=role,
        year=2025,
        vintage=2025,
        quantity=sum(b.count for b in blocks),
        blocks=blocks,
        authorization=authorization,
        cooperative_approach="CNKR",
    )
    return txn


def rules(found: list[invariants.Violation]) -> list[tuple[str, str]]:
    return [(v.rule, v.detail) for v in found]


def test_clean_issuance_and_use_pass() -> None:
    ledger = UnitLedger("CN_ETS", "CEA")
    ledger.issue("i1", [CEA], "CN_ETS")
    assert invariants.check(log(ledger)) == []


def test_double_issuance_is_found_with_both_positions() -> None:
    ledger = UnitLedger("CN_ETS", "CEA")
    ledger.issue("i1", [CEA], "CN_ETS")
    # same serials under another vintage: the ledger's guard would refuse (UNT-004)
    ledger._issued("i2", [Block("CN_ETS", "CEA", 2026, 50, 150)], "CN_ETS", None)
    found = invariants.check(log(ledger))
    assert rules(found) == [("double_issuance", "serials issued twice")]
    assert found[0].positions == (2, 3)


def test_double_use_and_movement_after_use_are_found() -> None:
    ledger = UnitLedger("CN_ETS", "CEA")
    ledger.issue("i1", [CEA], "CN_ETS")
    ledger.hold("s1", [CEA], "CN_ETS")
    ledger.end("s1", "surrendered")
    ledger._held("s2", [CEA])  # past the guard (UNT-003)
    ledger._ended("s2", "retired")
    assert rules(invariants.check(log(ledger))) == [
        ("double_use", "units moved after they were used"),
        ("double_use", "units used twice"),
    ]


def test_use_without_first_transfer_adjustment_is_double_claiming() -> None:
    found = invariants.check(log(adjusted("KR_ETS/s1", "KR", "use", [CEA])))
    assert rules(found) == [
        ("double_claiming", "used towards an NDC without a first-transfer adjustment")
    ]
    assert found[0].party == "KR"


def test_use_covered_by_first_transfer_is_not_double_claiming() -> None:
    first = adjusted("CN_ETS/x1", "CN", "first_transfer", [CEA], "A")
    use = adjusted("KR_ETS/s1", "KR", "use", [CEA.with_range(1, 40)], "A")
    assert invariants.check(log(first, use)) == []


def test_oimp_only_unit_counted_towards_an_ndc_is_double_claiming() -> None:
    grant = Authorization(
        "CN-OIMP",
        "CN",
        "CNKR",
        ["CEA"],
        (2025, 2025),
        None,
        "oimp",
        "first_international_transfer",
        date(2025, 1, 1),
    )
    first = adjusted("CN_ETS/x1", "CN", "first_transfer", [CEA], "CN-OIMP")
    use = adjusted("KR_ETS/s1", "KR", "use", [CEA], "CN-OIMP")
    assert rules(invariants.check(log(grant, first, use))) == [
        ("double_claiming", "authorized for other international mitigation purposes only")
    ]
