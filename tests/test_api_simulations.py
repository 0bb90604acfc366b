"""Simulations over HTTP (TestClient, in process): a negotiator starts issue #5's
scenarios, follows them to the end and reads their results; invalid scenarios are
refused field by field with nothing started; each role's boundary; runs never
write into the service's store."""

from __future__ import annotations

import io
import json
import shutil
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearinghouse.api import create_app
from clearinghouse.api.services import Services
from clearinghouse.service.settings import ServiceSettings
from clearinghouse.service.simulations import SimulationRunner
from tests.api_support import Api, keys_for
from tests.coverage import covers

ROOT = Path(__file__).parent.parent
TWO = (ROOT / "scenarios" / "two-markets.yaml").read_text()
#: the same two markets over ten years: long enough to be caught queued or running
DECADE = TWO.replace("years: [2030]", "years: {from: 2030, to: 2039}")
#: A's abatement potential below what its cap asks: the markets cannot clear (SIM-003)
STUCK = TWO.replace("slope: 2.0}", "slope: 2.0, potential: 10}")
#: the same without the link (this ran "to the end" with an infinite price before)
ISOLATED = STUCK[: STUCK.index("links:")]


def open_api(folder: Path, **settings: Any) -> tuple[Api, TestClient]:
    services = Services.open(
        ServiceSettings(
            transport="in-process",
            store=":memory:",
            database_url=None,
            bootstrap="demo",
            simulations_dir=folder,
            **settings,
        )
    )
    client = TestClient(create_app(services=services))
    client.__enter__()
    return Api(client, services, keys_for(services)), client


def close_api(api: Api) -> None:
    api.client.__exit__(None, None, None)
    api.services.close()


@pytest.fixture
def sims(tmp_path: Path) -> Iterator[Api]:
    api, _ = open_api(tmp_path / "simulations")
    yield api
    close_api(api)


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, dict[str, Any]]]:
    """One run of the bundled two-markets scenario, followed to the end, shared by the
    tests that read it (a run is ~1 s of CPU)."""
    api, _ = open_api(tmp_path_factory.mktemp("simulations"))
    before = api.positions()
    started = api.post("negotiator", "/simulations", {"yaml": TWO})
    assert started.status_code == 202, started.json()
    status = wait(api, started.json()["id"])
    assert api.positions() == before  # the service's own logs: not one event more
    yield api, status
    close_api(api)


