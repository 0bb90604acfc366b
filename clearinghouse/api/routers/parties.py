"""Parties to the Paris Agreement and their NDCs (administrators write)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from clearinghouse.api.auth import Administrator, Reader, ServicesDep
from clearinghouse.api.errors import ERRORS
from clearinghouse.api.idempotency import IdempotencyKey, idempotent
from clearinghouse.api.records import listed, one, write_once
from clearinghouse.api.views import PartyView
from clearinghouse.commands import RegisterParty
from clearinghouse.participant import UnitOfWork
from clearinghouse.parties import Party, party_id

router = APIRouter(prefix="/parties", tags=["parties"], responses=ERRORS)


def _party(svc: ServicesDep, code: str) -> Party | None:
    return UnitOfWork(svc.system.clearinghouse).get(Party, party_id(code))


@router.get("", response_model=list[PartyView], summary="registered Parties")
def parties(svc: ServicesDep, _: Reader) -> list[PartyView]:
    return listed((_party(svc, code) for code in svc.system.codes("parties")), PartyView.of)


@router.get("/{code}", response_model=PartyView, summary="one Party")
def party(code: str, svc: ServicesDep, _: Reader) -> PartyView:
    return one(_party(svc, code), "Party", code, PartyView.of)


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
    def other_terms(existing: Party) -> str | None:
        if (existing.name, existing.ndc) == (body.name, body.ndc.model_dump(mode="json")):
            return None
        return f"Party {body.code} is registered as {existing.name!r} with NDC {existing.ndc}"

    def run() -> JSONResponse:
        return write_once(
            svc,
            lambda: _party(svc, body.code),
            other_terms,
            lambda: svc.system.clearinghouse.register_party(body),
            PartyView.of,
        )

    return idempotent(svc, caller, idempotency_key, request, body, run)
