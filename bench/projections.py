"""Rebuilding the Article 6 projections from a log of a million events, next to the
raw notification scan rate of the same store, in the same run.

1. **Generate** (not timed): a clearinghouse log on a SQLite file in a temporary
   directory, written fast by driving the real aggregates in memory
   (``Transaction``, ``UnitLedger``, ``Party``, ``Jurisdiction``, ``Authorization``)
   and handing their events, mapped by the application's own mapper, straight to
   the raw recorder (``recorder.insert_events``) in batches of 20,000 — no
   registries, no bus, no per-event commit. Each *cycle* is one ITMO block's life,
   16 events: issuance under an authorization (3), a cross-border first transfer
   (8) and a retirement for NDC use by the acquiring Party (5), spread over four
   host Parties and four registries.
2. **Raw scan**: ``recorder.select_notifications`` over the whole log in pages of
   2,000 (what any reader of this store must pay), then the same scan plus
   ``mapper.to_domain_event`` (decoding: what any projection in Python pays).
3. **Rebuild**: :func:`projections.article6.view.catch_up` from scratch — the
   lifecycle, holdings, limit usage and the double-counting fold, all in one
   pass — then the accounting of one rule set (Table 4 of one Party) and a
   three-rule-set comparison over the folded view, and an incremental catch-up
   after 1% more events.

Reported: events/s of each and the ratios rebuild ÷ raw scan and rebuild ÷ scan
with decoding.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from eventsourcing.domain import Aggregate

from clearinghouse.application import ClearinghouseApplication
from clearinghouse.authorizations import Authorization
from clearinghouse.ledger import ItmoTag, UnitLedger
from clearinghouse.parties import Jurisdiction, Party
from clearinghouse.store import StoreConfig
from clearinghouse.transactions import Transaction
from clearinghouse.units import Block
from projections.article6 import accounting, compare, party, rules, table4
from projections.article6.view import Article6Projection, Article6View, catch_up

HOSTS = ("HA", "HB", "HC", "HD")
BUYER = "BY"
EVENTS_PER_CYCLE = 16
BATCH = 20_000
NDC = {"type": "absolute", "period": "single-year", "target_years": [2030], "description": ""}


class Generator:
    """Writes cycles of real clearinghouse events through the raw recorder."""

    def __init__(self, app: ClearinghouseApplication) -> None:
        self.app = app
        self.pending: list[Any] = []
        self.cycle = 0
        self.ledgers: dict[str, UnitLedger] = {}
        self.tags: dict[str, ItmoTag] = {}
        self.written = 0
        setup: list[Aggregate] = []
        for code in (*HOSTS, BUYER):
            setup.append(Party(code, code, NDC))
            setup.append(Jurisdiction(f"{code}_REG", code, code, ["U"]))
        for code in HOSTS:
            auth = Authorization(
                f"A-{code}", code, "CA", ["U"], (2021, 2030), None, "ndc_and_oimp",
                "first_international_transfer", date(2021, 1, 1),
            )  # fmt: skip
            setup.append(auth)
            self.tags[code] = ItmoTag(
                f"A-{code}", "CA", code, "ndc_and_oimp", "first_international_transfer"
            )
            self.ledgers[code] = UnitLedger(f"{code}_REG", "U")
        for aggregate in setup:
            self._collect(aggregate)
        self.flush()

    def _collect(self, aggregate: Aggregate) -> None:
        self.pending += aggregate.collect_events()

    def flush(self) -> None:
        if self.pending:
            stored = [self.app.mapper.to_stored_event(e) for e in self.pending]
            self.app.recorder.insert_events(stored)
            self.written += len(stored)
            self.pending = []

    def run_cycle(self) -> None:
        n = self.cycle
        self.cycle += 1
        host = HOSTS[n % len(HOSTS)]
        registry = f"{host}_REG"
        year = 2021 + n % 9
        block = Block(registry, "U", year, n * 100 + 1, n * 100 + 100)
        ledger = self.ledgers[host]
        wire = {"registry": registry, "unit_type": "U", "vintage": year,
                "first": block.first, "last": block.last}  # fmt: skip
        # issuance under the authorization (3 events)
        issue = Transaction(f"{registry}/i{n}", "issuance", registry,
                            {"transaction_id": f"i{n}", "blocks": [wire]},
                            date(year, 2, 1))  # fmt: skip
        ledger.issue(issue.code, [block], registry, self.tags[host])
        issue.accept()
        # the first, cross-border transfer to the buyer (8 events)
        transfer = Transaction(
            f"{registry}/t{n}", "transfer", registry,
            {"transaction_id": f"t{n}", "blocks": [wire], "destination_registry": "BY_REG"},
            date(year, 6, 1),
        )  # fmt: skip
        ledger.hold(transfer.code, [block], registry)
        transfer.accept(first_transfer=[str(block)])
        transfer.debit()
        ledger.mark_first_transferred(transfer.code, [block])
        ledger.move(transfer.code, "BY_REG")
        transfer.record_adjustment(
            host, "first_transfer", year, year, 100, [block], f"A-{host}", "CA"
        )
        transfer.complete(credited=[block], issued=[])
        # retirement for NDC use by the buyer (5 events)
        retire = Transaction(
            f"BY_REG/r{n}", "status_change", "BY_REG",
            {"transaction_id": f"r{n}", "blocks": [wire], "action": "retirement",
             "purpose": "ndc"},
            date(year, 9, 1),
        )  # fmt: skip
        ledger.hold(retire.code, [block], "BY_REG")
        retire.accept()
        ledger.end(retire.code, "retired")
        retire.record_adjustment(BUYER, "use", year, year, 100, [block], f"A-{host}", "CA")
        for aggregate in (issue, transfer, retire, ledger):
            self._collect(aggregate)
        if len(self.pending) >= BATCH:
            self.flush()


def note(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def scan(app: ClearinghouseApplication, decode: bool) -> tuple[int, float]:
    start, count = 1, 0
    began = time.perf_counter()
    while True:
        page = app.recorder.select_notifications(start=start, limit=2000)
        if not page:
            break
        if decode:
            for n in page:
                app.mapper.to_domain_event(n)
        count += len(page)
        start = page[-1].id + 1
    return count, time.perf_counter() - began


@dataclass(frozen=True)
class ScannedLog:
    """A log of whole cycles written by :class:`Generator`, and the raw rates of
    reading it back, as any reader of the store must (pages of notifications), then
    decoding each event, as any Python projection must: the baseline a log
    benchmark prints its own rates next to, measured in the same run."""

    generator: Generator
    cycles: int
    events: int
    generate_s: float
    raw_count: int
    raw_s: float
    decoded_count: int
    decoded_s: float

    def rates(self) -> dict[str, Any]:
        """The scans' seconds and events/s, as a benchmark's report names them."""
        return {
            "raw_scan_s": round(self.raw_s, 2),
            "raw_scan_events_per_s": round(self.raw_count / self.raw_s),
            "scan_decode_s": round(self.decoded_s, 2),
            "scan_decode_events_per_s": round(self.decoded_count / self.decoded_s),
        }


def generate_and_scan(app: ClearinghouseApplication, events: int, quiet: bool) -> ScannedLog:
    """Write at least ``events`` events into ``app``'s empty store, then scan them twice."""
    generator = Generator(app)
    cycles = max(1, (events - generator.written) // EVENTS_PER_CYCLE + 1)
    note(f"generating {cycles:,} cycles ({cycles * EVENTS_PER_CYCLE:,} events)...", quiet)
    began = time.perf_counter()
    for i in range(cycles):
        generator.run_cycle()
        if not quiet and i and i % 10_000 == 0:
            note(f"  {generator.written:,} events written", quiet)
    generator.flush()
    generated = time.perf_counter() - began
    total = app.recorder.max_notification_id() or 0
    note(f"{total:,} events in {generated:.0f}s; raw scan...", quiet)
    raw_count, raw_s = scan(app, decode=False)
    note("scan with decoding...", quiet)
    dec_count, dec_s = scan(app, decode=True)
    return ScannedLog(generator, cycles, total, generated, raw_count, raw_s, dec_count, dec_s)


def measure(events: int, quiet: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-projections-") as where:
        app = ClearinghouseApplication(StoreConfig(kind="sqlite", path=Path(where)))
        log = generate_and_scan(app, events, quiet)
        generator, cycles, total = log.generator, log.cycles, log.events
        note("rebuilding the Article 6 projections...", quiet)
        began = time.perf_counter()
        projection = Article6Projection(Article6View())
        view = catch_up(app, projection)
        rebuild_s = time.perf_counter() - began
        assert view.events == total, (view.events, total)
        violations = view.invariants.violations()
        assert violations == [], violations[:3]
        pf = party.parse(
            {"party": "HA", "ndc": {"type": "single-year", "target_year": 2030,
             "period": [2021, 2030]}, "ca_method": "trajectory"}
        )  # fmt: skip
        began = time.perf_counter()
        summary = table4.summarize(accounting.evaluate(view, rules.load(None), pf), pf)
        table4_s = time.perf_counter() - began
        began = time.perf_counter()
        sets = [rules.load(n) for n in ("glasgow-2021", "workbook-convention", "a64-deductions")]
        compare.compare(view, pf, sets)
        compare_s = time.perf_counter() - began
        extra = max(1, cycles // 100)
        for _ in range(extra):
            generator.run_cycle()
        generator.flush()
        began = time.perf_counter()
        catch_up(app, projection)
        incremental_s = time.perf_counter() - began
        new_events = (app.recorder.max_notification_id() or 0) - total
        lots = sum(1 for _ in view.lots())
        app.close()
    first_transferred = sum(summary.rows["7"].values())
    return {
        "events": total,
        "cycles": cycles,
        "lots": lots,
        "generate_s": round(log.generate_s, 2),
        **log.rates(),
        "rebuild_s": round(rebuild_s, 2),
        "rebuild_events_per_s": round(total / rebuild_s),
        "ratio_rebuild_to_raw_scan": round(log.raw_s / rebuild_s, 3),
        "ratio_rebuild_to_scan_decode": round(log.decoded_s / rebuild_s, 3),
        "table4_one_party_s": round(table4_s, 2),
        "compare_three_rule_sets_s": round(compare_s, 2),
        "incremental_events": new_events,
        "incremental_s": round(incremental_s, 3),
        "check_first_transferred_HA": first_transferred,
    }


def parse_args(doc: str, argv: list[str] | None) -> argparse.Namespace:
    """The options of a benchmark over a generated log (this one, ``bench.audit``)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="at least this many")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quiet", action="store_true")
    return parser.parse_args(argv)


def run_over_log(
    doc: str,
    argv: list[str] | None,
    measure: Callable[[int, bool], dict[str, Any]],
    table: Callable[[dict[str, Any]], str],
) -> int:
    """``main`` of a benchmark over a generated log (this one, ``bench.audit``):
    ``measure(events, quiet)``, then print ``table`` of the figures, or with
    ``--json`` the figures themselves."""
    args = parse_args(doc, argv)
    r = measure(args.events, args.quiet)
    print(json.dumps(r, indent=2) if args.json else table(r))
    return 0


def rate_lines(r: dict[str, Any], width: int, *rows: tuple[str, str]) -> str:
    """A table of ``(label, name)`` rows: ``r[name_s]`` seconds and ``r[name_events_per_s]``,
    the raw scans first, so every figure stands next to the raw rate of the same run."""
    rows = (("raw notification scan", "raw_scan"), ("scan + decode events", "scan_decode"), *rows)
    return "\n".join(
        f"{label:<{width}}{r[f'{name}_s']:>8} s  {r[f'{name}_events_per_s']:>10,} events/s"
        for label, name in rows
    )


def table(r: dict[str, Any]) -> str:
    """The rebuild rate next to the raw rates of the same run, then the AEF timings."""
    return (
        f"log: {r['events']:,} events ({r['cycles']:,} ITMO lifecycles, {r['lots']:,} lots), "
        f"generated in {r['generate_s']} s\n"
        f"{rate_lines(r, 26, ('rebuild all projections', 'rebuild'))}\n"
        f"  ratio to the raw scan: {r['ratio_rebuild_to_raw_scan']}; "
        f"to scan + decode: {r['ratio_rebuild_to_scan_decode']}\n"
        f"Table 4 for one Party (glasgow-2021): {r['table4_one_party_s']} s; "
        f"compare 3 rule sets: {r['compare_three_rule_sets_s']} s\n"
        f"incremental catch-up of {r['incremental_events']:,} new events: {r['incremental_s']} s"
    )


def main(argv: list[str] | None = None) -> int:
    return run_over_log(__doc__, argv, measure, table)


if __name__ == "__main__":
    sys.exit(main())
