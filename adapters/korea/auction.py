"""Auctioning the non-free share of K-ETS allowances: a uniform-price sealed bid.

The sources say only how much is auctioned (none in phase I and 2018, up to 3%
from 2019, 10% in phase III: E:2106, E:2160–2162). How the auction clears is a
**[GK]** rule stated here: bids are ranked by price, highest first (equal prices
in the order they were submitted); they are filled in that order until the
quantity offered is sold, the last one partly; bids below the reserve price are
not filled; every winner pays the same price, the lowest price accepted (uniform
pricing, as K-ETS auctions on the KRX clear). Unsold allowances stay in the
year's auction pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Bid:
    account: str
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class Award:
    account: str
    quantity: int


@dataclass(frozen=True)
class Clearing:
    price: Decimal | None  # None: nothing sold
    awards: tuple[Award, ...]

    @property
    def sold(self) -> int:
        return sum(a.quantity for a in self.awards)


def clear(offered: int, bids: list[Bid], reserve: Decimal = Decimal(0)) -> Clearing:
    """Clear a uniform-price auction of ``offered`` allowances."""
    ranked = sorted(
        (b for b in bids if b.price >= reserve),
        key=lambda b: -b.price,  # sorted() is stable: equal prices keep their order
    )
    left = offered
    awards: list[Award] = []
    lowest: Decimal | None = None
    for bid in ranked:
        if left == 0:
            break
        take = min(bid.quantity, left)
        awards.append(Award(bid.account, take))
        lowest = bid.price
        left -= take
    return Clearing(lowest, tuple(awards))
