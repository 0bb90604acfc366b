"""Moving units: issuance, transfers (internal and cross-border), surrender,
retirement, cancellation; and following a transaction until it ends.

A command answers with the registry's receipt: 200 when the transaction is
complete (an internal transfer), 202 while it is on its way (a proposal the
clearinghouse has not decided yet, a transfer between debit and credit), 409
with the check code when it was refused or rejected. ``?wait=N`` waits up to N
seconds for the transaction to end before answering; otherwise follow it with
``GET /registries/{registry}/transactions/{id}``.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from adapters.base import Receipt, RegistryApplication
from clearinghouse.api.auth import Operator, RegistryReader, ServicesDep, within
from clearinghouse.api.errors import ERRORS
from clearinghouse.api.idempotency import IdempotencyKey, idempotent
from clearinghouse.api.records import or_404
from clearinghouse.api.services import Services
from clearinghouse.api.views import ClearingView, TransactionView
from clearinghouse.commands import (
    Cancel,
    CrossBorderTransfer,
    InternalTransfer,
    Issue,
    Retire,
    Surrender,
)
from clearinghouse.service.access import Principal

router = APIRouter(tags=["transactions"], responses=ERRORS)

ENDED = {"completed", "rejected", "refused", "returned"}
REFUSED = {"rejected", "refused", "returned"}
Direction = Literal["out", "in", "internal"]
Wait = Annotated[
    float,
    Query(ge=0, le=60, description="seconds to wait for the transaction to end (0: answer now)"),
]


def view(app: RegistryApplication, receipt: Receipt, direction: str) -> Receipt:
    txn = app.transaction(receipt.transaction_id, direction)
    return TransactionView.of(app.receipt(txn), txn) if txn is not None else receipt


def answer(receipt: Receipt) -> JSONResponse:
    if receipt.state in REFUSED and receipt.code is not None:
        return _refusal(receipt)
    status = 200 if receipt.state == "completed" else 202
    return JSONResponse(receipt.model_dump(mode="json"), status)


def _refusal(receipt: Receipt) -> JSONResponse:
    """409 with the deciding check's code and reason, and the receipt."""
    body = {
        "code": receipt.code,
        "reason": receipt.reason or "",
        "receipt": receipt.model_dump(mode="json"),
    }
    return JSONResponse(body, 409)


def run_command(
    svc: Services,
    caller: Principal,
    registry: str,
    command: str,
    body: BaseModel,
    direction: Direction,
    request: Request,
    key: str | None,
    wait: float,
) -> JSONResponse:
    within(caller, registry, "move the units")

    def run() -> JSONResponse:
        app = svc.system.registry(registry)
        receipt: Receipt = svc.command(lambda: getattr(app, command)(body), registry)
        if receipt.code == "TXN-001":  # the id belongs to another transaction
            return _refusal(receipt)
        deadline = time.monotonic() + min(wait, svc.settings.max_wait_s)
        current = view(app, receipt, direction)
        pause = 0.005  # short at first (a transfer takes tens of ms), then backing off
        while current.state not in ENDED and time.monotonic() < deadline:
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
            current = view(app, receipt, direction)
        return answer(current)

    return idempotent(svc, caller, key, request, body, run)


RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": TransactionView, "description": "completed"},
    202: {"model": TransactionView, "description": "on its way: follow it with GET"},
}


def command_route(
    path: str,
    name: str,
    model: type[BaseModel],
    command: str,
    summary: str,
    direction: Direction = "out",
) -> None:
    """Register ``POST path``: the body (a ``model``) runs ``app.<command>`` on the registry.

    Every command route takes the same parameters and answers alike (``run_command``);
    only the body's model, the registry method and the OpenAPI name and summary differ.
    """

    def endpoint(
        registry: str,
        body: BaseModel,
        request: Request,
        svc: ServicesDep,
        caller: Operator,
        idempotency_key: IdempotencyKey = None,
        wait: Wait = 0,
    ) -> JSONResponse:
        return run_command(
            svc, caller, registry, command, body, direction, request, idempotency_key, wait
        )

    endpoint.__annotations__["body"] = model  # FastAPI validates and documents the body by it
    router.add_api_route(
        path, endpoint, methods=["POST"], name=name, responses=RESPONSES, summary=summary
    )


command_route(
    "/registries/{registry}/issuances",
    "issuance",
    Issue,
    "issue",
    summary="issue new units (cleared by the clearinghouse: no double issuance)",
)
command_route(
    "/registries/{registry}/transfers",
    "internal_transfer",
    InternalTransfer,
    "transfer",
    summary="transfer between two accounts of the registry",
    direction="internal",
)
command_route(
    "/registries/{registry}/cross-border-transfers",
    "cross_border_transfer",
    CrossBorderTransfer,
    "transfer_abroad",
    summary="transfer to another registry, cleared against the linkage agreement",
)
command_route(
    "/registries/{registry}/surrenders",
    "surrender",
    Surrender,
    "surrender",
    summary="surrender units for compliance",
)
command_route("/registries/{registry}/retirements", "retirement", Retire, "retire", "retire units")
command_route(
    "/registries/{registry}/cancellations", "cancellation", Cancel, "cancel", "cancel units"
)


@router.get(
    "/registries/{registry}/transactions/{transaction_id}",
    response_model=TransactionView,
    summary="a transaction as the registry records it",
    description="`direction`: `out` (proposed by this registry: issuance, cross-border "
    "transfer, surrender, …), `in` (a cross-border transfer received; ids are unique per "
    "source registry, so give `source` when two registries used the same id) or `internal`.",
)
def registry_transaction(
    registry: str,
    transaction_id: str,
    svc: ServicesDep,
    caller: RegistryReader,
    direction: Direction = "out",
    source: Annotated[
        str | None, Query(max_length=32, description="for `in`: the source registry")
    ] = None,
) -> TransactionView:
    within(caller, registry, "read the transactions")
    app = svc.system.registry(registry)
    found = app.transaction(transaction_id, direction, source)
    txn = or_404(found, "transaction", f"{transaction_id} ({direction}) in {registry}")
    return TransactionView.of(app.receipt(txn), txn)


@router.get(
    "/clearing/transactions/{registry}/{transaction_id}",
    response_model=ClearingView,
    summary="a transaction as the clearinghouse decided it (verdict, adjustments)",
)
def clearing_transaction(
    registry: str, transaction_id: str, svc: ServicesDep, caller: RegistryReader
) -> ClearingView:
    svc.system.registry(registry)  # 404 for a registry that is not connected
    found = svc.system.clearinghouse.transaction(transaction_id, registry)
    txn = or_404(found, "transaction", f"{registry}/{transaction_id} at the clearinghouse")
    if caller.role == "registry_operator" and caller.jurisdiction == txn.destination:
        return ClearingView.of(txn)  # the destination follows what comes in
    within(caller, registry, "read the transactions")
    return ClearingView.of(txn)
