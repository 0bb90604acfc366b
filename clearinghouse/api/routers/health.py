"""Liveness and readiness, for load balancers and orchestrators (no key needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from clearinghouse.api.auth import ServicesDep
from clearinghouse.api.errors import Problem

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    store: str
    transport: str
    clearing: str
    positions: dict[str, int]


@router.get("/health", response_model=Health, summary="the process is alive")
def health() -> Health:
    return Health(status="ok")


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"model": Problem, "description": "SVC-007: a dependency is unreachable"}},
    summary="the store and the transport answer",
)
def ready(svc: ServicesDep) -> Any:
    system = svc.system
    try:
        positions = {system.clearinghouse.name: system.clearinghouse.recorder.max_notification_id()}
    except Exception as error:  # any driver error means: not ready
        return _unavailable("the event store", error)
    transport = "in-process"
    if svc.redis is not None:
        try:
            svc.redis.ping()
        except Exception as error:
            return _unavailable("Redis", error)
        transport = "redis"
    clearing = "in this process" if svc.clearing is not None else "elsewhere"
    if svc.system.in_process:
        clearing = "in this process (in-process delivery)"
    elif svc.clearing is not None and not svc.clearing.is_alive():
        return _unavailable("clearing", RuntimeError("the clearing thread stopped"))
    return Readiness(
        status="ready",
        store=system.store.describe(),
        transport=transport,
        clearing=clearing,
        positions={k: v or 0 for k, v in positions.items()},
    )


def _unavailable(component: str, error: Exception) -> JSONResponse:
    from clearinghouse.api.errors import ServiceRefused, problem

    return problem(ServiceRefused("SVC-007", component=component, reason=str(error) or "no answer"))
