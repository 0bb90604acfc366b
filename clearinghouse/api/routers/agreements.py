"""Linkage agreements and Article 6.2 authorizations (administrators write)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from clearinghouse.agreements import Direction, Limit, LinkageAgreement, agreement_id
from clearinghouse.api.auth import Administrator, Reader, ServicesDep
from clearinghouse.api.errors import ERRORS, not_found
from clearinghouse.api.idempotency import IdempotencyKey, idempotent
from clearinghouse.api.records import listed, one, write_once
from clearinghouse.api.views import AgreementView, AuthorizationView
from clearinghouse.authorizations import Authorization, authorization_id
from clearinghouse.checks import Refused
from clearinghouse.commands import ChangeAgreement, ConcludeAgreement, GrantAuthorization
from clearinghouse.participant import UnitOfWork

router = APIRouter(tags=["agreements"], responses=ERRORS)


def _agreement(svc: ServicesDep, code: str) -> LinkageAgreement | None:
    return UnitOfWork(svc.system.clearinghouse).get(LinkageAgreement, agreement_id(code))


def _authorization(svc: ServicesDep, code: str) -> Authorization | None:
    return UnitOfWork(svc.system.clearinghouse).get(Authorization, authorization_id(code))


@router.get("/agreements", response_model=list[AgreementView], summary="linkage agreements")
def agreements(svc: ServicesDep, _: Reader) -> list[AgreementView]:
    found = (_agreement(svc, code) for code in svc.system.codes("agreements"))
    return listed(found, AgreementView.of)


@router.get("/agreements/{code}", response_model=AgreementView, summary="one agreement")
def agreement(code: str, svc: ServicesDep, _: Reader) -> AgreementView:
    return one(_agreement(svc, code), "agreement", code, AgreementView.of)


def _other_terms(a: LinkageAgreement, cmd: ConcludeAgreement) -> str | None:
    same = (
        a.jurisdictions == cmd.jurisdictions
        and a.directions == [Direction.of(d.model_dump(mode="json")) for d in cmd.directions]
        and a.limits == [Limit.of(x.model_dump(mode="json")) for x in cmd.limits]
        and (a.effective_from, a.effective_until) == (cmd.effective_from, cmd.effective_until)
        and (a.authorized, a.cooperative_approach) == (cmd.authorized, cmd.cooperative_approach)
    )
    return None if same else f"agreement {cmd.code} exists with other terms"


@router.post(
    "/agreements",
    status_code=201,
    response_model=AgreementView,
    responses={200: {"model": AgreementView, "description": "concluded already: unchanged"}},
    summary="conclude a linkage agreement",
    description="Members must be connected. Concluding the same agreement again changes "
    "nothing (200); other terms under an existing code are refused (SVC-006): suspend, "
    "resume or de-link it with POST /agreements/{code}/changes.",
)
def conclude(
    body: ConcludeAgreement,
    request: Request,
    svc: ServicesDep,
    caller: Administrator,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def run() -> JSONResponse:
        return write_once(
            svc,
            lambda: _agreement(svc, body.code),
            lambda existing: _other_terms(existing, body),
            lambda: svc.system.clearinghouse.conclude_agreement(body),
            AgreementView.of,
        )

    return idempotent(svc, caller, idempotency_key, request, body, run)


@router.post(
    "/agreements/{code}/changes",
    response_model=AgreementView,
    summary="suspend, resume or de-link an agreement",
    description="The body's `code` must be the path's. A change already in effect changes nothing.",
)
def change(
    code: str,
    body: ChangeAgreement,
    request: Request,
    svc: ServicesDep,
    caller: Administrator,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def run() -> JSONResponse:
        if body.code != code:
            raise Refused(
                "INP-001", field="body.code", reason=f"is {body.code}, the path names {code}"
            )
        if _agreement(svc, code) is None:
            raise not_found("agreement", code)
        svc.command(lambda: svc.system.clearinghouse.change_agreement(body))
        view = AgreementView.of(_agreement(svc, code))  # type: ignore[arg-type]
        return JSONResponse(view.model_dump(mode="json"), 200)

    return idempotent(svc, caller, idempotency_key, request, body, run)


@router.get(
    "/authorizations",
    response_model=list[AuthorizationView],
    summary="Article 6.2 authorizations",
)
def authorizations(svc: ServicesDep, _: Reader) -> list[AuthorizationView]:
    found = (_authorization(svc, code) for code in svc.system.codes("authorizations"))
    return listed(found, AuthorizationView.of)


@router.get("/authorizations/{code}", response_model=AuthorizationView, summary="one authorization")
def authorization(code: str, svc: ServicesDep, _: Reader) -> AuthorizationView:
    return one(_authorization(svc, code), "authorization", code, AuthorizationView.of)


@router.post(
    "/authorizations",
    status_code=201,
    response_model=AuthorizationView,
    responses={200: {"model": AuthorizationView, "description": "granted already: unchanged"}},
    summary="grant an Article 6.2 authorization",
    description="Granting the same authorization again changes nothing (200); other terms "
    "under an existing code are refused (SVC-006).",
)
def grant(
    body: GrantAuthorization,
    request: Request,
    svc: ServicesDep,
    caller: Administrator,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def other_terms(existing: Authorization) -> str | None:
        terms = AuthorizationView.of(existing).model_dump(exclude={"used"})
        same = terms == body.model_dump()
        return None if same else f"authorization {body.code} exists with other terms"

    def run() -> JSONResponse:
        return write_once(
            svc,
            lambda: _authorization(svc, body.code),
            other_terms,
            lambda: svc.system.clearinghouse.grant_authorization(body),
            AuthorizationView.of,
        )

    return idempotent(svc, caller, idempotency_key, request, body, run)
