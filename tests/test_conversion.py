"""Units converted at an exchange rate carry the tonnes first transferred.

Issue: a linkage direction converting 400 AU into 200 BU (rate 1/2) or 800 BU
(rate 2). The tonnes that left Party AA are 400 either way; AA adds 400 at
first transfer and the acquiring Party subtracts 400 when it uses all of them,
whatever the rate (clearinghouse/conversion.py; docs/article6.md,
"Assumptions"). Before this, the central log said AA 400 / BB 200 or 800, and the
Article 6 projection said 200 or 800 for both: with rate 2, 800 t were
subtracted for 400 t added — 400 t counted twice.

Every test here runs through the real embedded system and compares what the
central log records (``Transaction.AdjustmentRecorded``) with what the Article 6
projection reports (Table 4, AEF) and the double-counting invariants.
"""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import RegistryConfig
from clearinghouse import cli
from clearinghouse.application import ItmoTagAsDict
from clearinghouse.conversion import ConvertedBatch
from clearinghouse.ledger import ItmoTag
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem
from clearinghouse.units import Block
from projections import invariants
from projections.adjustments import adjustments
from projections.article6 import accounting, aef, party, rules, table4
from projections.article6.view import catch_up
from projections.log import name_of, read
from tests.coverage import covers

NDC = {"type": "absolute", "period": "single-year", "target_years": [2030]}
ACCOUNTS = {"A_REG": "DEV", "B_REG": "BUYER", "C_REG": "UTILITY"}


class Linked:
    """AA (A_REG, AU) authorizes AU for NDC use, first transferred at the first
    international transfer; A_REG -> B_REG converts AU into BU at ``rate``;
    B_REG -> C_REG converts BU into CU at ``onward``. Every Party is different,
    so every border is international."""

    def __init__(
        self,
        rate: str,
        onward: str = "1",
        store: StoreConfig | None = None,
        onward_authorized: bool = True,
    ):
        self.system = s = EmbeddedSystem(store)
        ch = self.ch = s.clearinghouse
        for code in ("AA", "BB", "CC"):
            ch.register_party({"code": code, "name": f"Party {code}", "ndc": NDC})
        for registry, party_code, unit in (
            ("A_REG", "AA", "AU"), ("B_REG", "BB", "BU"), ("C_REG", "CC", "CU"),
        ):  # fmt: skip
            s.add_registry(
                RegistryConfig(registry, f"registry of {party_code}", party_code, (unit,))
            )
            s.registry(registry).open_account({"account": ACCOUNTS[registry], "holder": "h"})
        ch.grant_authorization(
            {
                "code": "AA-1",
                "party": "AA",
                "cooperative_approach": "ABC",
                "unit_types": ["AU"],
                "vintages": [2025, 2025],
                "purposes": "ndc",
                "first_transfer": "first_international_transfer",
                "authorized_on": "2025-01-01",
            }
        )
        for code, source, destination, unit, to, r in (
            ("A_TO_B", "A_REG", "B_REG", "AU", "BU", rate),
            ("B_TO_C", "B_REG", "C_REG", "BU", "CU", onward),
        ):
            ch.conclude_agreement(
                {
                    "code": code,
                    "jurisdictions": [source, destination],
                    "directions": [
                        {"source": source, "destination": destination, "unit_types": [unit],
                         "rate": r, "convert_to": to},
                    ],
                    "effective_from": "2025-01-01",
                    **(
                        {"authorized": True, "cooperative_approach": "ABC"}
                        if code == "A_TO_B" or onward_authorized
                        else {}
                    ),
                }
            )  # fmt: skip
        self.n = 0

    def do(self, registry: str, command: str, data: dict[str, Any]) -> None:
        self.n += 1
        data = {"transaction_id": f"t{self.n}", "account": ACCOUNTS[registry], **data}
        receipt = self.system.do(registry, command, data)
        assert receipt.state == "completed", receipt

    def issue(self, quantity: int) -> None:
        self.do("A_REG", "issue", {"business_date": "2025-01-10", "unit_type": "AU",
                                   "vintage": 2025, "quantity": quantity})  # fmt: skip

    def send(self, source: str, destination: str, quantity: int, on: str = "2025-02-01") -> None:
        self.do(source, "transfer_abroad", {
            "business_date": on, "to_registry": destination,
            "to_account": ACCOUNTS[destination], "quantity": quantity,
        })  # fmt: skip

    def use(self, registry: str, quantity: int, on: str = "2025-06-01") -> None:
        self.do(registry, "retire", {"business_date": on, "quantity": quantity, "purpose": "ndc"})

    # -- what the log and the projection say ----------------------------------------------

    def central(self) -> dict[str, dict[str, dict[str, int]]]:
        return adjustments(read(self.ch))

    def use_events(self) -> list[Any]:
        return [
            e
            for _, e in read(self.ch)
            if name_of(e) == "Transaction.AdjustmentRecorded" and e.role == "use"
        ]

    def evaluation(self, code: str | None = None) -> accounting.Evaluation:
        pf = party.parse(self.party_file(code)) if code else None
        return accounting.evaluate(catch_up(self.ch), rules.load("glasgow-2021"), pf)

    @staticmethod
    def party_file(code: str) -> dict[str, Any]:
        return {
            "party": code,
            "ndc": {"type": "single-year", "target_year": 2030, "period": [2021, 2030]},
            "ca_method": "trajectory",
        }

    def table4(self, code: str) -> dict[str, dict[int, int]]:
        pf = party.parse(self.party_file(code))
        return table4.summarize(self.evaluation(code), pf).rows

    def aef_rows(self, code: str) -> list[aef.AefRow]:
        return aef.tables(self.evaluation(), code, 2025).table2


