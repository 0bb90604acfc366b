"""Reconciliation of each registry's own log with the central ledger, in three
phases like the Kyoto ITL (reference/registries-and-reporting.md L38).

What is compared: the units each registry's accounts hold, folded from the
registry's own log (``Account`` aggregates), against the blocks the
clearinghouse's central ledger (``UnitLedger``, clearinghouse/ledger.py)
attributes to that registry, folded from the clearinghouse's log. Account
kinds map to ledger statuses: ``surrender`` accounts hold *surrendered* units,
``retirement`` *retired*, ``cancellation`` *cancelled*, every other account
(holding, authority, recovery) *active* ones — on hold or not. Units that left a
registry by conversion are ``converted`` in the ledger and in no account: they
are not compared.

1. **Totals** per account type (status) and unit type (originating registry
   and unit type): AUD-020 where they differ.
2. **Unit blocks**: every serial range is classified by what each side says of
   it: only the registry holds it (AUD-021), only the ledger (AUD-022), or both
   with another status or vintage (AUD-023).
3. **Audit trail** of each differing block: the events of both logs that touched
   those serials, with position and business date.

The outcome is a status (``completed``, ``totals_inconsistent``,
``unit_blocks_inconsistent``, or ``manual_intervention_required`` when a log
involved fails hash-chain verification), recorded in the clearinghouse
(:mod:`~clearinghouse.audit.status`), which blocks the registry's
cross-border transfers until a run completes (AUD-001).

Run it on a quiet system: a transfer in flight (debited by its source, not yet
credited by its destination) shows as a difference, as it would at the ITL.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel

from adapters.accounts import Account
from clearinghouse.application import CLEARINGHOUSE, ClearinghouseApplication, registry_app_name
from clearinghouse.audit import status as statuses
from clearinghouse.audit.dating import Reader
from clearinghouse.audit.logs import Logs
from clearinghouse.audit.status import ReconciliationStatus, reconciliation_id
from clearinghouse.checks import CATALOGUE
from clearinghouse.ledger import UnitLedger
from clearinghouse.participant import UnitOfWork
from clearinghouse.units import Block
from projections.holdings import fold
from projections.log import name_of

CATEGORY_OF_KIND = {
    "surrender": "surrendered",
    "retirement": "retired",
    "cancellation": "cancelled",
}
COMPARED = ("active", "surrendered", "retired", "cancelled")
TRAIL_LIMIT = 50  # events per differing block in the report


class TotalsRow(BaseModel):
    category: str  # ledger status: active, surrendered, retired, cancelled
    unit_type: str  # ORIGIN:UNIT_TYPE
    registry: int
    central: int


class TrailEntry(BaseModel):
    application: str
    position: int
    business_date: date | None
    event: str
    transaction: str | None
    block: str


class Discrepancy(BaseModel):
    code: str
    phase: int
    message: str
    category: str | None = None
    unit_type: str | None = None
    block: str | None = None
    registry_total: int | None = None
    central_total: int | None = None
    trail: list[TrailEntry] = []


class Reconciliation(BaseModel):
    """One registry's reconciliation report."""

    registry: str
    status: str
    run: int | None  # the run number recorded in the clearinghouse (None: not recorded)
    positions: dict[str, int]  # the log positions compared
    verified: dict[str, str]  # log -> hash-chain status, when checked
    totals: list[TotalsRow]
    discrepancies: list[Discrepancy]
    digest: str  # SHA-256 of the report's content (positions, totals, discrepancies)


# -- the two sides -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Piece:
    block: Block
    category: str


def registry_side(events: Iterable[tuple[int, Any]]) -> list[_Piece]:
    """Every block in the registry's accounts (available or on hold), by status."""
    pieces = []
    for account in fold(events, Account).values():
        category = CATEGORY_OF_KIND.get(account.kind, "active")
        blocks = [*account.available, *(b for held in account.held.values() for b in held)]
        pieces += [_Piece(b, category) for b in blocks]
    return pieces


def central_side(ledgers: Iterable[UnitLedger], registry: str) -> list[_Piece]:
    """Every block the central ledger attributes to ``registry``, by status."""
    return [
        _Piece(e.block, e.status)
        for ledger in ledgers
        for e in ledger.entries
        if e.holder == registry and e.status in COMPARED
    ]


# -- phases 1 and 2 (pure) --------------------------------------------------------------


def totals(registry: list[_Piece], central: list[_Piece]) -> list[TotalsRow]:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for side, pieces in enumerate((registry, central)):
        for p in pieces:
            sums[(p.category, f"{p.block.registry}:{p.block.unit_type}")][side] += p.block.count
    return [
        TotalsRow(category=c, unit_type=u, registry=r, central=k)
        for (c, u), (r, k) in sorted(
            sums.items(), key=lambda kv: (COMPARED.index(kv[0][0]), kv[0][1])
        )
    ]


