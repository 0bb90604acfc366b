"""Trading modes of the national CEA market (china-ets.md, "Trading"; seed 004
L402–439): the price band a trade must fall in, and the daily closes it is
measured against.

* listing agreement (挂牌协议): fewer than 100,000 t, within ±10% of the
  previous trading day's close (L420, L433);
* block agreement (大宗协议): 100,000 t or more, within ±30% (L422, L434).

One-way auctions (L423, L435) are not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from pydantic import Field

from clearinghouse.commands import Command

BLOCK_MINIMUM = 100_000


@dataclass(frozen=True)
class Band:
    mode: str
    low: Decimal
    high: Decimal
    source: str


def band(quantity: int, previous_close: Decimal) -> Band:
    """The price range a trade of ``quantity`` t may clear in."""
    if quantity < BLOCK_MINIMUM:
        width, mode, source = Decimal("0.10"), "listing agreement", "china-ets.md, L420, L433"
    else:
        width, mode, source = Decimal("0.30"), "block agreement", "china-ets.md, L422, L434"
    return Band(mode, previous_close * (1 - width), previous_close * (1 + width), source)


class PublishClose(Command):
    """The exchange's closing price of a trading day, in CNY per tonne."""

    trading_day: date
    price: Decimal = Field(gt=0)
    business_date: date


def closes_id(registry: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/market-closes")


class MarketCloses(Aggregate):
    """The daily closing prices the exchange published (prices kept as text:
    the event store has no Decimal transcoding)."""

    @staticmethod
    def create_id(registry: str, **_: Any) -> UUID:
        return closes_id(registry)

    @event("Opened")
    def __init__(self, registry: str) -> None:
        self.registry = registry
        self.closes: dict[str, str] = {}

    @event("ClosePublished")
    def publish(self, trading_day: date, price: str) -> None:
        self.closes[trading_day.isoformat()] = price

    def previous_close(self, on: date) -> tuple[date, Decimal] | None:
        """The last close before ``on``, or None if none was published."""
        days = [d for d in self.closes if d < on.isoformat()]
        if not days:
            return None
        last = max(days)
        return date.fromisoformat(last), Decimal(self.closes[last])
