"""What the simulation endpoints take and answer, and how a scenario sent over HTTP
is admitted.

Admission applies the same pydantic model and SIM checks as ``clearinghouse
simulate`` (``clearinghouse.simulation.scenario.parse``: SIM-001 not YAML, SIM-002
invalid, field by field), and what a shared service must add:

* rule sets by preset name only (a name the CLI would also take as a file path
  must not let an HTTP caller read the server's files);
* at most ``simulation_max_entities`` synthetic entities drawn (a scenario can ask
  for millions; the service is shared);
* the jurisdictions' models are built (``model.build``: the adapters' own
  objections, e.g. a compliance adapter given an aggregate market), so that a
  scenario that cannot run is refused at the door, not after queueing.

Nothing here starts anything: :func:`admit` returns the scenario as loaded, or
raises :class:`InvalidScenario` (HTTP 422 with each field and why).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from clearinghouse.checks import Refused
from clearinghouse.commands import InvalidInput
from clearinghouse.simulation.scenario import Loaded, Scenario, parse

#: the largest scenario text accepted (the API refuses bodies over 1 MiB anyway)
MAX_YAML = 512 * 1024


def _preset(name: str) -> str:
    from projections.article6 import rules

    known = rules.presets()
    if name not in known:
        raise ValueError(f"no rule-set preset {name!r} (presets: {', '.join(known)})")
    return name


#: an Article 6 rule set by preset name (``GET /article6/rules``)
RuleName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_preset)]


class SimulationRequest(BaseModel):
    """A scenario to simulate: its fields as JSON (``scenario``) or its file's text
    (``yaml``), and optionally the rule sets to account under."""

    model_config = ConfigDict(extra="forbid")

    scenario: Scenario | None = Field(
        default=None,
        description="the scenario's fields as JSON, as in a scenario file (docs/scenarios.md)",
    )
    yaml: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_YAML,
        description="or the scenario file's text (YAML); errors name its lines",
    )
    rules: list[RuleName] | None = Field(
        default=None,
        min_length=1,
        max_length=8,
        description="accounting rule sets (preset names, GET /article6/rules); "
        "default: the scenario's own `rules`",
    )

    @model_validator(mode="after")
    def _one_scenario(self) -> SimulationRequest:
        if (self.scenario is None) == (self.yaml is None):
            raise ValueError("give the scenario either as `scenario` (JSON) or as `yaml` (text)")
        return self


class AccountingRequest(BaseModel):
    """Re-account a finished run under other rule sets (no market clearing again)."""

    model_config = ConfigDict(extra="forbid")

    rules: list[RuleName] = Field(
        min_length=1, max_length=8, description="preset names (GET /article6/rules)"
    )


class ScenarioCheck(BaseModel):
    """``POST /simulations?check=true``: the scenario is valid; nothing was started."""

    valid: Literal[True] = True
    scenario: str
    title: str
    years: list[int]
    jurisdictions: list[str]
    links: list[str]
    entities: int = Field(description="synthetic covered entities the scenario draws")
    rules: list[str]
    sha256: str = Field(description="of the scenario text as it will be run")


State = Literal["queued", "running", "finished", "failed", "cancelled"]
Job = Literal["simulate", "re-account"]


class Progress(BaseModel):
    """Where a running simulation is: ``done`` of ``total`` steps (markets cleared,
    registries set up, then one per simulated year)."""

    done: int
    total: int
    stage: str
    years_done: int
    years: int


class Failure(BaseModel):
    code: str | None = Field(description="the check that stopped the run, if one did")
    reason: str


class Outcome(BaseModel):
    """A finished run at a glance (the detail is in its results)."""

    violations: int = Field(description="double-counting findings in the run's log (0 = passed)")
    refusals: int = Field(description="simulated commands a registry refused")
    events: int
    seconds: float


class SimulationStatus(BaseModel):
    id: str
    scenario: str
    title: str
    years: list[int]
    rules: list[str]
    job: Job = Field(description="what the run is doing or did last")
    state: State
    submitted_by: str
    submitted_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress: Progress | None = None
    error: Failure | None = None
    outcome: Outcome | None = None
    files: list[str] = Field(
        default_factory=list,
        description="what GET /simulations/{id}/files/{name} serves (once finished)",
    )


class InvalidScenario(InvalidInput):
    """A scenario refused at admission (SIM-001 or SIM-002), field by field."""

    def __init__(self, refused: Refused, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        Refused.__init__(self, refused.code, **refused.facts)


def admit(request: SimulationRequest, max_entities: int) -> tuple[Loaded, list[str]]:
    """The scenario as it will be run and the rule sets to account under."""
    if request.yaml is not None:
        where, text, source = "body.yaml", request.yaml, "(request body, yaml)"
    else:
        assert request.scenario is not None
        where, source = "body.scenario", "(request body, scenario)"
        fields = request.scenario.model_dump(mode="json", by_alias=True, exclude_unset=True)
        text = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True)
    try:
        loaded = parse(text, source)
    except Refused as refused:
        raise InvalidScenario(refused, _errors(refused, where)) from None
    scenario = loaded.scenario
    problems = [
        (f"{where}.rules.{i}", f"no rule-set preset {name!r}: this service takes preset names")
        for i, name in enumerate(scenario.rules)
        if not _is_preset(name)
    ]
    entities = drawn(scenario)
    if entities > max_entities:
        problems.append(
            (
                f"{where}.jurisdictions",
                f"the scenario draws {entities:,} entities; this service simulates at most "
                f"{max_entities:,} (CLEARINGHOUSE_SIMULATION_MAX_ENTITIES); run it with "
                "`clearinghouse simulate`",
            )
        )
    if not problems:
        problems = _models(scenario, where)
    if problems:
        errors = [{"field": f, "reason": r} for f, r in problems]
        reasons = "; ".join(f"{f}: {r}" for f, r in problems)
        raise InvalidScenario(Refused("SIM-002", file=source, errors=reasons), errors)
    return loaded, list(request.rules or scenario.rules)


def check(loaded: Loaded, rules: list[str]) -> ScenarioCheck:
    s = loaded.scenario
    return ScenarioCheck(
        scenario=s.name,
        title=s.title,
        years=s.year_list,
        jurisdictions=[j.id for j in s.jurisdictions],
        links=[link.code for link in s.links],
        entities=drawn(s),
        rules=rules,
        sha256=loaded.digest,
    )


def drawn(scenario: Scenario) -> int:
    return sum(j.entities.count for j in scenario.jurisdictions if j.entities is not None)


def _is_preset(name: str) -> bool:
    try:
        _preset(name)
    except ValueError:
        return False
    return True


def _models(scenario: Scenario, where: str) -> list[tuple[str, str]]:
    """What the jurisdictions' models object to (the simulator builds them first)."""
    from clearinghouse.simulation import model

    try:
        model.build(scenario)
    except Refused as refused:
        return [(where, str(refused.facts.get("errors", refused.reason)))]
    return []


def _errors(refused: Refused, where: str) -> list[dict[str, str]]:
    fields: list[dict[str, Any]] = refused.facts.get("fields") or []
    if not fields:  # SIM-001: the text is not a YAML mapping
        return [{"field": where, "reason": refused.reason}]
    out = []
    for f in fields:
        field = where if f["field"] == "(file)" else f"{where}.{f['field']}"  # the whole
        line = f"line {f['line']}: " if where == "body.yaml" else ""
        out.append({"field": field, "reason": f"{line}{f['reason']}"})
    return out
