"""The K-ETS registry: the compliance registry plus Korea's native commands.

* :meth:`KoreaRegistry.hold_auction`: the non-free share of a year's allowances
  is sold by uniform-price auction (:mod:`adapters.korea.auction`); the sold
  KAU are issued through the clearinghouse into the ``AUCTION`` account and, once
  accepted, delivered to the winners at the clearing price, each delivery on
  record.
* :meth:`KoreaRegistry.convert_offsets`: KOC → KCU. The KOC are cancelled through
  the clearinghouse first; only when that is accepted does the registry propose
  the KCU issuance, so the central ledger never has a KOC and the KCU replacing
  it both active.
* :meth:`KoreaRegistry.review_market`: the Allocation Committee's review of the
  stabilisation triggers (:mod:`adapters.korea.stabilisation`), recorded.
* :meth:`KoreaRegistry._check_surrender` gives the rules the entity's surrender
  history by unit, inside the surrender's decision, for two limits that need it: the
  international part of the offset limit and the carry-over (banking) limit set
  when a year closes (:meth:`KetsRules.check_international`,
  :meth:`KetsRules.check_carry_over`).
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from adapters.base import Receipt
from adapters.compliance import CoveredEntity, Period
from adapters.compliance_registry import ComplianceRegistry
from adapters.korea.auction import Bid, clear
from adapters.korea.commands import ConvertOffsets, HoldAuction, ReviewMarket
from adapters.korea.rules import KetsRules
from adapters.korea.stabilisation import SOURCE as STABILISATION_SOURCE
from adapters.korea.stabilisation import MarketMonth, evaluate, fired
from adapters.transactions import RegistryTransaction
from clearinghouse.checks import Refused
from clearinghouse.commands import validate
from clearinghouse.messages import Message, TransactionRejected, blocks_of
from clearinghouse.participant import UnitOfWork
from clearinghouse.units import Block

AUCTION_ACCOUNT = "AUCTION"


def auction_book_id(registry: str, year: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/auctions/{year}")


class AuctionBook(Aggregate):
    """The auctions of one year's allowances and what each sold."""

    @staticmethod
    def create_id(registry: str, year: int) -> UUID:
        return auction_book_id(registry, year)

    @event("Opened")
    def __init__(self, registry: str, year: int) -> None:
        self.registry = registry
        self.year = year
        self.auctions: dict[str, dict[str, Any]] = {}

    @event("AuctionCleared")
    def cleared(
        self, transaction: str, offered: int, reserve: str, price: str, awards: list[list[Any]]
    ) -> None:
        self.auctions[transaction] = {
            "offered": offered,
            "reserve": reserve,
            "price": price,
            "awards": [list(a) for a in awards],
            "void": False,
        }

    @event("AuctionVoided")
    def void(self, transaction: str, reason: str) -> None:
        self.auctions[transaction]["void"] = True
        self.auctions[transaction]["void_reason"] = reason

    @property
    def sold(self) -> int:
        return sum(
            q for a in self.auctions.values() if not a["void"] for _account, q in a["awards"]
        )


