"""Simulations: start one, follow it, read its results and report, re-account it
under other rule sets (negotiators start, cancel and re-account; auditors and
administrators read).

The engine is issue #5's (``clearinghouse/simulation``, as ``clearinghouse
simulate`` runs it); :class:`~clearinghouse.service.simulations.SimulationRunner`
runs it in the background, one folder and one SQLite store per run. A process
with simulations turned off answers 503 (SVC-007) rather than pretending.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from clearinghouse.api.auth import ServicesDep, SimulationReader, Simulator
from clearinghouse.api.errors import ERRORS, Problem, ServiceRefused
from clearinghouse.api.idempotency import IdempotencyKey, idempotent
from clearinghouse.api.records import or_404
from clearinghouse.api.services import Services, SimulationService
from clearinghouse.service.simulation_requests import (
    AccountingRequest,
    ScenarioCheck,
    SimulationRequest,
    SimulationStatus,
)

NOT_READY = {"model": Problem, "description": "SVC-008: the simulation is not in a state for this"}
router = APIRouter(
    prefix="/simulations",
    tags=["simulations"],
    responses={
        **ERRORS,
        503: {"model": Problem, "description": "SVC-007: simulations off here, or too many queued"},
    },
)
SimulationId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="the id POST /simulations answered",
    ),
]
FileName = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$",
        description="a name from the run's `files` (report.html, results.json, "
        "charts/prices.png, flows.csv, …)",
    ),
]


def _engine(svc: Services) -> SimulationService:
    if svc.simulations is None:
        raise ServiceRefused(
            "SVC-007",
            component="the simulation service",
            reason="simulations are turned off in this process "
            "(CLEARINGHOUSE_SIMULATION_WORKERS=0)",
        )
    return svc.simulations


def _accepted(status: SimulationStatus) -> JSONResponse:
    return JSONResponse(
        status.model_dump(mode="json"), 202, headers={"Location": f"/simulations/{status.id}"}
    )


@router.post(
    "",
    status_code=202,
    summary="start a simulation of a scenario",
    description="Queues the scenario's run and answers at once (202) with its id; follow it "
    "with GET /simulations/{id}. The scenario is the same as a scenario file "
    "(docs/scenarios.md), as JSON fields (`scenario`) or as the file's text (`yaml`). An "
    "invalid scenario is refused (422: INP-001 for the JSON's shape, SIM-001/SIM-002 for "
    "the rest, each field and why) and nothing is started. `?check=true` only validates "
    "(200), like `clearinghouse simulate --check`.",
    responses={
        200: {"model": ScenarioCheck, "description": "?check=true: valid, nothing started"},
        202: {"model": SimulationStatus, "description": "queued"},
    },
)
def start(
    body: SimulationRequest,
    request: Request,
    svc: ServicesDep,
    caller: Simulator,
    check: Annotated[bool, Query(description="validate only; start nothing")] = False,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    engine = _engine(svc)
    if check:
        return JSONResponse(engine.check(body).model_dump(mode="json"), 200)
    return idempotent(
        svc,
        caller,
        idempotency_key,
        request,
        body,
        lambda: _accepted(engine.start(body, caller.label)),
    )


@router.get("", summary="simulations, newest first")
def runs(
    svc: ServicesDep,
    _: SimulationReader,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[SimulationStatus]:
    return _engine(svc).runs(limit)


@router.get(
    "/{simulation_id}",
    summary="where a simulation stands",
    description="`state`: queued, running (with `progress`: steps done, years done of "
    "the run's years), finished (with `outcome` and the `files` it wrote), failed (with "
    "`error`: the check code if a check stopped it, and the reason) or cancelled.",
)
def status(simulation_id: SimulationId, svc: ServicesDep, _: SimulationReader) -> SimulationStatus:
    return or_404(_engine(svc).status(simulation_id), "simulation", simulation_id)


@router.get(
    "/{simulation_id}/results",
    summary="a finished simulation's results (results.json)",
    description="Prices without and with the links (`prices.autarky`, `prices.linked`), "
    "flows, payments, gains, corresponding adjustments, the Article 6 summaries per rule "
    "set, the double-counting check, refusals, and the run's figures. 409 SVC-008 until "
    "the run has finished.",
    responses={409: NOT_READY},
)
def results(simulation_id: SimulationId, svc: ServicesDep, _: SimulationReader) -> dict[str, Any]:
    return or_404(_engine(svc).results(simulation_id), "simulation", simulation_id)


@router.get(
    "/{simulation_id}/files/{name:path}",
    summary="one file of a finished simulation (report.html, charts/*.png, *.csv, …)",
    response_class=FileResponse,
    responses={
        200: {
            "description": "the file",
            "content": {
                "text/html": {},
                "image/png": {},
                "text/csv": {},
                "application/json": {},
                "application/yaml": {},
            },
        },
        409: NOT_READY,
    },
)
def file(
    simulation_id: SimulationId, name: FileName, svc: ServicesDep, _: SimulationReader
) -> FileResponse:
    found = _engine(svc).file(simulation_id, name)
    path, media_type = or_404(found, "simulation file", f"{simulation_id}/{name}")
    return FileResponse(path, media_type=media_type)


@router.get(
    "/{simulation_id}/archive",
    summary="a finished simulation's files as one zip (the report with its charts)",
    response_class=Response,
    responses={200: {"description": "a zip", "content": {"application/zip": {}}}, 409: NOT_READY},
)
def archive(simulation_id: SimulationId, svc: ServicesDep, _: SimulationReader) -> Response:
    name, content = or_404(_engine(svc).archive(simulation_id), "simulation", simulation_id)
    disposition = f'attachment; filename="{name}"'
    return Response(
        content, media_type="application/zip", headers={"Content-Disposition": disposition}
    )


@router.post(
    "/{simulation_id}/accounting",
    status_code=202,
    summary="re-account a finished simulation under other rule sets",
    description="Applies the rule sets to the run's event log without clearing the "
    "markets again (`clearinghouse simulate --rules` on an existing run); the results "
    "and report are rewritten. Queued like a run (202); 409 SVC-008 while it is not "
    "finished.",
    responses={202: {"model": SimulationStatus, "description": "queued"}, 409: NOT_READY},
)
def reaccount(
    simulation_id: SimulationId,
    body: AccountingRequest,
    request: Request,
    svc: ServicesDep,
    caller: Simulator,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    engine = _engine(svc)

    def run() -> JSONResponse:
        found = engine.reaccount(simulation_id, body.rules, caller.label)
        return _accepted(or_404(found, "simulation", simulation_id))

    return idempotent(svc, caller, idempotency_key, request, body, run)


@router.post(
    "/{simulation_id}/cancel",
    summary="cancel a queued or running simulation",
    description="A queued run is dropped at once; a running one stops at its next step "
    "(markets cleared, each simulated year) and ends `cancelled`. 409 SVC-008 for a run "
    "that has ended.",
    responses={409: NOT_READY},
)
def cancel(simulation_id: SimulationId, svc: ServicesDep, _: Simulator) -> SimulationStatus:
    return or_404(_engine(svc).cancel(simulation_id), "simulation", simulation_id)
