"""The audit services (issue #6, ``clearinghouse.audit``) as the API serves them.

Read-only: verification reads every log against its checkpoints, reconciliation
compares each registry's log with the central ledger without recording a run,
a trace follows one serial. Each call opens the store's logs to read (as an
auditor's own tool would: ``Logs``) and closes them again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from clearinghouse.audit import reconcile as reconciliation
from clearinghouse.audit import trace as tracing
from clearinghouse.audit import verify as verification
from clearinghouse.audit.logs import Logs
from clearinghouse.service.system import ServiceSystem


class StoreAudit:
    def __init__(self, system: ServiceSystem) -> None:
        self.system = system

    @contextmanager
    def logs(self) -> Iterator[Logs]:
        # an in-memory store exists only in this process's applications
        source = self.system if self.system.store.kind == "memory" else self.system.store
        with Logs.of(source) as logs:
            yield logs

    def verify(self, head: str | None = None) -> verification.Verification:
        with self.logs() as logs:
            return verification.verify(logs, head=head)

    def reconcile(self, registries: list[str] | None = None) -> list[reconciliation.Reconciliation]:
        with self.logs() as logs:
            return reconciliation.reconcile(logs, registries)

    def trace(
        self, serial: str, registry: str | None = None, unit_type: str | None = None
    ) -> tracing.Trace:
        query = tracing.Query.parse(serial, registry, unit_type)
        with self.logs() as logs:
            return tracing.trace(logs, query)
