"""A transaction as a registry sees it.

Every command that moves units gets a :class:`RegistryTransaction` keyed by the
transaction id, so repeating a command is harmless (idempotent) and reusing an
id for something else is refused (TXN-001). A refusal by the registry itself is
recorded too (the ITL keeps rejected proposals with their response code), but
changes no holding. States::

    proposed -> accepted -> debited -> completed     (cross-border, outgoing)
             \\-> rejected                \\-> returned
    proposed -> accepted -> completed                 (issuance, surrender, ...)
    completed                                         (internal transfer)
    received -> completed | refused                   (cross-border, incoming)
    refused                                           (refused by the registry)
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from clearinghouse.units import Block

OUTGOING_KINDS = ("issuance", "transfer", "surrender", "retirement", "cancellation")


def registry_transaction_id(registry: str, code: str, direction: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/transaction/{direction}/{code}")


class RegistryTransaction(Aggregate):
    @staticmethod
    def create_id(
        registry: str, code: str, direction: str, key: str | None = None, **_: Any
    ) -> UUID:
        return registry_transaction_id(registry, code, key or direction)

    @event("Requested")
    def __init__(
        self,
        registry: str,
        code: str,
        direction: str,  # "out", "in" or "internal"
        kind: str,
        business_date: date,
        details: dict[str, Any],
        blocks: list[Block],
        refusal: dict[str, Any] | None = None,
        key: str | None = None,  # "in/SOURCE": an id another source used first (see base.py)
    ) -> None:
        self.registry = registry
        self.code = code
        self.direction = direction
        self.kind = kind
        self.business_date = business_date
        self.details = details
        self.blocks = list(blocks)
        self.issued: list[Block] = []
        self.verdict = refusal
        if refusal is not None:
            self.state = "refused"
        elif direction == "internal":
            self.state = "completed"
        elif direction == "in":
            self.state = "received"
        else:
            self.state = "proposed"

    @event("Accepted")
    def accept(self) -> None:
        self.state = "accepted"

    @event("Rejected")
    def reject(self, code: str, check_version: int, reason: str) -> None:
        self.state = "rejected"
        self.verdict = {"code": code, "check_version": check_version, "reason": reason}

    @event("Debited")
    def debit(self) -> None:
        self.state = "debited"

    @event("Completed")
    def complete(self) -> None:
        self.state = "completed"

    @event("Returned")
    def returned(self, code: str, reason: str) -> None:
        self.state = "returned"
        self.verdict = {"code": code, "check_version": 1, "reason": reason}

    @event("Credited")
    def credited(self, blocks: list[Block], issued: list[Block]) -> None:
        self.state = "completed"
        self.blocks = list(blocks)
        self.issued = list(issued)

    @event("CreditRefused")
    def refuse_credit(self, code: str, check_version: int, reason: str) -> None:
        self.state = "refused"
        self.verdict = {"code": code, "check_version": check_version, "reason": reason}
