"""The K-ETS's native commands, validated at the edge with pydantic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field, model_validator

from clearinghouse.commands import Command
from clearinghouse.messages import AccountId, BlockModel, TransactionId


class BidModel(Command):
    account: AccountId
    quantity: int = Field(ge=1)
    price: Decimal = Field(ge=0, max_digits=18, decimal_places=4)


class HoldAuction(Command):
    """Auction ``offered`` KAU of ``year`` from the year's auction pool to covered
    entities' bids (rule: :mod:`adapters.korea.auction`)."""

    transaction_id: TransactionId
    year: int = Field(ge=2015, le=2200)
    offered: int = Field(ge=1)
    reserve_price: Decimal = Field(default=Decimal(0), ge=0, max_digits=18, decimal_places=4)
    bids: list[BidModel] = Field(min_length=1)
    business_date: date


class ConvertOffsets(Command):
    """Convert offset credits (KOC) held in ``account`` into units usable for
    compliance (KCU), one for one: the KOC are cancelled through the
    clearinghouse, then the KCU are issued through it."""

    transaction_id: TransactionId
    account: AccountId
    quantity: int | None = Field(default=None, ge=1)
    vintage: int | None = None
    blocks: list[BlockModel] | None = None
    business_date: date

    @model_validator(mode="after")
    def _what(self) -> ConvertOffsets:
        if (self.quantity is None) == (self.blocks is None):
            raise ValueError("name the units either by quantity or by blocks")
        return self


class MarketMonthModel(Command):
    year: int = Field(ge=2015, le=2200)
    month: int = Field(ge=1, le=12)
    average_price: Decimal = Field(ge=0, max_digits=18, decimal_places=4)
    volume: int = Field(ge=0)


class ReviewMarket(Command):
    """The Allocation Committee's review at the end of (``year``, ``month``): which
    triggers fired, and the measure it decided on, if any (its discretion)."""

    review_id: TransactionId
    year: int = Field(ge=2015, le=2200)
    month: int = Field(ge=1, le=12)
    months: list[MarketMonthModel]
    measure: str | None = Field(default=None, min_length=1)
    business_date: date
