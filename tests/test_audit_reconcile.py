"""Reconciliation of registries with the central ledger, ITL style, and the block
it puts on a registry's cross-border transfers until it completes.

Differences are injected the way a faulty or dishonest registry would make
them: events written straight into the registry's own log through its
aggregates, bypassing the clearinghouse.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from adapters.accounts import Account, account_id
from clearinghouse import cli
from clearinghouse.audit import status, verify
from clearinghouse.audit.logs import Logs
from clearinghouse.audit.reconcile import Reconciliation, current, reconcile
from clearinghouse.participant import UnitOfWork
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem
from clearinghouse.units import Block
from tests.audit_world import cross_two_borders
from tests.coverage import covers

FORGED = Block("B_REG", "BU", 2025, 5000, 5099)


@pytest.fixture
def system() -> EmbeddedSystem:
    world = EmbeddedSystem()
    cross_two_borders(world)
    return world


def run(system: EmbeddedSystem, *registries: str, record: bool = True) -> list[Reconciliation]:
    with Logs.of(system) as logs:
        return reconcile(logs, list(registries) or None, system.clearinghouse if record else None)


def bypass(system: EmbeddedSystem, registry: str, account: str, change: Any) -> None:
    """Change one account in the registry's own log, without the clearinghouse."""
    app = system.registry(registry)
    uow = UnitOfWork(app)
    found = uow.get(Account, account_id(registry, account))
    assert found is not None
    change(found)
    app.commit(uow)


def transfer(system: EmbeddedSystem, source: str, to: str, txn: str, account: str, to_account: str):  # type: ignore[no-untyped-def]
    return system.do(source, "transfer_abroad", {
        "transaction_id": txn, "business_date": "2026-05-01", "account": account,
        "to_registry": to, "to_account": to_account, "quantity": 10,
    })  # fmt: skip


def balances(system: EmbeddedSystem) -> dict[str, int]:
    out = {}
    for code, account in [("A_REG", "DEV"), ("B_REG", "BUYER"), ("C_REG", "UTILITY")]:
        found = system.registry(code).account(account)
        assert found is not None
        out[account] = found.available.total
    return out


def test_registries_that_agree_with_the_ledger_complete_and_keep_transferring(
    system: EmbeddedSystem,
) -> None:
    reports = run(system)
    assert [(r.registry, r.status, r.run) for r in reports] == [
        ("A_REG", "completed", 1), ("B_REG", "completed", 1), ("C_REG", "completed", 1),
    ]  # fmt: skip
    c_reg = reports[2]
    # C_REG holds 150 BU: 50 active in UTILITY, 100 retired (audit_world)
    assert [(t.category, t.unit_type, t.registry, t.central) for t in c_reg.totals] == [
        ("active", "B_REG:BU", 50, 50), ("retired", "B_REG:BU", 100, 100),
    ]  # fmt: skip
    recorded = current(system.clearinghouse, "C_REG")
    assert recorded is not None and recorded.status == "completed"
    assert recorded.digest == c_reg.digest and not recorded.blocking
    assert transfer(system, "A_REG", "B_REG", "x1", "DEV", "BUYER").state == "completed"


@covers("AUD-001", "AUD-020", "AUD-021")
def test_an_injected_difference_in_totals_blocks_transfers_until_resolved(
    system: EmbeddedSystem,
) -> None:
    bypass(system, "B_REG", "BUYER", lambda a: a.credit("forged", [FORGED]))
    (report,) = run(system, "B_REG")
    assert report.status == "totals_inconsistent"
    # B_REG holds 50 BU after the two borders (200 converted in, 150 sent on) + 100 forged
    assert [(d.code, d.registry_total, d.central_total, d.block) for d in report.discrepancies] == [
        ("AUD-020", 150, 50, None),
        ("AUD-021", None, None, "B_REG:BU:2025:5000-5099"),
    ]
    # phase 3: the trail names the forged credit in the registry's log
    trail = report.discrepancies[1].trail
    assert [(t.application, t.event, t.transaction) for t in trail] == [
        ("REGISTRY_B_REG", "Account.Credited", "forged"),
    ]
    # transfers to and from B_REG are refused, with the registry's holds released
    before = balances(system)
    into = transfer(system, "A_REG", "B_REG", "x1", "DEV", "BUYER")
    out = transfer(system, "B_REG", "C_REG", "x2", "BUYER", "UTILITY")
    assert (into.state, into.code) == ("rejected", "AUD-001")
    assert (out.state, out.code) == ("rejected", "AUD-001")
    assert "totals inconsistent (run 1 found AUD-020 ×1, AUD-021 ×1)" in (into.reason or "")
    assert balances(system) == before  # refused: nothing moved, holds released
    # resolve: the registry reverses the forged credit (a new event), then reconcile
    bypass(system, "B_REG", "BUYER", lambda a: a.debit("correction", [FORGED]))
    (report,) = run(system, "B_REG")
    assert report.status == "completed" and report.run == 2
    assert transfer(system, "A_REG", "B_REG", "x3", "DEV", "BUYER").state == "completed"
    assert transfer(system, "B_REG", "C_REG", "x4", "BUYER", "UTILITY").state == "completed"


