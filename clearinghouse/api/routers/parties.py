"""Parties to the Paris Agreement and their NDCs (administrators write)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from clearinghouse.api.auth import Administrator, Reader, ServicesDep
from clearinghouse.api.errors import ERRORS, ServiceRefused, not_found
from clearinghouse.api.idempotency import IdempotencyKey, idempotent
from clearinghouse.api.views import PartyView
from clearinghouse.commands import RegisterParty
from clearinghouse.participant import UnitOfWork
from clearinghouse.parties import Party, party_id

router = APIRouter(prefix="/parties", tags=["parties"], responses=ERRORS)


def _party(svc: ServicesDep, code: str) -> Party | None:
    return UnitOfWork(svc.system.clearinghouse).get(Party, party_id(code))


@router.get("", response_model=list[PartyView], summary="registered Parties")
def parties(svc: ServicesDep, _: Reader) -> list[PartyView]:
    found = (_party(svc, code) for code in svc.system.codes("parties"))
    return [PartyView.of(p) for p in found if p is not None]


@router.get("/{code}", response_model=PartyView, summary="one Party")
def party(code: str, svc: ServicesDep, _: Reader) -> PartyView:
    found = _party(svc, code)
    if found is None:
        raise not_found("Party", code)
    return PartyView.of(found)


@router.post(
    "",
    status_code=201,
    response_model=PartyView,
    responses={200: {"model": PartyView, "description": "registered already: unchanged"}},
    summary="register a Party and its NDC",
    description="Registering the same Party again changes nothing (200); another name or "
    "NDC under an existing code is refused (SVC-006).",
)
def register(
    body: RegisterParty,
    request: Request,
    svc: ServicesDep,
    caller: Administrator,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def run() -> JSONResponse:
        existing = _party(svc, body.code)
        if existing is not None:
            wanted = (body.name, body.ndc.model_dump(mode="json"))
            if (existing.name, existing.ndc) != wanted:
                raise ServiceRefused(
                    "SVC-006",
                    reason=f"Party {body.code} is registered as {existing.name!r} "
                    f"with NDC {existing.ndc}",
                )
        svc.command(lambda: svc.system.clearinghouse.register_party(body))
        view = PartyView.of(_party(svc, body.code))  # type: ignore[arg-type]
        return JSONResponse(view.model_dump(mode="json"), 200 if existing else 201)

    return idempotent(svc, caller, idempotency_key, request, body, run)
