"""The national ETS registry application: the compliance framework plus the one
native command the market rules need, publishing the exchange's daily close
(china-ets.md, "Trading", L402–439)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from adapters.china.market import MarketCloses, PublishClose, closes_id
from adapters.compliance_registry import ComplianceRegistry
from clearinghouse.commands import validate
from clearinghouse.participant import UnitOfWork


class ChinaNationalRegistry(ComplianceRegistry):
    """China's national CEA registry (Wuhan registry, Shanghai exchange: L470–500)."""

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
