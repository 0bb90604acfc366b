"""What an Article 6.4 issuance deducts: the share of proceeds and the OMGE. Pure.

reference/linkage-and-article6.md L21: "share of proceeds 5% of A6.4ERs at
issuance to the Adaptation Fund (plus a monetary levy); OMGE: at least 2% of
issued A6.4ERs cancelled at issuance; ... the CA applies after the
share-of-proceeds deduction. Example: issuance 1,000 → holding 930, OMGE 20,
SOP 50 (rounding down)." reference/registries-and-reporting.md L52: A6.4ERs
are issued first into a pending account.

**The rounding rule** (stated, and a parameter): both deductions are a share of
the quantity issued, rounded down to whole units (``"down"``, the digest's
"rounding down"); the participants keep the rest. The digest's "at least 2%"
for the OMGE is in tension with rounding down, which can cancel a little less
than 2% of a quantity that is not a multiple of 50 (1,001 → 20 = 1.998%):
``omge_rounding="up"`` rounds the OMGE up instead, so that it is never below
its share. The share itself may be raised above 2% (``omge``), never lowered
below it; the SOP share is 5% by default (V17 lets a negotiator try others).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import ceil
from typing import Literal

SOURCE = "linkage-and-article6.md L21; registries-and-reporting.md L52"
SOP = Fraction(5, 100)
OMGE_MINIMUM = Fraction(2, 100)

Rounding = Literal["down", "up"]


@dataclass(frozen=True)
class Deductions:
    """The shares deducted at issuance and how they are rounded."""

    sop: Fraction = SOP
    omge: Fraction = OMGE_MINIMUM
    sop_rounding: Rounding = "down"
    omge_rounding: Rounding = "down"

    def __post_init__(self) -> None:
        if self.omge < OMGE_MINIMUM:
            raise ValueError(f"the OMGE is at least 2% ({SOURCE}), not {self.omge * 100}%")
        if not 0 <= self.sop < 1 or self.sop + self.omge >= 1:
            raise ValueError("the deductions must leave something to the participants")

    def split(self, issued: int) -> Split:
        sop = _round(self.sop * issued, self.sop_rounding)
        omge = _round(self.omge * issued, self.omge_rounding)
        return Split(issued, issued - sop - omge, sop, omge)

    def describe(self) -> str:
        return (
            f"share of proceeds {self.sop * 100}% rounded {self.sop_rounding}, "
            f"OMGE {self.omge * 100}% rounded {self.omge_rounding} ({SOURCE})"
        )


def _round(value: Fraction, how: Rounding) -> int:
    return ceil(value) if how == "up" else int(value // 1)


@dataclass(frozen=True)
class Split:
    """One issuance: to the pending account, the Adaptation Fund, the OMGE cancellation."""

    issued: int
    holding: int
    sop: int
    omge: int

    @property
    def adjusted(self) -> int:
        """What the host's corresponding adjustment covers for an authorized
        issuance: everything after the share-of-proceeds deduction (L21) — the
        holding, and the OMGE cancelled at issuance."""
        return self.issued - self.sop
