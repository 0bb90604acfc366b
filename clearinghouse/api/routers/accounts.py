"""A registry's accounts: open one, list them, read one (its blocks)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from clearinghouse.api.auth import Operator, RegistryReader, ServicesDep, within
from clearinghouse.api.errors import ERRORS
from clearinghouse.api.idempotency import IdempotencyKey, idempotent
from clearinghouse.api.records import one, written
from clearinghouse.api.views import AccountSummary, AccountView
from clearinghouse.commands import OpenAccount
from projections.holdings import registry_holdings
from projections.log import read

router = APIRouter(prefix="/registries/{registry}/accounts", tags=["accounts"], responses=ERRORS)


@router.get("", response_model=list[AccountSummary], summary="accounts and what they hold")
def accounts(registry: str, svc: ServicesDep, caller: RegistryReader) -> list[AccountSummary]:
    within(caller, registry, "read the accounts")
    app = svc.system.registry(registry)
    return [AccountSummary(account=a, **v) for a, v in registry_holdings(read(app)).items()]


@router.get("/{account}", response_model=AccountView, summary="one account, block by block")
def account(registry: str, account: str, svc: ServicesDep, caller: RegistryReader) -> AccountView:
    within(caller, registry, "read the accounts")
    found = svc.system.registry(registry).account(account)
    return one(found, "account", f"{account} in {registry}", AccountView.of)


@router.post(
    "",
    status_code=201,
    response_model=AccountView,
    responses={200: {"model": AccountView, "description": "the account exists already: unchanged"}},
    summary="open an account",
    description="Kinds: `holding` and the registry's own (see the registry's adapter). "
    "Opening an account that exists changes nothing (200).",
)
def open_account(
    registry: str,
    body: OpenAccount,
    request: Request,
    svc: ServicesDep,
    caller: Operator,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    within(caller, registry, "open accounts")

    def run() -> JSONResponse:
        app = svc.system.registry(registry)
        existed = app.account(body.account) is not None
        svc.command(lambda: app.open_account(body), registry)
        opened = app.account(body.account)
        assert opened is not None
        return written(AccountView.of(opened), existed)

    return idempotent(svc, caller, idempotency_key, request, body, run)