def review_id(registry: str, review: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/stabilisation/{review}")


class StabilisationReview(Aggregate):
    """The Allocation Committee's review: the triggers evaluated, which fired, and
    the measure it decided on at its discretion (E:2112–2116)."""

    @staticmethod
    def create_id(registry: str, review: str, **_: Any) -> UUID:
        return review_id(registry, review)

    @event("Reviewed")
    def __init__(
        self,
        registry: str,
        review: str,
        year: int,
        month: int,
        triggers: list[dict[str, Any]],
        fired: list[str],
        measure: str | None,
    ) -> None:
        self.registry = registry
        self.review = review
        self.year = year
        self.month = month
        self.triggers = triggers
        self.fired = fired
        self.measure = measure


class KoreaRegistry(ComplianceRegistry):
    """The K-ETS registry (factory: :func:`adapters.korea.k_ets`)."""

    rules_type = KetsRules
    rules: KetsRules

    # -- queries ------------------------------------------------------------------------

    def auction_book(self, year: int) -> AuctionBook | None:
        return UnitOfWork(self).get(AuctionBook, auction_book_id(self.code, year))

    def auction_pool(self, year: int) -> int:
        """The year's allowances withheld from free allocation: what may be auctioned."""
        return sum(
            self.rules.auctioned(e, year)
            for e in self.entities()
            if "base_emissions" in e.attributes
        )

    def review(self, review: str) -> StabilisationReview | None:
        return UnitOfWork(self).get(StabilisationReview, review_id(self.code, review))

    # -- auctions -------------------------------------------------------------------------

    def hold_auction(self, data: HoldAuction | dict[str, Any]) -> Receipt:
        cmd = validate(HoldAuction, data)
        rules = self.rules

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            phase = rules.phase(cmd.year)
            refuse = {
                "registry": self.code,
                "operation": f"auction of {cmd.year} allowances",
                "source": phase.auction_source,
            }
            if phase.auction(cmd.year) == 0:
                raise Refused(
                    "CMP-009", **refuse, reason=f"{cmd.year} allowances are all allocated free"
                )
            for bid in cmd.bids:
                self._entity(uow, bid.account)  # only covered entities bid (CMP-002)
            book = uow.get(AuctionBook, auction_book_id(self.code, cmd.year))
            sold = book.sold if book is not None else 0
            pool = self.auction_pool(cmd.year)
            if cmd.offered > pool - sold:
                raise Refused(
                    "CMP-009",
                    **refuse,
                    reason=f"{cmd.offered} t offered, but the {cmd.year} auction pool has "
                    f"{pool - sold} t left ({pool} t withheld from free allocation, {sold} t sold)",
                )
            result = clear(
                cmd.offered,
                [Bid(b.account, b.quantity, b.price) for b in cmd.bids],
                cmd.reserve_price,
            )
            if result.price is None:
                raise Refused(
                    "CMP-009",
                    **refuse,
                    reason=f"no bid at or above the reserve price {cmd.reserve_price} KRW/t",
                )
            account = self._account(uow, AUCTION_ACCOUNT)
            block = self._register(uow, "KAU").allocate(cmd.transaction_id, cmd.year, result.sold)
            self._check_rules(uow, "issue", account, [block], cmd.business_date)
            awards = [[a.account, a.quantity] for a in result.awards]
            book = book or uow.add(AuctionBook(self.code, cmd.year))
            book.cleared(
                cmd.transaction_id, cmd.offered, str(cmd.reserve_price), str(result.price), awards
            )
            return [block], {
                "account": AUCTION_ACCOUNT,
                "authorization_id": None,
                "auction": {"year": cmd.year, "price": str(result.price), "awards": awards},
            }

        return self._decide_and_record("issuance", cmd, decide)

    # -- KOC -> KCU ------------------------------------------------------------------------

    def convert_offsets(self, data: ConvertOffsets | dict[str, Any]) -> Receipt:
        cmd = validate(ConvertOffsets, data)
        credit, converted = self.rules.credit_type, self.rules.converted_type

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            source = self._account(uow, cmd.account)
            if cmd.blocks is not None:
                blocks = blocks_of(cmd.blocks)
                source.check_spendable(blocks)
                others = [b for b in blocks if b.unit_type != credit]
                if others:
                    raise Refused(
                        "CMP-009",
                        registry=self.code,
                        operation="conversion",
                        reason=f"only {credit} are converted into {converted}, not "
                        + ", ".join(map(str, others)),
                        source="[GK] northeast-asia.md, Korea",
                    )
            else:
                assert cmd.quantity is not None
                blocks = source.select(cmd.quantity, credit, cmd.vintage)
            self._check_rules(
                uow, "cancellation", source, blocks, cmd.business_date, purpose="voluntary"
            )
            source.hold(cmd.transaction_id, blocks)
            # The clearinghouse knows no "conversion" purpose; "voluntary" is the
            # cancellation that counts towards no NDC, which is what a KOC
            # replaced by a KCU is (docs/jurisdictions.md).
            return blocks, {
                "account": cmd.account,
                "purpose": "voluntary",
                "to_account": "CANCELLATION",
                "convert_to": converted,
            }

        return self._decide_and_record("cancellation", cmd, decide)

    # -- stabilisation ----------------------------------------------------------------------

    def review_market(self, data: ReviewMarket | dict[str, Any]) -> StabilisationReview:
        """Evaluate the three triggers and record the review; a measure is refused
        (CMP-009) when no trigger has fired, since the Committee may act only
        "when specific price-based triggers are met" (E:2113–2114)."""
        cmd = validate(ReviewMarket, data)
        months = [MarketMonth(m.year, m.month, m.average_price, m.volume) for m in cmd.months]
        triggers = evaluate(months, cmd.year, cmd.month)
        names = fired(triggers)
        if cmd.measure is not None and not names:
            raise Refused(
                "CMP-009",
                registry=self.code,
                operation="stabilisation measure",
                reason=f"no trigger has fired at the end of {cmd.year}-{cmd.month:02d}",
                source=STABILISATION_SOURCE,
            )

        def work(uow: UnitOfWork) -> StabilisationReview:
            found = uow.get(StabilisationReview, review_id(self.code, cmd.review_id))
            if found is not None:
                return found
            return uow.add(
                StabilisationReview(
                    registry=self.code,
                    review=cmd.review_id,
                    year=cmd.year,
                    month=cmd.month,
                    triggers=[
                        {
                            "name": t.name,
                            "fired": t.fired,
                            "value": str(t.value),
                            "threshold": str(t.threshold),
                            "rule": t.rule,
                        }
                        for t in triggers
                    ],
                    fired=names,
                    measure=cmd.measure,
                )
            )

        review: StabilisationReview = self.run(work)
        return review

    # -- compliance: the limits that need the surrender history ------------------------------

    def _check_surrender(
        self, uow: UnitOfWork, entity: CoveredEntity, period: Period, blocks: list[Block]
    ) -> None:
        """The K-ETS limits that need the entity's surrender history by block."""
        history = self._surrender_history(uow, entity)
        self.rules.check_international(entity, period, blocks, history)
        self.rules.check_carry_over(entity, period, blocks, history)

    def _surrender_history(self, uow: UnitOfWork, entity: CoveredEntity) -> list[tuple[str, Block]]:
        """(period, block) for every block ``entity`` surrendered and was not refused."""
        found: list[tuple[str, Block]] = []
        for period_id, entries in entity.surrenders.items():
            for s in entries:
                if s["accepted"] is False:
                    continue
                txn = self._transaction(uow, s["transaction"])
                if txn is not None:
                    found.extend((period_id, b) for b in txn.blocks)
        return found

    # -- decisions from the clearinghouse ---------------------------------------------------

    def apply(self, uow: UnitOfWork, message: Message) -> None:
        if isinstance(message, TransactionRejected):
            txn = self._transaction(uow, message.transaction_id)
            auction = txn.details.get("auction") if txn is not None else None
            if txn is not None and txn.state == "proposed" and auction:
                book = uow.get(AuctionBook, auction_book_id(self.code, auction["year"]))
                if book is not None:
                    book.void(txn.code, message.reason)
        super().apply(uow, message)

    def _accepted(self, uow: UnitOfWork, txn: RegistryTransaction) -> None:
        super()._accepted(uow, txn)
        auction = txn.details.get("auction")
        if txn.kind == "issuance" and auction:
            self._deliver_awards(uow, txn, auction)
        convert_to = txn.details.get("convert_to")
        if txn.kind == "cancellation" and convert_to:
            self._issue_converted(uow, txn, convert_to)

    def _deliver_awards(
        self, uow: UnitOfWork, txn: RegistryTransaction, auction: dict[str, Any]
    ) -> None:
        source = self._account(uow, AUCTION_ACCOUNT)
        for i, (account, quantity) in enumerate(auction["awards"], start=1):
            code = f"{txn.code}:award{i}"
            blocks = source.select(quantity, "KAU", auction["year"])
            source.debit(code, blocks)
            self._account(uow, account).credit(code, blocks)
            uow.add(
                RegistryTransaction(
                    registry=self.code,
                    code=code,
                    direction="internal",
                    kind="delivery",
                    business_date=txn.business_date,
                    details={
                        "account": AUCTION_ACCOUNT,
                        "to_account": account,
                        "of": txn.code,
                        "price": auction["price"],
                    },
                    blocks=blocks,
                )
            )

    def _issue_converted(self, uow: UnitOfWork, txn: RegistryTransaction, unit_type: str) -> None:
        """The KOC are cancelled: propose the KCU replacing them, same vintages."""
        register = self._register(uow, unit_type)
        issued = [
            register.allocate(f"{txn.code}:{unit_type}/{i}", b.vintage, b.count)
            for i, b in enumerate(txn.blocks)
        ]
        uow.add(
            RegistryTransaction(
                registry=self.code,
                code=f"{txn.code}:{unit_type}",
                direction="out",
                kind="issuance",
                business_date=txn.business_date,
                details={
                    "account": txn.details["account"],
                    "authorization_id": None,
                    "converted_from": txn.code,
                },
                blocks=issued,
            )
        )
