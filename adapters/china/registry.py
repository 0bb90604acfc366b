"""The national ETS registry application: the compliance framework plus the one
native command the market rules need, publishing the exchange's daily close
(china-ets.md, "Trading", L402–439)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

from adapters.base import PlainIssuance
from adapters.china.market import MarketCloses, PublishClose, closes_id
from adapters.compliance_commands import Allocate
from adapters.compliance_registry import ComplianceRegistry
from adapters.transactions import RegistryTransaction
from clearinghouse.checks import Refused
from clearinghouse.commands import OpenAccount, validate
from clearinghouse.participant import UnitOfWork
from clearinghouse.units import Block


class ChinaNationalRegistry(ComplianceRegistry):
    """China's national CEA registry (Wuhan registry, Shanghai exchange: L470–500)."""

    plain_issuance = PlainIssuance(
        "issuance outside allocation",
        "CEAs are allocated free to covered entities (use allocate)",
        "china-ets.md, L159, L254, L470–500",
    )

    def publish_close(self, data: PublishClose | dict[str, Any]) -> None:
        """Record a trading day's closing price; trades are checked against the
        previous day's close. Publishing the same close again changes nothing."""
        cmd = validate(PublishClose, data)

        def work(uow: UnitOfWork) -> None:
            closes = uow.get(MarketCloses, closes_id(self.code)) or uow.add(MarketCloses(self.code))
            if closes.closes.get(cmd.trading_day.isoformat()) != str(cmd.price):
                closes.publish(cmd.trading_day, str(cmd.price))

        self.run(work)

    def previous_close(self, on: date) -> tuple[date, Decimal] | None:
        closes = UnitOfWork(self).get(MarketCloses, closes_id(self.code))
        return closes.previous_close(on) if closes is not None else None

    def _recover(
        self, uow: UnitOfWork, cmd: Allocate, due: Any
    ) -> tuple[list[Block], dict[str, Any]]:
        """Recovery runs the issuance chain backwards (L470–500: "final issuance and
        recovery run the same chain"): entity → province → MEE → recovered, one
        recorded hop each, where the framework moves units straight to RECOVERY."""
        entity, delta, basis = due(uow)
        recovery = self.rules.recovery_account(entity)
        path = [*reversed(self.rules.delivery_chain(entity)), recovery]
        unit_type = self.rules.allowance_types[0]
        # The authority takes units back: not a trade, so no market rule applies.
        blocks = self._account(uow, entity.account).select(-delta, unit_type, cmd.year)
        for hop, (source, target) in enumerate(pairwise(path), start=1):
            code = f"{cmd.transaction_id}:hop{hop}"
            self._account(uow, source).debit(code, blocks)
            self._account(uow, target).credit(code, blocks)
            uow.add(
                RegistryTransaction(
                    registry=self.code,
                    code=code,
                    direction="internal",
                    kind="delivery",
                    business_date=cmd.business_date,
                    details={"account": source, "to_account": target, "of": cmd.transaction_id},
                    blocks=list(blocks),
                )
            )
        entity.allocate(cmd.year, cmd.stage, delta, cmd.transaction_id, basis)
        return blocks, {"account": entity.account, "to_account": recovery}

    def open_account(self, data: OpenAccount | dict[str, Any]) -> None:
        """Only covered entities have accounts (L410): they are opened by
        registering the entity; the authorities' accounts open with the registry."""
        cmd = validate(OpenAccount, data)
        raise Refused(
            "CMP-009",
            registry=self.code,
            operation=f"opening of account {cmd.account}",
            reason="only covered entities open accounts (register the entity)",
            source="china-ets.md, L410",
        )