@pytest.mark.parametrize(
    ("rate", "units", "factor"),
    [("1/2", 200, "2"), ("2", 800, "0.5")],
)
def test_the_400_t_that_left_aa_are_added_by_aa_and_subtracted_by_bb_whatever_the_rate(
    rate: str, units: int, factor: str
) -> None:
    w = Linked(rate)
    w.issue(400)
    w.send("A_REG", "B_REG", 400)  # AA's first transfer: 400 AU become `units` BU
    w.use("B_REG", units)  # BB uses all of them towards its NDC
    # the central log
    central = w.central()
    assert central["AA"]["2025"]["first_transfer"] == 400
    assert central["BB"]["2025"]["use"] == 400
    # Table 4 (R L20, L22, L25): AA's row 7 and row 12, BB's row 9 and row 12, in t CO2e
    aa, bb = w.table4("AA"), w.table4("BB")
    assert aa["7"][2025] == 400 and aa["12"][2025] == 400
    assert bb["9"][2025] == 400 and bb["12"][2025] == -400
    # AEF Table 2 (R L7): quantity in metric = BU, quantity (t CO2 eq) = 400
    first = [r for r in w.aef_rows("AA") if r.action_type == "First transfer"]
    used = [r for r in w.aef_rows("BB") if r.action_type == "Use towards NDC"]
    for rows in (first, used):
        assert [(r.quantity_in_metric, r.quantity) for r in rows] == [(units, 400)]
        assert (rows[0].metric, rows[0].conversion_factor) == ("BU units", factor)
    assert invariants.check(read(w.ch)) == []


def test_the_old_use_in_destination_units_is_flagged_as_double_claiming() -> None:
    """Rate 2: had BB subtracted 800 for the 800 BU (as the core did before), the
    invariants name the 400 t counted twice."""
    w = Linked("2")
    w.issue(400)
    w.send("A_REG", "B_REG", 400)
    w.use("B_REG", 800)
    log = list(read(w.ch))
    [(position, use)] = [
        (p, e) for p, e in log if name_of(e) == "Transaction.AdjustmentRecorded" and e.role == "use"
    ]
    assert use.quantity == 400
    forged = dataclasses.replace(use, quantity=800)  # the old behaviour, as a log would hold it
    violations = invariants.check([(p, forged if p == position else e) for p, e in log])
    assert [(v.rule, v.party, v.positions) for v in violations] == [
        ("double_claiming", "BB", (position,))
    ]
    assert "800 t of AA-1 vintage 2025 subtracted" in violations[0].detail
    assert "AA added 400 t" in violations[0].detail


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rate=st.sampled_from(
        [Fraction(2), Fraction(3), Fraction(1, 2), Fraction(5, 4), Fraction(3, 8)]
    ),
    cuts=st.lists(st.floats(min_value=0.01, max_value=0.99), max_size=4),
    use_all=st.booleans(),
)
def test_partial_uses_of_converted_units_add_up_to_what_was_added_never_more(
    rate: Fraction, cuts: list[float], use_all: bool
) -> None:
    """Uses of any sizes: each is within one tonne of its exact share
    (size x 400 / units), together they never exceed the 400 t AA added, and all
    of them together are exactly 400; Table 4 row 9 equals the central log."""
    w = Linked(str(rate))
    w.issue(400)
    w.send("A_REG", "B_REG", 400)
    units = int(400 * rate)
    points = sorted({max(1, min(units - 1, int(units * c))) for c in cuts} if units > 1 else set())
    sizes = [b - a for a, b in zip([0, *points], [*points, units], strict=True)]
    if not use_all:
        sizes = sizes[:-1] or sizes[:1]
    for size in sizes:
        w.use("B_REG", size)
    quantities = [e.quantity for e in w.use_events()]
    assert len(quantities) == len(sizes)
    for size, quantity in zip(sizes, quantities, strict=True):
        assert abs(quantity - Fraction(size * 400, units)) < 1
    assert sum(quantities) <= 400
    if sum(sizes) == units:
        assert sum(quantities) == 400
    assert w.table4("BB")["9"][2025] == w.central()["BB"]["2025"]["use"] == sum(quantities)
    assert sum(r.quantity or 0 for r in w.aef_rows("BB") if r.action_type == "Use towards NDC") == (
        sum(quantities)
    )
    assert invariants.check(read(w.ch)) == []


