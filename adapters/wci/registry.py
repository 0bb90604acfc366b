"""A WCI jurisdiction's registry (California, Québec, Ontario), as CITSS keeps it.

Beyond the compliance framework:

* every covered entity has a holding ("general") account, named after it, and
  a **compliance account** (``<entity>.COMPLIANCE``) that allocations go into,
  that is exempt from the holding limit and that units leave only by surrender
  (:mod:`adapters.wci.rules`);
* allowances are never issued by the plain ``issue`` command (CMP-009): they
  come from the allocation table or a joint auction (:meth:`WciRegistry.record_auction`);
  offset credits are (their project cycle is not modelled);
* a joint auction's share (:mod:`adapters.wci.joint` clears the auction): the
  allowances sold are issued into the ``AUCTION`` account through the
  clearinghouse and, once accepted, delivered — to this registry's winners
  inside it, to the other jurisdictions' winners across the link.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from adapters.base import Receipt
from adapters.compliance import CoveredEntity
from adapters.compliance_commands import RegisterEntity
from adapters.compliance_registry import ComplianceRegistry
from adapters.transactions import RegistryTransaction
from adapters.wci.commands import AuctionShare
from adapters.wci.market import ALLOWANCES, SOURCE
from adapters.wci.rules import WciRules, compliance_account
from clearinghouse.checks import Refused
from clearinghouse.commands import Issue, validate
from clearinghouse.messages import Message, TransactionRejected
from clearinghouse.participant import UnitOfWork
from clearinghouse.units import Block

AUCTION_ACCOUNT = "AUCTION"


def auction_book_id(registry: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/wci-auctions")


class AuctionBook(Aggregate):
    """The joint auctions this registry sold allowances in, with the public result."""

    @staticmethod
    def create_id(registry: str) -> UUID:
        return auction_book_id(registry)

    @event("Opened")
    def __init__(self, registry: str) -> None:
        self.registry = registry
        self.auctions: dict[str, dict[str, Any]] = {}

    @event("ShareRecorded")
    def record(self, auction: str, share: dict[str, Any]) -> None:
        self.auctions[auction] = {**share, "void": False}

    @event("ShareVoided")
    def void(self, auction: str, reason: str) -> None:
        self.auctions[auction] = {**self.auctions[auction], "void": True, "void_reason": reason}


class WciRegistry(ComplianceRegistry):
    """California's, Québec's or Ontario's registry (factories in :mod:`adapters.wci`)."""

    rules_type = WciRules
    rules: WciRules

    def _open(self, uow: UnitOfWork) -> None:
        super()._open(uow)
        if uow.get(AuctionBook, auction_book_id(self.code)) is None:
            uow.add(AuctionBook(self.code))

    @property
    def allowance(self) -> str:
        return self.rules.allowance_types[0]

    # -- queries ------------------------------------------------------------------------

    def holding_limit(self, on: date) -> dict[str, Any]:
        """The limit in force on ``on`` and how it was computed."""
        market = self.rules.market
        return {
            "date": on.isoformat(),
            "linked": list(market.linked(on)),
            "combined_cap": market.combined_cap(on),
            "holding_limit": market.holding_limit(on),
        }

    def holding(self, account: str) -> int:
        """WCI allowances held in ``account`` (what the holding limit counts)."""
        return self.rules.holding(self, account)

    def auctions(self) -> dict[str, dict[str, Any]]:
        book = UnitOfWork(self).get(AuctionBook, auction_book_id(self.code))
        return dict(book.auctions) if book is not None else {}

    # -- commands ---------------------------------------------------------------------

    def register_entity(self, data: RegisterEntity | dict[str, Any]) -> CoveredEntity:
        """Register a covered entity: its holding account and its compliance account."""
        entity = super().register_entity(data)

        name = compliance_account(entity.entity)
        self.run(lambda uow: self._open_account(uow, name, "compliance", entity.name))
        return entity

    def issue(self, data: Issue | dict[str, Any]) -> Receipt:
        """Offset credits only; allowances come from allocation or auction (CMP-009)."""
        cmd = validate(Issue, data)
        if cmd.unit_type in ALLOWANCES.values():

            def refuse(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
                raise Refused(
                    "CMP-009",
                    registry=self.code,
                    operation="issuance of allowances",
                    reason="allowances are issued by allocation (allocate) or sold at a joint "
                    "auction (adapters.wci.joint.hold_joint_auction)",
                    source=SOURCE,
                )

            return self._decide_and_record("issuance", cmd, refuse)
        return super().issue(cmd)

    def record_auction(self, data: AuctionShare | dict[str, Any]) -> Receipt:
        """Issue this registry's allowances sold at a joint auction into ``AUCTION``;
        they are delivered once the clearinghouse accepts the issuance."""
        cmd = validate(AuctionShare, data)

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            account = self._account(uow, AUCTION_ACCOUNT)
            for d in cmd.deliveries:
                if d.registry == self.code:
                    self._account(uow, d.account)
            block = self._register(uow, self.allowance).allocate(
                cmd.transaction_id, cmd.vintage, cmd.sold
            )
            self._check_rules(uow, "issue", account, [block], cmd.business_date)
            book = uow.require(AuctionBook, auction_book_id(self.code), "auction book")
            share = {
                "transaction": cmd.transaction_id,
                "kind": cmd.kind,
                "vintage": cmd.vintage,
                "price": str(cmd.price),
                "sold": cmd.sold,
                "proceeds": str(cmd.price * cmd.sold),
                "deliveries": [d.model_dump(mode="json") for d in cmd.deliveries],
                "result": cmd.result,
            }
            book.record(cmd.auction_id, share)
            return [block], {
                "account": AUCTION_ACCOUNT,
                "authorization_id": None,
                "auction": {"id": cmd.auction_id, **share},
            }

        return self._decide_and_record("issuance", cmd, decide)

    # -- decisions from the clearinghouse ------------------------------------------------

    def apply(self, uow: UnitOfWork, message: Message) -> None:
        if isinstance(message, TransactionRejected):
            txn = self._transaction(uow, message.transaction_id)
            auction = txn.details.get("auction") if txn is not None else None
            if txn is not None and txn.state == "proposed" and txn.kind == "issuance" and auction:
                book = uow.require(AuctionBook, auction_book_id(self.code), "auction book")
                book.void(auction["id"], message.reason)
        super().apply(uow, message)

    def _accepted(self, uow: UnitOfWork, txn: RegistryTransaction) -> None:
        super()._accepted(uow, txn)
        auction = txn.details.get("auction")
        if txn.kind == "issuance" and auction:
            self._deliver(uow, txn, auction)

    def _deliver(self, uow: UnitOfWork, txn: RegistryTransaction, auction: dict[str, Any]) -> None:
        """Own winners: a delivery inside the registry; the others': a transfer across
        the link, proposed to the clearinghouse like any other."""
        source = self._account(uow, AUCTION_ACCOUNT)
        for i, d in enumerate(auction["deliveries"], start=1):
            code = f"{txn.code}:d{i}"
            blocks = source.select(d["quantity"], self.allowance, auction["vintage"])
            details = {"account": AUCTION_ACCOUNT, "to_account": d["account"], "of": txn.code,
                       "price": auction["price"]}  # fmt: skip
            if d["registry"] == self.code:
                source.debit(code, blocks)
                self._account(uow, d["account"]).credit(code, blocks)
                direction, kind = "internal", "delivery"
            else:
                source.hold(code, blocks)
                details["to_registry"] = d["registry"]
                direction, kind = "out", "transfer"
            uow.add(
                RegistryTransaction(
                    registry=self.code,
                    code=code,
                    direction=direction,
                    kind=kind,
                    business_date=txn.business_date,
                    details=details,
                    blocks=blocks,
                )
            )
