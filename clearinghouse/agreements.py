"""Linkage agreements: who may send which units to whom, at what rate, how many.

Forms of linkage (reference/linkage-and-article6.md, 002 L12): one-way (A's
firms may buy B's units, nothing flows back) and two-way are both expressed as
*directions*; a two-way link is two directions. Restricted linkage caps how many
foreign units are accepted (reference/northeast-asia.md, E:2238-2252): a
:class:`Limit` on imports or exports per period, in tonnes or as a percentage of
a stated reference quantity. Periods are calendar years of the business date
unless the limit names a span of years [assumption: the sources name no other
period; a compliance period can be given as ``years``].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from clearinghouse.checks import Refused


def agreement_id(code: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"clearinghouse:agreement/{code}")


@dataclass(frozen=True)
class Direction:
    source: str
    destination: str
    unit_types: tuple[str, ...]
    rate: Fraction  # destination units per source unit
    convert_to: str | None  # destination unit type when units are converted

    @property
    def converts(self) -> bool:
        return self.convert_to is not None

    @classmethod
    def of(cls, d: dict[str, Any]) -> Direction:
        return cls(
            d["source"],
            d["destination"],
            tuple(d["unit_types"]),
            Fraction(d["rate"]),
            d.get("convert_to"),
        )


@dataclass(frozen=True)
class Limit:
    jurisdiction: str
    flow: str  # "import" or "export"
    tonnes: int | None
    percent: Fraction | None
    reference: int | None
    years: tuple[int, int] | None

    @classmethod
    def of(cls, d: dict[str, Any]) -> Limit:
        years = d.get("years")
        return cls(
            d["jurisdiction"],
            d["flow"],
            d.get("tonnes"),
            Fraction(d["percent"]) if d.get("percent") is not None else None,
            d.get("reference"),
            (years[0], years[1]) if years else None,
        )

    @property
    def maximum(self) -> int:
        if self.tonnes is not None:
            return self.tonnes
        assert self.percent is not None and self.reference is not None
        return math.floor(self.percent * self.reference / 100)

    def applies(self, source: str, destination: str) -> bool:
        watched = destination if self.flow == "import" else source
        return watched == self.jurisdiction

    def period(self, on: date) -> str | None:
        """The period a transfer on ``on`` counts in, or None if outside it."""
        if self.years is None:
            return str(on.year)
        first, last = self.years
        return f"{first}-{last}" if first <= on.year <= last else None


class LinkageAgreement(Aggregate):
    """A bilateral or plurilateral linkage agreement and the use of its limits."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return agreement_id(code)

    @event("Concluded")
    def __init__(
        self,
        code: str,
        jurisdictions: list[str],
        directions: list[dict[str, Any]],
        limits: list[dict[str, Any]],
        effective_from: date,
        effective_until: date | None,
        authorized: bool,
        cooperative_approach: str | None,
    ) -> None:
        self.code = code
        self.jurisdictions = list(jurisdictions)
        self.directions = [Direction.of(d) for d in directions]
        self.limits = [Limit.of(x) for x in limits]
        self.effective_from = effective_from
        self.effective_until = effective_until
        self.authorized = authorized
        self.cooperative_approach = cooperative_approach
        self.suspensions: list[tuple[date, date | None]] = []
        self.delinked_on: date | None = None
        # (limit index, period) -> tonnes used; pending reservations by transaction
        self.used: dict[tuple[int, str], int] = {}
        self.reservations: dict[str, list[tuple[int, str, int]]] = {}

    # -- state over business time ------------------------------------------

    def direction(self, source: str, destination: str) -> Direction | None:
        for d in self.directions:
            if d.source == source and d.destination == destination:
                return d
        return None

    def check_in_force(self, on: date) -> None:
        until = f" to {self.effective_until}" if self.effective_until else ""
        if on < self.effective_from or (self.effective_until and on > self.effective_until):
            raise Refused(
                "AGR-002", agreement=self.code, date=on, start=self.effective_from, until=until
            )
        if self.delinked_on is not None and on >= self.delinked_on:
            raise Refused("AGR-004", agreement=self.code, since=self.delinked_on)
        for since, resumed in self.suspensions:
            if since <= on and (resumed is None or on < resumed):
                raise Refused("AGR-003", agreement=self.code, since=since)

    @property
    def suspended(self) -> bool:
        return bool(self.suspensions) and self.suspensions[-1][1] is None

    @event("Suspended")
    def suspend(self, since: date) -> None:
        self.suspensions.append((since, None))

    @event("Resumed")
    def resume(self, on: date) -> None:
        since, _ = self.suspensions[-1]
        self.suspensions[-1] = (since, on)

    @event("Delinked")
    def delink(self, on: date) -> None:
        self.delinked_on = on

    # -- quantity limits ---------------------------------------------------

    def reserve_limits(
        self, transaction: str, source: str, destination: str, on: date, tonnes: int
    ) -> None:
        """Count ``tonnes`` against every limit the transfer falls under, or refuse."""
        if transaction in self.reservations:
            return
        entries: list[tuple[int, str, int]] = []
        for i, limit in enumerate(self.limits):
            period = limit.period(on)
            if period is None or not limit.applies(source, destination):
                continue
            used = self.used.get((i, period), 0)
            if used + tonnes > limit.maximum:
                raise Refused(
                    "QTY-001" if limit.flow == "import" else "QTY-002",
                    jurisdiction=limit.jurisdiction,
                    limit=limit.maximum,
                    agreement=self.code,
                    period=period,
                    used=used,
                    quantity=tonnes,
                )
            entries.append((i, period, tonnes))
        if entries:
            self._limits_reserved(transaction, entries)

    @event("LimitsReserved")
    def _limits_reserved(self, transaction: str, entries: list[tuple[int, str, int]]) -> None:
        entries = [(int(i), str(p), int(t)) for i, p, t in entries]
        self.reservations[transaction] = entries
        for i, period, tonnes in entries:
            self.used[(i, period)] = self.used.get((i, period), 0) + tonnes

    def settle_limits(self, transaction: str) -> None:
        """The transfer completed: its usage stays, the reservation is no longer pending."""
        if transaction in self.reservations:
            self._limits_settled(transaction)

    @event("LimitsSettled")
    def _limits_settled(self, transaction: str) -> None:
        del self.reservations[transaction]

    def release_limits(self, transaction: str) -> None:
        if transaction in self.reservations:
            self._limits_released(transaction)

    @event("LimitsReleased")
    def _limits_released(self, transaction: str) -> None:
        for i, period, tonnes in self.reservations.pop(transaction):
            self.used[(i, period)] -= tonnes

    def usage(self) -> list[dict[str, Any]]:
        return [
            {
                "jurisdiction": self.limits[i].jurisdiction,
                "flow": self.limits[i].flow,
                "period": period,
                "used": used,
                "limit": self.limits[i].maximum,
            }
            for (i, period), used in sorted(self.used.items())
        ]
