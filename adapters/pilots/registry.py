"""The pilot registry: the compliance registry plus the pilots' market commands.

Units move only the framework's way (issuance through the clearinghouse,
internal transfers, surrender), so pilot allowances can cross to another
registry under a linkage agreement like any other unit. What the pilots add:
trades that may be marked negotiated, market rules checked against the recorded
market (:mod:`adapters.pilots.rules`), trigger evaluation, auctions, the
government reserve and buy-backs (E:1499–1591).
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any

from adapters.base import Operation, Receipt
from adapters.compliance import CoveredEntity, Roster, entities_roster_id, entity_id
from adapters.compliance_commands import ClosePeriod
from adapters.compliance_registry import ComplianceRegistry
from adapters.pilots.market import (
    Auction,
    BuyBack,
    EstablishReserve,
    EvaluateMarket,
    PilotMarket,
    PilotTransfer,
    market_id,
)
from adapters.pilots.rules import PilotRules
from adapters.pilots.stabilisation import (
    DailyPrice,
    average_price,
    daily_prices,
    share_of,
    triggers,
    weighted,
)
from clearinghouse.checks import Refused
from clearinghouse.commands import InternalTransfer, validate
from clearinghouse.participant import UnitOfWork
from clearinghouse.units import Block

#: the authority account holding price-stabilisation allowances (E:495–497)
RESERVE = "RESERVE"


class PilotRegistry(ComplianceRegistry):
    """A Chinese pilot's registry."""

    rules_type = PilotRules
    rules: PilotRules

    def _open(self, uow: UnitOfWork) -> None:
        super()._open(uow)
        if uow.get(PilotMarket, market_id(self.code)) is None:
            uow.add(PilotMarket(self.code))

    def market(self) -> PilotMarket:
        return UnitOfWork(self).require(PilotMarket, market_id(self.code), "market")

    def _market(self, uow: UnitOfWork) -> PilotMarket:
        return uow.require(PilotMarket, market_id(self.code), "market")

    # -- trades -------------------------------------------------------------------------

    def transfer(self, data: InternalTransfer | dict[str, Any]) -> Receipt:
        """An internal transfer (a trade), listed or ``negotiated`` (a
        :class:`PilotTransfer`; a plain transfer is a listed one)."""
        if isinstance(data, InternalTransfer) and not isinstance(data, PilotTransfer):
            data = data.model_dump()
        cmd = validate(PilotTransfer, data)

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            if cmd.to_account == cmd.account:
                raise Refused("UNT-010", account=cmd.account)
            source = self._account(uow, cmd.account)
            target = self._account(uow, cmd.to_account)
            blocks = self._units(source, cmd)
            self._check_rules(
                uow,
                "transfer",
                source,
                blocks,
                cmd.business_date,
                cmd.to_account,
                purpose="negotiated" if cmd.negotiated else "listed",
                price=cmd.price,
            )
            source.debit(cmd.transaction_id, blocks)
            target.credit(cmd.transaction_id, blocks)
            details = {"account": cmd.account, "to_account": cmd.to_account}
            return blocks, details

        return self._decide_and_record("transfer", cmd, decide, direction="internal")

    def _native(self, uow: UnitOfWork, op: Operation) -> None:
        """Check the market rules against the recorded market, then record the
        trade: in the same unit of work, so a refused trade leaves no trace."""
        trading = op.kind == "transfer" and op.purpose != "buy_back"
        if trading:
            seller = uow.get(CoveredEntity, entity_id(self.code, op.account))
            self.rules.check_trade(op, self._previous_price(uow, op), seller)
        super()._native(uow, op)
        # the authority's buy-backs are not market prices: they are on the market's
        # record as buy-backs, not as trades
        if trading and op.price is not None:
            self._market(uow).record_trade(
                op.business_date, op.price, op.quantity, f"{op.account}->{op.counterparty}"
            )

    def _previous_price(self, uow: UnitOfWork, op: Operation) -> Decimal | None:
        """The weighted average price of the last trading day before ``op``'s."""
        earlier = [t for t in self._market(uow).priced() if t.day < op.business_date]
        if not earlier:
            return None
        last = max(t.day for t in earlier)
        return weighted(t for t in earlier if t.day == last)

    # -- stabilisation ------------------------------------------------------------------

    def evaluate_market(self, data: EvaluateMarket | dict[str, Any]) -> list[dict[str, Any]]:
        """Which of the pilot's price triggers fired up to ``as_of``: recorded on
        the market (event MarketEvaluated) and returned; idempotent by evaluation."""
        cmd = validate(EvaluateMarket, data)
        rule = self.rules.parameters(cmd.as_of.year).stabilisation

        def work(uow: UnitOfWork) -> list[dict[str, Any]]:
            market = self._market(uow)
            if cmd.evaluation in market.evaluations:
                return market.evaluations[cmd.evaluation]
            if cmd.prices is not None:
                daily = [
                    DailyPrice(p.day, p.price, p.volume) for p in cmd.prices if p.day <= cmd.as_of
                ]
            else:
                daily = daily_prices(market.priced(cmd.as_of))
            fired = [
                {**asdict(t), "day": t.day.isoformat(), "registry": self.code}
                for t in triggers(sorted(daily, key=lambda d: d.day), rule)
            ]
            market.evaluated(cmd.evaluation, fired)
            return fired

        result: list[dict[str, Any]] = self.run(work)
        return result

    def _issue_into(
        self, uow: UnitOfWork, tid: str, account: str, year: int, quantity: int, on: Any
    ) -> tuple[list[Block], dict[str, Any]]:
        target = self._account(uow, account)
        unit_type = self.rules.allowance_types[0]
        block = self._register(uow, unit_type).allocate(tid, year, quantity)
        self._check_rules(uow, "issue", target, [block], on)
        return [block], {"account": account, "authorization_id": None}

    def _cap(self, year: int) -> int:
        cap = self.rules.pilot.caps.get(year)
        if cap is None:
            raise Refused(
                "CMP-006",
                registry=self.code,
                action=f"size the {year} auction or reserve",
                entity="the authority",
                reason=f"no cap is configured for {year} (the sources give the 2016 cap; "
                "pass caps={year: tonnes} to the factory)",
            )
        return cap

    def auction(self, data: Auction | dict[str, Any]) -> Receipt:
        """Auction allowances of ``year`` to ``account`` (Guangdong, E:1339–1344):
        refused below the floor price (MKT-001, E:1549–1551) or beyond the auctioned
        share of the year's cap (CMP-009); the units are issued to the buyer."""
        cmd = validate(Auction, data)
        p = self.rules.parameters(cmd.year)
        floor_price = p.stabilisation.auction_floor

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            if not p.auction_share:
                raise Refused(
                    "CMP-009",
                    registry=self.code,
                    operation="auction",
                    reason=f"{self.rules.pilot.name} allocates free only",
                    source=p.allocation_source,
                )
            if floor_price is not None and cmd.price < floor_price:
                raise Refused(
                    "MKT-001",
                    price=cmd.price,
                    currency=self.rules.currency,
                    registry=self.code,
                    low=floor_price,
                    high="∞",
                    rule="auction price floor",
                    source=p.stabilisation.source,
                )
            market = self._market(uow)
            limit = share_of(self._cap(cmd.year), p.auction_share)
            total = market.auctioned.get(cmd.year, 0) + cmd.quantity
            if total > limit:
                raise Refused(
                    "CMP-009",
                    registry=self.code,
                    operation="auction",
                    reason=f"{total} t auctioned for {cmd.year} would exceed "
                    f"{float(p.auction_share * 100):g}% of the cap ({limit} t)",
                    source=p.allocation_source,
                )
            market.auction(cmd.year, cmd.quantity, cmd.price, cmd.transaction_id)
            return self._issue_into(
                uow, cmd.transaction_id, cmd.account, cmd.year, cmd.quantity, cmd.business_date
            )

        return self._decide_and_record("issuance", cmd, decide)

    def establish_reserve(self, data: EstablishReserve | dict[str, Any]) -> Receipt:
        """Issue the government reserve for ``year`` into RESERVE: the reserve share
        of the cap, rounded down (Hubei: 8%, E:1562–1566); once a year (CMP-009)."""
        cmd = validate(EstablishReserve, data)
        s = self.rules.parameters(cmd.year).stabilisation

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            market = self._market(uow)
            if s.reserve_share is None or cmd.year in market.reserve:
                reason = (
                    "the pilot keeps no share of its cap as a reserve"
                    if s.reserve_share is None
                    else f"the {cmd.year} reserve was already issued"
                )
                raise Refused(
                    "CMP-009",
                    registry=self.code,
                    operation="reserve issuance",
                    reason=reason,
                    source=s.source,
                )
            quantity = share_of(self._cap(cmd.year), s.reserve_share)
            market.issue_reserve(cmd.year, quantity, cmd.transaction_id)
            return self._issue_into(
                uow, cmd.transaction_id, RESERVE, cmd.year, quantity, cmd.business_date
            )

        return self._decide_and_record("issuance", cmd, decide)

    def buy_back(self, data: BuyBack | dict[str, Any]) -> Receipt:
        """The authority buys allowances back into RESERVE, at most the buy-back
        share of the year's total allocation (Shenzhen: 10%, E:1583–1585); beyond
        it, refused with CMP-009."""
        cmd = validate(BuyBack, data)
        s = self.rules.parameters(cmd.year).stabilisation

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            if s.buy_back_share is None:
                raise Refused(
                    "CMP-009",
                    registry=self.code,
                    operation="buy-back",
                    reason="the pilot's rules name no buy-back",
                    source=s.source,
                )
            market = self._market(uow)
            allocated = sum(e.allocated(cmd.year) for e in self._all_entities(uow))
            limit = share_of(allocated, s.buy_back_share)
            total = market.bought_back.get(cmd.year, 0) + cmd.quantity
            if total > limit:
                raise Refused(
                    "CMP-009",
                    registry=self.code,
                    operation="buy-back",
                    reason=f"{total} t bought back for {cmd.year} would exceed "
                    f"{float(s.buy_back_share * 100):g}% of the year's allocation "
                    f"({allocated} t → {limit} t)",
                    source=s.source,
                )
            source = self._account(uow, cmd.account)
            target = self._account(uow, RESERVE)
            blocks = source.select(cmd.quantity, self.rules.allowance_types[0], cmd.year)
            self._check_rules(
                uow,
                "transfer",
                source,
                blocks,
                cmd.business_date,
                RESERVE,
                purpose="buy_back",
                price=cmd.price,
            )
            source.debit(cmd.transaction_id, blocks)
            target.credit(cmd.transaction_id, blocks)
            market.buy_back(cmd.year, cmd.quantity, cmd.price, cmd.transaction_id)
            return blocks, {"account": cmd.account, "to_account": RESERVE}

        return self._decide_and_record("transfer", cmd, decide, direction="internal")

    def _all_entities(self, uow: UnitOfWork) -> list[CoveredEntity]:
        roster = uow.require(Roster, entities_roster_id(self.code), "roster")
        return [uow.require(CoveredEntity, entity_id(self.code, e), e) for e in roster.entities]

    # -- closing ---------------------------------------------------------------------------

    def close_period(self, data: ClosePeriod | dict[str, Any]) -> list[dict[str, Any]]:
        """Close a period; when no reference price is given and the pilot's fine is
        a multiple of an average price, the average is taken from the trades
        recorded over the rule's window before the deadline (E:1386–1392)."""
        cmd = validate(ClosePeriod, data)
        if cmd.reference_price is None:
            period = self.rules.period(cmd.period)
            rule = self.rules.parameters(period.first).penalty
            if rule.kind in ("tiered_price", "price_multiple") and rule.price_window_months:
                price = average_price(
                    self.market().priced(), period.surrender_by, rule.price_window_months
                )
                if price is not None:
                    cmd = cmd.model_copy(update={"reference_price": price})
        return super().close_period(cmd)
