"""``Idempotency-Key``: a repeated command returns the first result, changes nothing.

Commands are idempotent already by their own ids (a registry transaction id,
an agreement's code): repeating one changes nothing. The header adds what a
client retrying over an unreliable network needs: the *same answer* as the
first time, even if the transaction has moved on since, and a refusal
(SVC-004, 422) if the key is reused for a different request. The first
response is kept in the ACCESS application, per API key and idempotency key;
if two identical requests race, both run (harmlessly) and both answer the one
response recorded first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from adapters.catalogue import NotReproducible
from clearinghouse.api.errors import ServiceRefused, not_found, problem
from clearinghouse.api.services import Services
from clearinghouse.application import AdminError
from clearinghouse.checks import Refused
from clearinghouse.service.access import Principal
from clearinghouse.service.system import UnknownRegistry

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Any unique string per command (a UUID is fine): repeating the request "
        "with the same key returns the first response and changes nothing.",
    ),
]
REPLAYED = "Idempotent-Replayed"


def outcome(run: Callable[[], JSONResponse]) -> JSONResponse:
    """The response, refusals included (so that they can be kept too)."""
    try:
        return run()
    except Refused as refused:
        return problem(refused)
    except UnknownRegistry as error:
        return problem(not_found("registry", error.code))
    except (AdminError, NotReproducible) as error:
        return problem(ServiceRefused("SVC-006", reason=str(error)))


def idempotent(
    svc: Services,
    caller: Principal,
    key: str | None,
    request: Request,
    body: BaseModel | None,
    run: Callable[[], JSONResponse],
) -> JSONResponse:
    if key is None:
        return outcome(run)
    what = f"{request.method} {request.url.path}"
    text = body.model_dump_json() if body is not None else ""
    fingerprint = hashlib.sha256(f"{what}\n{text}".encode()).hexdigest()
    first = svc.access.response(caller.key_id, key)
    if first is None:
        response = outcome(run)
        if response.status_code >= 500:
            return response  # not a result: the client may retry with the same key
        result = json.loads(bytes(response.body))
        first = svc.access.record_response(
            caller.key_id, key, fingerprint, what, response.status_code, result
        )
        if (first.fingerprint, first.status, first.body) == (
            fingerprint,
            response.status_code,
            result,
        ):
            return response  # ours is the first (else a concurrent twin's is)
    if first.fingerprint != fingerprint:
        return problem(ServiceRefused("SVC-004", key=key, first=first.request))
    return JSONResponse(first.body, first.status, headers={REPLAYED: "true"})
