"""The Allocation Committee's market-stabilisation triggers, as a pure evaluation.

The Emission Allowance Allocation Committee "can implement market stabilization
measures ... when specific price-based triggers are met"; the measures "are not
rule based or nondiscretionary" (E:2112–2116). The triggers (C: endnote 82,
C:4765–4771; northeast-asia.md, Korea):

1. the average price of the previous six consecutive months is more than three
   times the average price of the two previous years;
2. the average traded volume of the most recent month is more than twice the
   average volume of the same month in the two previous years;
3. the average price of the most recent month is below 60% of the average price
   of the two previous years.

Endnote 82 adds to trigger 2 "or more than twofold the average price of the
preceding two years", comparing a volume with a price; that clause is garbled and
not modelled (docs/jurisdictions.md).

How the averages are taken is not in the sources: **[GK]** here the "two previous
years" are the two calendar years before the most recent month's year, and an
average price over months is the plain mean of the monthly average prices
(unweighted), computed exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from clearinghouse.checks import Refused

SOURCE = "C: endnote 82 (C:4765–4771); E:2112–2116"


@dataclass(frozen=True)
class MarketMonth:
    """One month of KAU trading: its average price (KRW/t) and traded volume (t)."""

    year: int
    month: int
    average_price: Decimal
    volume: int


@dataclass(frozen=True)
class Trigger:
    name: str
    fired: bool
    value: Fraction
    threshold: Fraction
    rule: str


def _months_back(year: int, month: int, n: int) -> list[tuple[int, int]]:
    """The ``n`` months ending with (year, month), oldest first."""
    index = year * 12 + (month - 1)
    return [((i // 12), (i % 12) + 1) for i in range(index - n + 1, index + 1)]


def _mean(values: list[Fraction]) -> Fraction:
    return sum(values, Fraction(0)) / len(values)


def evaluate(months: list[MarketMonth], year: int, month: int) -> list[Trigger]:
    """The three triggers at the end of (``year``, ``month``), the most recent
    month. Refuses (CMP-006) when a month the rule needs is missing."""
    book = {(m.year, m.month): m for m in months}
    needed = _months_back(year, month, 6) + [
        (y, m) for y in (year - 2, year - 1) for m in range(1, 13)
    ]
    missing = [f"{y}-{m:02d}" for (y, m) in needed if (y, m) not in book]
    if missing:
        raise Refused(
            "CMP-006",
            registry="the Allocation Committee",
            action="evaluate the stabilisation triggers",
            entity="the KAU market",
            reason=f"monthly data missing for {', '.join(missing)}",
        )

    def price(key: tuple[int, int]) -> Fraction:
        return Fraction(book[key].average_price)

    two_years = [(y, m) for y in (year - 2, year - 1) for m in range(1, 13)]
    two_year_price = _mean([price(k) for k in two_years])
    six_month_price = _mean([price(k) for k in _months_back(year, month, 6)])
    same_month_volume = _mean([Fraction(book[(y, month)].volume) for y in (year - 2, year - 1)])
    last = book[(year, month)]
    return [
        Trigger(
            "price_surge",
            six_month_price > 3 * two_year_price,
            six_month_price,
            3 * two_year_price,
            "6-month average price > 3 × the two previous years' average",
        ),
        Trigger(
            "volume_surge",
            last.volume > 2 * same_month_volume,
            Fraction(last.volume),
            2 * same_month_volume,
            "last month's volume > 2 × the same month's average in the two previous years",
        ),
        Trigger(
            "price_slump",
            Fraction(last.average_price) < Fraction(6, 10) * two_year_price,
            Fraction(last.average_price),
            Fraction(6, 10) * two_year_price,
            "last month's average price < 60% of the two previous years' average",
        ),
    ]


def fired(triggers: list[Trigger]) -> list[str]:
    return [t.name for t in triggers if t.fired]
