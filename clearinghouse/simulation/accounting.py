"""The Article 6 accounting of a run: the projections over the run's store.

Nothing here is computed from the market model: corresponding adjustments come
from the clearinghouse's log through :mod:`projections.article6` (one pass,
then each rule set applied to the same facts), and the double-counting check
from its invariants. That is what makes ``--rules`` cheap: another rule set is
another evaluation of an unchanged log (DESIGN.md, principle 4).

Each Party gets a Party file (``parties/<P>.yaml`` in the output folder) built
from the scenario: a single-year NDC for the last simulated year over the
simulated period, its CA method, and any inventory or trajectory the scenario
gives. With it, ``clearinghouse article6 summary --store OUT/store --ndc
OUT/parties/P.yaml`` prints the same Table 4 the report shows.
"""

from __future__ import annotations

from typing import Any

import yaml
from eventsourcing.application import Application

from clearinghouse.simulation.scenario import Scenario
from projections.article6 import accounting, rules, table4
from projections.article6.party import PartyFile, parse
from projections.article6.view import Article6View, catch_up


def party_data(scenario: Scenario, party: str) -> dict[str, Any]:
    years = scenario.year_list
    spec = scenario.parties.get(party)
    data: dict[str, Any] = {
        "party": party,
        "name": (spec.name if spec and spec.name else party),
        "ndc": {"type": "single-year", "target_year": years[-1], "period": [years[0], years[-1]]},
        "ca_method": spec.ca_method if spec else "trajectory",
        "assumptions": f"generated from scenario {scenario.name}: the simulated years as the "
        "NDC period" + ("; inventory and trajectory as the scenario states" if spec else ""),
    }
    if spec is not None:
        if spec.inventory:
            data["inventory"] = dict(spec.inventory)
        if spec.trajectory:
            data["trajectory"] = dict(spec.trajectory)
    return data


def party_file(scenario: Scenario, party: str) -> PartyFile:
    return parse(party_data(scenario, party), f"(scenario {scenario.name}, Party {party})")


def party_yaml(scenario: Scenario, party: str) -> str:
    text: str = yaml.safe_dump(party_data(scenario, party), sort_keys=False)
    return "# written by clearinghouse simulate\n" + text


def view(clearinghouse: Application[Any]) -> Article6View:
    return catch_up(clearinghouse)


def summaries(
    v: Article6View, scenario: Scenario, parties: list[str], rule_names: list[str]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Table 4 per rule set and Party: ``{rule set: {party: summary json}}``."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name in rule_names:
        rule_set = rules.load(name)
        out[name] = {}
        for party in parties:
            pf = party_file(scenario, party)
            summary = table4.summarize(accounting.evaluate(v, rule_set, pf), pf)
            out[name][party] = summary.as_json()
    return out


def adjustments(summary: dict[str, dict[str, Any]], years: list[int]) -> dict[str, dict[str, int]]:
    """Row 12 (corresponding adjustments, by vintage) per Party, t, for the run's years."""
    return {
        party: {str(y): int(s["rows"]["12"].get(str(y), 0)) for y in years}
        for party, s in summary.items()
    }


def violations(v: Article6View) -> list[dict[str, Any]]:
    return [x.as_dict() for x in v.invariants.violations()]
