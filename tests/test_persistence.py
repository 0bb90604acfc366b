"""Stores: reopening reproduces state exactly, a crash mid-transfer resumes once,
and the PostgreSQL path works against the real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clearinghouse import demo, report
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem
from projections.adjustments import adjustments
from projections.log import read
from tests.conftest import issue


def snapshot(system: EmbeddedSystem) -> dict[str, Any]:
    """Everything the report derives from the logs, minus where the store is."""
    built = report.build(system)
    built.pop("store")
    return built


def test_reopening_a_sqlite_store_reproduces_state_and_continues(tmp_path: Path) -> None:
    store = StoreConfig(kind="sqlite", path=tmp_path / "store")
    with EmbeddedSystem(store) as first:
        run, _ = demo.run_demo(first)
        assert run == 1
        before = snapshot(first)
    assert sorted(p.name for p in (tmp_path / "store").glob("*.sqlite")) == [
        "clearinghouse.sqlite", "registry_cn_ets.sqlite", "registry_kr_ets.sqlite",
        "registry_saitama.sqlite", "registry_tokyo.sqlite",
    ]  # fmt: skip
    with EmbeddedSystem(store) as reopened:
        reopened.reopen_registries()
        assert snapshot(reopened) == before  # same logs, same facts
        # the demo again: setup is idempotent, the history goes on into 2026
        run, _ = demo.run_demo(reopened)
        assert run == 2
        table = adjustments(read(reopened.clearinghouse))
        assert table["CN"]["2025"] == before["adjustments"]["CN"]["2025"]
        assert table["CN"]["2026"]["first_transfer"] == 110_000
        assert report.build(reopened)["double_counting"]["count"] == 0


def test_a_transfer_interrupted_by_a_crash_completes_once_on_restart(tmp_path: Path) -> None:
    store = StoreConfig(kind="sqlite", path=tmp_path / "store")
    with EmbeddedSystem(store) as system:
        demo.setup(system)
        issue(system, "CN_ETS", "HUANENG", "CEA", 1_000)
        # the registry records the proposal; the process dies before any delivery
        proposed = system.registry("CN_ETS").transfer_abroad(
            {
                "transaction_id": "x1",
                "business_date": "2025-03-01",
                "account": "HUANENG",
                "to_registry": "KR_ETS",
                "to_account": "POSCO",
                "quantity": 400,
            }
        )
        assert proposed.state == "proposed"
    with EmbeddedSystem(store) as restarted:
        demo.setup(restarted)  # reattaching the registries settles what was pending
        txn = restarted.registry("CN_ETS").transaction("x1")
        assert txn is not None and txn.state == "completed"
        posco = restarted.registry("KR_ETS").account("POSCO")
        assert posco is not None and posco.available.total == 400
        restarted.settle()
        assert adjustments(read(restarted.clearinghouse)) == {
            "CN": {"2025": {"first_transfer": 400, "use": 0, "net": 400}}
        }
    with EmbeddedSystem(store) as again:  # and a further restart changes nothing
        again.reopen_registries()
        positions = {a.name: a.recorder.max_notification_id() for a in again.apps()}
        assert again.settle() == 0
        assert {a.name: a.recorder.max_notification_id() for a in again.apps()} == positions


@pytest.mark.postgres
def test_postgres_store_runs_the_demo_and_reopens(postgres_url: str) -> None:
    store = StoreConfig.from_env(database_url=postgres_url)
    assert store.kind == "postgres"
    with EmbeddedSystem(store) as system:
        run, receipts = demo.run_demo(system)
        assert run == 1
        assert {r.code for r in receipts if r.code} == {
            "QTY-001",
            "AGR-001",
            "UNT-001",
            "UNT-008",
            "UNT-002",
        }
        before = snapshot(system)
        assert before["double_counting"]["count"] == 0
        assert before["adjustments"]["KR"]["2025"]["use"] == 60_000
    with EmbeddedSystem(store) as reopened:
        reopened.reopen_registries()
        assert snapshot(reopened) == before


def test_busy_ledger_is_snapshotted_and_reloads_identically(tmp_path: Path) -> None:
    """A serial space with more events than the snapshot interval (200) reloads,
    from its snapshot, to exactly the ledger the events describe."""
    store = StoreConfig(kind="sqlite", path=tmp_path / "store")
    with EmbeddedSystem(store) as system:
        demo.setup(system)
        issue(system, "CN_ETS", "HUANENG", "CEA", 100_000)
        for n in range(60):  # each transfer writes four ledger events
            receipt = system.do(
                "CN_ETS",
                "transfer_abroad",
                {
                    "transaction_id": f"x{n}",
                    "business_date": "2025-03-01",
                    "account": "HUANENG",
                    "to_registry": "KR_ETS",
                    "to_account": "POSCO",
                    "quantity": 10,
                },
            )
            assert receipt.state == "completed"
        ledger = system.clearinghouse.ledger("CN_ETS", "CEA")
        assert ledger is not None and ledger.version > 200
        expected = (ledger.version, ledger.entries, ledger.holds, ledger.issued_by)
        snapshots = system.clearinghouse.snapshots
        assert snapshots is not None and list(snapshots.get(ledger.id)), "no snapshot taken"
    with EmbeddedSystem(store) as reopened:
        again = reopened.clearinghouse.ledger("CN_ETS", "CEA")
        assert again is not None
        assert (again.version, again.entries, again.holds, again.issued_by) == expected
        assert again.holdings() == {("KR_ETS", "active"): 600, ("CN_ETS", "active"): 99_400}
