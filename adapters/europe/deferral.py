"""Transfers a registry holds back until they may execute, and the trusted account list.

Two EU–Swiss rules make a transfer wait (reference/registries-and-reporting.md
L42): a transfer across the link executes only on a settlement date, and the
EU registry delays by 26 hours a transfer to an account not on the
transferring account's trusted list. While a transfer waits, its units are on
hold in the source account under the transaction id (exactly as while the
clearinghouse decides a proposal), so they cannot be spent twice, and the
transfer can still be cancelled. Executing it is a command with a business
date and time (:meth:`~adapters.europe.registry.EuropeanRegistry.execute_due`):
a cross-border transfer is then proposed to the clearinghouse like any other,
dated its settlement date; an internal one is carried out.

These aggregates are the registry's own record; the clearinghouse sees only
what is proposed to it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from clearinghouse.units import Block


def deferred_id(registry: str, code: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/deferred/{code}")


class DeferredTransfer(Aggregate):
    """A transfer initiated and held until ``execute_at``. States: ``scheduled`` →
    ``executed`` | ``cancelled`` | ``failed``."""

    @staticmethod
    def create_id(registry: str, code: str, **_: Any) -> UUID:
        return deferred_id(registry, code)

    @event("Scheduled")
    def __init__(
        self,
        registry: str,
        code: str,
        direction: str,  # "out" (across a border) or "internal"
        account: str,
        to_account: str,
        to_registry: str | None,
        blocks: list[Block],
        request: dict[str, Any],
        initiated_at: datetime,
        execute_at: datetime,
        reasons: list[str],
    ) -> None:
        self.registry = registry
        self.code = code
        self.direction = direction
        self.account = account
        self.to_account = to_account
        self.to_registry = to_registry
        self.blocks = list(blocks)
        self.request = request
        self.initiated_at = initiated_at
        self.execute_at = execute_at
        self.reasons = list(reasons)
        self.state = "scheduled"
        self.closed_on: date | None = None
        self.note = ""

    @property
    def quantity(self) -> int:
        return sum(b.count for b in self.blocks)

    @event("Executed")
    def execute(self, on: date) -> None:
        self.state = "executed"
        self.closed_on = on

    @event("Cancelled")
    def cancel(self, on: date, reason: str) -> None:
        self.state = "cancelled"
        self.closed_on = on
        self.note = reason

    @event("Failed")
    def fail(self, on: date, reason: str) -> None:
        self.state = "failed"
        self.closed_on = on
        self.note = reason


def deferred_book_id(registry: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/deferred")


class DeferredBook(Aggregate):
    """The transfers a registry is holding back, so a tick finds them without
    reading its whole log."""

    @staticmethod
    def create_id(registry: str) -> UUID:
        return deferred_book_id(registry)

    @event("Opened")
    def __init__(self, registry: str) -> None:
        self.registry = registry
        self.pending: list[str] = []

    @event("Added")
    def add(self, code: str) -> None:
        self.pending.append(code)

    @event("Removed")
    def remove(self, code: str) -> None:
        self.pending.remove(code)


def trusted_list_id(registry: str, account: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/trusted/{account}")


class TrustedList(Aggregate):
    """An account's trusted account list: transfers to these accounts are not
    delayed. Entries are ``(registry, account)``; ``registry`` None is this one."""

    @staticmethod
    def create_id(registry: str, account: str) -> UUID:
        return trusted_list_id(registry, account)

    @event("Opened")
    def __init__(self, registry: str, account: str) -> None:
        self.registry = registry
        self.account = account
        self.entries: list[list[Any]] = []  # [registry or None, account, since]

    def trusts(self, registry: str | None, account: str, on: date) -> bool:
        return any(
            r == registry and a == account and date.fromisoformat(str(since)) <= on
            for r, a, since in self.entries
        )

    @event("Added")
    def add(self, registry: str | None, account: str, since: date) -> None:
        self.entries.append([registry, account, since.isoformat()])

    @event("Removed")
    def remove(self, registry: str | None, account: str) -> None:
        self.entries = [e for e in self.entries if (e[0], e[1]) != (registry, account)]
