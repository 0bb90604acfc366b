"""Two concurrent transfers of the same block: exactly one is accepted.

The central ledger is one aggregate per serial space; both decisions load it at
the same version, and the store's optimistic concurrency control lets only one
save. The loser retries from a fresh load and finds the block on hold (UNT-005).
Threads on a SQLite file store: real connections, real locking.
"""

from __future__ import annotations

import threading
from pathlib import Path

from clearinghouse import demo
from clearinghouse.messages import BlockModel, Envelope, TransferProposed
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem
from clearinghouse.units import Block
from tests.conftest import issue

ROUNDS = 8


def race(target_a: object, target_b: object) -> None:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(target: object) -> None:
        barrier.wait()
        try:
            target()  # type: ignore[operator]
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in (target_a, target_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_clearinghouse_accepts_exactly_one_of_two_concurrent_proposals(tmp_path: Path) -> None:
    system = EmbeddedSystem(StoreConfig(kind="sqlite", path=tmp_path))
    demo.setup(system)
    issue(system, "CN_ETS", "HUANENG", "CEA", 1_000 * ROUNDS)
    ch = system.clearinghouse
    position = 10_000  # positions of a (simulated) misbehaving registry's log
    for n in range(ROUNDS):
        block = BlockModel.of(Block("CN_ETS", "CEA", 2025, n * 1_000 + 1, n * 1_000 + 500))

        def proposal(tid: str, pos: int, block: BlockModel = block) -> Envelope:
            return Envelope(
                source="REGISTRY_CN_ETS",
                position=pos,
                destination="CLEARINGHOUSE",
                message=TransferProposed(
                    transaction_id=tid,
                    business_date="2025-03-01",
                    source_registry="CN_ETS",
                    source_account="HUANENG",
                    destination_registry="KR_ETS",
                    destination_account="POSCO",
                    blocks=[block],
                ),
            )

        a, b = proposal(f"a{n}", position + 1), proposal(f"b{n}", position + 2)
        position += 2
        race(lambda a=a: ch.handle(a), lambda b=b: ch.handle(b))
        verdicts = sorted(
            (t.state, (t.verdict or {}).get("code"))
            for t in (ch.transaction(f"a{n}", "CN_ETS"), ch.transaction(f"b{n}", "CN_ETS"))
            if t is not None
        )
        assert verdicts == [("accepted", None), ("rejected", "UNT-005")], verdicts
    ledger = ch.ledger("CN_ETS", "CEA")
    assert ledger is not None
    assert sum(b.count for blocks in ledger.holds.values() for b in blocks) == 500 * ROUNDS
    system.close()


def test_registry_holds_a_block_for_exactly_one_of_two_concurrent_commands(
    tmp_path: Path,
) -> None:
    system = EmbeddedSystem(StoreConfig(kind="sqlite", path=tmp_path))
    demo.setup(system)
    cn = system.registry("CN_ETS")
    issue(system, "CN_ETS", "HUANENG", "CEA", 1_000)
    receipts = {}

    def send(tid: str) -> None:
        receipts[tid] = cn.transfer_abroad(
            {
                "transaction_id": tid,
                "business_date": "2025-03-01",
                "account": "HUANENG",
                "to_registry": "KR_ETS",
                "to_account": "POSCO",
                "blocks": [
                    {
                        "registry": "CN_ETS",
                        "unit_type": "CEA",
                        "vintage": 2025,
                        "first": 1,
                        "last": 600,
                    }
                ],
            }
        )

    race(lambda: send("p"), lambda: send("q"))
    states = sorted((r.state, r.code) for r in receipts.values())
    assert states == [("proposed", None), ("refused", "UNT-002")], states
    system.settle()
    posco = system.registry("KR_ETS").account("POSCO")
    assert posco is not None and posco.available.total == 600
    system.close()
