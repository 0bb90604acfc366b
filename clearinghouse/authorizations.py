"""Article 6.2 authorizations: which outcomes a Party lets count as ITMOs.

The authorizing Party states the cooperative approach, the scope (unit types,
vintages, a quantity cap), the purposes (NDC use, other international
mitigation purposes, or both) and what counts as the *first transfer*: the
authorization itself, issuance, the first international transfer, or
use/cancellation (reference/linkage-and-article6.md, "Adopted rules", decisions
2/CMA.3 and 6/CMA.4 [GK]).
"""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from clearinghouse.checks import Refused

FIRST_TRANSFER_DEFINITIONS = (
    "authorization",
    "issuance",
    "first_international_transfer",
    "use_or_cancellation",
)
PURPOSES = ("ndc", "oimp", "ndc_and_oimp")


def authorization_id(code: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"clearinghouse:authorization/{code}")


class Authorization(Aggregate):
    @staticmethod
    def create_id(code: str) -> UUID:
        return authorization_id(code)

    @event("Granted")
    def __init__(
        self,
        code: str,
        party: str,
        cooperative_approach: str,
        unit_types: list[str],
        vintages: tuple[int, int] | list[int],
        cap: int | None,
        purposes: str,
        first_transfer: str,
        authorized_on: date,
    ) -> None:
        self.code = code
        self.party = party
        self.cooperative_approach = cooperative_approach
        self.unit_types = list(unit_types)
        self.vintages = (int(vintages[0]), int(vintages[1]))
        self.cap = cap
        self.purposes = purposes
        self.first_transfer = first_transfer
        self.authorized_on = authorized_on
        self.settled = 0  # tonnes of completed transactions
        self.reservations: dict[str, int] = {}  # pending, by transaction

    @property
    def used(self) -> int:
        return self.settled + sum(self.reservations.values())

    @property
    def allows_ndc_use(self) -> bool:
        return self.purposes in ("ndc", "ndc_and_oimp")

    def covers(self, party: str, unit_type: str, vintage: int) -> bool:
        return (
            party == self.party
            and unit_type in self.unit_types
            and self.vintages[0] <= vintage <= self.vintages[1]
        )

    def reserve(self, transaction: str, tonnes: int) -> None:
        """Count ``tonnes`` against the cap for ``transaction`` (once per transaction)."""
        if transaction in self.reservations:
            return
        if self.cap is not None and self.used + tonnes > self.cap:
            raise Refused(
                "AUT-002", authorization=self.code, cap=self.cap, used=self.used, quantity=tonnes
            )
        self._reserved(transaction, tonnes)

    @event("Reserved")
    def _reserved(self, transaction: str, tonnes: int) -> None:
        self.reservations[transaction] = tonnes

    def settle(self, transaction: str) -> None:
        """The transaction completed: its tonnes count for good."""
        if transaction in self.reservations:
            self._settled(transaction)

    @event("Settled")
    def _settled(self, transaction: str) -> None:
        self.settled += self.reservations.pop(transaction)

    def release(self, transaction: str) -> None:
        if transaction in self.reservations:
            self._released(transaction)

    @event("Released")
    def _released(self, transaction: str) -> None:
        del self.reservations[transaction]
