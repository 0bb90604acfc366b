"""Joint auctions of the linked WCI jurisdictions, as a pure clearing function.

The source (reference/registries-and-reporting.md L48–49): a single round of
sealed bids, in lots of 1,000 allowances, at one uniform price; a reserve price
of $10 in 2012 rising 5% plus inflation a year (:func:`adapters.wci.market.reserve_price`);
purchase limits per bidder kind (covered entities 15%, utilities 40%, others
4%; advance auctions 25%). Results it quotes: 25 Nov 2014, 23,070,987 current
allowances sold at $12.10 (reserve $11.34); Feb 2021, 54,773,607 at $17.80
(reserve $17.71).

How it clears [GK: Cal. Code Regs. tit. 17 §95911; the source gives the
principle only]:

1. bids below the reserve price are not filled;
2. the others are filled from the highest price down; a bidder is never
   filled beyond its cap (its purchase limit, and for a bidder whose allowances
   go to its holding account, the room under the holding limit): what is cut
   is reported with MKT-601;
3. when the supply runs out within a price level, the bids at that price share
   what is left in proportion to their quantities, in whole lots of 1,000,
   and any lots left over go to them in the order the bids were submitted
   [assumption: the real rule breaks the tie by a random draw]; a last part-lot
   of the supply goes the same way;
4. the settlement price is the lowest price filled when every allowance is
   sold, and the reserve price when fewer bids than allowances reach it;
5. each jurisdiction sells its share of what is sold in proportion to what it
   offered (rounded down, the remainder to the largest offers first), and
   receives the same share of the proceeds [GK].
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

LOT = 1_000


@dataclass(frozen=True)
class JointBid:
    bidder: str  # the bidder's account in its registry
    registry: str
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class Cap:
    """The most a bidder may win, and why (for the report of what was cut)."""

    quantity: int
    reason: str


@dataclass(frozen=True)
class Award:
    bidder: str
    registry: str
    quantity: int


@dataclass(frozen=True)
class Cut:
    """Part of a bid not filled because of the bidder's cap."""

    bidder: str
    registry: str
    price: Decimal
    quantity: int
    reason: str


@dataclass(frozen=True)
class JointClearing:
    offered: dict[str, int]
    reserve: Decimal
    price: Decimal | None  # None: nothing sold
    awards: tuple[Award, ...]
    cut: tuple[Cut, ...]
    below_reserve: int  # allowances bid below the reserve price

    @property
    def sold(self) -> int:
        return sum(a.quantity for a in self.awards)

    @property
    def at_reserve(self) -> bool:
        return self.price is not None and self.price == self.reserve

    def sold_by(self) -> dict[str, int]:
        """Each jurisdiction's allowances sold, pro rata to its offer."""
        total = sum(self.offered.values())
        if total == 0 or self.sold == 0:
            return dict.fromkeys(self.offered, 0)
        shares = {j: Fraction(self.sold * q, total) for j, q in self.offered.items()}
        sold = {j: int(s) for j, s in shares.items()}
        left = self.sold - sum(sold.values())
        for j in sorted(shares, key=lambda j: (-(shares[j] - sold[j]), -self.offered[j], j)):
            if left == 0:
                break
            sold[j] += 1
            left -= 1
        return sold

    def proceeds_by(self) -> dict[str, Decimal]:
        price = self.price or Decimal(0)
        return {j: price * q for j, q in self.sold_by().items()}


def clear_joint(
    offered: dict[str, int], bids: list[JointBid], reserve: Decimal, caps: dict[str, Cap]
) -> JointClearing:
    """Clear a joint auction of ``offered`` allowances (by jurisdiction).

    ``caps`` maps a bidder (``registry/account``) to the most it may win."""
    supply = sum(offered.values())
    below = sum(b.quantity for b in bids if b.price < reserve)
    eligible = [(i, b) for i, b in enumerate(bids) if b.price >= reserve]
    won: dict[tuple[str, str], int] = defaultdict(int)
    cut: list[Cut] = []
    price: Decimal | None = None
    left = supply
    for level in sorted({b.price for _, b in eligible}, reverse=True):
        if left == 0:
            break
        # what each bid at this level may take, after its bidder's cap
        wants: list[tuple[int, JointBid, int]] = []
        for i, b in (x for x in eligible if x[1].price == level):
            key = (b.registry, b.bidder)
            cap = caps.get(f"{b.registry}/{b.bidder}")
            room = b.quantity if cap is None else max(0, cap.quantity - won[key])
            # earlier bids of the same bidder at this level count against its room
            room -= sum(q for _, o, q in wants if (o.registry, o.bidder) == key and cap is not None)
            take = max(0, min(b.quantity, room))
            if take < b.quantity and cap is not None:
                cut.append(Cut(b.bidder, b.registry, b.price, b.quantity - take, cap.reason))
            if take:
                wants.append((i, b, take))
        demand = sum(q for _, _, q in wants)
        if demand == 0:
            continue
        price = level
        if demand <= left:
            for _, b, q in wants:
                won[(b.registry, b.bidder)] += q
            left -= demand
            continue
        for b, q in _prorate(wants, left):
            won[(b.registry, b.bidder)] += q
        left = 0
    if price is not None and left > 0:
        price = reserve  # fewer bids than allowances: the reserve price
    awards = tuple(Award(bidder, registry, q) for (registry, bidder), q in won.items() if q)
    return JointClearing(
        dict(offered), reserve, price if awards else None, awards, tuple(cut), below
    )


def _prorate(wants: list[tuple[int, JointBid, int]], supply: int) -> list[tuple[JointBid, int]]:
    """Share ``supply`` (less than the demand) among tied bids: in proportion, in
    whole lots; what is left, a lot at a time (the last maybe a part-lot), round
    the bids in submission order."""
    ordered = sorted(wants, key=lambda w: w[0])
    demand = sum(q for _, _, q in ordered)
    lots = supply // LOT
    given = [(q * lots // demand) * LOT for _, _, q in ordered]
    left = supply - sum(given)
    while left > 0:
        for k, (_, _, q) in enumerate(ordered):
            extra = min(LOT, q - given[k], left)
            if extra > 0:
                given[k] += extra
                left -= extra
    return [(b, g) for (_, b, _), g in zip(ordered, given, strict=True)]