def block_differences(
    registry_code: str, registry: list[_Piece], central: list[_Piece]
) -> list[Discrepancy]:
    """Sweep each serial space: classify every serial range by what each side says."""
    bounds: dict[tuple[str, str], list[tuple[int, int, int, tuple[str, int]]]] = defaultdict(list)
    for side, pieces in enumerate((registry, central)):
        for p in pieces:
            label = (p.category, p.block.vintage)
            bounds[p.block.serial_space].append((p.block.first, +1, side, label))
            bounds[p.block.serial_space].append((p.block.last + 1, -1, side, label))
    found: list[Discrepancy] = []
    for (origin, unit_type), points in sorted(bounds.items()):
        points.sort(key=lambda x: x[0])
        active: tuple[Counter[tuple[str, int]], Counter[tuple[str, int]]] = (Counter(), Counter())
        open_range: tuple[int, tuple[Any, ...]] | None = None  # start, verdict
        i = 0
        while i < len(points):
            at = points[i][0]
            while i < len(points) and points[i][0] == at:
                _, delta, side, label = points[i]
                active[side][label] += delta
                if active[side][label] == 0:
                    del active[side][label]
                i += 1
            verdict = _verdict(active[0], active[1])
            if open_range is not None and open_range[1] != verdict:
                _emit(found, registry_code, origin, unit_type, open_range[0], at - 1, open_range[1])
                open_range = None
            if open_range is None and verdict is not None:
                open_range = (at, verdict)
    return found


def _verdict(
    reg: Counter[tuple[str, int]], cen: Counter[tuple[str, int]]
) -> tuple[Any, ...] | None:
    """None where both sides agree on a range (or neither has it)."""
    r_labels, c_labels = sorted(reg.elements()), sorted(cen.elements())
    if r_labels == c_labels and len(r_labels) <= 1:
        return None
    if not c_labels:
        return ("AUD-021", r_labels[0])
    if not r_labels:
        return ("AUD-022", c_labels[0])
    if len(r_labels) > 1:  # the registry's accounts hold these serials more than once
        return ("AUD-021", r_labels[0])
    return ("AUD-023", r_labels[0], c_labels[0])


def _emit(
    found: list[Discrepancy], registry: str, origin: str, unit_type: str, first: int, last: int,
    verdict: tuple[Any, ...],
) -> None:  # fmt: skip
    code = verdict[0]
    category, vintage = verdict[1]
    block = Block(origin, unit_type, vintage, first, last)
    facts: dict[str, Any] = {"registry": registry, "block": str(block), "count": block.count}
    if code == "AUD-023":
        central_category, central_vintage = verdict[2]
        facts["registry_category"] = f"{category} (vintage {vintage})"
        facts["central_category"] = f"{central_category} (vintage {central_vintage})"
    else:
        facts["category"] = category
    found.append(
        Discrepancy(
            code=code,
            phase=2,
            message=CATALOGUE[code].message(**facts),
            category=category,
            unit_type=f"{origin}:{unit_type}",
            block=str(block),
        )
    )


def totals_differences(registry: str, rows: list[TotalsRow]) -> list[Discrepancy]:
    return [
        Discrepancy(
            code="AUD-020",
            phase=1,
            message=CATALOGUE["AUD-020"].message(
                registry=registry,
                category=r.category,
                unit_type=r.unit_type,
                registry_total=f"{r.registry:,}",
                central_total=f"{r.central:,}",
            ),
            category=r.category,
            unit_type=r.unit_type,
            registry_total=r.registry,
            central_total=r.central,
        )
        for r in rows
        if r.registry != r.central
    ]


# -- phase 3 ---------------------------------------------------------------------------


def audit_trail(
    logs: Logs, registry: str, found: list[Discrepancy], positions: dict[str, int]
) -> None:
    """Attach to each differing block the events of both logs that touched it."""
    targets = [(d, Block.parse(d.block)) for d in found if d.block]
    if not targets:
        return
    for app in (registry_app_name(registry), CLEARINGHOUSE):
        reader = Reader(app).prime(logs.events(app, stop=positions[app]))
        for position, event in logs.events(app, stop=positions[app]):
            seen = reader.read(event)
            for d, target in targets:
                if len(d.trail) >= TRAIL_LIMIT:
                    continue
                for b in seen.blocks:
                    if b.overlaps(target):
                        d.trail.append(
                            TrailEntry(
                                application=app, position=position,
                                business_date=seen.business_date, event=name_of(event),
                                transaction=seen.transaction, block=str(b),
                            )
                        )  # fmt: skip
                        break


# -- the service -------------------------------------------------------------------------