def wait(
    api: Api, run_id: str, until: tuple[str, ...] = ("finished", "failed", "cancelled")
) -> Any:
    """Poll the run's status until it is in one of ``until`` (a deadline, not a timing
    assertion: a run that never ends must fail the test, not hang it)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = api.get("negotiator", f"/simulations/{run_id}").json()
        if status["state"] in until:
            return status
        time.sleep(0.05)
    raise AssertionError(f"simulation {run_id} still {status['state']}")


def run_folders(api: Api) -> list[Path]:
    folder = api.services.settings.simulations_dir
    return sorted(folder.iterdir()) if folder.exists() else []


# -- a run, start to end -------------------------------------------------------------------


def test_two_markets_runs_to_the_end_with_the_closed_form_prices(
    finished: tuple[Api, dict[str, Any]],
) -> None:
    api, status = finished
    assert status["state"] == "finished", status
    assert status["scenario"] == "two-markets" and status["years"] == [2030]
    assert status["submitted_by"] == "negotiator" and status["rules"] == ["glasgow-2021"]
    assert status["progress"]["years_done"] == status["progress"]["years"] == 1
    assert status["outcome"]["violations"] == 0 and status["outcome"]["refusals"] == 0
    results = api.get("negotiator", f"/simulations/{status['id']}/results").json()
    # scenarios/two-markets.yaml (issue #5, item 1), closed form: autarky A 2 × 50 = 100,
    # B 1 × 20 = 20; linked, the 10 Mt limit binds: A 80, B 30, 10 Mt from B to A
    assert results["prices"]["autarky"] == {"A": {"2030": 100.0}, "B": {"2030": 20.0}}
    assert results["prices"]["linked"] == {"A": {"2030": 80.0}, "B": {"2030": 30.0}}
    assert results["flows"] == {"B->A": {"2030": 10.0}}
    assert results["adjustments"] == {"A": {"2030": -10_000_000}, "B": {"2030": 10_000_000}}
    assert results["violations"] == [] and results["refusals"] == []


def test_a_run_has_its_own_store_and_report_files(finished: tuple[Api, dict[str, Any]]) -> None:
    api, status = finished
    run = api.services.settings.simulations_dir / status["id"]
    assert sorted(p.name for p in (run / "store").iterdir()) == [
        "clearinghouse.sqlite",
        "registry_a.sqlite",
        "registry_b.sqlite",
    ]
    assert {"report.html", "results.json", "charts/prices.png", "flows.csv"} <= set(status["files"])
    assert not any(f.startswith("store/") or f == "status.json" for f in status["files"])
    page = api.get("auditor", f"/simulations/{status['id']}/files/report.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "two-markets" in page.text
    chart = api.get("auditor", f"/simulations/{status['id']}/files/charts/prices.png")
    assert chart.headers["content-type"] == "image/png" and chart.content[:4] == b"\x89PNG"
    archive = api.get("auditor", f"/simulations/{status['id']}/archive")
    assert archive.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    top = f"two-markets-{status['id'][:8]}"
    assert f"{top}/report.html" in names and f"{top}/charts/flows.png" in names
    assert not any("/store/" in n for n in names)


def test_results_with_a_non_finite_number_are_still_json(
    finished: tuple[Api, dict[str, Any]], tmp_path: Path
) -> None:
    """A run folder from before SIM-003 caught an isolated market that cannot meet its
    cap held an infinite price; its results must not fail the response (a 500)."""
    api, status = finished
    folder = tmp_path / "simulations"
    run_id = "e" * 32
    shutil.copytree(api.services.settings.simulations_dir / status["id"], folder / run_id)
    results = folder / run_id / "results.json"
    data = json.loads(results.read_text())
    data["prices"]["autarky"]["A"]["2030"] = float("inf")
    results.write_text(json.dumps(data))
    (folder / run_id / "status.json").write_text(json.dumps({**status, "id": run_id}))
    old, _ = open_api(folder)
    try:
        answer = old.get("auditor", f"/simulations/{run_id}/results")
        assert answer.status_code == 200
        assert answer.json()["prices"]["autarky"]["A"] == {"2030": "Infinity"}
    finally:
        close_api(old)


def test_runs_are_listed_newest_first(finished: tuple[Api, dict[str, Any]]) -> None:
    api, status = finished
    listed = api.get("auditor", "/simulations").json()
    assert [s["id"] for s in listed] == [status["id"]]


def test_a_scenario_as_json_fields_is_the_same_scenario(sims: Api) -> None:
    fields = yaml.safe_load(TWO)
    checked = api_check(sims, {"scenario": fields})
    assert checked.status_code == 200, checked.json()
    as_yaml = api_check(sims, {"yaml": TWO}).json()
    assert checked.json() == {**as_yaml, "sha256": checked.json()["sha256"]}
    assert as_yaml == {
        "valid": True,
        "scenario": "two-markets",
        "title": "",
        "years": [2030],
        "jurisdictions": ["A", "B"],
        "links": ["B_A"],
        "entities": 0,
        "rules": ["glasgow-2021"],
        "sha256": as_yaml["sha256"],
    }
    started = sims.post("negotiator", "/simulations", {"scenario": fields})
    status = wait(sims, started.json()["id"])
    assert status["state"] == "finished", status
    results = sims.get("negotiator", f"/simulations/{status['id']}/results").json()
    assert results["prices"]["linked"] == {"A": {"2030": 80.0}, "B": {"2030": 30.0}}
    assert run_folders(sims) == [sims.services.settings.simulations_dir / status["id"]]


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_bundled_scenario_is_admitted_alike_as_yaml_and_as_json(
    sims: Api, path: Path
) -> None:
    """The JSON form is the file's fields: the service runs the same scenario either way."""
    text = path.read_text()
    as_yaml = api_check(sims, {"yaml": text})
    fields = json.loads(json.dumps(yaml.safe_load(text), default=str))  # dates as JSON has them
    as_json = api_check(sims, {"scenario": fields})
    assert as_yaml.status_code == as_json.status_code == 200, (as_yaml.json(), as_json.json())
    assert {**as_json.json(), "sha256": ""} == {**as_yaml.json(), "sha256": ""}
    assert as_yaml.json()["scenario"] == path.stem
    assert run_folders(sims) == []


