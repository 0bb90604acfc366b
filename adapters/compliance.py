"""Compliance in a cap-and-trade or intensity system, shared by every jurisdiction.

A compliance cycle runs the same way everywhere (china-ets.md, "Every cycle:
MRV → pre-allocation → adjustment → trading → surrender", L109): covered
entities report verified emissions, receive allocations, trade, surrender units
against their obligation (some of them offsets, up to a limit), and after the
deadline the registry assesses any shortfall (a fine, a deduction from the next
allocation) and what may be carried over. What differs is the numbers and a few
rules, and those change from one period to the next.

This module holds the domain, free of I/O:

* :class:`Period`: a compliance period with its emission years and deadline;
* :class:`CoveredEntity`: the aggregate that remembers an entity's verified
  emissions, allocations, surrenders and period results;
* :class:`ComplianceRules`: the rules a jurisdiction overrides, each a pure
  function of the entity's state and the period, parameterised per period so
  that a 2021 cycle and a 2024 cycle follow their own rules.

The registry service that runs these rules is :mod:`adapters.compliance_registry`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from adapters.base import NativeRules
from clearinghouse.checks import Refused
from clearinghouse.units import Block


@dataclass(frozen=True)
class Period:
    """A compliance period: the emission years it covers and its surrender deadline."""

    id: str
    years: tuple[int, ...]
    surrender_by: date
    source: str = ""

    @property
    def first(self) -> int:
        return self.years[0]

    @property
    def last(self) -> int:
        return self.years[-1]


@dataclass(frozen=True)
class Allocation:
    """The total free allocation an entity is due for a year after a stage, and why."""

    total: int
    basis: str


@dataclass(frozen=True)
class Penalty:
    """What a shortfall costs: a fine and units deducted from next year's allocation."""

    fine: Decimal
    currency: str
    deduction: int
    basis: str
    #: the year whose allocation the deduction reduces
    deduct_from: int | None = None


@dataclass(frozen=True)
class PeriodFacts:
    """What the registry knows about one entity when a period closes."""

    period: Period
    obligation: int
    allowances: int  # surrendered and accepted, allowances of any accepted type
    offsets: int  # surrendered and accepted, offset units
    reference_price: Decimal | None

    @property
    def surrendered(self) -> int:
        return self.allowances + self.offsets

    @property
    def shortfall(self) -> int:
        return max(0, self.obligation - self.surrendered)


