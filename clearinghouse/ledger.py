"""The central unit ledger: which registry holds every block, and its status.

One :class:`UnitLedger` aggregate per *serial space* (originating registry and
unit type). Like the Kyoto International Transaction Log it refuses
(reference/registries-and-reporting.md, "Kyoto Protocol registries and the
ITL"): overlapping issuance (double issuance, UNT-004), movement of blocks the
source registry does not hold (UNT-002), any movement of retired, surrendered,
cancelled or converted units (UNT-003), and units already on hold for another
transaction (UNT-005).

Because every transaction touching a serial space loads and saves its ledger,
two concurrent transactions on the same block conflict on the ledger's version
and exactly one wins (optimistic concurrency, DESIGN.md "The central unit
ledger").
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from clearinghouse.checks import Refused
from clearinghouse.conversion import ConvertedBatch, tonnes
from clearinghouse.units import Block

ACTIVE = "active"
TERMINAL = ("retired", "surrendered", "cancelled", "converted")


def ledger_id(registry: str, unit_type: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"clearinghouse:ledger/{registry}/{unit_type}")


@dataclass(frozen=True, slots=True)
class ItmoTag:
    """What makes a block an ITMO: the authorization it falls under, and for units
    issued in a conversion, the tonnes their batch carries
    (:mod:`clearinghouse.conversion`)."""

    authorization: str
    approach: str
    party: str  # the authorizing, first-transferring Party
    purposes: str
    first_transfer: str  # the authorization's first-transfer definition
    first_transferred: bool = False
    converted: ConvertedBatch | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> ItmoTag:
        return self

    def tonnes_of(self, block: Block) -> int:
        """t CO2e of ``block`` (units of this ITMO): its corresponding adjustments' size."""
        return tonnes(block, self.converted)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "authorization": self.authorization,
            "approach": self.approach,
            "party": self.party,
            "purposes": self.purposes,
            "first_transfer": self.first_transfer,
            "first_transferred": self.first_transferred,
        }
        if self.converted is not None:  # absent otherwise: events as before conversions
            d["converted"] = self.converted.as_dict()
        return d

    @classmethod
    def of(cls, d: dict[str, Any] | None) -> ItmoTag | None:
        if d is None:
            return None
        fields = dict(d)
        converted = ConvertedBatch.of(fields.pop("converted", None))
        return cls(**fields, converted=converted)


@dataclass(frozen=True, slots=True)
class Entry:
    block: Block
    holder: str
    status: str = ACTIVE
    hold: str | None = None
    itmo: ItmoTag | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> Entry:
        return self

    def same_but_block(self, other: Entry) -> bool:
        return (self.holder, self.status, self.hold, self.itmo) == (
            other.holder,
            other.status,
            other.hold,
            other.itmo,
        )


def _first(entry: Entry) -> int:
    return entry.block.first


