"""A pilot's market record and the pilot's native commands.

The :class:`PilotMarket` aggregate remembers what the stabilisation rules look
at: priced trades, triggers evaluated, auctions, reserve issuance and buy-backs
(E:1499–1591). The commands are validated with pydantic like the framework's.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from pydantic import Field

from adapters.pilots.stabilisation import Trade
from clearinghouse.commands import Command, InternalTransfer
from clearinghouse.messages import AccountId, TransactionId


def market_id(registry: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/pilot-market")


class PilotMarket(Aggregate):
    """What a pilot's market did: the facts its stabilisation rules are applied to."""

    @staticmethod
    def create_id(registry: str) -> UUID:
        return market_id(registry)

    @event("Opened")
    def __init__(self, registry: str) -> None:
        self.registry = registry
        #: (day, price, quantity, transaction) of every priced trade
        self.trades: list[dict[str, Any]] = []
        self.evaluations: dict[str, list[dict[str, Any]]] = {}
        self.auctioned: dict[int, int] = {}
        self.reserve: dict[int, int] = {}
        self.bought_back: dict[int, int] = {}

    @event("TradeRecorded")
    def record_trade(self, day: date, price: Decimal, quantity: int, transaction: str) -> None:
        self.trades.append(
            {"day": day, "price": price, "quantity": quantity, "transaction": transaction}
        )

    def priced(self, until: date | None = None) -> list[Trade]:
        return [
            Trade(t["day"], t["price"], t["quantity"])
            for t in self.trades
            if until is None or t["day"] <= until
        ]

    @event("MarketEvaluated")
    def evaluated(self, evaluation: str, triggers: list[dict[str, Any]]) -> None:
        self.evaluations[evaluation] = list(triggers)

    @event("Auctioned")
    def auction(self, year: int, quantity: int, price: Decimal, transaction: str) -> None:
        self.auctioned[year] = self.auctioned.get(year, 0) + quantity

    @event("ReserveIssued")
    def issue_reserve(self, year: int, quantity: int, transaction: str) -> None:
        self.reserve[year] = self.reserve.get(year, 0) + quantity

    @event("BoughtBack")
    def buy_back(self, year: int, quantity: int, price: Decimal, transaction: str) -> None:
        self.bought_back[year] = self.bought_back.get(year, 0) + quantity


class PilotTransfer(InternalTransfer):
    """A trade between two accounts; ``negotiated`` marks a negotiated (block)
    transfer, which Shanghai requires from 100,000 t (E:551)."""

    negotiated: bool = False


class DailyPriceModel(Command):
    day: date
    price: Decimal = Field(ge=0)
    volume: int = Field(default=0, ge=0)


class EvaluateMarket(Command):
    """Evaluate the stabilisation triggers up to ``as_of`` over the recorded
    trades, or over ``prices`` given (a price-control replay, northeast-asia.md
    scenario 5). Recorded under ``evaluation``; repeating it changes nothing."""

    evaluation: TransactionId
    as_of: date
    prices: list[DailyPriceModel] | None = None


class Auction(Command):
    """The authority auctions allowances of ``year`` to ``account`` at ``price``
    (Guangdong: free allocation + auctioning with a price floor, E:1339–1344, E:1549–1551)."""

    transaction_id: TransactionId
    account: AccountId
    year: int = Field(ge=2013, le=2200)
    quantity: int = Field(ge=1)
    price: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    business_date: date


class EstablishReserve(Command):
    """Issue the government reserve of ``year`` into the RESERVE account (Hubei:
    8% of the cap, E:1562–1566): the price-stabilisation allowances (E:495–497)."""

    transaction_id: TransactionId
    year: int = Field(ge=2013, le=2200)
    business_date: date


class BuyBack(Command):
    """The authority buys allowances back from ``account`` into RESERVE (Shenzhen:
    at most 10% of the year's allocation, E:1575–1585)."""

    transaction_id: TransactionId
    account: AccountId
    year: int = Field(ge=2013, le=2200)
    quantity: int = Field(ge=1)
    price: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    business_date: date