def test_a_second_conversion_carries_the_same_tonnes_on() -> None:
    """AU -> BU at 2, then BU -> CU at 1/4: 400 AU = 800 BU; 600 BU sent on become
    150 CU carrying 300 t; BB uses the 200 BU it kept (100 t), CC its 150 CU (300 t):
    the two acquirers subtract 400, what AA added."""
    w = Linked("2", onward="1/4")
    w.issue(400)
    w.send("A_REG", "B_REG", 400)
    w.send("B_REG", "C_REG", 600, on="2025-03-01")
    w.use("B_REG", 200)
    w.use("C_REG", 150)
    central = w.central()
    assert central["AA"]["2025"]["first_transfer"] == 400
    assert (central["BB"]["2025"]["use"], central["CC"]["2025"]["use"]) == (100, 300)
    assert w.table4("AA")["7"][2025] == 400
    assert (w.table4("BB")["9"][2025], w.table4("CC")["9"][2025]) == (100, 300)
    [acquired] = [r for r in w.aef_rows("CC") if r.action_type == "Acquisition"]
    assert (acquired.quantity_in_metric, acquired.quantity, acquired.conversion_factor) == (
        150,
        300,
        "2",
    )
    assert invariants.check(read(w.ch)) == []


def test_the_ledger_keeps_the_batch_through_events_and_snapshots() -> None:
    w = Linked("2")
    w.issue(400)
    w.send("A_REG", "B_REG", 400)
    ledger = w.ch.ledger("B_REG", "BU")
    assert ledger is not None
    [entry] = ledger.entries
    assert entry.block == Block("B_REG", "BU", 2025, 1, 800)
    assert entry.itmo is not None and entry.itmo.converted == ConvertedBatch(1, 800, 400)
    # snapshots encode ledger entries' tags (clearinghouse/application.py)
    codec = ItmoTagAsDict()
    assert codec.decode(codec.encode(entry.itmo)) == entry.itmo
    w.ch.take_snapshot(ledger.id)
    assert w.ch.snapshots is not None
    [snapshot] = list(w.ch.snapshots.get(ledger.id, desc=True, limit=1))
    restored = snapshot.mutate(None)
    assert restored is not None and restored.entries == ledger.entries
    # tags recorded before conversions were tracked read as one tonne per unit
    old = {k: v for k, v in entry.itmo.as_dict().items() if k != "converted"}
    tag = ItmoTag.of(old)
    assert tag is not None and tag.converted is None and tag.tonnes_of(entry.block) == 800


@settings(max_examples=200)
@given(
    units=st.integers(min_value=1, max_value=10**6),
    tonnes=st.integers(min_value=0, max_value=10**6),
    cuts=st.lists(st.integers(min_value=1, max_value=10**6), max_size=6),
    first=st.integers(min_value=1, max_value=10**9),
)
def test_any_split_of_a_batch_adds_up_to_its_tonnes(
    units: int, tonnes: int, cuts: list[int], first: int
) -> None:
    batch = ConvertedBatch(first, units, tonnes)
    points = sorted({c for c in cuts if c < units})
    parts = [
        Block("B", "BU", 2025, first + a, first + b - 1)
        for a, b in zip([0, *points], [*points, units], strict=True)
    ]
    shares = [batch.tonnes_of(p) for p in parts]
    assert sum(shares) == tonnes
    assert all(
        abs(s - Fraction(p.count * tonnes, units)) < 1 for s, p in zip(shares, parts, strict=True)
    )


