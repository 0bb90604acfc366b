"""Audit: verify the logs were not altered, reconcile registries against the
central ledger, trace a unit (auditors only; read-only).

The checks are issue #6's (``clearinghouse/audit``, docs/audit.md), called
through :class:`~clearinghouse.api.services.AuditService`; a build without
them answers 503 (SVC-007) rather than pretending. Nothing here writes: a
reconciliation run is not recorded in the clearinghouse (``clearinghouse audit
reconcile`` does that), and checkpoints are the operator's (``clearinghouse
audit checkpoint``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from clearinghouse.api.auth import Auditor, ServicesDep
from clearinghouse.api.errors import ERRORS, Problem, ServiceRefused, not_found
from clearinghouse.api.services import AuditService, Services
from clearinghouse.audit.reconcile import Reconciliation
from clearinghouse.audit.trace import Trace
from clearinghouse.audit.verify import Verification
from clearinghouse.checks import Refused
from clearinghouse.messages import Identifier

router = APIRouter(
    prefix="/audit",
    tags=["audit"],
    responses={**ERRORS, 503: {"model": Problem, "description": "SVC-007: not installed"}},
)


def _audit(svc: Services) -> AuditService:
    if svc.audit is None:
        raise ServiceRefused(
            "SVC-007", component="the audit service", reason="not installed in this build"
        )
    return svc.audit


@router.get(
    "/verify",
    response_model=Verification,
    summary="verify every log against its hash-chain checkpoints (and a published head)",
)
def verify(
    svc: ServicesDep,
    _: Auditor,
    head: Annotated[
        str | None,
        Query(pattern=r"^[0-9a-f]{64}$", description="a published head's digest to check too"),
    ] = None,
) -> Verification:
    return _audit(svc).verify(head)


@router.get(
    "/reconcile",
    response_model=list[Reconciliation],
    summary="reconcile registries with the central ledger (totals, then unit blocks)",
)
def reconcile(
    svc: ServicesDep,
    _: Auditor,
    registry: Annotated[list[Identifier] | None, Query(description="default: every one")] = None,
) -> list[Reconciliation]:
    try:
        return _audit(svc).reconcile(registry or None)
    except KeyError as error:
        raise not_found("registry log", str(error).strip("'\"")) from error


@router.get(
    "/trace/{serial}",
    response_model=Trace,
    summary="the history of the block holding a serial, from issuance to today",
    description="`serial`: `REGISTRY:UNIT_TYPE:SERIAL`, a block "
    "`REGISTRY:UNIT_TYPE:VINTAGE:FIRST-LAST`, an ITMO id, or a bare serial with `registry`.",
)
def trace(
    serial: Annotated[str, Path(min_length=1, max_length=200)],
    svc: ServicesDep,
    _: Auditor,
    registry: Identifier | None = None,
    unit_type: Identifier | None = None,
) -> Trace:
    try:
        return _audit(svc).trace(serial, registry, unit_type)
    except ValueError as error:
        raise Refused("INP-001", field="serial", reason=str(error)) from error
