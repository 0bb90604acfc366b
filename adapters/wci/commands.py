"""The WCI registries' native commands, validated at the edge with pydantic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from adapters.wci.auction import LOT
from clearinghouse.commands import Command
from clearinghouse.messages import AccountId, Identifier, TransactionId

Price = Field(ge=0, max_digits=18, decimal_places=2)


class JointBidModel(Command):
    """One sealed bid: ``quantity`` allowances (in lots of 1,000, L48) at ``price``
    USD each, for the bidder's account in its own registry."""

    registry: Identifier
    account: AccountId
    quantity: int = Field(ge=LOT)
    price: Decimal = Price

    @field_validator("quantity")
    @classmethod
    def _lots(cls, value: int) -> int:
        if value % LOT:
            raise ValueError(
                f"bids are in lots of {LOT:,} allowances (registries-and-reporting.md L48)"
            )
        return value


class JointAuction(Command):
    """A joint auction: each linked jurisdiction offers allowances of ``year``
    (``current``) or of ``year`` + 3 (``advance`` [GK]); bidders of every linked
    jurisdiction bid once, sealed. ``reserve_price`` overrides the rule's
    (:func:`adapters.wci.market.reserve_price`)."""

    auction_id: TransactionId
    year: int = Field(ge=2012, le=2100)
    kind: Literal["current", "advance"] = "current"
    business_date: date
    offers: dict[Identifier, int]
    bids: list[JointBidModel] = Field(min_length=1)
    reserve_price: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)

    @model_validator(mode="after")
    def _offers(self) -> JointAuction:
        if not self.offers or any(q < 1 for q in self.offers.values()):
            raise ValueError("every offering jurisdiction offers at least one allowance")
        return self

    @property
    def vintage(self) -> int:
        return self.year + 3 if self.kind == "advance" else self.year


class Delivery(Command):
    registry: Identifier
    account: AccountId
    quantity: int = Field(ge=1)


class AuctionShare(Command):
    """A registry's part of a joint auction's result: the allowances it sold
    (issued into its ``AUCTION`` account through the clearinghouse) and who gets
    them — its own bidders inside the registry, the others' across the link."""

    transaction_id: TransactionId
    auction_id: TransactionId
    vintage: int = Field(ge=2012, le=2200)
    kind: Literal["current", "advance"]
    business_date: date
    price: Decimal = Price
    sold: int = Field(ge=1)
    deliveries: list[Delivery] = Field(min_length=1)
    result: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _balanced(self) -> AuctionShare:
        if sum(d.quantity for d in self.deliveries) != self.sold:
            raise ValueError("deliveries must add up to the allowances sold")
        return self
