"""End-to-end cross-border transfers per second, next to the raw eventsourcing append rate.

Two measurements in one run, both on SQLite files in a fresh temporary directory:

1. The project: an :class:`~clearinghouse.system.EmbeddedSystem` on the SQLite store
   (one file per application: the clearinghouse and two registries) runs N
   cross-border transfers through ``system.do(registry, "transfer_abroad", ...)``.
   Each one is proposed by the source registry, accepted by the clearinghouse
   (ledger hold, agreement limit, Article 6 authorization), debited at the source,
   credited at the destination and completed at both ends. Every transfer is
   checked to have completed. Reported: transfers/s, stored events/s (new
   notifications in all three logs) and store write transactions/s.
2. The library alone: a plain ``eventsourcing`` ``Application`` on
   ``eventsourcing.sqlite`` saves a trivial aggregate, one event per save, and
   then the same with as many events per save as the project's mean.

The ratios of the two say how much of the library's append rate the
clearinghouse turns into useful work. Store transactions are counted by wrapping
each application's ``SQLiteDatastore.transaction`` (writes: ``commit=True``).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.sqlite import SQLiteDatastore, SQLiteRecorder

from adapters.base import RegistryConfig
from clearinghouse.progress import ProgressBar
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem

SOURCE = "CN_ETS"
DESTINATION = "KR_ETS"
SELLER = "SELLER"
BUYER = "BUYER"
BUSINESS_DATE = "2025-04-01"


# -- counting and progress -----------------------------------------------------------


class TransactionCounter:
    """Counts SQLite transactions (write: ``commit=True``; read: ``commit=False``)."""

    def __init__(self) -> None:
        self.writes = 0
        self.reads = 0

    def attach(self, app: Application[Any]) -> None:
        recorder = app.recorder
        if not isinstance(recorder, SQLiteRecorder):
            raise SystemExit(f"bench: {app.name} is not on SQLite ({type(recorder).__name__})")
        datastore: SQLiteDatastore = recorder.datastore
        original = datastore.transaction

        def counted(*, commit: bool) -> AbstractContextManager[Any]:
            if commit:
                self.writes += 1
            else:
                self.reads += 1
            return original(commit=commit)

        # One datastore per application, shared by its event and snapshot recorders.
        setattr(datastore, "transaction", counted)  # noqa: B010 - instance patch, on purpose

    @property
    def total(self) -> tuple[int, int]:
        return self.writes, self.reads


def note(message: str, enabled: bool) -> None:
    if enabled:
        print(message, file=sys.stderr)


@contextmanager
def profiled(path: Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(str(path))


# -- the project -------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectResult:
    transfers: int
    quantity: int
    seconds: float
    setup_seconds: float
    events: int
    write_transactions: int
    read_transactions: int

    @property
    def transfers_per_second(self) -> float:
        return self.transfers / self.seconds

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds

    @property
    def transactions_per_second(self) -> float:
        return self.write_transactions / self.seconds

    @property
    def events_per_transfer(self) -> float:
        return self.events / self.transfers

    @property
    def transactions_per_transfer(self) -> float:
        return self.write_transactions / self.transfers

    @property
    def reads_per_transfer(self) -> float:
        return self.read_transactions / self.transfers

    @property
    def events_per_transaction(self) -> float:
        return self.events / max(self.write_transactions, 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "store": "sqlite",
            "applications": 3,
            "transfers": self.transfers,
            "quantity_per_transfer": self.quantity,
            "seconds": round(self.seconds, 3),
            "setup_seconds": round(self.setup_seconds, 3),
            "transfers_per_second": round(self.transfers_per_second, 1),
            "events": self.events,
            "events_per_second": round(self.events_per_second, 1),
            "events_per_transfer": round(self.events_per_transfer, 2),
            "write_transactions": self.write_transactions,
            "transactions_per_second": round(self.transactions_per_second, 1),
            "transactions_per_transfer": round(self.transactions_per_transfer, 2),
            "events_per_transaction": round(self.events_per_transaction, 2),
            "read_transactions": self.read_transactions,
            "read_transactions_per_transfer": round(self.reads_per_transfer, 2),
        }


def build_system(store_dir: Path, transfers: int, quantity: int) -> EmbeddedSystem:
    """Two Parties, two registries, an authorized one-way link, funded accounts."""
    system = EmbeddedSystem(StoreConfig(kind="sqlite", path=store_dir))
    ch = system.clearinghouse
    ch.register_party(
        {
            "code": "CN",
            "name": "China",
            "ndc": {"type": "intensity", "period": "single-year", "target_years": [2030]},
        }
    )
    ch.register_party(
        {
            "code": "KR",
            "name": "Korea",
            "ndc": {"type": "bau_relative", "period": "single-year", "target_years": [2030]},
        }
    )
    source = system.add_registry(RegistryConfig(SOURCE, "China national ETS", "CN", ("CEA",)))
    destination = system.add_registry(RegistryConfig(DESTINATION, "K-ETS", "KR", ("KAU",)))
    ch.grant_authorization(
        {
            "code": "CN-BENCH",
            "party": "CN",
            "cooperative_approach": "CNKR",
            "unit_types": ["CEA"],
            "vintages": [2024, 2030],
            "purposes": "ndc_and_oimp",
            "first_transfer": "first_international_transfer",
            "authorized_on": "2025-01-01",
        }  # no cap
    )
    total = transfers * quantity
    ch.conclude_agreement(
        {
            "code": "CN_KR",
            "jurisdictions": [SOURCE, DESTINATION],
            "directions": [{"source": SOURCE, "destination": DESTINATION, "unit_types": ["CEA"]}],
            "limits": [{"jurisdiction": DESTINATION, "flow": "import", "tonnes": 1000 * total}],
            "effective_from": "2025-01-01",
            "authorized": True,
            "cooperative_approach": "CNKR",
        }
    )
    source.open_account({"account": SELLER, "holder": "Seller"})
    destination.open_account({"account": BUYER, "holder": "Buyer"})
    issued = system.do(
        SOURCE,
        "issue",
        {
            "transaction_id": "issue-1",
            "business_date": "2025-03-01",
            "account": SELLER,
            "unit_type": "CEA",
            "vintage": 2025,
            "quantity": total,
        },
    )
    if issued.state != "completed":
        raise SystemExit(f"bench: setup failed, issuance ended {issued.state}: {issued.reason}")
    return system


def notifications(system: EmbeddedSystem) -> int:
    return sum(app.recorder.max_notification_id() or 0 for app in system.apps())


def verify(system: EmbeddedSystem, codes: list[str], states: list[str], quantity: int) -> None:
    """Fail loudly unless every transfer completed at both ends and the units arrived."""
    failures = [(c, s) for c, s in zip(codes, states, strict=True) if s != "completed"]
    for code in codes:
        txn = system.clearinghouse.transaction(code, SOURCE)
        if txn is None or txn.state != "completed":
            failures.append((code, f"clearinghouse: {txn.state if txn else 'missing'}"))
    buyer = system.registry(DESTINATION).account(BUYER)
    received = buyer.available.total if buyer is not None else 0
    if received != len(codes) * quantity:
        failures.append(("BUYER", f"holds {received}, expected {len(codes) * quantity}"))
    if failures:
        shown = "; ".join(f"{c}: {s}" for c, s in failures[:10])
        raise SystemExit(f"bench: {len(failures)} transfer check(s) failed: {shown}")


def run_project(
    workdir: Path, transfers: int, quantity: int, show: bool, profile: Path | None
) -> ProjectResult:
    note(f"project: setting up the embedded system in {workdir}", show)
    started = time.perf_counter()
    system = build_system(workdir, transfers, quantity)
    setup_seconds = time.perf_counter() - started
    try:
        counter = TransactionCounter()
        for app in system.apps():
            counter.attach(app)
        codes = [f"x{i:07d}" for i in range(1, transfers + 1)]
        states: list[str] = []
        progress = ProgressBar("cross-border transfers", transfers, enabled=show)
        events_before = notifications(system)
        with profiled(profile):
            started = time.perf_counter()
            for i, code in enumerate(codes, 1):
                receipt = system.do(
                    SOURCE,
                    "transfer_abroad",
                    {
                        "transaction_id": code,
                        "business_date": BUSINESS_DATE,
                        "account": SELLER,
                        "to_registry": DESTINATION,
                        "to_account": BUYER,
                        "quantity": quantity,
                    },
                )
                states.append(receipt.state)
                progress.update(i)
            seconds = time.perf_counter() - started
        writes, reads = counter.total
        events = notifications(system) - events_before
        verify(system, codes, states, quantity)
    finally:
        system.close()
    return ProjectResult(transfers, quantity, seconds, setup_seconds, events, writes, reads)


# -- the library alone ------------------------------------------------------------------


class Ping(Aggregate):
    """The most trivial aggregate: created, nothing else (one event)."""

    @event("Created")
    def __init__(self) -> None:
        pass


@dataclass(frozen=True)
class RawResult:
    saves: int
    events_per_save: int
    seconds: float
    write_transactions: int

    @property
    def events(self) -> int:
        return self.saves * self.events_per_save

    @property
    def saves_per_second(self) -> float:
        return self.saves / self.seconds

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "store": "sqlite",
            "saves": self.saves,
            "events_per_save": self.events_per_save,
            "events": self.events,
            "seconds": round(self.seconds, 3),
            "saves_per_second": round(self.saves_per_second, 1),
            "events_per_second": round(self.events_per_second, 1),
            "write_transactions": self.write_transactions,
        }


def run_raw(workdir: Path, saves: int, events_per_save: int, show: bool) -> RawResult:
    dbname = workdir / f"raw-{events_per_save}.sqlite"
    app: Application[Any] = Application(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(dbname),
            "SQLITE_LOCK_TIMEOUT": "30",  # as clearinghouse.store sets it
        }
    )
    try:
        counter = TransactionCounter()
        counter.attach(app)
        label = f"raw saves, {events_per_save} event{'s' if events_per_save > 1 else ''} each"
        progress = ProgressBar(label, saves, enabled=show)
        batches = [[Ping() for _ in range(events_per_save)] for _ in range(saves)]
        started = time.perf_counter()
        for i, batch in enumerate(batches, 1):
            app.save(*batch)
            progress.update(i)
        seconds = time.perf_counter() - started
        stored = app.recorder.max_notification_id() or 0
    finally:
        app.close()
    expected = saves * events_per_save
    if stored != expected:
        raise SystemExit(f"bench: raw run stored {stored} events, expected {expected}")
    return RawResult(saves, events_per_save, seconds, counter.writes)


# -- report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    project: ProjectResult
    raw: RawResult
    raw_batched: RawResult | None

    def ratios(self) -> dict[str, float]:
        ratios = {
            "transactions_per_second_to_raw_saves_per_second": (
                self.project.transactions_per_second / self.raw.saves_per_second
            ),
            "events_per_second_to_raw_events_per_second": (
                self.project.events_per_second / self.raw.events_per_second
            ),
        }
        if self.raw_batched is not None:
            ratios["events_per_second_to_raw_batched_events_per_second"] = (
                self.project.events_per_second / self.raw_batched.events_per_second
            )
        # The best transfers/s if each store write cost no more than a raw save.
        ratios["raw_bound_transfers_per_second"] = (
            self.raw.saves_per_second / self.project.transactions_per_transfer
        )
        return ratios

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": date.today().isoformat(),
            "python": sys.version.split()[0],
            "project": self.project.as_dict(),
            "raw": self.raw.as_dict(),
            "raw_batched": self.raw_batched.as_dict() if self.raw_batched else None,
            "ratios": {k: round(v, 4) for k, v in self.ratios().items()},
        }

    def table(self) -> str:
        p, r, b = self.project, self.raw, self.raw_batched
        ratios = self.ratios()
        rows: list[tuple[str, str, str]] = []

        def row(label: str, value: str, comment: str = "") -> None:
            rows.append((label, value, comment))

        lines = [
            f"Clearinghouse, end to end: {p.transfers} cross-border transfers of {p.quantity} t "
            f"(SQLite, 3 applications; {p.seconds:.2f} s)"
        ]
        row("transfers/s", f"{p.transfers_per_second:,.1f}")
        row(
            "stored events/s",
            f"{p.events_per_second:,.0f}",
            f"{p.events:,} events, {p.events_per_transfer:.1f} per transfer",
        )
        row(
            "store write transactions/s",
            f"{p.transactions_per_second:,.0f}",
            f"{p.transactions_per_transfer:.1f} per transfer, "
            f"{p.events_per_transaction:.1f} events each",
        )
        row("store read transactions/transfer", f"{p.reads_per_transfer:.1f}")
        lines += format_rows(rows)
        rows.clear()
        lines += ["", f"Raw eventsourcing SQLite append (Application.save), {r.saves:,} saves"]
        row("1 event per save: events/s", f"{r.events_per_second:,.0f}", "= saves/s")
        if b is not None:
            row(
                f"{b.events_per_save} events per save: events/s",
                f"{b.events_per_second:,.0f}",
                f"{b.saves_per_second:,.0f} saves/s; the project's mean batch",
            )
        lines += format_rows(rows)
        rows.clear()
        lines += ["", "Ratios (project ÷ raw)"]
        t = ratios["transactions_per_second_to_raw_saves_per_second"]
        row("write transactions/s ÷ raw saves/s", f"{t:.3f}", f"{t:.1%} of the library's rate")
        e = ratios["events_per_second_to_raw_events_per_second"]
        row("events/s ÷ raw events/s (1 per save)", f"{e:.3f}")
        if b is not None:
            eb = ratios["events_per_second_to_raw_batched_events_per_second"]
            row(f"events/s ÷ raw events/s ({b.events_per_save} per save)", f"{eb:.3f}")
        row(
            "raw-bound transfers/s",
            f"{ratios['raw_bound_transfers_per_second']:,.0f}",
            f"raw saves/s ÷ {p.transactions_per_transfer:.1f} writes per transfer",
        )
        lines += format_rows(rows)
        return "\n".join(lines)


def format_rows(rows: list[tuple[str, str, str]]) -> list[str]:
    width = max(len(label) for label, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    return [
        f"  {label:<{width}}  {value:>{value_width}}" + (f"  ({comment})" if comment else "")
        for label, value, comment in rows
    ]


# -- command line ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.transfers",
        description=(
            "Measure end-to-end cross-border transfers per second of the embedded "
            "clearinghouse on its SQLite store (three applications: the clearinghouse "
            "and two registries, one SQLite file each), and, in the same run, the raw "
            "append rate of the eventsourcing library on the same kind of store "
            "(Application.save of a trivial aggregate, one event per save). Each "
            "transfer goes through proposal, acceptance, debit, credit and completion; "
            "all must complete or the run fails. Reports transfers/s, stored events/s "
            "and store write transactions/s, the raw events/s and saves/s, and their "
            "ratios. Everything runs in a fresh temporary directory, deleted afterwards."
        ),
        epilog="Progress goes to stderr; the table (or JSON) to stdout. See docs/performance.md.",
    )
    parser.add_argument(
        "--transfers",
        type=positive,
        default=500,
        metavar="N",
        help="cross-border transfers to time (default: %(default)s)",
    )
    parser.add_argument(
        "--quantity",
        type=positive,
        default=1,
        metavar="T",
        help="tonnes per transfer (default: %(default)s)",
    )
    parser.add_argument(
        "--raw-saves",
        type=positive,
        default=5000,
        metavar="M",
        help="saves in each raw eventsourcing measurement (default: %(default)s)",
    )
    parser.add_argument(
        "--no-batched",
        action="store_true",
        help="skip the raw run with the project's mean number of events per save",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="run the transfers under cProfile and write the stats to FILE "
        "(the figures then include the profiler's overhead)",
    )
    return parser.parse_args(argv)


def positive(text: str) -> int:
    """An option's whole number of at least 1 (runs, saves, workers)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def measure(args: argparse.Namespace, workdir: Path) -> Report:
    show = not args.quiet
    project = run_project(workdir / "store", args.transfers, args.quantity, show, args.profile)
    raw = run_raw(workdir, args.raw_saves, 1, show)
    batch = round(project.events_per_transaction)
    batched = (
        None if args.no_batched or batch <= 1 else run_raw(workdir, args.raw_saves, batch, show)
    )
    return Report(project, raw, batched)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="clearinghouse-bench-") as tmp:
        report = measure(args, Path(tmp))
    print(json.dumps(report.as_dict(), indent=2) if args.json else report.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
