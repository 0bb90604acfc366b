"""Simulations: start one, follow it, read its results (negotiators start them;
auditors and administrators may read them).

The simulation engine is issue #5's (``clearinghouse/simulation``); this router
calls it through :class:`~clearinghouse.api.services.SimulationService`. A
build without it answers 503 (SVC-007) rather than pretending.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path

from clearinghouse.api.auth import ServicesDep, SimulationReader, Simulator
from clearinghouse.api.errors import ERRORS, Problem, ServiceRefused, not_found
from clearinghouse.api.services import Services, SimulationService

router = APIRouter(
    prefix="/simulations",
    tags=["simulations"],
    responses={**ERRORS, 503: {"model": Problem, "description": "SVC-007: not installed"}},
)
SimulationId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


def _engine(svc: Services) -> SimulationService:
    if svc.simulations is None:
        raise ServiceRefused(
            "SVC-007", component="the simulation service", reason="not installed in this build"
        )
    return svc.simulations


@router.post("", status_code=202, summary="start a simulation of a scenario")
def start(
    scenario: Annotated[dict[str, Any], Body(description="a scenario (docs/simulation.md)")],
    svc: ServicesDep,
    _: Simulator,
) -> dict[str, str]:
    return {"id": _engine(svc).start(scenario)}


@router.get("/{simulation_id}", summary="where a simulation stands")
def status(simulation_id: SimulationId, svc: ServicesDep, _: SimulationReader) -> dict[str, Any]:
    found = _engine(svc).status(simulation_id)
    if found is None:
        raise not_found("simulation", simulation_id)
    return found


@router.get("/{simulation_id}/results", summary="a finished simulation's results")
def results(simulation_id: SimulationId, svc: ServicesDep, _: SimulationReader) -> dict[str, Any]:
    found = _engine(svc).results(simulation_id)
    if found is None:
        raise not_found("simulation results", simulation_id)
    return found