def floor(value: Fraction | Decimal | int) -> int:
    """Whole tonnes, rounded down: a registry cannot issue part of a unit."""
    if isinstance(value, Decimal):
        return int(value.to_integral_value(rounding=ROUND_FLOOR))
    return int(value // 1)


def percent(value: str | int) -> Fraction:
    """An exact share from a percentage such as ``"1.5"`` (no float rounding)."""
    return Fraction(str(value)) / 100


# -- the entity ---------------------------------------------------------------------------


def entity_id(registry: str, entity: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/entity/{entity}")


class CoveredEntity(Aggregate):
    """A covered entity of one registry and the history of its compliance."""

    @staticmethod
    def create_id(registry: str, entity: str, **_: Any) -> UUID:
        return entity_id(registry, entity)

    @event("Registered")
    def __init__(
        self,
        registry: str,
        entity: str,
        name: str,
        sector: str,
        account: str,
        attributes: dict[str, Any],
        registered_on: date,
    ) -> None:
        self.registry = registry
        self.entity = entity
        self.name = name
        self.sector = sector
        self.account = account
        self.attributes = dict(attributes)
        self.registered_on = registered_on
        self.verified: dict[int, int] = {}
        self.activity: dict[int, dict[str, Any]] = {}
        self.allocations: dict[int, list[dict[str, Any]]] = {}
        self.deductions: dict[int, int] = {}
        #: period id -> [{transaction, allowances, offsets}]
        self.surrenders: dict[str, list[dict[str, Any]]] = {}
        #: period id -> the result recorded when the period closed
        self.results: dict[str, dict[str, Any]] = {}
        #: quantities sold and bought in the registry, by vintage
        self.sold: dict[int, int] = {}
        self.bought: dict[int, int] = {}
        #: serial blocks that have changed hands at least once (Hubei's banking rule)
        self.traded: list[Block] = []

    # -- MRV -----------------------------------------------------------------------------

    @event("EmissionsVerified")
    def verify(self, year: int, tonnes: int, activity: dict[str, Any]) -> None:
        self.verified[year] = tonnes
        self.activity[year] = dict(activity)

    def verified_in(self, years: Iterable[int]) -> int:
        """Verified emissions over ``years``; refuses when one of them is missing."""
        missing = [y for y in years if y not in self.verified]
        if missing:
            raise Refused(
                "CMP-006",
                registry=self.registry,
                action="compute the obligation",
                entity=self.entity,
                reason=f"verified emissions for {', '.join(map(str, missing))} are not recorded",
            )
        return sum(self.verified[y] for y in years)

    # -- allocation ----------------------------------------------------------------------

    def allocated(self, year: int) -> int:
        return sum(line["quantity"] for line in self.allocations.get(year, []))

    @event("Allocated")
    def allocate(self, year: int, stage: str, quantity: int, transaction: str, basis: str) -> None:
        """Record an issuance (positive) or a recovery (negative) for ``year``."""
        self.allocations.setdefault(year, []).append(
            {"stage": stage, "quantity": quantity, "transaction": transaction, "basis": basis}
        )

    # -- trading and surrender -----------------------------------------------------------------

    @event("Traded")
    def trade(self, side: str, blocks: list[Block], business_date: date) -> None:
        book = self.sold if side == "sell" else self.bought
        for b in blocks:
            book[b.vintage] = book.get(b.vintage, 0) + b.count
        self.traded = [*self.traded, *blocks]

    def net_sales(self, vintages: Iterable[int]) -> int:
        vs = list(vintages)
        return sum(self.sold.get(v, 0) for v in vs) - sum(self.bought.get(v, 0) for v in vs)

    @event("SurrenderRequested")
    def request_surrender(
        self,
        period: str,
        transaction: str,
        allowances: int,
        offsets: int,
        banked: int,
        borrowed: int,
    ) -> None:
        """Units put on hold against ``period``; they count once the clearinghouse
        accepts the surrender (:meth:`settle_surrender`)."""
        self.surrenders.setdefault(period, []).append(
            {
                "transaction": transaction,
                "allowances": allowances,
                "offsets": offsets,
                "banked": banked,
                "borrowed": borrowed,
                "accepted": None,
            }
        )

    @event("SurrenderSettled")
    def settle_surrender(self, period: str, transaction: str, accepted: bool) -> None:
        for s in self.surrenders.get(period, []):
            if s["transaction"] == transaction:
                s["accepted"] = accepted

    def surrendered(self, key: str, period: str | None = None) -> int:
        """Units of ``key`` (allowances, offsets, banked, borrowed) surrendered and
        not rejected, in ``period`` or in every period."""
        periods = [period] if period is not None else list(self.surrenders)
        return sum(
            s[key]
            for p in periods
            for s in self.surrenders.get(p, [])
            if s["accepted"] is not False
        )

    # -- closing a period ---------------------------------------------------------------

    @event("PeriodClosed")
    def close(self, period: str, result: dict[str, Any]) -> None:
        self.results[period] = dict(result)
        deduct_from = result.get("deduct_from")
        if result.get("deduction") and deduct_from is not None:
            self.deductions[deduct_from] = self.deductions.get(deduct_from, 0) + result["deduction"]


def entities_roster_id(registry: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/entities")


class Roster(Aggregate):
    """The covered entities of a registry, in registration order."""

    @staticmethod
    def create_id(registry: str) -> UUID:
        return entities_roster_id(registry)

    @event("Opened")
    def __init__(self, registry: str) -> None:
        self.registry = registry
        self.entities: list[str] = []

    @event("EntityAdded")
    def add(self, entity: str) -> None:
        self.entities.append(entity)


# -- the rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplianceRules(NativeRules):
    """A jurisdiction's compliance rules. Subclasses override the parts that differ.

    The defaults are the plain cap-and-trade cycle: the obligation is the verified
    emissions of the period's years, one unit per tonne; no offsets; unlimited
    banking within the system; no borrowing; no fine.
    """

    jurisdiction: str = ""
    currency: str = ""
    periods: tuple[Period, ...] = ()
    allowance_types: tuple[str, ...] = ()
    offset_types: tuple[str, ...] = ()
    #: accounts the registry opens for itself (name -> kind), e.g. China's MEE account
    authority_accounts: dict[str, str] = field(default_factory=dict)

    # -- calendar -------------------------------------------------------------------------

    def period(self, period_id: str) -> Period:
        for p in self.periods:
            if p.id == period_id:
                return p
        raise Refused(
            "CMP-005",
            registry=self.jurisdiction,
            period=period_id,
            reason=f"no such period (the periods are {', '.join(p.id for p in self.periods)})",
            source="docs/jurisdictions.md",
        )

    def period_of(self, year: int) -> Period | None:
        for p in self.periods:
            if year in p.years:
                return p
        return None

    # -- coverage and allocation ---------------------------------------------------------------

    def check_coverage(self, sector: str, emissions: int, attributes: dict[str, Any]) -> None:
        """Refuse (CMP-001) an entity the system does not cover. ``attributes["name"]``
        is the entity's id unless the registration's attributes name it otherwise."""

    def allocation(self, entity: CoveredEntity, year: int, stage: str) -> Allocation:
        """The total free allocation ``entity`` is due for ``year`` after ``stage``."""
        raise Refused(
            "CMP-009",
            registry=self.jurisdiction,
            operation=f"{stage} allocation",
            reason="this system has no free allocation rule",
            source="docs/jurisdictions.md",
        )

    def stages(self, year: int) -> tuple[str, ...]:
        """The allocation stages of ``year`` in their order."""
        return ("final",)

    def allocation_account(self, entity: CoveredEntity) -> str:
        """The account allocations are issued into (then delivered to the entity)."""
        return entity.account

    def delivery_chain(self, entity: CoveredEntity) -> tuple[str, ...]:
        """Accounts issued allowances pass through after the allocation account,
        ending in the entity's own (empty: issued straight to the entity)."""
        return ()

    def recovery_account(self, entity: CoveredEntity) -> str:
        return "RECOVERY"

    # -- surrender --------------------------------------------------------------------

    def obligation(self, entity: CoveredEntity, period: Period) -> int:
        return entity.verified_in(period.years)

    def offset_limit(self, entity: CoveredEntity, period: Period) -> tuple[int, str, str] | None:
        """(limit in t, the rule in words, its source), or None for no limit."""
        return None

    def check_offsets(self, entity: CoveredEntity, blocks: list[Block], on: date) -> None:
        """Refuse (CMP-004) offsets this system does not accept."""

    def check_banking(
        self, entity: CoveredEntity, period: Period, blocks: list[Block], on: date
    ) -> None:
        """Refuse (CMP-007) allowances from an earlier period that may not be used in
        ``period``. Default: banking is unlimited."""

    def check_borrowing(
        self, entity: CoveredEntity, period: Period, blocks: list[Block], on: date
    ) -> None:
        """Refuse (CMP-008) allowances of a later period. Default: no borrowing."""
        raise self.borrowing_refused(
            entity, period, blocks, "borrowing is not allowed", "docs/jurisdictions.md"
        )

    def surrender_account(self, entity: CoveredEntity) -> str:
        """The account an entity surrenders from (WCI: its compliance account)."""
        return entity.account

    def surrender_chain(self, entity: CoveredEntity) -> tuple[str, ...]:
        """Accounts surrendered units pass through before they end (China: entity →
        province → MEE → cancelled). Empty: straight to the surrender account."""
        return ()

    # -- after the deadline --------------------------------------------------------------

    def penalty(self, entity: CoveredEntity, facts: PeriodFacts) -> Penalty:
        return Penalty(Decimal(0), self.currency, 0, "no penalty rule")

    def carry_over_limit(self, entity: CoveredEntity, facts: PeriodFacts) -> int | None:
        """How many allowances of this period may be used later (None: unlimited)."""
        return None

    # -- refusals, each jurisdiction's reason and source in the framework's words ----------

    def facts_missing(self, entity: CoveredEntity, action: str, reason: str) -> Refused:
        """CMP-006: a rule cannot ``action`` for ``entity`` without a fact not recorded."""
        return Refused(
            "CMP-006",
            registry=self.jurisdiction,
            action=action,
            entity=entity.entity,
            reason=reason,
        )

    def banking_refused(
        self, period: Period, blocks: list[Block], reason: str, source: str
    ) -> Refused:
        """CMP-007: ``blocks`` of an earlier period may not be used for ``period``
        (what :meth:`check_banking` raises)."""
        return Refused(
            "CMP-007",
            blocks=", ".join(map(str, blocks)),
            period=period.id,
            registry=self.jurisdiction,
            reason=reason,
            source=source,
        )

    def borrowing_refused(
        self, entity: CoveredEntity, period: Period, blocks: list[Block], reason: str, source: str
    ) -> Refused:
        """CMP-008: ``entity`` may not surrender ``blocks`` of a later period for
        ``period`` (what :meth:`check_borrowing` raises)."""
        return Refused(
            "CMP-008",
            blocks=", ".join(map(str, blocks)),
            period=period.id,
            registry=self.jurisdiction,
            entity=entity.entity,
            reason=reason,
            source=source,
        )
