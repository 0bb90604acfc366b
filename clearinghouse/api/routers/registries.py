"""Registries: the standard adapters, connecting a registry, reading them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from adapters.base import RegistryApplication, RegistryConfig
from adapters.catalogue import describe, from_data
from clearinghouse.api.auth import Administrator, Reader, ServicesDep
from clearinghouse.api.errors import ERRORS, ServiceRefused, not_found
from clearinghouse.api.idempotency import IdempotencyKey, idempotent
from clearinghouse.api.records import listed, one, written
from clearinghouse.api.views import RegistryView, StandardRegistry
from clearinghouse.checks import Refused
from clearinghouse.commands import ConnectRegistry
from clearinghouse.system import connect_command

router = APIRouter(prefix="/registries", tags=["registries"], responses=ERRORS)


@router.get("", response_model=list[RegistryView], summary="connected registries")
def registries(svc: ServicesDep, _: Reader) -> list[RegistryView]:
    found = (svc.system.jurisdiction(code) for code in svc.system.connected())
    return listed(found, RegistryView.of)


@router.get(
    "/catalogue",
    response_model=list[dict[str, Any]],
    summary="the standard registry adapters (`clearinghouse jurisdictions`)",
)
def catalogue(_: Reader) -> list[dict[str, Any]]:
    return describe()


@router.get("/{code}", response_model=RegistryView, summary="one registry")
def registry(code: str, svc: ServicesDep, _: Reader) -> RegistryView:
    return one(svc.system.jurisdiction(code), "registry", code, RegistryView.of)


@router.post(
    "",
    status_code=201,
    response_model=RegistryView,
    responses={
        200: {
            "model": RegistryView,
            "description": "connected already with this definition: unchanged",
        }
    },
    summary="connect a registry: a standard adapter, or a plain registry",
    description='Either `{"standard": "KR_ETS", "options": {...}}` (a catalogue adapter; '
    "its code and options are recorded so every process runs the same rules) or a plain "
    'registry `{"code", "name", "party", "unit_types"}`. The Party must be registered '
    "first. Connecting again with the same definition changes nothing (200).",
)
def connect(
    body: StandardRegistry | ConnectRegistry,
    request: Request,
    svc: ServicesDep,
    caller: Administrator,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def run() -> JSONResponse:
        if isinstance(body, StandardRegistry):
            try:
                config = from_data(body.standard, body.options)
            except KeyError as error:
                raise not_found("standard registry", body.standard) from error
            except (TypeError, ValueError) as error:  # an option the factory does not take
                raise Refused("INP-001", field="options", reason=str(error)) from error
        else:
            config = RegistryConfig(body.code, body.name, body.party, tuple(body.unit_types))
            if body.adapter is not None:
                raise ServiceRefused(
                    "SVC-006", reason='name a standard adapter as {"standard": code}'
                )
        existed = svc.system.jurisdiction(config.code) is not None
        # check the Party and the record before the registry's log is written
        svc.system.clearinghouse.connect_registry(connect_command(config))
        opened: RegistryApplication = svc.command(lambda: svc.system.add_registry(config))
        view = RegistryView.of(svc.system.jurisdiction(opened.code))  # type: ignore[arg-type]
        return written(view, existed)

    return idempotent(svc, caller, idempotency_key, request, body, run)