def test_the_cli_reports_tonnes_for_converted_units(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = tmp_path / "store"
    w = Linked("2", store=StoreConfig(kind="sqlite", path=where))
    with w.system:
        w.issue(400)
        w.send("A_REG", "B_REG", 400)
        w.use("B_REG", 800)

    def run(*argv: str) -> Any:
        assert cli.main([*argv, "--store", str(where), "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    bb = tmp_path / "bb.yaml"
    bb.write_text(json.dumps(Linked.party_file("BB")))
    assert run("article6", "summary", "--ndc", str(bb))["rows"]["9"]["2025"] == 400
    assert run("article6", "check")["count"] == 0
    rows = run("article6", "aef", "--party", "BB", "--year", "2025")["table2"]
    used = [r for r in rows if r["Action type"] == "Use towards NDC"]
    assert [
        (r["Metric"], r["Quantity (in metric)"], r["Quantity (t CO2 eq)"], r["Conversion factor"])
        for r in used
    ] == [("BU units", 800, 400, "0.5")]
    # the xlsx export reads back as the same rows (the factor stays text)
    xlsx = tmp_path / "bb.xlsx"
    assert cli.main(["article6", "aef", "--store", str(where), "--party", "BB", "--year",
                     "2025", "--xlsx", str(xlsx)]) == 0  # fmt: skip
    capsys.readouterr()
    assert run("article6", "import-aef", str(xlsx))["differences"] == []


def test_the_documented_partial_uses_3_then_797_bu() -> None:
    """docs/article6.md: 800 BU carrying 400 t used as 3 BU then 797 BU: 1 t
    (⌊400·3/800⌋ = ⌊1.5⌋) then 399 t."""
    w = Linked("2")
    w.issue(400)
    w.send("A_REG", "B_REG", 400)
    w.use("B_REG", 3)
    w.use("B_REG", 797, on="2025-07-01")  # another day: AEF rows of one day merge
    assert [e.quantity for e in w.use_events()] == [1, 399]
    assert [(r.quantity_in_metric, r.quantity) for r in w.aef_rows("BB")
            if r.action_type == "Use towards NDC"] == [(3, 1), (797, 399)]  # fmt: skip


@covers("ACC-003")
def test_a_conversion_that_mixes_itmos_with_other_units_is_refused_and_changes_nothing() -> None:
    """200 BU carrying AA's 400 t plus 100 plain BU sent on at a rate would make one
    batch of 300 CU carrying 500 t under AA-1: CC would subtract 500 t of which AA
    added 400 (found in review). The clearinghouse refuses such a conversion."""
    w = Linked("1/2", onward_authorized=False)  # B -> C: no authorization of its own
    w.issue(400)
    w.send("A_REG", "B_REG", 400)  # 400 AU -> 200 BU, AA adds 400
    w.do("B_REG", "issue", {"business_date": "2025-01-10", "unit_type": "BU",
                            "vintage": 2025, "quantity": 100})  # fmt: skip
    before = {app.name: app.recorder.max_notification_id() for app in w.system.apps()}
    receipt = w.system.do("B_REG", "transfer_abroad", {
        "transaction_id": "mixed", "business_date": "2025-02-01", "account": ACCOUNTS["B_REG"],
        "to_registry": "C_REG", "to_account": ACCOUNTS["C_REG"], "quantity": 300,
    })  # fmt: skip
    assert (receipt.state, receipt.code) == ("rejected", "ACC-003")
    assert "ITMOs of AA-1 and units that are not ITMOs" in (receipt.reason or "")
    b = w.system.registry("B_REG").account(ACCOUNTS["B_REG"])
    assert b is not None and b.available.total == 300  # released, nothing moved
    assert w.central() == {"AA": {"2025": {"first_transfer": 400, "use": 0, "net": 400}}}
    # only the proposal and its rejection were written
    after = {app.name: app.recorder.max_notification_id() for app in w.system.apps()}
    assert after["REGISTRY_C_REG"] == before["REGISTRY_C_REG"]
    # sent separately, each part converts and CC's use stays within what AA added
    w.send("B_REG", "C_REG", 200)
    w.use("C_REG", 200)
    assert w.central()["CC"]["2025"]["use"] == 400
