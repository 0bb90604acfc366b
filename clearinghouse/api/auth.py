"""Who is calling, and may they: FastAPI dependencies over the ACCESS application.

``Authorization: Bearer <key>`` names the key; :func:`allowed` checks the key's
role has the permission a route needs (SVC-002) and :func:`within` that a
registry operator acts only for its own registry (SVC-003).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from clearinghouse.api.errors import ServiceRefused
from clearinghouse.api.services import Services
from clearinghouse.service.access import Permission, Principal

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="api_key",
    description="An API key made by `clearinghouse keys create` (chk_…).",
)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


def principal(
    svc: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise ServiceRefused("SVC-001", reason="No API key was sent")
    found = svc.access.authenticate(credentials.credentials)
    if found is None:
        raise ServiceRefused("SVC-001", reason="The API key is unknown or revoked")
    return found


def allowed(permission: Permission) -> Callable[[Principal], Principal]:
    """A dependency: the caller, if their role has ``permission``."""

    def check(caller: Annotated[Principal, Depends(principal)]) -> Principal:
        if not caller.may(permission):
            raise ServiceRefused("SVC-002", role=caller.role.replace("_", " "), action=permission)
        return caller

    return check


def within(caller: Principal, registry: str, action: str) -> None:
    """A registry operator's key acts only for its own registry."""
    if caller.role == "registry_operator" and caller.jurisdiction != registry:
        raise ServiceRefused("SVC-003", own=caller.jurisdiction, registry=registry, action=action)


Reader = Annotated[Principal, Depends(allowed(Permission.READ_REFERENCE))]
RegistryReader = Annotated[Principal, Depends(allowed(Permission.READ_REGISTRY))]
Operator = Annotated[Principal, Depends(allowed(Permission.OPERATE_REGISTRY))]
Administrator = Annotated[Principal, Depends(allowed(Permission.ADMINISTER))]
Accountant = Annotated[Principal, Depends(allowed(Permission.READ_ACCOUNTING))]
Auditor = Annotated[Principal, Depends(allowed(Permission.AUDIT))]
Simulator = Annotated[Principal, Depends(allowed(Permission.SIMULATE))]
SimulationReader = Annotated[Principal, Depends(allowed(Permission.READ_SIMULATIONS))]
