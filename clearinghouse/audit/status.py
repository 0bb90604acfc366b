"""A registry's reconciliation status, as the clearinghouse records it (domain only).

The Kyoto ITL reconciles each registry in three phases and gives the
reconciliation a status: initiated, validated, totals inconsistent, unit blocks
inconsistent, completed, manual intervention required; transactions of a
registry are blocked while its reconciliation is pending
(reference/registries-and-reporting.md L38; UK ETS code 3016, L36).

:class:`ReconciliationStatus` is one aggregate per registry in the
clearinghouse's log. Each run is *initiated* (recorded before the comparison,
so transfers stop while it runs) and *concluded* with one of the outcomes.
While the last run is initiated, inconsistent or waiting for manual
intervention, clearing refuses the registry's cross-border transfers (AUD-001,
in :func:`clearinghouse.clearing.clear_transfer`). A registry never reconciled
clears as before. Resolving a discrepancy is a correcting transaction in the
registry followed by a run that completes: history is never edited.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

INITIATED = "initiated"
VALIDATED = "validated"  # phases 1 and 2 found nothing: the run completes at once
TOTALS_INCONSISTENT = "totals_inconsistent"
UNIT_BLOCKS_INCONSISTENT = "unit_blocks_inconsistent"
COMPLETED = "completed"
MANUAL_INTERVENTION_REQUIRED = "manual_intervention_required"
OUTCOMES = (TOTALS_INCONSISTENT, UNIT_BLOCKS_INCONSISTENT, COMPLETED, MANUAL_INTERVENTION_REQUIRED)
BLOCKING = (INITIATED, TOTALS_INCONSISTENT, UNIT_BLOCKS_INCONSISTENT, MANUAL_INTERVENTION_REQUIRED)


def reconciliation_id(registry: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"clearinghouse:reconciliation/{registry}")


class ReconciliationStatus(Aggregate):
    """The reconciliation runs of one registry with the central ledger."""

    @staticmethod
    def create_id(registry: str) -> UUID:
        return reconciliation_id(registry)

    @event("Opened")
    def __init__(self, registry: str) -> None:
        self.registry = registry
        self.runs = 0
        self.status: str | None = None
        self.discrepancies: dict[str, int] = {}
        self.positions: dict[str, int] = {}
        self.digest: str | None = None

    @property
    def blocking(self) -> bool:
        return self.status in BLOCKING

    def initiate(self, positions: dict[str, int]) -> int:
        """Start run number ``runs + 1`` over the logs up to ``positions``."""
        self._initiated(self.runs + 1, positions)
        return self.runs

    @event("Initiated")
    def _initiated(self, run: int, positions: dict[str, int]) -> None:
        self.runs = run
        self.status = INITIATED
        self.positions = dict(positions)
        self.discrepancies = {}
        self.digest = None

    def conclude(self, run: int, status: str, discrepancies: dict[str, int], digest: str) -> None:
        """Record the outcome of run ``run`` (``digest``: the report's SHA-256)."""
        if status not in OUTCOMES:
            raise ValueError(f"{status!r} is not a reconciliation outcome ({', '.join(OUTCOMES)})")
        if run != self.runs or self.status != INITIATED:
            raise ValueError(f"run {run} of {self.registry} is not the one in progress")
        self._concluded(run, status, discrepancies, digest)

    @event("Concluded")
    def _concluded(self, run: int, status: str, discrepancies: dict[str, int], digest: str) -> None:
        self.status = status
        self.discrepancies = dict(discrepancies)
        self.digest = digest

    def refusal(self) -> dict[str, Any]:
        """The facts of AUD-001 for this registry."""
        if self.status == INITIATED:
            detail = f"run {self.runs} is in progress"
        else:
            found = ", ".join(f"{code} ×{n}" for code, n in sorted(self.discrepancies.items()))
            detail = f"run {self.runs} found {found or 'a problem'}"
        status = (self.status or "").replace("_", " ")
        return {"registry": self.registry, "status": status, "detail": detail}
