"""Which business date each event belongs to, and which serial blocks it concerns.

Events carry business time only where it is a fact of their own: a transaction
is proposed on a business date (``Transaction.Received``,
``RegistryTransaction.Requested``), and the events that follow — ledger holds
and moves, account debits and credits, limit reservations, adjustments — name
the transaction (``transaction=...``) or are events of the transaction
aggregate itself. :class:`Reader` follows a log in recording order and gives
each event the business date of its transaction (or its own ``business_date``);
events outside any transaction (Parties, registries, agreements,
authorizations, accounts opened) have none.

It also resolves the serial blocks each event concerns, including events that
name only their transaction (``UnitLedger.Moved``, ``Account.HeldDebited``):
the blocks held for it. The trace (:mod:`~clearinghouse.audit.trace`), the
reconciliation's audit trail and as-of replay all read logs through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from clearinghouse.units import Block
from projections.log import name_of


def _blocks(values: Any) -> list[Block]:
    out: list[Block] = []
    for b in values or ():
        if isinstance(b, Block):
            out.append(b)
        elif isinstance(b, dict):
            out.append(Block(b["registry"], b["unit_type"], b["vintage"], b["first"], b["last"]))
        elif isinstance(b, str):
            out.append(Block.parse(b))
    return out


@dataclass(frozen=True, slots=True)
class Seen:
    """What :meth:`Reader.read` makes of one event."""

    business_date: date | None
    transaction: str | None
    blocks: list[Block]


@dataclass
class Reader:
    """Follows one log in recording order: business date, transaction and blocks of
    each event. Feed it every event (:meth:`read`), or holds are missed.

    A registry records a command's account events before the transaction that
    dates them (one commit, in that order), so a reader that must date every
    event is *primed* first with :meth:`prime` (one pass over the log that
    learns each transaction's date)."""

    application: str
    dates: dict[str, date] = field(default_factory=dict)  # transaction code -> date
    by_id: dict[UUID, date] = field(default_factory=dict)  # transaction aggregate -> date
    codes: dict[UUID, str] = field(default_factory=dict)  # transaction aggregate -> code
    proposals: dict[UUID, list[Block]] = field(default_factory=dict)  # aggregate -> blocks
    holds: dict[tuple[UUID, str], list[Block]] = field(default_factory=dict)

    def read(self, event: Any) -> Seen:
        return Seen(self._date_of(event), self._code_of(event), self._blocks_of(event))

    def prime(self, events: Iterable[tuple[int, Any]]) -> Reader:
        """Learn every transaction's business date from a first pass over the log."""
        for _, event in events:
            self._date_of(event)
        return self

    def _date_of(self, event: Any) -> date | None:
        own = getattr(event, "business_date", None)
        if isinstance(own, date):
            self.by_id[event.originator_id] = own
            code = getattr(event, "code", None)
            if isinstance(code, str):
                self.dates.setdefault(code, own)
                self.codes[event.originator_id] = code
            return own
        transaction = getattr(event, "transaction", None)
        if isinstance(transaction, str):
            found = self.dates.get(transaction)
            if found is None and "/" in transaction:  # a conversion's allocation "t1/0"
                found = self.dates.get(transaction.rsplit("/", 1)[0])
            if found is not None:
                return found
        return self.by_id.get(event.originator_id)

    def _code_of(self, event: Any) -> str | None:
        transaction = getattr(event, "transaction", None)
        if isinstance(transaction, str):
            return transaction
        return self.codes.get(event.originator_id)

    def _blocks_of(self, event: Any) -> list[Block]:
        name = name_of(event)
        kind = name.split(".")[-1]
        oid = event.originator_id
        if name in ("Transaction.Received", "RegistryTransaction.Requested"):
            blocks = _blocks(event.proposal.get("blocks") if kind == "Received" else event.blocks)
            self.proposals[oid] = blocks
            return blocks
        if name == "RegistryTransaction.Credited":
            blocks = _blocks(event.blocks) + _blocks(event.issued)
            self.proposals[oid] = blocks
            return blocks
        if name.startswith(("Transaction.", "RegistryTransaction.")) and kind != (
            "AdjustmentRecorded"
        ):
            return list(self.proposals.get(oid, []))
        if name == "SerialRegister.Allocated":
            return _blocks([event.block])
        if kind == "Held" and hasattr(event, "blocks"):
            blocks = _blocks(event.blocks)
            self.holds[(oid, event.transaction)] = blocks
            return blocks
        if kind in ("Moved", "Released", "Ended", "HeldDebited"):
            return list(self.holds.pop((oid, event.transaction), []))
        if hasattr(event, "blocks"):
            return _blocks(event.blocks)
        return []
