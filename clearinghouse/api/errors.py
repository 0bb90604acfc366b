"""Every error the API returns has a check code and a sentence, as JSON.

=====  ===================================================================
422    invalid input: ``INP-001`` with each bad field and why (also the Article 6
       input checks ART-001/008/009, SVC-004 for a reused Idempotency-Key, and
       SIM-001/002 for a scenario that is not YAML or not valid)
409    a refused transaction: the code of the check that refused it (``UNT-002``,
       ``QTY-001``, …) and its reason; SVC-006 for an administrative command that
       contradicts what is recorded; SVC-008 for a simulation not in a state to
       do what was asked (results of a running one)
404    SVC-005: no such registry, account, transaction, agreement, …
401    SVC-001: no key, or an unknown or revoked one
403    SVC-002 (the role may not do this) or SVC-003 (another registry's business)
503    SVC-007: the store or Redis is not reachable (nothing was committed)
=====  ===================================================================
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from adapters.base import Receipt
from adapters.catalogue import NotReproducible
from clearinghouse.application import AdminError
from clearinghouse.checks import Refused
from clearinghouse.commands import InvalidInput
from clearinghouse.participant import Contended
from clearinghouse.service.system import UnknownRegistry

#: refusals that mean "this input is wrong", answered 422 rather than 409
INPUT_CODES = frozenset(
    {"INP-001", "ART-001", "ART-008", "ART-009", "SVC-004", "SIM-001", "SIM-002"}
)
STATUS = {"SVC-001": 401, "SVC-002": 403, "SVC-003": 403, "SVC-005": 404, "SVC-007": 503}


class FieldError(BaseModel):
    field: str
    reason: str


class Problem(BaseModel):
    """The body of every error response."""

    code: str
    reason: str
    check_version: int | None = None
    errors: list[FieldError] | None = None
    #: the transaction as recorded, when a registry command was refused
    receipt: Receipt | None = None


class ServiceRefused(Refused):
    """A refusal by the service itself (SVC codes), with its HTTP status."""

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 422 if self.code in INPUT_CODES else 409)


def not_found(what: str, name: str) -> ServiceRefused:
    return ServiceRefused("SVC-005", what=what, name=name)


def status_of(refused: Refused) -> int:
    if isinstance(refused, ServiceRefused):
        return refused.status
    # the services behind the API (e.g. simulations) refuse with SVC codes too
    return STATUS.get(refused.code, 422 if refused.code in INPUT_CODES else 409)


def problem(refused: Refused, receipt: Receipt | None = None) -> JSONResponse:
    body = Problem(code=refused.code, reason=refused.reason, check_version=refused.version)
    if isinstance(refused, InvalidInput):
        body.errors = [FieldError(**e) for e in refused.errors]
    elif refused.code == "INP-001":  # one field, refused by a command's own rule
        body.errors = [FieldError(field=refused.facts["field"], reason=refused.facts["reason"])]
    body.receipt = receipt
    headers = {"WWW-Authenticate": "Bearer"} if refused.code == "SVC-001" else None
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True), status_of(refused), headers=headers
    )


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(input)"


def install(app: FastAPI) -> None:
    """Map exceptions to problems (plain ``def`` handlers would block the loop:
    these only format)."""

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [FieldError(field=_field(e["loc"]), reason=e["msg"]) for e in error.errors()]
        body = Problem(
            code="INP-001",
            reason="; ".join(f"{e.field}: {e.reason}" for e in errors),
            check_version=1,
            errors=errors,
        )
        return JSONResponse(body.model_dump(mode="json", exclude_none=True), 422)

    @app.exception_handler(Refused)
    async def refused(_: Request, error: Refused) -> JSONResponse:
        return problem(error)

    @app.exception_handler(UnknownRegistry)
    async def unknown(_: Request, error: UnknownRegistry) -> JSONResponse:
        return problem(not_found("registry", error.code))

    @app.exception_handler(AdminError)
    async def conflict(_: Request, error: AdminError) -> JSONResponse:
        return problem(ServiceRefused("SVC-006", reason=str(error)))

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def store_down(_: Request, error: Exception) -> JSONResponse:
        # nothing was committed: the client may retry (with the same Idempotency-Key)
        reason = str(error).strip() or type(error).__name__
        return problem(ServiceRefused("SVC-007", component="the event store", reason=reason))

    @app.exception_handler(Contended)
    async def contended(_: Request, error: Contended) -> JSONResponse:
        reason = f"{error}; nothing was written, retry"
        return problem(ServiceRefused("SVC-007", component="the store", reason=reason))

    @app.exception_handler(NotReproducible)
    async def unreproducible(_: Request, error: NotReproducible) -> JSONResponse:
        return problem(ServiceRefused("SVC-006", reason=str(error)))


#: the error responses routes declare in the OpenAPI document
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "SVC-001: no valid API key"},
    403: {"model": Problem, "description": "SVC-002/SVC-003: not allowed for this key"},
    404: {"model": Problem, "description": "SVC-005: not found"},
    409: {"model": Problem, "description": "refused: the check code and its reason"},
    422: {"model": Problem, "description": "INP-001: invalid input, field by field"},
}
