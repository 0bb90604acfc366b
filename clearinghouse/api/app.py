"""The HTTP API: ``create_app`` builds the FastAPI application.

OpenAPI at ``/docs`` (and ``/openapi.json``). Every route but ``/health`` and
``/ready`` needs an API key (``Authorization: Bearer chk_…``); the key's role
decides what it may do (clearinghouse/service/access.py). docs/operations.md
has the tour.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from clearinghouse.api import errors
from clearinghouse.api.routers import (
    accounts,
    agreements,
    article6,
    audit,
    health,
    parties,
    registries,
    simulations,
    transactions,
)
from clearinghouse.api.services import Services
from clearinghouse.service.settings import ServiceSettings

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20  # bytes

DESCRIPTION = """\
The clearinghouse for linked carbon markets, as a service.

* **Registry operators** (a key scoped to one registry) open accounts, issue,
  transfer (internally and across borders), surrender, retire and cancel, and
  follow each transaction until it ends.
* **Administrators** register Parties, connect registries, conclude linkage
  agreements and grant Article 6.2 authorizations.
* **Auditors** read everything and run the audit checks; they change nothing.
* **Negotiators** run simulations and compare accounting rule variants.

Commands take an `Idempotency-Key` header: a repeated request returns the first
result and changes nothing. Errors carry a check code (`docs/checks.md`):
422 invalid input (INP-001, field by field), 409 refused (the deciding check),
404 not found, 401 no valid key, 403 not allowed for this key.
"""


def create_app(
    settings: ServiceSettings | None = None, services: Services | None = None
) -> FastAPI:
    """The application; ``services`` (tests) or else opened from ``settings`` at start."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = services or Services.open(settings or ServiceSettings())
        app.state.services = svc
        if svc.settings.bootstrap == "demo":
            bootstrap_demo(svc)
        svc.start()
        try:
            yield
        finally:
            if services is None:  # what the app opened, the app closes
                svc.close()

    app = FastAPI(
        title="Clearinghouse for linked carbon markets",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    if services is not None:
        app.state.services = services
    errors.install(app)

    @app.middleware("http")
    async def bounded(request: Request, call_next: Any) -> Any:
        """Refuse bodies over MAX_BODY before reading them (every command is small)."""
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            body = {"code": "INP-001", "reason": f"request body over {MAX_BODY:,} bytes"}
            return JSONResponse(body, 413)
        return await call_next(request)

    for module in (
        health,
        registries,
        parties,
        accounts,
        transactions,
        agreements,
        article6,
        audit,
        simulations,
    ):
        app.include_router(module.router)
    return app


def bootstrap_demo(svc: Services) -> None:
    """The demo's Parties, registries, agreements, authorization and accounts
    (clearinghouse/demo.py), set up once; idempotent on every start."""
    from clearinghouse import demo

    svc.command(lambda: demo.setup(svc.system))
    log.info("bootstrap: the demo's world is set up (%s)", ", ".join(svc.system.connected()))
