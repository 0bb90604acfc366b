"""A transaction as the clearinghouse sees it: its verdict and its lifecycle.

Issuance, cross-border transfer and status change (surrender, retirement,
cancellation) each get one :class:`Transaction`, keyed by the proposing
registry and its transaction id (``CN_ETS/x1``), so every step is idempotent:
a redelivered proposal finds the transaction already decided and changes
nothing (DESIGN.md, "A cross-border transfer"). Corresponding adjustments are
recorded as events of the transaction that caused them.

Lifecycle of a cross-border transfer::

    received -> accepted -> debited -> completed
             \\-> rejected          \\-> returned (destination refused: compensation)
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from clearinghouse.units import Block

KINDS = ("issuance", "transfer", "status_change")


def transaction_key(registry: str, local_id: str) -> str:
    """Registries choose their ids independently: the clearinghouse qualifies them."""
    return f"{registry}/{local_id}"


def transaction_id(code: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"clearinghouse:transaction/{code}")


class Transaction(Aggregate):
    @staticmethod
    def create_id(code: str) -> UUID:
        return transaction_id(code)

    @event("Received")
    def __init__(
        self,
        code: str,
        kind: str,
        registry: str,
        proposal: dict[str, Any],
        business_date: date,
    ) -> None:
        self.code = code
        self.kind = kind
        self.registry = registry
        self.proposal = proposal
        self.business_date = business_date
        self.state = "received"
        self.verdict: dict[str, Any] | None = None
        self.agreement: str | None = None
        self.conversions: list[dict[str, Any]] = []
        self.first_transfer: list[str] = []
        self.tagged: list[Block] = []
        self.adjustments: list[dict[str, Any]] = []

    @property
    def local_id(self) -> str:
        """The id the proposing registry gave the transaction."""
        return str(self.proposal["transaction_id"])

    @property
    def destination(self) -> str | None:
        return self.proposal.get("destination_registry")

    def proposal_blocks(self) -> list[Block]:
        return [
            Block(b["registry"], b["unit_type"], b["vintage"], b["first"], b["last"])
            for b in self.proposal["blocks"]
        ]

    @event("Accepted")
    def accept(
        self,
        agreement: str | None = None,
        conversions: list[dict[str, Any]] | None = None,
        first_transfer: list[str] | None = None,
        tagged: list[Block] | None = None,
    ) -> None:
        """``first_transfer`` names the blocks whose first transfer (in the Article
        6 sense) this transaction will be, once it completes; ``tagged`` the blocks
        it made ITMOs (undone if the transfer is returned)."""
        self.state = "accepted"
        self.agreement = agreement
        self.conversions = conversions or []
        self.first_transfer = first_transfer or []
        self.tagged = tagged or []

    @event("Rejected")
    def reject(self, code: str, check_version: int, reason: str) -> None:
        self.state = "rejected"
        self.verdict = {"code": code, "check_version": check_version, "reason": reason}

    @event("Debited")
    def debit(self) -> None:
        self.state = "debited"

    @event("Completed")
    def complete(self, credited: list[Block], issued: list[Block]) -> None:
        self.state = "completed"
        self.credited = credited
        self.issued = issued

    @event("Returned")
    def return_units(self, code: str, reason: str) -> None:
        self.state = "returned"
        self.verdict = {"code": code, "check_version": 1, "reason": reason}

    @event("AdjustmentRecorded")
    def record_adjustment(
        self,
        party: str,
        role: str,
        year: int,
        vintage: int,
        quantity: int,
        blocks: list[Block],
        authorization: str | None,
        cooperative_approach: str | None,
    ) -> None:
        """A corresponding adjustment: ``role`` is ``first_transfer`` (the Party adds
        ITMOs it first transferred to its emissions) or ``use`` (the acquiring
        Party subtracts ITMOs it used towards its NDC)."""
        self.adjustments.append(
            {"party": party, "role": role, "year": year, "vintage": vintage, "quantity": quantity}
        )