def reconcile(
    logs: Logs,
    registries: list[str] | None = None,
    record: ClearinghouseApplication | None = None,
    check_chains: bool = True,
) -> list[Reconciliation]:
    """Reconcile each registry (default: every registry log in the store).

    With ``record``, each run is initiated in the clearinghouse before the
    comparison and concluded with its status; without, nothing is written (an
    auditor with read access). ``check_chains`` first verifies the hash chains
    of the logs compared, where they are anchored: a log that fails makes the
    status ``manual_intervention_required``."""
    codes = registries or logs.registries()
    for code in codes:
        if not logs.has(registry_app_name(code)):
            raise KeyError(f"no registry {code!r} in {logs.store.describe()}")
    central_position = logs.position(CLEARINGHOUSE)
    runs = {code: _initiate(record, code, logs, central_position) for code in codes}
    reports: list[Reconciliation] = []
    try:
        _compare(logs, codes, runs, central_position, record, check_chains, reports)
    except Exception:
        # A run that cannot finish must not leave registries "initiated" with no word of
        # why: each unfinished one is concluded as needing manual intervention.
        done = {r.registry for r in reports}
        for code in codes:
            run = runs[code][0]
            if record is not None and run is not None and code not in done:
                _conclude(record, code, run, statuses.MANUAL_INTERVENTION_REQUIRED, [], "")
        raise
    return reports


def _compare(
    logs: Logs,
    codes: list[str],
    runs: dict[str, tuple[int | None, int]],
    central_position: int,
    record: ClearinghouseApplication | None,
    check_chains: bool,
    reports: list[Reconciliation],
) -> None:
    """The three phases for each registry; each outcome recorded as it is known."""
    ledgers = list(fold(logs.events(CLEARINGHOUSE, stop=central_position), UnitLedger).values())
    chains = _chains(logs, [CLEARINGHOUSE, *map(registry_app_name, codes)]) if check_chains else {}
    for code in codes:
        app = registry_app_name(code)
        positions = {app: runs[code][1], CLEARINGHOUSE: central_position}
        ours = registry_side(logs.events(app, stop=positions[app]))
        theirs = central_side(ledgers, code)
        rows = totals(ours, theirs)
        found = totals_differences(code, rows) + block_differences(code, ours, theirs)
        audit_trail(logs, code, found, positions)
        verified = {a: chains[a] for a in (CLEARINGHOUSE, app) if a in chains}
        if any(v == "tampered" for v in verified.values()):
            outcome = statuses.MANUAL_INTERVENTION_REQUIRED
        elif any(d.code == "AUD-020" for d in found):
            outcome = statuses.TOTALS_INCONSISTENT
        elif found:
            outcome = statuses.UNIT_BLOCKS_INCONSISTENT
        else:
            outcome = statuses.COMPLETED
        digest = _digest(positions, rows, found)
        run = runs[code][0]
        if record is not None and run is not None:
            _conclude(record, code, run, outcome, found, digest)
        reports.append(
            Reconciliation(
                registry=code, status=outcome, run=run, positions=positions, verified=verified,
                totals=rows, discrepancies=found, digest=digest,
            )
        )  # fmt: skip


def _initiate(
    record: ClearinghouseApplication | None, code: str, logs: Logs, central: int
) -> tuple[int | None, int]:
    """Record the start of a run (transfers stop); returns (run, registry position)."""
    position = logs.position(registry_app_name(code))
    if record is None:
        return None, position

    def work(uow: UnitOfWork) -> int:
        found = uow.get(ReconciliationStatus, reconciliation_id(code))
        status = found or uow.add(ReconciliationStatus(code))
        return status.initiate({registry_app_name(code): position, CLEARINGHOUSE: central})

    run: int = record.run(work)
    return run, position


def _conclude(
    record: ClearinghouseApplication, code: str, run: int, outcome: str,
    found: list[Discrepancy], digest: str,
) -> None:  # fmt: skip
    counts = dict(sorted(Counter(d.code for d in found).items()))

    def work(uow: UnitOfWork) -> None:
        status = uow.require(
            ReconciliationStatus, reconciliation_id(code), f"reconciliation {code}"
        )
        status.conclude(run, outcome, counts, digest)

    record.run(work)


def _chains(logs: Logs, apps: list[str]) -> dict[str, str]:
    """Hash-chain status of each anchored log (unanchored logs are left out)."""
    from clearinghouse.audit.verify import verify

    if not logs.audit.tips():
        return {}
    result = verify(logs, [a for a in apps if logs.has(a)])
    return {log.application: log.status for log in result.logs if log.anchored_events}


def _digest(positions: dict[str, int], rows: list[TotalsRow], found: list[Discrepancy]) -> str:
    content = {
        "positions": positions,
        "totals": [r.model_dump() for r in rows],
        "discrepancies": [d.model_dump(mode="json") for d in found],
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def current(record: ClearinghouseApplication, registry: str) -> ReconciliationStatus | None:
    """The recorded reconciliation status of ``registry`` (None: never reconciled)."""
    return UnitOfWork(record).get(ReconciliationStatus, reconciliation_id(registry))
