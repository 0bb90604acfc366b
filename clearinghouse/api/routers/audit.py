"""Audit: verify the logs were not altered, trace a unit, reconcile registries
against the central ledger (auditors only; read-only).

The checks themselves are issue #6's (``clearinghouse/audit``); this router
calls them through :class:`~clearinghouse.api.services.AuditService`. A build
without them answers 503 (SVC-007) rather than pretending.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from clearinghouse.api.auth import Auditor, ServicesDep
from clearinghouse.api.errors import ERRORS, Problem, ServiceRefused
from clearinghouse.api.services import AuditService, Services
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


@router.get("/verify", summary="verify every log against its hash chain")
def verify(svc: ServicesDep, _: Auditor) -> dict[str, Any]:
    return _audit(svc).verify()


@router.get("/reconcile", summary="reconcile each registry's holdings with the central ledger")
def reconcile(svc: ServicesDep, _: Auditor) -> dict[str, Any]:
    return _audit(svc).reconcile()


@router.get(
    "/trace/{registry}/{unit_type}/{serial}",
    summary="a unit's history from issuance to retirement",
)
def trace(
    registry: Identifier,
    unit_type: Identifier,
    serial: Annotated[int, Path(ge=1)],
    svc: ServicesDep,
    _: Auditor,
) -> dict[str, Any]:
    return _audit(svc).trace(registry, unit_type, serial)