@covers("AUD-021", "AUD-022")
def test_different_blocks_with_equal_totals_are_unit_blocks_inconsistent(
    system: EmbeddedSystem,
) -> None:
    real = Block("B_REG", "BU", 2025, 151, 160)  # held by BUYER (151-200)
    swapped = Block("B_REG", "BU", 2025, 7001, 7010)

    def swap(account: Account) -> None:
        account.debit("swap", [real])
        account.credit("swap", [swapped])

    bypass(system, "B_REG", "BUYER", swap)
    (report,) = run(system, "B_REG")
    assert report.status == "unit_blocks_inconsistent"
    assert [(t.registry, t.central) for t in report.totals] == [(50, 50)]
    assert [(d.code, d.block) for d in report.discrepancies] == [
        ("AUD-022", "B_REG:BU:2025:151-160"),
        ("AUD-021", "B_REG:BU:2025:7001-7010"),
    ]
    # the trail of the missing block shows where it came from and where it went
    events = [(t.application, t.event) for t in report.discrepancies[0].trail]
    assert ("CLEARINGHOUSE", "UnitLedger.Issued") in events
    assert ("REGISTRY_B_REG", "Account.Debited") in events


@covers("AUD-023")
def test_units_moved_to_retirement_behind_the_ledgers_back_differ_in_status(
    system: EmbeddedSystem,
) -> None:
    block = Block("B_REG", "BU", 2025, 181, 200)
    bypass(system, "B_REG", "BUYER", lambda a: a.debit("quiet", [block]))
    bypass(system, "B_REG", "RETIREMENT", lambda a: a.credit("quiet", [block]))
    (report,) = run(system, "B_REG")
    assert report.status == "totals_inconsistent"
    codes = [(d.code, d.block) for d in report.discrepancies]
    assert ("AUD-023", "B_REG:BU:2025:181-200") in codes
    assert "retired (vintage 2025) in the registry's log but active (vintage 2025)" in next(
        d.message for d in report.discrepancies if d.code == "AUD-023"
    )


def test_a_dry_run_records_nothing_and_blocks_nothing(system: EmbeddedSystem) -> None:
    bypass(system, "B_REG", "BUYER", lambda a: a.credit("forged", [FORGED]))
    (report,) = run(system, "B_REG", record=False)
    assert report.status == "totals_inconsistent" and report.run is None
    assert current(system.clearinghouse, "B_REG") is None
    assert transfer(system, "A_REG", "B_REG", "x1", "DEV", "BUYER").state == "completed"


def test_a_run_that_fails_midway_says_so_instead_of_staying_initiated(
    system: EmbeddedSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the runs were initiated concludes each unfinished one as needing
    manual intervention (still blocking, as the ITL would), and the next run clears it."""
    from clearinghouse.audit import reconcile as module

    def broken(*_: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(module, "registry_side", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        run(system, "A_REG", "B_REG")
    for code in ("A_REG", "B_REG"):
        recorded = current(system.clearinghouse, code)
        assert recorded is not None and recorded.status == "manual_intervention_required"
    assert transfer(system, "A_REG", "B_REG", "x1", "DEV", "BUYER").code == "AUD-001"
    monkeypatch.undo()
    assert {r.status for r in run(system, "A_REG", "B_REG")} == {"completed"}
    assert transfer(system, "A_REG", "B_REG", "x2", "DEV", "BUYER").state == "completed"


def test_a_run_in_progress_blocks_and_outcomes_are_checked() -> None:
    reconciliation = status.ReconciliationStatus("X_REG")
    run_number = reconciliation.initiate({"REGISTRY_X_REG": 5, "CLEARINGHOUSE": 9})
    assert reconciliation.blocking
    assert reconciliation.refusal()["detail"] == "run 1 is in progress"
    with pytest.raises(ValueError, match="not a reconciliation outcome"):
        reconciliation.conclude(run_number, "validated", {}, "d")
    with pytest.raises(ValueError, match="not the one in progress"):
        reconciliation.conclude(run_number + 1, "completed", {}, "d")
    reconciliation.conclude(run_number, "completed", {}, "d")
    assert not reconciliation.blocking


def test_a_log_that_fails_its_hash_chain_needs_manual_intervention(tmp_path: Path) -> None:
    where = tmp_path / "store"
    store = StoreConfig(kind="sqlite", path=where)
    with EmbeddedSystem(store) as system:
        cross_two_borders(system)
    with Logs.of(store) as logs:
        verify.checkpoint(logs)
    with sqlite3.connect(where / "registry_b_reg.sqlite") as conn:  # edit an anchored event
        conn.execute(
            "UPDATE stored_events SET state = CAST(replace(state, '2025', '2024') AS BLOB) "
            "WHERE topic LIKE '%RegistryTransaction.Requested'"
        )
    out = StringIO()
    with redirect_stdout(out):
        code = cli.main(["audit", "reconcile", "B_REG", "--store", str(where)])
    assert code == 1
    text = out.getvalue()
    assert "B_REG: MANUAL INTERVENTION REQUIRED (run 1, recorded)" in text
    assert "hash chains: CLEARINGHOUSE intact, REGISTRY_B_REG tampered" in text
    with EmbeddedSystem(store) as system:
        system.reopen_registries()
        recorded = current(system.clearinghouse, "B_REG")
        assert recorded is not None and recorded.status == "manual_intervention_required"


def test_the_command_line_reports_and_records(tmp_path: Path) -> None:
    where = tmp_path / "store"
    with EmbeddedSystem(StoreConfig(kind="sqlite", path=where)) as system:
        cross_two_borders(system)
    copy = tmp_path / "copy"
    shutil.copytree(where, copy)
    out = StringIO()
    with redirect_stdout(out):
        code = cli.main(["audit", "reconcile", "--store", str(where)])
    assert code == 0
    assert "C_REG: COMPLETED (run 1, recorded)" in out.getvalue()
    assert "retired      B_REG:BU                          100            100" in out.getvalue()
    out = StringIO()
    with redirect_stdout(out):
        code = cli.main(
            ["audit", "reconcile", "C_REG", "--dry-run", "--json", "--store", str(copy)]
        )
    assert code == 0 and '"run": null' in out.getvalue()
    with redirect_stdout(StringIO()):
        assert cli.main(["audit", "reconcile", "Z_REG", "--store", str(copy)]) == 2
