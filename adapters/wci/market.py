"""The linked WCI market as data: who is linked when, the caps, the holding limit,
the auction reserve price and the purchase limits. Pure, no I/O.

Sources: reference/registries-and-reporting.md L44–49 (tracking system CITSS;
California and Québec linked 1 Jan 2014, Ontario joined 1 Jan 2018 and left
mid-2018; the holding limit; offset limits; joint auctions; purchase limits)
and reference/linkage-and-article6.md L9 (Ontario's entry and exit, a
de-linking). What the sources do not give is **[GK]** and a parameter:

* the jurisdictions' annual caps (allowance budgets), which the holding limit's
  C adds up: :data:`CAPS` [GK, rounded to 0.1 Mt; pass exact budgets to
  :class:`WciMarket` for precise work];
* Ontario's exit date: its cap-and-trade regulation was revoked on 3 July 2018
  [GK]; the source says only "mid-2018";
* the inflation rates in the reserve price rule (:data:`INFLATION`) [GK: the
  rates implied by the published reserve prices; they reproduce the floors the
  source quotes, $11.34 in 2014 and $17.71 in 2021].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal

from adapters.compliance import floor

SOURCE = "registries-and-reporting.md L44–49 (WCI)"
HL_SOURCE = "registries-and-reporting.md L46"
OFFSET_SOURCE = "registries-and-reporting.md L47"
AUCTION_SOURCE = "registries-and-reporting.md L48"
PURCHASE_SOURCE = "registries-and-reporting.md L49"
ONTARIO_SOURCE = "registries-and-reporting.md L45; linkage-and-article6.md L9 [GK]"

CALIFORNIA, QUEBEC, ONTARIO = "CALIFORNIA", "QUEBEC", "ONTARIO"

#: allowance and offset unit types by jurisdiction
ALLOWANCES = {CALIFORNIA: "CCA", QUEBEC: "QCA", ONTARIO: "ONA"}
OFFSETS = {CALIFORNIA: "ARBOC", QUEBEC: "QCOC", ONTARIO: "ONOC"}

#: [GK] annual allowance budgets in tonnes, rounded to 0.1 Mt (California: CARB
#: budgets; Québec: its regulation's caps; Ontario: O. Reg. 144/16, 2017–2020)
CAPS: dict[str, dict[int, int]] = {
    CALIFORNIA: {
        y: int(mt * 1_000_000)
        for y, mt in {
            2013: 162.8, 2014: 159.7, 2015: 394.5, 2016: 382.4, 2017: 370.4, 2018: 358.3,
            2019: 346.3, 2020: 334.2, 2021: 320.9, 2022: 307.5, 2023: 294.1, 2024: 280.7,
            2025: 267.4, 2026: 254.0, 2027: 240.6, 2028: 227.3, 2029: 213.9, 2030: 200.5,
        }.items()
    },
    QUEBEC: {
        y: int(mt * 1_000_000)
        for y, mt in {
            2013: 23.2, 2014: 23.2, 2015: 65.3, 2016: 63.2, 2017: 61.1, 2018: 59.0,
            2019: 56.9, 2020: 54.7, 2021: 55.3, 2022: 53.5, 2023: 51.8, 2024: 50.0,
            2025: 48.3, 2026: 46.5, 2027: 44.8, 2028: 43.0, 2029: 41.3, 2030: 39.5,
        }.items()
    },
    ONTARIO: {
        y: int(mt * 1_000_000)
        for y, mt in {2017: 142.3, 2018: 138.1, 2019: 133.9, 2020: 125.4}.items()
    },
}  # fmt: skip


def holding_limit(combined_cap: int) -> int:
    """HL = 0.1 × 25,000,000 + 0.025 × (C − 25,000,000) for C above 25 Mt (L46);
    0.1 × C up to 25 Mt [GK: the formula's first tier]. Whole allowances, rounded down."""
    base = 25_000_000
    if combined_cap <= base:
        return floor(Fraction(combined_cap, 10))
    return floor(Fraction(base, 10) + Fraction(25, 1000) * (combined_cap - base))


@dataclass(frozen=True)
class Membership:
    """A jurisdiction's time in the linked market."""

    jurisdiction: str
    since: date
    until: date | None = None  # the last day linked

    def on(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


#: [GK] Ontario's regulation was revoked on 3 July 2018 (the source: "mid-2018")
ONTARIO_EXIT = date(2018, 7, 3)


def memberships(ontario_exit: date = ONTARIO_EXIT) -> tuple[Membership, ...]:
    """California (its market from 1 Jan 2013 [GK]), Québec linked from 1 Jan 2014,
    Ontario from 1 Jan 2018 to the day before ``ontario_exit`` (L45)."""
    return (
        Membership(CALIFORNIA, date(2013, 1, 1)),
        Membership(QUEBEC, date(2014, 1, 1)),
        Membership(ONTARIO, date(2018, 1, 1), ontario_exit - timedelta(days=1)),
    )


# -- the auction reserve price ---------------------------------------------------------------

#: [GK] the inflation rates implied by the published reserve prices, by the year
#: the price applies to (the rate measured the year before)
INFLATION: dict[int, Decimal] = {
    2013: Decimal("0.021"),
    2014: Decimal("0.009"),
    2015: Decimal("0.017"),
    2016: Decimal("0.002"),
    2017: Decimal("0.016"),
    2018: Decimal("0.021"),
    2019: Decimal("0.025"),
    2020: Decimal("0.018"),
    2021: Decimal("0.012"),
}
CENT = Decimal("0.01")


def reserve_price(
    year: int,
    inflation: dict[int, Decimal] | None = None,
    *,
    start: Decimal = Decimal(10),
    first_year: int = 2012,
    escalator: Decimal = Decimal("0.05"),
) -> Decimal:
    """$10 in 2012, rising 5% plus inflation a year (L48), rounded to the cent each
    year (half up) [GK]. A year with no inflation rate uses 0 [assumption: pass
    the rates you know]."""
    if year < first_year:
        raise ValueError(f"the reserve price starts in {first_year}")
    rates = INFLATION if inflation is None else inflation
    price = start
    for y in range(first_year + 1, year + 1):
        price = (price * (1 + escalator + rates.get(y, Decimal(0)))).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
    return price


# -- purchase limits -----------------------------------------------------------------------

BidderKind = Literal["covered_entity", "utility", "other"]
AuctionKind = Literal["current", "advance"]


@dataclass(frozen=True)
class PurchaseLimits:
    """Share of the allowances offered that one bidder may buy, by bidder kind, in a
    current auction; one share for all in an advance auction (L49)."""

    current: dict[str, Fraction] = field(
        default_factory=lambda: {
            "covered_entity": Fraction(15, 100),
            "utility": Fraction(40, 100),
            "other": Fraction(4, 100),
        }
    )
    advance: Fraction = Fraction(25, 100)
    source: str = PURCHASE_SOURCE + " (2012–2014; later years [GK]: unchanged)"

    def share(self, kind: str, auction: str) -> Fraction:
        return self.advance if auction == "advance" else self.current[kind]

    def limit(self, kind: str, auction: str, offered: int) -> int:
        return floor(self.share(kind, auction) * offered)


# -- the market ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WciMarket:
    """The linked market every WCI registry shares: membership over time, caps."""

    members: tuple[Membership, ...] = field(default_factory=memberships)
    caps: dict[str, dict[int, int]] = field(default_factory=lambda: CAPS)

    def linked(self, on: date) -> tuple[str, ...]:
        return tuple(m.jurisdiction for m in self.members if m.on(on))

    def membership(self, jurisdiction: str) -> Membership | None:
        for m in self.members:
            if m.jurisdiction == jurisdiction:
                return m
        return None

    def combined_cap(self, on: date) -> int:
        """C: the combined annual cap, for the year of ``on``, of the jurisdictions
        linked on ``on`` (L46)."""
        return sum(self.caps.get(j, {}).get(on.year, 0) for j in self.linked(on))

    def holding_limit(self, on: date) -> int:
        return holding_limit(self.combined_cap(on))

    @property
    def ontario_exit(self) -> date | None:
        m = self.membership(ONTARIO)
        if m is None or m.until is None:
            return None
        return m.until + timedelta(days=1)
