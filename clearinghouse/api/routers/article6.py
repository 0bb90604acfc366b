"""Article 6 accounting, read-only: holdings, limit usage, the double-counting
check, AEF Tables 2 and 3, Table 4, and rule variants side by side.

Everything is computed from the clearinghouse's log by the Article 6
projection (docs/article6.md), kept per process and caught up on each request.
Rule sets are named presets (``GET /article6/rules``) or given inline as a
``RuleSet`` object; a Party's NDC and inventory travel in the request as the
``PartyFile`` model the CLI reads from YAML.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from adapters import aef as files
from clearinghouse.api.auth import Accountant, ServicesDep
from clearinghouse.api.errors import ERRORS
from clearinghouse.checks import Refused
from projections.article6 import accounting, aef, compare, rules, table4
from projections.article6.holdings import holdings as holdings_of
from projections.article6.limits import limit_usage
from projections.article6.party import PartyFile
from projections.article6.rules import RuleSet
from projections.article6.view import Article6View

router = APIRouter(prefix="/article6", tags=["article6"], responses=ERRORS)

RuleChoice = Annotated[
    str | RuleSet,
    Field(description="a preset name (GET /article6/rules) or a rule set's fields"),
]


def rule_set(choice: str | RuleSet) -> RuleSet:
    """A preset by name (never a path: the server's files are not the caller's), or
    the rule set given."""
    if isinstance(choice, RuleSet):
        return choice
    if choice not in rules.presets():
        raise Refused(
            "ART-009", file=choice, reason=f"no such preset ({', '.join(rules.presets())})"
        )
    return rules.load(choice)


#: years a Party file sent over HTTP may name (Table 4 walks every year of the NDC
#: period: an unbounded period would be an unbounded computation)
YEARS = (1990, 2100)


def checked(party: PartyFile) -> PartyFile:
    first, last = YEARS
    named = [*party.ndc.period, *party.inventory, *party.trajectory, *party.inventory_para10]
    outside = sorted({y for y in named if not first <= y <= last})
    if outside:
        raise Refused(
            "ART-008",
            file="(request body)",
            reason=f"years must lie within {first}-{last}, not {', '.join(map(str, outside[:5]))}",
        )
    party.method()  # ART-001: the Party's method must fit its NDC
    return party


class SummaryRequest(BaseModel):
    model_config = {"extra": "forbid"}

    party: PartyFile
    rules: RuleChoice = "glasgow-2021"


class CompareRequest(BaseModel):
    model_config = {"extra": "forbid"}

    party: PartyFile
    rules: list[RuleChoice] = Field(min_length=2, max_length=12)
    only_differences: bool = False


@router.get("/rules", summary="the rule-set presets and their fields")
def presets(_: Accountant) -> dict[str, Any]:
    return {name: rules.load(name).model_dump(mode="json") for name in rules.presets()}


@router.get("/holdings", summary="units per Party, registry and status (ITMOs apart)")
def holdings(svc: ServicesDep, _: Accountant) -> dict[str, Any]:
    return svc.article6.read(holdings_of)


@router.get("/limits", summary="limit usage per linkage agreement")
def limits(svc: ServicesDep, _: Accountant) -> dict[str, Any]:
    return svc.article6.read(limit_usage)


@router.get("/check", summary="the double-counting invariants (issuance, use, claiming)")
def check(svc: ServicesDep, _: Accountant) -> dict[str, Any]:
    def run(view: Article6View) -> dict[str, Any]:
        found = view.invariants.violations()
        return {"count": len(found), "violations": [v.as_dict() for v in found]}

    return svc.article6.read(run)


@router.get("/aef", summary="AEF Tables 2 (actions) and 3 (holdings) for a Party and year")
def aef_tables(
    svc: ServicesDep,
    _: Accountant,
    party: Annotated[str, Query(min_length=1, max_length=16)],
    year: Annotated[int, Query(ge=1990, le=2100)],
    rules_preset: Annotated[str, Query(alias="rules")] = "glasgow-2021",
) -> dict[str, Any]:
    chosen = rule_set(rules_preset)
    return svc.article6.read(
        lambda view: files.json_data(aef.tables(accounting.evaluate(view, chosen), party, year))
    )


@router.post("/summary", summary="the structured summary (Table 4, rows 3-14) for a Party")
def summary(body: SummaryRequest, svc: ServicesDep, _: Accountant) -> dict[str, Any]:
    party, chosen = checked(body.party), rule_set(body.rules)
    return svc.article6.read(
        lambda view: table4.summarize(accounting.evaluate(view, chosen, party), party).as_json()
    )


@router.post("/compare", summary="Table 4 under several rule sets, side by side, in one pass")
def compare_rules(body: CompareRequest, svc: ServicesDep, _: Accountant) -> dict[str, Any]:
    party = checked(body.party)
    chosen = [rule_set(r) for r in body.rules]

    def run(view: Article6View) -> dict[str, Any]:
        result = compare.compare(view, party, chosen)
        data = result.as_json()
        data["text"] = result.text(only_differences=body.only_differences)
        return data

    return svc.article6.read(run)
