"""Market stabilisation in the pilots: pure functions over price and volume history.

Sources: the ASPI pilot table, "Market stabilization" (E:1499–1591), and the text
on negotiated transfers (E:551); digest china-ets.md, Pilots. Rules that forbid
a trade are applied by the registry before the trade is recorded (MKT-001,
MKT-002); rules that tell the authority to intervene are *triggers*: evaluating
the market records which fired, and the authority decides what to do.

Prices are CNY per tonne as ``Decimal``; an average is volume-weighted and
rounded half-even to 0.0001 CNY (the registry's price precision).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from itertools import pairwise

from adapters.compliance import floor
from adapters.pilots.parameters import Stabilisation

CENT = Decimal("0.0001")


@dataclass(frozen=True)
class Trade:
    """A priced trade as the registry recorded it."""

    day: date
    price: Decimal
    quantity: int


@dataclass(frozen=True)
class DailyPrice:
    """A trading day's volume-weighted average price and volume."""

    day: date
    price: Decimal
    volume: int


@dataclass(frozen=True)
class Trigger:
    """A stabilisation rule that fired: what the authority is told to do, and why."""

    rule: str
    day: date
    action: str
    detail: str
    source: str


def weighted(trades: Iterable[Trade]) -> Decimal | None:
    """The volume-weighted average price of ``trades`` (None when there are none)."""
    volume = 0
    total = Decimal(0)
    for t in trades:
        volume += t.quantity
        total += t.price * t.quantity
    if volume == 0:
        return None
    return (total / volume).quantize(CENT, rounding=ROUND_HALF_EVEN)


def daily_prices(trades: Iterable[Trade]) -> list[DailyPrice]:
    """One volume-weighted price per trading day, in date order."""
    by_day: dict[date, list[Trade]] = {}
    for t in trades:
        by_day.setdefault(t.day, []).append(t)
    out = []
    for day in sorted(by_day):
        price = weighted(by_day[day])
        assert price is not None
        out.append(DailyPrice(day, price, sum(t.quantity for t in by_day[day])))
    return out


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (clamped to the month's end)."""
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def average_price(trades: Iterable[Trade], until: date, months: int) -> Decimal | None:
    """The average price of the ``months`` before ``until`` (the penalty rules'
    "average market price over past 6/12 months", E:1386–1392, E:1409–1412)."""
    start = months_before(until, months)
    return weighted(t for t in trades if start < t.day <= until)


def beijing_band(daily: Sequence[DailyPrice], rule: Stabilisation) -> list[Trigger]:
    """Beijing: intervene when the weighted average price is above ``high`` (150 CNY)
    for ``high_days`` (10) consecutive trading days, or below ``low`` (20 CNY)
    (E:1506–1515). A run fires once, on its tenth day."""
    fired: list[Trigger] = []
    if rule.high is None and rule.low is None:
        return fired
    run = 0
    for d in daily:
        if rule.high is not None and d.price > rule.high:
            run += 1
            if run == rule.high_days:
                fired.append(
                    Trigger(
                        "price above band",
                        d.day,
                        "sell allowances from the reserve",
                        f"weighted average price above {rule.high} CNY for {run} "
                        f"consecutive trading days (last {d.price})",
                        rule.source,
                    )
                )
        else:
            run = 0
        if rule.low is not None and d.price < rule.low:
            fired.append(
                Trigger(
                    "price below band",
                    d.day,
                    "buy allowances back",
                    f"weighted average price {d.price} CNY is below {rule.low} CNY",
                    rule.source,
                )
            )
    return fired


def move_band(previous: Decimal, share: Fraction) -> tuple[Decimal, Decimal]:
    """The prices a trade may be made at when the price may move at most ``share``
    in a day from the previous trading day's weighted average (Shanghai, E:1568–1573)."""
    step = previous * Decimal(share.numerator) / Decimal(share.denominator)
    return (previous - step).quantize(CENT), (previous + step).quantize(CENT)


def daily_moves(daily: Sequence[DailyPrice], rule: Stabilisation) -> list[Trigger]:
    """Shanghai: days whose price moved more than ``daily_move`` (10%) from the
    previous trading day's (E:1568–1573): the authority intervenes."""
    if rule.daily_move is None:
        return []
    fired = []
    for before, day in pairwise(daily):
        low, high = move_band(before.price, rule.daily_move)
        if not low <= day.price <= high:
            move = (day.price - before.price) / before.price
            fired.append(
                Trigger(
                    "daily move above limit",
                    day.day,
                    "intervene in the market",
                    f"price moved {move:.2%} in a day ({before.price} → {day.price} CNY)",
                    rule.source,
                )
            )
    return fired


def triggers(daily: Sequence[DailyPrice], rule: Stabilisation) -> list[Trigger]:
    """Every price trigger of a pilot's rule over ``daily`` prices, in date order.
    Pilots whose rule only says "intervene on fluctuation" have none to compute."""
    return sorted(
        beijing_band(daily, rule) + daily_moves(daily, rule), key=lambda t: (t.day, t.rule)
    )


def share_of(quantity: int, share: Fraction) -> int:
    """``share`` of ``quantity`` in whole tonnes, rounded down."""
    return floor(quantity * share)
