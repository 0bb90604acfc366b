"""ITMO lifecycle per serial block, as plain facts with business dates.

Every block the clearinghouse's ledger ever recorded is kept here as *lots*:
serial ranges whose whole history is the same — issued (when, by which
registry, of which Party), bound to an authorization (when; the block is then
an ITMO), moved across borders (when, from which Party to which), ended (when,
how, for which purpose, by which Party), or converted into units another
registry issued (then the lineage continues in those units).

These facts do not depend on any accounting rule: *when* an ITMO counts as
first transferred, what a corresponding adjustment is, which deductions apply —
all of that is computed later from the facts and a rule set
(:mod:`projections.article6.accounting`). So one pass over the log serves any
number of rule sets (DESIGN.md, principle 4: "many variants can be computed in
one pass").

Lots split where an event names part of them and merge again when two
neighbours end up with equal histories, like the ledger's own entries
(:mod:`clearinghouse.ledger`): nothing here enumerates units.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date

from clearinghouse.conversion import ConvertedBatch, tonnes
from clearinghouse.units import Block


@dataclass(frozen=True, slots=True)
class Move:
    """A completed cross-border transfer (or a converting one) of the lot."""

    on: date
    position: int
    transaction: str
    source: str  # registry
    destination: str
    source_party: str
    destination_party: str
    converted: bool = False

    @property
    def international(self) -> bool:
        """Between two Parties: only these are Article 6 transfers (registries of
        one Party, such as Tokyo and Saitama, move units without adjustment)."""
        return self.source_party != self.destination_party


@dataclass(frozen=True, slots=True)
class End:
    """The lot left circulation: surrendered, retired or cancelled."""

    on: date
    position: int
    transaction: str
    status: str  # surrendered | retired | cancelled
    purpose: str  # compliance | ndc | oimp | voluntary | omge | share_of_proceeds
    registry: str
    party: str


@dataclass(frozen=True, slots=True)
class Lot:
    """What happened to a serial range. Immutable: each event makes a new lot."""

    origin_party: str
    holder: str  # registry holding it now
    issued_on: date
    issued_at: int  # log position of the issuance
    issuance: str  # issuing transaction (``REGISTRY/id``)
    authorization: str | None = None
    bound_on: date | None = None  # when it became an ITMO under ``authorization``
    bound_at: int | None = None
    moves: tuple[Move, ...] = ()
    end: End | None = None
    superseded: bool = False  # converted: the ITMO continues in the new units
    converted_from: str | None = None  # for units issued in place of converted ones
    #: for an ITMO issued in a conversion: its batch and the tonnes it carries, which
    #: are those of the units it replaced (clearinghouse/conversion.py)
    converted: ConvertedBatch | None = None
    origin_unit_type: str | None = None  # the unit type it was before any conversion

    @property
    def itmo(self) -> bool:
        return self.authorization is not None

    @property
    def active(self) -> bool:
        return self.end is None and not self.superseded

    def tonnes(self, block: Block) -> int:
        """t CO2e of ``block`` (serials of this lot): one per unit, or its converted
        batch's share. The same rule the clearinghouse applies to its adjustments,
        derived here from the log's conversions, not read from the ledger's tags."""
        return tonnes(block, self.converted if self.itmo else None)


@dataclass(frozen=True, slots=True)
class Piece:
    block: Block
    lot: Lot


class Segments:
    """The lots of one serial space, sorted by first serial, never overlapping."""

    __slots__ = ("pieces",)

    def __init__(self) -> None:
        self.pieces: list[Piece] = []

    def __iter__(self) -> Iterator[Piece]:
        return iter(self.pieces)

    def __len__(self) -> int:
        return len(self.pieces)

    def insert(self, block: Block, lot: Lot) -> None:
        """A new block (issuance). Overlap is the invariants' business: the newer
        issuance's history replaces the older one's here, and
        :mod:`projections.invariants` reports the double issuance."""
        if not self.overlapping(block):  # the normal case
            i = bisect_right(self.pieces, block.first, key=_first)
            self.pieces.insert(i, Piece(block, lot))
            self._coalesce(i - 1, i + 2)
            return
        self.rewrite(block, lambda _: lot)
        covered = block.first
        gaps = []
        for p in self.overlapping(block):
            if p.block.first > covered:
                gaps.append(block.with_range(covered, p.block.first - 1))
            covered = max(covered, p.block.last + 1)
        if covered <= block.last:
            gaps.append(block.with_range(covered, block.last))
        for gap in gaps:
            i = bisect_right(self.pieces, gap.first, key=_first)
            self.pieces.insert(i, Piece(gap, lot))
        lo = bisect_right(self.pieces, block.first - 1, key=_first)
        hi = bisect_right(self.pieces, block.last, key=_first)
        self._coalesce(lo - 1, hi + 1)

    def overlapping(self, block: Block) -> list[Piece]:
        i = bisect_right(self.pieces, block.first, key=_first)
        if i > 0 and self.pieces[i - 1].block.last >= block.first:
            i -= 1
        found = []
        while i < len(self.pieces) and self.pieces[i].block.first <= block.last:
            found.append(self.pieces[i])
            i += 1
        return found

    def at(self, block: Block) -> list[Piece]:
        """The pieces inside ``block`` exactly (split at its edges)."""
        self._split_before(block.first)
        self._split_before(block.last + 1)
        return self.overlapping(block)

    def rewrite(self, block: Block, change: Callable[[Lot], Lot]) -> None:
        """Apply ``change`` to exactly the serials of ``block``."""
        self._split_before(block.first)
        self._split_before(block.last + 1)
        lo = bisect_right(self.pieces, block.first - 1, key=_first)
        hi = bisect_right(self.pieces, block.last, key=_first)
        self.pieces[lo:hi] = [Piece(p.block, change(p.lot)) for p in self.pieces[lo:hi]]
        self._coalesce(lo - 1, hi + 1)

    def _split_before(self, serial: int) -> None:
        i = bisect_right(self.pieces, serial, key=_first) - 1
        if i >= 0:
            p = self.pieces[i]
            if p.block.first < serial <= p.block.last:
                head, tail = p.block.split(serial - p.block.first)
                self.pieces[i : i + 1] = [Piece(head, p.lot), Piece(tail, p.lot)]

    def _coalesce(self, lo: int, hi: int) -> None:
        i = max(lo, 0)
        while i < hi and i + 1 < len(self.pieces):
            a, b = self.pieces[i], self.pieces[i + 1]
            if a.block.adjacent_to(b.block) and a.lot == b.lot:
                self.pieces[i : i + 2] = [Piece(a.block.merge(b.block), a.lot)]
                hi -= 1
            else:
                i += 1


def _first(piece: Piece) -> int:
    return piece.block.first


def bind(lot: Lot, authorization: str, on: date, position: int) -> Lot:
    return replace(lot, authorization=authorization, bound_on=on, bound_at=position)


def unbind(lot: Lot) -> Lot:
    return replace(lot, authorization=None, bound_on=None, bound_at=None)


def moved(lot: Lot, move: Move) -> Lot:
    return replace(
        lot, holder=move.destination, moves=(*lot.moves, move), superseded=move.converted
    )


def ended(lot: Lot, end: End) -> Lot:
    return replace(lot, end=end)