def _market(jid: str) -> st.SearchStrategy[dict[str, Any]]:
    amount = st.floats(0, 500, allow_nan=False)
    return st.fixed_dictionaries(
        {
            "id": st.just(jid),
            "party": st.sampled_from(["P", jid]),
            "cap": amount,
            "bau": amount,
            "mac": st.fixed_dictionaries(
                {"type": st.just("linear"), "slope": st.floats(0.01, 10)},
                optional={"potential": amount},
            ),
        }
    )


SCENARIOS = st.fixed_dictionaries(
    {
        "name": st.just("random"),
        "years": st.integers(2025, 2030).flatmap(
            lambda y: st.integers(y, y + 2).map(lambda z: {"from": y, "to": z})
        ),
        "jurisdictions": st.tuples(_market("A"), _market("B")).map(list),
        "links": st.lists(
            st.fixed_dictionaries(
                {
                    "from": st.just("B"),
                    "to": st.just("A"),
                    "authorized": st.just(True),
                    "direction": st.sampled_from(["one-way", "two-way"]),
                    "rate": st.sampled_from(["1", "1/2", "0.8", "3"]),
                },
                optional={"import_limit": st.floats(0, 50)},
            ),
            max_size=1,
        ),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(scenario=SCENARIOS)
def test_admission_answers_valid_or_422_never_an_error(
    finished: tuple[Api, dict[str, Any]], scenario: dict[str, Any]
) -> None:
    """Scenarios the schema-driven fuzz does not reach (it rarely makes a valid one):
    valid aggregate markets with any caps, slopes, limits and rates are admitted or
    refused, never a server error (TestClient re-raises one)."""
    api, _ = finished
    response = api.post("negotiator", "/simulations", {"scenario": scenario}, check="true")
    assert response.status_code in (200, 422), response.json()
    if response.status_code == 422:
        assert response.json()["code"] in ("INP-001", "SIM-002"), response.json()


def test_a_decade_reports_its_years_as_it_goes(sims: Api) -> None:
    started = sims.post("negotiator", "/simulations", {"yaml": DECADE})
    assert started.status_code == 202
    assert started.headers["Location"] == f"/simulations/{started.json()['id']}"
    seen = set()
    run_id = started.json()["id"]
    while (status := sims.get("auditor", f"/simulations/{run_id}").json())["state"] in (
        "queued",
        "running",
    ):
        if status["progress"] is not None:
            seen.add((status["progress"]["years_done"], status["progress"]["years"]))
        time.sleep(0.02)
    assert status["state"] == "finished", status
    assert status["progress"] == {
        "done": 12,
        "total": 12,  # markets cleared, registries set up, ten years
        "stage": "done",
        "years_done": 10,
        "years": 10,
    }
    assert all(of == 10 and 0 <= done <= 10 for done, of in seen)


# -- re-accounting -----------------------------------------------------------------------


def test_a_run_is_reaccounted_under_other_rules_without_simulating_again(sims: Api) -> None:
    run_id = sims.post("negotiator", "/simulations", {"yaml": TWO}).json()["id"]
    first = wait(sims, run_id)
    store = sims.services.settings.simulations_dir / run_id / "store"
    logs = {p.name: p.read_bytes() for p in store.iterdir()}
    again = sims.post(
        "negotiator",
        f"/simulations/{run_id}/accounting",
        {"rules": ["glasgow-2021", "public-workbook"]},
    )
    assert again.status_code == 202, again.json()
    assert again.json()["job"] == "re-account"
    status = wait(sims, run_id)
    assert status["state"] == "finished" and status["rules"] == ["glasgow-2021", "public-workbook"]
    results = sims.get("negotiator", f"/simulations/{run_id}/results").json()
    assert results["rules"] == ["glasgow-2021", "public-workbook"]
    assert set(results["accounting"]) == {"glasgow-2021", "public-workbook"}
    assert results["prices"]["linked"] == {"A": {"2030": 80.0}, "B": {"2030": 30.0}}
    assert status["outcome"]["events"] == first["outcome"]["events"]
    assert {p.name: p.read_bytes() for p in store.iterdir()} == logs  # the log untouched

    refused = sims.post("negotiator", f"/simulations/{run_id}/accounting", {"rules": ["/etc/x"]})
    assert refused.status_code == 422 and refused.json()["code"] == "INP-001"
    assert refused.json()["errors"][0]["field"] == "body.rules.0"
    assert "glasgow-2021" in refused.json()["errors"][0]["reason"]  # the presets, named
    busy = sims.post("negotiator", f"/simulations/{run_id}/accounting", {"rules": ["glasgow-2021"]})
    assert busy.status_code == 202
    kept = sims.post("negotiator", f"/simulations/{run_id}/cancel", {})
    assert (kept.status_code, kept.json()["code"]) == (409, "SVC-008")
    # (or, had it finished already: "only a queued or running simulation can be cancelled")
    assert (
        "re-accounting is not cancelled" in kept.json()["reason"]
        or "finished" in kept.json()["reason"]
    )
    assert wait(sims, run_id)["state"] == "finished"
    auditor = sims.post("auditor", f"/simulations/{run_id}/accounting", {"rules": ["glasgow-2021"]})
    assert (auditor.status_code, auditor.json()["code"]) == (403, "SVC-002")
    assert sims.get("negotiator", f"/simulations/{run_id}").json()["rules"] == ["glasgow-2021"]


# -- refusals: nothing started -----------------------------------------------------------


def api_check(api: Api, body: Any) -> Any:
    return api.post("negotiator", "/simulations", body, check="true")


def refused_and_nothing_started(api: Api, body: Any, code: str) -> list[dict[str, str]]:
    for check in (False, True):
        response = api.post(
            "negotiator", "/simulations", body, **({"check": "true"} if check else {})
        )
        assert response.status_code == 422, response.json()
        assert response.json()["code"] == code, response.json()
    assert run_folders(api) == [] and api.get("negotiator", "/simulations").json() == []
    errors: list[dict[str, str]] = response.json()["errors"]
    return errors


def test_an_invalid_scenario_as_json_names_the_field(sims: Api) -> None:
    fields = yaml.safe_load(TWO)
    fields["jurisdictions"][1]["mac"]["slope"] = -1.0
    errors = refused_and_nothing_started(sims, {"scenario": fields}, "INP-001")
    assert {"field": "body.scenario.jurisdictions.1.mac.slope", "reason": "Input should be "
            "greater than 0"} in errors  # fmt: skip


@covers("SIM-002")
def test_an_invalid_scenario_as_yaml_names_the_field_and_line(sims: Api) -> None:
    text = TWO.replace("slope: 1.0", "slope: -1.0")
    line = 1 + next(i for i, x in enumerate(text.splitlines()) if "slope: -1.0" in x)
    errors = refused_and_nothing_started(sims, {"yaml": text}, "SIM-002")
    assert errors == [
        {
            "field": "body.yaml.jurisdictions[1].mac.slope",
            "reason": f"line {line}: Input should be greater than 0",
        }
    ]


@covers("SIM-001")
def test_text_that_is_not_yaml_is_refused(sims: Api) -> None:
    errors = refused_and_nothing_started(sims, {"yaml": "name: x\nyears: [2030\n"}, "SIM-001")
    assert errors[0]["field"] == "body.yaml" and "not YAML at line" in errors[0]["reason"]


def test_an_unknown_adapter_option_is_refused_at_the_door(sims: Api) -> None:
    fields = {
        "name": "x",
        "years": [2024],
        "jurisdictions": [
            {
                "id": "KR",
                "party": "KR",
                "adapter": {"code": "KR_ETS", "options": {"phase3_auctions": "10"}},
                "entities": {
                    "count": 2,
                    "sectors": [
                        {"name": "s", "count": 2, "emissions": 1e5, "mac": {"full_cost": 100}}
                    ],
                },
            }
        ],
    }
    errors = refused_and_nothing_started(sims, {"scenario": fields}, "SIM-002")
    assert errors[0]["field"] == "body.scenario.jurisdictions[0].adapter.options.phase3_auctions"
    assert "takes no option 'phase3_auctions'" in errors[0]["reason"]


def test_an_adapter_the_simulator_cannot_drive_is_refused_at_the_door(sims: Api) -> None:
    """model.build's objection (a compliance adapter allocates per entity), before queueing."""
    fields = yaml.safe_load(TWO)
    fields["jurisdictions"][0]["adapter"] = {"code": "KR_ETS"}
    fields["jurisdictions"][0]["party"] = "KR"
    errors = refused_and_nothing_started(sims, {"scenario": fields}, "SIM-002")
    assert errors[0]["field"] == "body.scenario"
    assert "allocates per covered entity" in errors[0]["reason"]


def test_scenarios_the_engine_could_not_run_are_refused_at_the_door(sims: Api) -> None:
    """Found by running random valid-looking scenarios (the hypothesis test below): a
    market with nothing to abate, and an "authorized" link inside one Party, used to
    pass validation and fail the run with an error that was no check."""
    idle = TWO.replace("slope: 1.0}", "slope: 1.0, potential: 0}")
    errors = refused_and_nothing_started(sims, {"yaml": idle}, "SIM-002")
    assert errors[0]["field"] == "body.yaml"
    assert "B: nothing can abate in 2030" in errors[0]["reason"]
    inside = TWO.replace("party: B", "party: A")
    errors = refused_and_nothing_started(sims, {"yaml": inside}, "SIM-002")
    assert errors[0]["field"] == "body.yaml"
    assert "link B_A is inside Party A" in errors[0]["reason"]


def test_rule_sets_are_preset_names_not_server_files(sims: Api) -> None:
    fields = {**yaml.safe_load(TWO), "rules": ["/etc/passwd"]}
    errors = refused_and_nothing_started(sims, {"scenario": fields}, "SIM-002")
    assert errors[0]["field"] == "body.scenario.rules.0"
    errors = refused_and_nothing_started(sims, {"yaml": TWO, "rules": ["../x"]}, "INP-001")
    assert errors[0]["field"] == "body.rules.0"


def test_a_scenario_too_big_for_the_service_is_refused(tmp_path: Path) -> None:
    api, _ = open_api(tmp_path / "simulations", simulation_max_entities=1000)
    try:
        text = (ROOT / "scenarios" / "kr-cn-restricted.yaml").read_text()
        errors = refused_and_nothing_started(api, {"yaml": text}, "SIM-002")
        assert errors[0]["field"] == "body.yaml.jurisdictions"
        assert "at most 1,000 (CLEARINGHOUSE_SIMULATION_MAX_ENTITIES)" in errors[0]["reason"]
    finally:
        close_api(api)


def test_one_scenario_either_as_json_or_as_yaml(sims: Api) -> None:
    both = {"yaml": TWO, "scenario": yaml.safe_load(TWO)}
    errors = refused_and_nothing_started(sims, both, "INP-001")
    assert "either as `scenario` (JSON) or as `yaml`" in errors[0]["reason"]
    refused_and_nothing_started(sims, {}, "INP-001")


# -- failures, cancellation, the queue ----------------------------------------------------


@covers("SVC-008")
@pytest.mark.parametrize("text", [STUCK, ISOLATED], ids=["linked", "isolated"])
def test_a_run_that_fails_says_why_and_has_no_results(sims: Api, text: str) -> None:
    run_id = sims.post("negotiator", "/simulations", {"yaml": text}).json()["id"]
    status = wait(sims, run_id)
    assert status["state"] == "failed"
    assert status["error"]["code"] == "SIM-003"
    assert "A cannot meet its requirement" in status["error"]["reason"]
    results = sims.get("negotiator", f"/simulations/{run_id}/results")
    assert (results.status_code, results.json()["code"]) == (409, "SVC-008")
    assert "A cannot meet its requirement" in results.json()["reason"]
    again = sims.post(
        "negotiator", f"/simulations/{run_id}/accounting", {"rules": ["glasgow-2021"]}
    )
    assert (again.status_code, again.json()["code"]) == (409, "SVC-008")
    assert sims.get("negotiator", f"/simulations/{run_id}/archive").status_code == 409


def test_runs_queue_cancel_and_refuse_beyond_the_queue(tmp_path: Path) -> None:
    api, _ = open_api(tmp_path / "simulations", simulation_workers=1, simulation_queue=1)
    try:
        first = api.post("negotiator", "/simulations", {"yaml": DECADE}).json()
        second = api.post("negotiator", "/simulations", {"yaml": DECADE}).json()
        assert second["state"] == "queued"  # the only worker has the first
        full = api.post("negotiator", "/simulations", {"yaml": TWO})
        assert (full.status_code, full.json()["code"]) == (503, "SVC-007")
        assert "CLEARINGHOUSE_SIMULATION_QUEUE" in full.json()["reason"]
        assert len(run_folders(api)) == 2  # the refused one left nothing

        results = api.get("negotiator", f"/simulations/{second['id']}/results")
        assert (results.status_code, results.json()["code"]) == (409, "SVC-008")
        assert "not ready" in results.json()["reason"]
        assert api.post("auditor", f"/simulations/{second['id']}/cancel", {}).status_code == 403
        dropped = api.post("negotiator", f"/simulations/{second['id']}/cancel", {}).json()
        assert dropped["state"] == "cancelled"  # never ran
        assert api.post("negotiator", f"/simulations/{first['id']}/cancel", {}).status_code == 200
        stopped = wait(api, first["id"])
        assert stopped["state"] == "cancelled" and stopped["error"]["reason"] == "cancelled"
        ended = api.post("negotiator", f"/simulations/{first['id']}/cancel", {})
        assert (ended.status_code, ended.json()["code"]) == (409, "SVC-008")
        # room again
        assert api.post("negotiator", "/simulations", {"yaml": TWO}).status_code == 202
    finally:
        close_api(api)


def test_a_restarted_service_answers_for_its_runs_and_owns_up_to_the_interrupted(
    finished: tuple[Api, dict[str, Any]], tmp_path: Path
) -> None:
    api, status = finished
    folder = api.services.settings.simulations_dir
    again = SimulationRunner(folder)
    assert again.status(status["id"]) == api.services.simulations.status(status["id"])  # type: ignore[union-attr]
    # a run its last process left running
    left = tmp_path / "left"
    run_id = "f" * 32
    (left / run_id).mkdir(parents=True)
    stale = {**status, "id": run_id, "state": "running", "outcome": None, "files": []}
    (left / run_id / "status.json").write_text(json.dumps(stale))
    recovered = SimulationRunner(left).status(run_id)
    assert recovered is not None and recovered.state == "failed"
    assert recovered.error is not None and "interrupted" in recovered.error.reason


def test_simulations_turned_off_answer_503(tmp_path: Path) -> None:
    api, _ = open_api(tmp_path / "simulations", simulation_workers=0)
    try:
        off = api.post("negotiator", "/simulations", {"yaml": TWO})
        assert (off.status_code, off.json()["code"]) == (503, "SVC-007")
        assert "CLEARINGHOUSE_SIMULATION_WORKERS=0" in off.json()["reason"]
    finally:
        close_api(api)


def test_an_idempotency_key_starts_one_run(sims: Api) -> None:
    first = sims.post("negotiator", "/simulations", {"yaml": TWO}, key="sim-1")
    again = sims.post("negotiator", "/simulations", {"yaml": TWO}, key="sim-1")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert len(run_folders(sims)) == 1
    wait(sims, first.json()["id"])


# -- who may do what ------------------------------------------------------------------------


def test_roles_negotiators_start_auditors_and_administrators_read_operators_nothing(
    finished: tuple[Api, dict[str, Any]],
) -> None:
    api, status = finished
    run_id = status["id"]
    reads = [
        "/simulations",
        f"/simulations/{run_id}",
        f"/simulations/{run_id}/results",
        f"/simulations/{run_id}/files/report.html",
        f"/simulations/{run_id}/archive",
    ]
    for who in ("negotiator", "auditor", "admin"):
        for path in reads:
            assert api.get(who, path).status_code == 200, (who, path)
    for path in reads:
        refused = api.get("cn", path)
        assert (refused.status_code, refused.json()["code"]) == (403, "SVC-002"), path
    writes: list[tuple[str, Any]] = [
        ("/simulations", {"yaml": TWO}),
        (f"/simulations/{run_id}/accounting", {"rules": ["glasgow-2021"]}),
        (f"/simulations/{run_id}/cancel", {}),
    ]
    for who in ("cn", "auditor", "admin"):
        for path, body in writes:
            refused = api.post(who, path, body)
            assert (refused.status_code, refused.json()["code"]) == (403, "SVC-002"), (who, path)
    assert api.client.get("/simulations").status_code == 401
    assert [s["id"] for s in api.get("negotiator", "/simulations").json()] == [run_id]


def test_unknown_runs_are_404_and_names_cannot_leave_the_folder(
    finished: tuple[Api, dict[str, Any]],
) -> None:
    api, status = finished
    unknown = "0" * 32
    for path in [
        f"/simulations/{unknown}",
        f"/simulations/{unknown}/results",
        f"/simulations/{unknown}/archive",
        f"/simulations/{unknown}/files/report.html",
        "/simulations/..",
        f"/simulations/{status['id']}/files/store/clearinghouse.sqlite",
        f"/simulations/{status['id']}/files/status.json",
        f"/simulations/{status['id']}/files/../../x.json",
    ]:
        response = api.get("negotiator", path)
        assert response.status_code == 404, path
    for path, body in [
        (f"/simulations/{unknown}/accounting", {"rules": ["glasgow-2021"]}),
        (f"/simulations/{unknown}/cancel", {}),
    ]:
        response = api.post("negotiator", path, body)
        assert (response.status_code, response.json()["code"]) == (404, "SVC-005"), path


def test_serve_takes_the_simulation_settings_as_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from clearinghouse.cli import main

    assert main(["serve", "--simulation-workers", "-1"]) == 2
    assert "CLEARINGHOUSE_SIMULATION_WORKERS: Input should be greater than or equal to 0" in (
        capsys.readouterr().err
    )
