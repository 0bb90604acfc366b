"""The tonnes an ITMO carries when a linkage agreement converts it into other units.

A linkage direction may convert units at an exchange rate: 400 AU leaving
registry A become 200 BU (rate 1/2) or 800 BU (rate 2) in registry B. What the
Article 6 accounts must see is not the number of B's units but the tonnes of CO2
equivalent the ITMO stands for, fixed when it is first transferred: the tonnes
that left the first-transferring Party (400 t in both cases). Every
corresponding adjustment of the ITMO is in those tonnes — the first-transferring
Party's addition and the acquiring Party's subtraction on use — so A's Party
adds 400 and B's Party subtracts 400 whatever the rate, and no tonne is counted
on both sides (reference/linkage-and-article6.md L14, L17: the
first-transferring Party adds what it first transferred, the using Party
subtracts what it uses, and double claiming is what that pair of adjustments
prevents only if both are of the same tonnes; the AEF reports each ITMO
as "quantity (in metric)", "quantity (t CO2 eq)" and their "conversion factor",
reference/registries-and-reporting.md L7).

A :class:`ConvertedBatch` is the units one conversion issued (one serial block
of the destination registry) and the whole tonnes they carry. Any part of the
batch carries its *serial-position share*: units at offsets ``i..j`` of a batch
of ``N`` units carrying ``T`` t carry ``⌊T·(j+1)/N⌋ − ⌊T·i/N⌋`` t. This is exact
integer arithmetic: each part is within one tonne of its proportional share
``T·(j−i+1)/N``, and the parts of a batch, however it is split, used or
converted again, always add up to exactly ``T`` — a partial use never rounds
into a tonne the first-transferring Party did not add. [assumption: whole
tonnes per adjustment, since the central log records adjustments in whole
tonnes; the serial position decides which part carries a remainder tonne.]

Units that were never converted carry one tonne each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from clearinghouse.units import Block, BlockError


@dataclass(frozen=True, slots=True)
class ConvertedBatch:
    """``units`` units from serial ``first`` on, issued in one conversion, carrying
    ``tonnes`` t CO2e between them."""

    first: int
    units: int
    tonnes: int

    def __post_init__(self) -> None:
        if self.units < 1 or self.tonnes < 0:
            raise BlockError(f"a converted batch of {self.units} units carrying {self.tonnes} t")

    @classmethod
    def of_block(cls, block: Block, tonnes: int) -> ConvertedBatch:
        return cls(block.first, block.count, tonnes)

    @property
    def factor(self) -> Fraction:
        """t CO2e per unit (the AEF's conversion factor), exact."""
        return Fraction(self.tonnes, self.units)

    def tonnes_of(self, block: Block) -> int:
        """The tonnes carried by ``block``, a part of this batch (serial-position share)."""
        i, j = block.first - self.first, block.last - self.first
        if i < 0 or j >= self.units:
            raise BlockError(f"{block} is not inside the batch of {self.units} from {self.first}")
        return (self.tonnes * (j + 1)) // self.units - (self.tonnes * i) // self.units

    def as_dict(self) -> dict[str, int]:
        return {"first": self.first, "units": self.units, "tonnes": self.tonnes}

    @classmethod
    def of(cls, d: dict[str, Any] | None) -> ConvertedBatch | None:
        return None if d is None else cls(int(d["first"]), int(d["units"]), int(d["tonnes"]))


def tonnes(block: Block, batch: ConvertedBatch | None) -> int:
    """t CO2e of ``block``: one per unit unless it is part of a converted batch."""
    return block.count if batch is None else batch.tonnes_of(block)


def total_tonnes(parts: Iterable[tuple[Block, ConvertedBatch | None]]) -> int:
    return sum(tonnes(block, batch) for block, batch in parts)
