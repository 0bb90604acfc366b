"""The ne-asia-trilateral simulation's time and events/s, next to the raw store rate.

1. **The project**: ``clearinghouse simulate scenarios/ne-asia-trilateral.yaml``
   (through :func:`clearinghouse.simulation.run.simulate`) into a temporary
   directory: about 3,600 Chinese, 700 Korean and 1,900 Tokyo/Saitama entities
   (plus 30 JCM projects) over ten years, cleared as markets and executed through
   six registries and the clearinghouse on SQLite. Timed: the whole run, and its
   phases (clearing, execution, accounting, outputs). Events: every application's
   ``max_notification_id`` at the end.
2. **The library alone, same run, same disk**: a plain ``eventsourcing``
   application on a SQLite file saving a trivial aggregate (``bench.transfers.run_raw``),
   one event per save and as many events per save as the simulation's mean per
   command.

Reported: wall time, events, events/s of the execution phase, raw events/s, and
the ratios. No number here is asserted by a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.transfers import run_raw
from clearinghouse.progress import ProgressBar
from clearinghouse.simulation import run
from clearinghouse.simulation.scenario import load

SCENARIO = Path(__file__).parent.parent / "scenarios" / "ne-asia-trilateral.yaml"


def measure(scenario: Path, saves: int, quiet: bool) -> dict[str, Any]:
    loaded = load(scenario)
    with tempfile.TemporaryDirectory(prefix="bench-simulation-") as tmp:
        work = Path(tmp)
        total = len(loaded.scenario.year_list) + 2
        started = time.perf_counter()
        with ProgressBar(f"simulating {loaded.scenario.name}", total, enabled=not quiet) as bar:
            data = run.simulate(
                loaded, work / "run", progress=lambda done, _t, note: bar.update(done, note)
            )
        wall = time.perf_counter() - started
        events = data["run"]["events_total"]
        commands = data["run"]["commands"]
        per_command = max(1, round(events / max(commands, 1)))
        raw_one = run_raw(work, saves, 1, not quiet)
        raw_batched = run_raw(work, max(1, saves // per_command), per_command, not quiet)
    seconds = data["run"]["seconds"]
    execution_rate = events / max(seconds["execution"], 1e-9)
    return {
        "date": date.today().isoformat(),
        "python": sys.version.split()[0],
        "scenario": str(scenario),
        "entities": data["run"]["entities"],
        "cohorts": data["run"]["cohorts"],
        "years": len(loaded.scenario.year_list),
        "wall_seconds": round(wall, 2),
        "phase_seconds": seconds,
        "outputs_seconds": round(wall - seconds["total"], 2),
        "events": events,
        "commands": commands,
        "events_per_command": round(events / max(commands, 1), 2),
        "events_per_second_execution": round(execution_rate, 1),
        "events_per_second_wall": round(events / wall, 1),
        "raw_events_per_second": round(raw_one.events_per_second, 1),
        "raw_batched_events_per_save": per_command,
        "raw_batched_events_per_second": round(raw_batched.events_per_second, 1),
        "ratio_to_raw": round(execution_rate / raw_one.events_per_second, 3),
        "ratio_to_raw_batched": round(execution_rate / raw_batched.events_per_second, 3),
        "refusals": len(data["refusals"]),
        "violations": len(data["violations"]),
    }


def table(r: dict[str, Any]) -> str:
    entities = sum(r["entities"].values())
    cohorts = sum(r["cohorts"].values())
    p = r["phase_seconds"]
    rows = [
        ("scenario", Path(r["scenario"]).name, f"{entities:,} entities in {cohorts} cohorts, "
         f"{r['years']} years"),
        ("wall time", f"{r['wall_seconds']:.1f} s", f"clearing {p['clearing']} s, execution "
         f"{p['execution']} s, accounting {p['accounting']} s, outputs {r['outputs_seconds']} s"),
        ("events", f"{r['events']:,}", f"{r['commands']:,} commands, "
         f"{r['events_per_command']} events each"),
        ("simulation events/s", f"{r['events_per_second_execution']:,.0f}", "execution phase"),
        ("raw store events/s", f"{r['raw_events_per_second']:,.0f}", "1 event per save"),
        ("raw store events/s", f"{r['raw_batched_events_per_second']:,.0f}",
         f"{r['raw_batched_events_per_save']} events per save"),
        ("ratio", f"{r['ratio_to_raw']:.3f}", "simulation ÷ raw (1 per save)"),
        ("ratio", f"{r['ratio_to_raw_batched']:.3f}", "simulation ÷ raw (batched)"),
        ("refused / violations", f"{r['refusals']} / {r['violations']}", "both should be 0"),
    ]  # fmt: skip
    width = max(len(a) for a, _, _ in rows)
    value = max(len(b) for _, b, _ in rows)
    return "\n".join(f"{a:<{width}}  {b:>{value}}  {c}" for a, b, c in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.simulation",
        description="Time the ne-asia-trilateral simulation end to end and print its "
        "events/s next to the raw eventsourcing SQLite rate measured in the same run.",
    )
    parser.add_argument("--scenario", type=Path, default=SCENARIO, help="another scenario")
    parser.add_argument("--saves", type=int, default=5000, help="raw saves (default 5000)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    result = measure(args.scenario, args.saves, args.quiet)
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
