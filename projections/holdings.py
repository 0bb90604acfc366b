"""Holdings, folded from the logs.

* :func:`registry_holdings`: what each account of one registry holds, from that
  registry's own log;
* :func:`central_holdings`: what the clearinghouse's ledger says each registry
  holds, by unit type and status, from the clearinghouse's log.

Both fold events through the aggregates' own mutators (:func:`fold`), the way
the library rebuilds an aggregate, so the projection can never disagree with
the domain's rules. Folding up to a position gives the state at that position.
Comparing the two is the start of reconciliation (issue #6).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from adapters.accounts import Account
from clearinghouse.ledger import UnitLedger

A = TypeVar("A", bound=Aggregate)


def fold(events: Iterable[tuple[int, Any]], cls: type[A]) -> dict[UUID, A]:
    """Every aggregate of type ``cls`` as its events in the log leave it."""
    aggregates: dict[UUID, A] = {}
    for _, event in events:
        if isinstance(event, cls.Event):
            folded = event.mutate(aggregates.get(event.originator_id))
            assert folded is not None
            aggregates[event.originator_id] = folded
    return aggregates


def registry_holdings(events: Iterable[tuple[int, Any]]) -> dict[str, dict[str, Any]]:
    """Per account: kind, holder, units available and on hold by unit type."""
    accounts = fold(events, Account)
    view: dict[str, dict[str, Any]] = {}
    for account in sorted(accounts.values(), key=lambda a: a.account):
        by_type: dict[str, int] = defaultdict(int)
        for b in account.available:
            by_type[f"{b.registry}:{b.unit_type}"] += b.count
        view[account.account] = {
            "kind": account.kind,
            "holder": account.holder,
            "units": dict(sorted(by_type.items())),
            "on_hold": sum(b.count for blocks in account.held.values() for b in blocks),
        }
    return view


def central_holdings(events: Iterable[tuple[int, Any]]) -> dict[str, dict[str, dict[str, int]]]:
    """``{holding registry: {origin:unit type: {status: units}}}`` per the central ledger."""
    view: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for ledger in fold(events, UnitLedger).values():
        space = f"{ledger.registry}:{ledger.unit_type}"
        for (holder, status), count in ledger.holdings().items():
            view[holder][space][status] = view[holder][space].get(status, 0) + count
    return {
        h: {s: dict(sorted(st.items())) for s, st in sorted(v.items())}
        for h, v in sorted(view.items())
    }
