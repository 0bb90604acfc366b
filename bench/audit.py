"""Verifying and replaying a log of a million events, next to the raw notification
scan of the same store, in the same run.

1. **Generate** (not timed): the clearinghouse log of ``bench/projections.py``
   (real events of 16-event ITMO lifecycles, written through the raw recorder)
   on a SQLite file in a temporary directory.
2. **Raw scan**: ``recorder.select_notifications`` over the whole log in pages of
   2,000, nothing decoded (what any reader of this store must pay); then the
   same with ``mapper.to_domain_event`` (what any Python projection pays).
3. **Checkpoint**: chain the whole log and record its segments (10,000 events
   each) in the audit log.
4. **Verify**: stream the log against its checkpoints (``audit verify``).
5. **Replay**: every projection from scratch, as the log stands now and at
   the position half-way through (``audit replay``). (The generator's business
   years cycle through 2021-2029, so an as-of date would cut near the start.)

Reported: events/s of each, and the ratios verify ÷ raw scan (the goal is at
least 0.5) and replay ÷ scan with decoding.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.projections import generate_and_scan, note, rate_lines, run_over_log
from clearinghouse.application import ClearinghouseApplication
from clearinghouse.audit import verify
from clearinghouse.audit.logs import Logs
from clearinghouse.audit.replay import replay
from clearinghouse.store import StoreConfig

GOAL = 0.5


def _timed(work: Any) -> tuple[Any, float]:
    began = time.perf_counter()
    result = work()
    return result, time.perf_counter() - began


def measure(events: int, quiet: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as where:
        store = StoreConfig(kind="sqlite", path=Path(where))
        app = ClearinghouseApplication(store)
        log = generate_and_scan(app, events, quiet)
        total = log.events
        app.close()
        with Logs.of(store) as logs:
            note("checkpoint...", quiet)
            done, checkpoint_s = _timed(lambda: verify.checkpoint(logs))
            note("verify...", quiet)
            checked, verify_s = _timed(lambda: verify.verify(logs))
            assert checked.intact and checked.anchored, checked.first_bad
            assert checked.logs[0].anchored_events == total
            note("replay, now...", quiet)
            now, replay_s = _timed(lambda: replay(logs))
            assert now.positions["CLEARINGHOUSE"] == total
            assert now.projections["article6"]["double_counting"] == []
            middle = total // 2
            note(f"replay at position {middle:,}...", quiet)
            then, half_s = _timed(lambda: replay(logs, position=middle))
            audit_bytes = sum(p.stat().st_size for p in Path(where).glob("audit.sqlite*"))
            log_bytes = sum(p.stat().st_size for p in Path(where).glob("clearinghouse.sqlite*"))
    return {
        "events": total,
        "generate_s": round(log.generate_s, 1),
        **log.rates(),
        "checkpoint_s": round(checkpoint_s, 2),
        "checkpoint_events_per_s": round(total / checkpoint_s),
        "checkpoint_segments": done.logs[0].new_segments,
        "verify_s": round(verify_s, 2),
        "verify_events_per_s": round(total / verify_s),
        "ratio_verify_to_raw_scan": round(log.raw_s / verify_s, 3),
        "goal_verify_to_raw_scan": GOAL,
        "replay_s": round(replay_s, 2),
        "replay_events_per_s": round(total / replay_s),
        "ratio_replay_to_scan_decode": round(log.decoded_s / replay_s, 3),
        "replay_half_position": then.positions["CLEARINGHOUSE"],
        "replay_half_s": round(half_s, 2),
        "audit_log_bytes": audit_bytes,
        "event_log_bytes": log_bytes,
    }


def table(r: dict[str, Any]) -> str:
    """Checkpoint, verify and replay rates next to the raw rates of the same run,
    with the goal for verify, then the replay cut and the audit log's size."""
    rows = [
        ("checkpoint (chain + record)", "checkpoint"),
        ("verify (audit verify)", "verify"),
        ("replay every projection", "replay"),
    ]
    met = "met" if r["ratio_verify_to_raw_scan"] >= GOAL else "NOT met"
    return (
        f"log: {r['events']:,} events (SQLite), generated in {r['generate_s']} s\n"
        f"{rate_lines(r, 32, *rows)}\n"
        f"  verify ÷ raw scan: {r['ratio_verify_to_raw_scan']} (goal ≥ {GOAL}: {met})\n"
        f"  replay ÷ scan + decode: {r['ratio_replay_to_scan_decode']}\n"
        f"replay at position {r['replay_half_position']:,}: {r['replay_half_s']} s\n"
        f"audit log: {r['audit_log_bytes']:,} bytes for an event log of "
        f"{r['event_log_bytes']:,} bytes ({r['checkpoint_segments']} segments)"
    )


def main(argv: list[str] | None = None) -> int:
    return run_over_log(__doc__, argv, measure, table)


if __name__ == "__main__":
    sys.exit(main())
