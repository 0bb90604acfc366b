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

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.projections import EVENTS_PER_CYCLE, Generator, note, scan
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
        generator = Generator(app)
        cycles = max(1, (events - generator.written) // EVENTS_PER_CYCLE + 1)
        note(f"generating {cycles:,} cycles ({cycles * EVENTS_PER_CYCLE:,} events)...", quiet)

        def generate() -> None:
            for _ in range(cycles):
                generator.run_cycle()

        _, generated = _timed(generate)
        generator.flush()
        total = app.recorder.max_notification_id() or 0
        note(f"{total:,} events in {generated:.0f}s; raw scan...", quiet)
        (raw_count, raw_s) = scan(app, decode=False)
        note("scan with decoding...", quiet)
        (dec_count, dec_s) = scan(app, decode=True)
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
        "generate_s": round(generated, 1),
        "raw_scan_s": round(raw_s, 2),
        "raw_scan_events_per_s": round(raw_count / raw_s),
        "scan_decode_s": round(dec_s, 2),
        "scan_decode_events_per_s": round(dec_count / dec_s),
        "checkpoint_s": round(checkpoint_s, 2),
        "checkpoint_events_per_s": round(total / checkpoint_s),
        "checkpoint_segments": done.logs[0].new_segments,
        "verify_s": round(verify_s, 2),
        "verify_events_per_s": round(total / verify_s),
        "ratio_verify_to_raw_scan": round(raw_s / verify_s, 3),
        "goal_verify_to_raw_scan": GOAL,
        "replay_s": round(replay_s, 2),
        "replay_events_per_s": round(total / replay_s),
        "ratio_replay_to_scan_decode": round(dec_s / replay_s, 3),
        "replay_half_position": then.positions["CLEARINGHOUSE"],
        "replay_half_s": round(half_s, 2),
        "audit_log_bytes": audit_bytes,
        "event_log_bytes": log_bytes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="at least this many")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    r = measure(args.events, args.quiet)
    if args.json:
        print(json.dumps(r, indent=2))
        return 0

    def line(label: str, seconds: str, rate: str) -> str:
        return f"{label:<32}{r[seconds]:>8} s  {r[rate]:>10,} events/s"

    print(f"log: {r['events']:,} events (SQLite), generated in {r['generate_s']} s")
    print(line("raw notification scan", "raw_scan_s", "raw_scan_events_per_s"))
    print(line("scan + decode events", "scan_decode_s", "scan_decode_events_per_s"))
    print(line("checkpoint (chain + record)", "checkpoint_s", "checkpoint_events_per_s"))
    print(line("verify (audit verify)", "verify_s", "verify_events_per_s"))
    print(line("replay every projection", "replay_s", "replay_events_per_s"))
    met = "met" if r["ratio_verify_to_raw_scan"] >= GOAL else "NOT met"
    print(
        f"  verify ÷ raw scan: {r['ratio_verify_to_raw_scan']} (goal ≥ {GOAL}: {met})\n"
        f"  replay ÷ scan + decode: {r['ratio_replay_to_scan_decode']}\n"
        f"replay at position {r['replay_half_position']:,}: {r['replay_half_s']} s\n"
        f"audit log: {r['audit_log_bytes']:,} bytes for an event log of "
        f"{r['event_log_bytes']:,} bytes ({r['checkpoint_segments']} segments)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
