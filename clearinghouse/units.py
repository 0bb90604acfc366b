"""Units as serial blocks: the value types every registry and the ledger share.

A unit is never a row of its own: China alone allocates billions a year, so
everything here works on blocks (originating registry, unit type, vintage,
first serial, last serial) and never enumerates units (DESIGN.md, principle 3).

Serial arithmetic follows the Kyoto registries: a block holds
``last - first + 1`` units, and a partial transfer of ``n`` units splits
``[s, e]`` into ``[s, s+n-1]`` and ``[s+n, e]``
(reference/registries-and-reporting.md, "Kyoto Protocol registries").
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

#: Registry ids, unit types and cooperative-approach ids: upper-case letters,
#: digits and underscores, so that they are unambiguous inside an ITMO id
#: (which uses "-" as separator) and valid as table-name prefixes.
IDENTIFIER = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")


_BLOCK_TEXT = re.compile(r"([^:]+):([^:]+):([0-9]+):([0-9]+)-([0-9]+)")
_ITMO_TEXT = re.compile(r"([^-]+)-([^-]+)-([^-]+)-([0-9]+)-([0-9]+)-([0-9]+)")


class BlockError(ValueError):
    """A block operation that makes no sense (an off-by-one, a foreign block)."""


@dataclass(frozen=True, slots=True, order=True)
class Block:
    """A contiguous range of serials of one unit type and vintage.

    Two blocks can only clash when they share a *serial space*: the same
    originating registry and unit type. Vintage is not part of the space, so
    issuing serials 1-100 of vintage 2021 and 50-150 of vintage 2022 is double
    issuance.
    """

    registry: str
    unit_type: str
    vintage: int
    first: int
    last: int

    def __post_init__(self) -> None:
        if self.first < 1:
            raise BlockError(f"serials start at 1, not {self.first}")
        if self.last < self.first:
            raise BlockError(f"last serial {self.last} is before first serial {self.first}")

    def __deepcopy__(self, memo: dict[int, Any]) -> Block:
        return self  # immutable: aggregates that hold blocks copy cheaply

    @property
    def count(self) -> int:
        return self.last - self.first + 1

    @property
    def serial_space(self) -> tuple[str, str]:
        return (self.registry, self.unit_type)

    @property
    def kind(self) -> tuple[str, str, int]:
        """What makes two blocks interchangeable: registry, unit type, vintage."""
        return (self.registry, self.unit_type, self.vintage)

    def with_range(self, first: int, last: int) -> Block:
        return Block(self.registry, self.unit_type, self.vintage, first, last)

    def overlaps(self, other: Block) -> bool:
        return (
            self.serial_space == other.serial_space
            and self.first <= other.last
            and other.first <= self.last
        )

    def contains(self, other: Block) -> bool:
        return self.kind == other.kind and self.first <= other.first and other.last <= self.last

    def adjacent_to(self, other: Block) -> bool:
        """True when ``other`` starts right after this block ends (same kind)."""
        return self.kind == other.kind and self.last + 1 == other.first

    def merge(self, other: Block) -> Block:
        if not self.adjacent_to(other):
            raise BlockError(f"{other} does not continue {self}")
        return self.with_range(self.first, other.last)

    def split(self, quantity: int) -> tuple[Block, Block]:
        """Take ``quantity`` units from the start: ``[s, s+n-1]`` and ``[s+n, e]``."""
        if not 0 < quantity < self.count:
            raise BlockError(f"cannot split {quantity} units from a block of {self.count}")
        cut = self.first + quantity
        return self.with_range(self.first, cut - 1), self.with_range(cut, self.last)

    def minus(self, other: Block) -> list[Block]:
        """What remains of this block once ``other`` (inside it) is taken out."""
        if not self.contains(other):
            raise BlockError(f"{other} is not inside {self}")
        rest = []
        if other.first > self.first:
            rest.append(self.with_range(self.first, other.first - 1))
        if other.last < self.last:
            rest.append(self.with_range(other.last + 1, self.last))
        return rest

    def intersection(self, other: Block) -> Block | None:
        if self.kind != other.kind:
            return None
        first, last = max(self.first, other.first), min(self.last, other.last)
        return self.with_range(first, last) if first <= last else None

    def __str__(self) -> str:
        return f"{self.registry}:{self.unit_type}:{self.vintage}:{self.first}-{self.last}"

    @classmethod
    def parse(cls, text: str) -> Block:
        """Inverse of ``str(block)``: ``REGISTRY:TYPE:VINTAGE:FIRST-LAST``."""
        try:
            registry, unit_type, vintage, serials = text.split(":")
            first, last = serials.split("-")
            return cls(registry, unit_type, int(vintage), int(first), int(last))
        except ValueError as exc:
            raise BlockError(
                f"not a block: {text!r} (expected REG:TYPE:VINTAGE:FIRST-LAST)"
            ) from exc


def total(blocks: Iterable[Block]) -> int:
    return sum(b.count for b in blocks)


def serial_order(block: Block) -> tuple[str, str, int]:
    """Order within a serial space by first serial, whatever the vintage: then any
    overlap, even across vintages, is between neighbours."""
    return (block.registry, block.unit_type, block.first)


def normalise(blocks: Iterable[Block]) -> tuple[Block, ...]:
    """Sort blocks (in serial order) and merge adjacent ones; refuses overlapping input."""
    ordered = sorted(blocks, key=serial_order)
    merged: list[Block] = []
    for block in ordered:
        if merged and merged[-1].overlaps(block):
            raise BlockError(f"{block} overlaps {merged[-1]}")
        if merged and merged[-1].adjacent_to(block):
            merged[-1] = merged[-1].merge(block)
        else:
            merged.append(block)
    return tuple(merged)


@dataclass(frozen=True, slots=True)
class Holding:
    """A set of disjoint blocks, kept sorted and merged. Immutable.

    Operations return a new holding, so an aggregate's state changes only when
    its event is applied and a failed command leaves nothing half-done.
    """

    blocks: tuple[Block, ...] = ()

    @classmethod
    def of(cls, blocks: Iterable[Block]) -> Holding:
        return cls(normalise(blocks))

    def __deepcopy__(self, memo: dict[int, Any]) -> Holding:
        return self

    def __iter__(self) -> Iterator[Block]:
        return iter(self.blocks)

    def __len__(self) -> int:
        return len(self.blocks)

    @property
    def total(self) -> int:
        return total(self.blocks)

    def quantity(
        self, unit_type: str | None = None, vintage: int | None = None, registry: str | None = None
    ) -> int:
        return total(self.matching(unit_type, vintage, registry))

    def matching(
        self, unit_type: str | None = None, vintage: int | None = None, registry: str | None = None
    ) -> list[Block]:
        return [
            b
            for b in self.blocks
            if (unit_type is None or b.unit_type == unit_type)
            and (vintage is None or b.vintage == vintage)
            and (registry is None or b.registry == registry)
        ]

    def holds(self, block: Block) -> bool:
        i = bisect_left(self.blocks, serial_order(block), key=serial_order)
        # The containing block starts at or before ``block``: look one back too.
        return any(0 <= j < len(self.blocks) and self.blocks[j].contains(block) for j in (i - 1, i))

    def holds_all(self, blocks: Iterable[Block]) -> bool:
        return all(self.holds(b) for b in blocks)

    def add(self, blocks: Iterable[Block]) -> Holding:
        return Holding.of([*self.blocks, *blocks])

    def remove(self, blocks: Iterable[Block]) -> Holding:
        remaining = list(self.blocks)
        for block in blocks:
            for i, held in enumerate(remaining):
                if held.contains(block):
                    remaining[i : i + 1] = held.minus(block)
                    break
            else:
                raise BlockError(f"{block} is not in this holding")
        return Holding(tuple(remaining))

    def select(
        self,
        quantity: int,
        unit_type: str | None = None,
        vintage: int | None = None,
        registry: str | None = None,
    ) -> list[Block]:
        """Pick ``quantity`` units, oldest vintage and lowest serial first."""
        if quantity < 1:
            raise BlockError("quantity must be a positive whole number of units")
        candidates = sorted(
            self.matching(unit_type, vintage, registry), key=lambda b: (b.vintage, b)
        )
        chosen: list[Block] = []
        needed = quantity
        for block in candidates:
            if needed == 0:
                break
            if block.count <= needed:
                chosen.append(block)
                needed -= block.count
            else:
                chosen.append(block.split(needed)[0])
                needed = 0
        if needed:
            raise BlockError(f"only {quantity - needed} of {quantity} units available")
        return chosen


@dataclass(frozen=True, slots=True)
class ItmoId:
    """Unique identifier of an ITMO block, as decision 6/CMA.4 requires at minimum:
    cooperative approach, originating Party registry, unit type, vintage and serial
    range (reference/registries-and-reporting.md, "ITMO unique identifier").

    Written ``<approach>-<registry>-<unit type>-<vintage>-<first>-<last>``, the
    shape public implementations use.
    """

    approach: str
    block: Block

    def __post_init__(self) -> None:
        for name in (self.approach, self.block.registry, self.block.unit_type):
            if not IDENTIFIER.fullmatch(name):
                raise BlockError(f"{name!r} cannot appear in an ITMO id (A-Z, 0-9, _)")

    def __str__(self) -> str:
        b = self.block
        return f"{self.approach}-{b.registry}-{b.unit_type}-{b.vintage}-{b.first}-{b.last}"

    @classmethod
    def parse(cls, text: str) -> ItmoId:
        match = _ITMO_TEXT.fullmatch(text)
        if match is None:
            raise BlockError(f"not an ITMO id: {text!r}")
        approach, registry, unit_type, vintage, first, last = match.groups()
        try:
            block = Block(registry, unit_type, int(vintage), int(first), int(last))
        except ValueError as exc:
            raise BlockError(f"not an ITMO id: {text!r}") from exc
        return cls(approach, block)