class UnitLedger(Aggregate):
    """All blocks of one serial space, sorted by first serial, never overlapping."""

    @staticmethod
    def create_id(registry: str, unit_type: str) -> UUID:
        return ledger_id(registry, unit_type)

    @event("Opened")
    def __init__(self, registry: str, unit_type: str) -> None:
        self.registry = registry
        self.unit_type = unit_type
        self.entries: list[Entry] = []
        self.holds: dict[str, tuple[Block, ...]] = {}
        self.issued_by: set[str] = set()

    # -- queries -------------------------------------------------------------

    def overlapping(self, first: int, last: int) -> list[Entry]:
        i = bisect_right(self.entries, first, key=_first)
        if i > 0 and self.entries[i - 1].block.last >= first:
            i -= 1
        found = []
        while i < len(self.entries) and self.entries[i].block.first <= last:
            found.append(self.entries[i])
            i += 1
        return found

    def held_for(self, transaction: str) -> list[Entry]:
        found: list[Entry] = []
        for block in self.holds.get(transaction, ()):
            found += [e for e in self.overlapping(block.first, block.last) if e.hold == transaction]
        return found

    def holdings(self) -> dict[tuple[str, str], int]:
        """Units per (holder, status): for reports and conservation checks."""
        totals: dict[tuple[str, str], int] = {}
        for e in self.entries:
            key = (e.holder, e.status)
            totals[key] = totals.get(key, 0) + e.block.count
        return totals

    # -- commands: check, then trigger ------------------------------------------

    def issue(
        self,
        transaction: str,
        blocks: list[Block],
        holder: str,
        itmo: ItmoTag | None = None,
        converted: list[ConvertedBatch] | None = None,
    ) -> None:
        """``converted``, for units a conversion issued in place of ITMOs: the batch
        each block is (parallel to ``blocks``), carrying the tonnes of what it replaced."""
        if transaction in self.issued_by:
            return
        for i, block in enumerate(blocks):
            clash = self.overlapping(block.first, block.last)
            if clash or any(block.overlaps(other) for other in blocks[:i]):
                raise Refused("UNT-004", blocks=str(block), registry=self.registry)
        assert converted is None or (itmo is not None and len(converted) == len(blocks))
        self._issued(
            transaction,
            blocks,
            holder,
            itmo.as_dict() if itmo else None,
            [c.as_dict() for c in converted] if converted is not None else None,
        )

    def hold(self, transaction: str, blocks: list[Block], holder: str) -> None:
        if transaction in self.holds:
            return
        for block in blocks:
            self._check_movable(block, holder)
        self._held(transaction, blocks)

    def release(self, transaction: str) -> None:
        if transaction in self.holds:
            self._released(transaction)

    def move(self, transaction: str, holder: str) -> None:
        """Held blocks change holder and come off hold."""
        if transaction in self.holds:
            self._moved(transaction, holder)

    def tag(self, transaction: str, blocks: list[Block], itmo: ItmoTag) -> None:
        """Blocks held for ``transaction`` become ITMOs under ``itmo``'s authorization."""
        if blocks:
            self._tagged(transaction, blocks, itmo.as_dict())

    def untag(self, transaction: str, blocks: list[Block]) -> None:
        """Undo :meth:`tag` for blocks whose transfer was returned."""
        if blocks and transaction in self.holds:
            self._untagged(transaction, blocks)

    def mark_first_transferred(self, transaction: str, blocks: list[Block]) -> None:
        if blocks:
            self._first_transferred(transaction, blocks)

    def end(self, transaction: str, status: str) -> None:
        """Held blocks leave circulation: retired, surrendered, cancelled or converted."""
        assert status in TERMINAL
        if transaction in self.holds:
            self._ended(transaction, status)

    def _check_movable(self, block: Block, holder: str) -> None:
        covered = block.first
        for e in self.overlapping(block.first, block.last):
            if e.block.first > covered or e.block.vintage != block.vintage:
                break  # a gap, or the serials belong to another vintage
            if e.status != ACTIVE:
                raise Refused("UNT-003", blocks=str(block), status=e.status)
            if e.holder != holder:
                raise Refused("UNT-002", blocks=str(block), holder=holder)
            if e.hold is not None:
                raise Refused("UNT-005", blocks=str(block), transaction=e.hold)
            covered = e.block.last + 1
        if covered <= block.last:
            raise Refused("UNT-002", blocks=str(block), holder=holder)

    # -- events: only state changes below ---------------------------------------

    @event("Issued")
    def _issued(
        self,
        transaction: str,
        blocks: list[Block],
        holder: str,
        itmo: dict[str, Any] | None,
        converted: list[dict[str, Any]] | None = None,  # absent from events before it existed
    ) -> None:
        common = ItmoTag.of(itmo)
        for n, block in enumerate(blocks):
            tag = common
            if common is not None and converted is not None:
                tag = replace(common, converted=ConvertedBatch.of(converted[n]))
            i = bisect_right(self.entries, block.first, key=_first)
            self.entries.insert(i, Entry(block, holder, itmo=tag))
            self._coalesce(max(i - 1, 0), i + 2)
        self.issued_by.add(transaction)

    @event("Held")
    def _held(self, transaction: str, blocks: list[Block]) -> None:
        self.holds[transaction] = tuple(blocks)
        for block in blocks:
            self._rewrite(block, lambda e: replace(e, hold=transaction))

    @event("Released")
    def _released(self, transaction: str) -> None:
        self._rewrite_held(transaction, lambda e: replace(e, hold=None))

    @event("Moved")
    def _moved(self, transaction: str, holder: str) -> None:
        self._rewrite_held(transaction, lambda e: replace(e, holder=holder, hold=None))

    @event("Tagged")
    def _tagged(self, transaction: str, blocks: list[Block], itmo: dict[str, Any]) -> None:
        tag = ItmoTag.of(itmo)
        for block in blocks:
            self._rewrite(block, lambda e: replace(e, itmo=tag))

    @event("Untagged")
    def _untagged(self, transaction: str, blocks: list[Block]) -> None:
        for block in blocks:
            self._rewrite(block, lambda e: replace(e, itmo=None))

    @event("FirstTransferred")
    def _first_transferred(self, transaction: str, blocks: list[Block]) -> None:
        def first(e: Entry) -> Entry:
            assert e.itmo is not None
            return replace(e, itmo=replace(e.itmo, first_transferred=True))

        for block in blocks:
            self._rewrite(block, first)

    @event("Ended")
    def _ended(self, transaction: str, status: str) -> None:
        self._rewrite_held(transaction, lambda e: replace(e, status=status, hold=None))

    # -- entry surgery ------------------------------------------------------------

    def _rewrite_held(self, transaction: str, change: Callable[[Entry], Entry]) -> None:
        for block in self.holds.pop(transaction):
            self._rewrite(block, change)

    def _rewrite(self, block: Block, change: Callable[[Entry], Entry]) -> None:
        """Apply ``change`` to exactly the serials of ``block``, splitting entries at
        its edges and merging equal neighbours afterwards."""
        self._split_before(block.first)
        self._split_before(block.last + 1)
        lo = bisect_right(self.entries, block.first - 1, key=_first)
        hi = bisect_right(self.entries, block.last, key=_first)
        self.entries[lo:hi] = [change(e) for e in self.entries[lo:hi]]
        self._coalesce(max(lo - 1, 0), hi + 1)

    def _split_before(self, serial: int) -> None:
        i = bisect_right(self.entries, serial, key=_first) - 1
        if i >= 0:
            e = self.entries[i]
            if e.block.first < serial <= e.block.last:
                head, tail = e.block.split(serial - e.block.first)
                self.entries[i : i + 1] = [replace(e, block=head), replace(e, block=tail)]

    def _coalesce(self, lo: int, hi: int) -> None:
        i = max(lo, 0)
        while i < hi and i + 1 < len(self.entries):
            a, b = self.entries[i], self.entries[i + 1]
            if a.block.adjacent_to(b.block) and a.same_but_block(b):
                self.entries[i : i + 2] = [replace(a, block=a.block.merge(b.block))]
                hi -= 1
            else:
                i += 1


def ledgers_for(blocks: Iterable[Block]) -> dict[tuple[str, str], list[Block]]:
    """Group blocks by the serial space (and so the ledger) they belong to."""
    groups: dict[tuple[str, str], list[Block]] = {}
    for block in blocks:
        groups.setdefault(block.serial_space, []).append(block)
    return groups
