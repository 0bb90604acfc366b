"""OpenAPI-driven fuzzing (schemathesis) of the API in process: no request,
however odd, gets a 500, every response fits the documented schema and status
codes, and the double-counting invariants still hold after each one.

Bounded: a few examples per operation (FUZZ_EXAMPLES, default 12). Requests to
``/registries/{registry}/...`` go to CN_ETS with its operator's key, so that
registry commands reach the domain (and mostly meet its refusals); simulation
commands go with the negotiator's key, and ``POST /simulations`` only validates
(``?check=true``: the scenario is admitted or refused exactly as for a start,
but no run is queued); everything else is sent with the administrator's key.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks

from clearinghouse.api import create_app
from clearinghouse.api.services import Services
from clearinghouse.service.settings import ServiceSettings
from tests.api_support import keys_for

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
#: simulation commands go with the negotiator's key (the administrator's may only read)
SIMULATING = ("POST /simulations",)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, dict[str, str]]]:
    services = Services.open(
        ServiceSettings(
            transport="in-process",
            store=":memory:",
            database_url=None,
            simulations_dir=tmp_path_factory.mktemp("simulations"),
        )
    )
    app = create_app(services=services)
    with TestClient(app):  # runs the lifespan: the demo's world is set up
        from clearinghouse.api.app import bootstrap_demo

        bootstrap_demo(services)
        keys = keys_for(services)
        issue = services.system.registry("CN_ETS").issue
        services.command(
            lambda: issue(
                {
                    "transaction_id": "fuzz-funding",
                    "business_date": "2025-01-10",
                    "account": "HUANENG",
                    "unit_type": "CEA",
                    "vintage": 2025,
                    "quantity": 1_000_000,
                }
            )
        )
        yield services, keys
    services.close()


@pytest.fixture(scope="module")
def operations(world: tuple[Services, dict[str, str]]) -> list[Any]:
    services, _ = world
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(services=services))
    # the audit and simulation engines are other issues' (#6, #5): where this build
    # has none (or simulations are turned off), those routes answer 503 by design,
    # which the fuzz would count as a server error; with an engine they are fuzzed
    absent = {
        tag
        for tag, engine in (("audit", services.audit), ("simulations", services.simulations))
        if engine is None
    }
    found = [result.ok() for result in schema.get_all_operations()]
    return [op for op in found if not set(op.tags or ()) & absent]


def test_the_fuzz_covers_every_operation(operations: list[Any]) -> None:
    labels = {op.label for op in operations}
    assert "POST /registries/{registry}/cross-border-transfers" in labels
    assert len(labels) >= 25


def test_no_request_breaks_the_api_or_the_books(
    operations: list[Any], world: tuple[Services, dict[str, str]]
) -> None:
    services, keys = world
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],  # the failing request is printed
        )
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            who = "admin"
            if "registry" in (case.path_parameters or {}):
                case.path_parameters["registry"] = "CN_ETS"
                who = "cn"
            if case.operation.label.startswith(SIMULATING):
                who = "negotiator"
                if case.operation.label == "POST /simulations":
                    # validate, start nothing: a valid generated scenario would queue real,
                    # CPU-heavy runs (the start path is tested in test_api_simulations.py)
                    case.query = {**(case.query or {}), "check": True}
            headers = {"Authorization": f"Bearer {keys[who]}"}
            case.call_and_validate(headers=headers, checks=CHECKS)
            violations = services.article6.read(lambda view: view.invariants.violations())
            assert violations == [], violations

        fuzz()
