"""results.json and the CSV tables: what a run found, in the issue's named keys.

Market figures (prices, abatement, costs, gains) come from the two clearings,
autarky and linked; flows and payments from the integer plan the registries
executed (so they match the log to the tonne); adjustments and violations from
the Article 6 projections over the store (:mod:`clearinghouse.simulation.accounting`).

Conventions (docs/scenarios.md, "Reading the results"): quantities in Mt;
prices in each jurisdiction's currency per t (``prices``) and in the
reporting currency (``prices_reporting``); ``costs`` in the jurisdiction's
currency (abatement cost + what it paid for imports − what it was paid for
exports, trades at the exporter's price); ``payments``, ``rents`` and
``gains`` in the reporting currency; ``adjustments`` in t; years as strings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from clearinghouse.simulation.model import MT, Case, JurisdictionModel
from clearinghouse.simulation.plan import YearPlan, link_between
from clearinghouse.simulation.scenario import Scenario


def _r(x: float, digits: int = 6) -> float:
    return round(float(x), digits)


def market(
    scenario: Scenario,
    models: dict[str, JurisdictionModel],
    autarky: Case,
    linked: Case,
    plans: dict[int, YearPlan],
) -> dict[str, Any]:
    years = scenario.year_list
    ids = list(models)
    fx = {j: models[j].spec.fx for j in ids}

    def by_year(case: Case, field: str, j: str, scale: float = 1.0) -> dict[str, float]:
        return {str(y): _r(getattr(case.solution.positions[(j, y)], field) * scale) for y in years}

    prices: dict[str, dict[str, Any]] = {
        "autarky": {j: by_year(autarky, "price", j) for j in ids},
        "linked": {j: by_year(linked, "price", j) for j in ids},
        "currency": {j: models[j].currency for j in ids},
    }
    reporting = {
        case: {j: {y: _r(p / fx[j]) for y, p in prices[case][j].items()} for j in ids}
        for case in ("autarky", "linked")
    }
    arcs = sorted({arc for plan in plans.values() for arc in plan.flows} | _all_arcs(scenario))
    flows: dict[str, dict[str, float]] = {a: {} for a in arcs}
    payments: dict[str, dict[str, float]] = {a: {} for a in arcs}
    rents: dict[str, dict[str, float]] = {a: {} for a in arcs}
    paid = {j: dict.fromkeys(years, 0.0) for j in ids}  # reporting currency, + = paid out
    for arc in arcs:
        source, destination = arc.split("->")
        _, rate = link_between(scenario.links, source, destination)
        for y in years:
            tonnes = plans[y].flows.get(arc, 0) if y in plans else 0
            ps = linked.solution.price(source, y) / fx[source]
            pd = linked.solution.price(destination, y) / fx[destination]
            flows[arc][str(y)] = _r(tonnes / MT)
            payments[arc][str(y)] = round(tonnes * ps, 2)
            rents[arc][str(y)] = round(tonnes * max(0.0, float(rate) * pd - ps), 2)
            paid[destination][y] += tonnes * ps
            paid[source][y] -= tonnes * ps

    def costs(case: Case, linked_case: bool) -> dict[str, dict[str, float]]:
        """Compliance cost of the covered entities: abatement, plus allowances bought
        from the ceiling reserve, minus those sold to the authority at the floor, plus
        net payments abroad (the jurisdiction's currency)."""
        out: dict[str, dict[str, float]] = {}
        for j in ids:
            out[j] = {}
            for y in years:
                pos = case.solution.positions[(j, y)]
                own = pos.abatement_cost * MT
                reserve = pos.reserve * MT * (models[j].ceiling.get(y) or 0.0)
                floor = models[j].floor.get(y)
                withdrawn = pos.surplus * MT * floor if floor is not None else 0.0
                trade = paid[j][y] * fx[j] if linked_case else 0.0
                out[j][str(y)] = round(own + reserve - withdrawn + trade, 2)
        return out

    costs_linked = costs(linked, True)
    costs_autarky = costs(autarky, False)
    gains = {
        j: round(sum(costs_autarky[j][str(y)] - costs_linked[j][str(y)] for y in years) / fx[j], 2)
        for j in ids
    }
    out: dict[str, Any] = {
        "prices": prices,
        "prices_reporting": reporting,
        "flows": flows,
        "payments": payments,
        "rents": rents,
        "abatement": {j: by_year(linked, "abatement", j) for j in ids},
        "abatement_autarky": {j: by_year(autarky, "abatement", j) for j in ids},
        "costs": costs_linked,
        "costs_autarky": costs_autarky,
        "gains": gains,
        "emissions": {
            j: {
                str(y): _r(sum(v for (jj, _), v in plans[y].verified.items() if jj == j) / MT)
                for y in years
                if y in plans
            }
            for j in ids
        },
        "allowances": {
            j: {
                str(y): _r(sum(linked.allowances[j][(c.id, y)][0] for c in models[j].cohorts) / MT)
                for y in years
            }
            for j in ids
        },
        "bau": {
            j: {str(y): _r(sum(models[j].bau(c, y) for c in models[j].cohorts) / MT) for y in years}
            for j in ids
        },
    }
    extras: dict[str, Callable[[YearPlan, str], int]] = {
        "reserve": lambda p, j: p.reserve.get(j, 0),
        "withdrawn": lambda p, j: p.withdrawn.get(j, 0),
        "offsets": lambda p, j: p.offsets.get(j, 0),
        "banked": lambda p, j: p.banked.get(j, 0),
    }
    for key, get in extras.items():
        table = {j: {str(y): _r(get(plans[y], j) / MT) for y in years if y in plans} for j in ids}
        if any(v for row in table.values() for v in row.values()):
            out[key] = table
    return out


def _all_arcs(scenario: Scenario) -> set[str]:
    out = set()
    for link in scenario.links:
        out.add(f"{link.from_}->{link.to}")
        if link.direction == "two-way":
            out.add(f"{link.to}->{link.from_}")
    return out


def compliance(closed: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per jurisdiction and period: covered entities (cohorts), compliant, shortfall, fines."""
    out: dict[str, dict[str, Any]] = {}
    for jid, rows in closed.items():
        periods: dict[str, Any] = {}
        for r in rows:
            p = periods.setdefault(
                r["period"],
                {"entities": 0, "compliant": 0, "obligation": 0, "surrendered": 0,
                 "shortfall": 0, "fines": "0", "currency": r.get("currency", "")},
            )  # fmt: skip
            p["entities"] += 1
            p["compliant"] += 1 if r["compliant"] else 0
            p["obligation"] += r["obligation"]
            p["surrendered"] += r["surrendered"]
            p["shortfall"] += r["shortfall"]
            p["fines"] = str(Decimal(p["fines"]) + Decimal(r["fine"]))
        out[jid] = periods
    return out


# -- CSV -----------------------------------------------------------------------------------


def _csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def tables(results: dict[str, Any]) -> dict[str, str]:
    """CSV files by name: prices, markets (per jurisdiction and year), flows,
    adjustments, compliance."""
    years = [str(y) for y in results["scenario"]["years"]]
    ids = list(results["prices"]["linked"])
    out: dict[str, str] = {}
    rows = []
    for j in ids:
        for y in years:
            rows.append(
                [
                    j, y, results["prices"]["currency"][j],
                    results["prices"]["autarky"][j][y], results["prices"]["linked"][j][y],
                    results["prices_reporting"]["autarky"][j][y],
                    results["prices_reporting"]["linked"][j][y],
                ]
            )  # fmt: skip
    out["prices.csv"] = _csv(
        ["jurisdiction", "year", "currency", "autarky", "linked",
         "autarky_reporting", "linked_reporting"], rows,
    )  # fmt: skip
    rows = []
    for j in ids:
        for y in years:
            rows.append(
                [
                    j, y, results["bau"][j][y], results["allowances"][j][y],
                    results["emissions"][j].get(y, ""), results["abatement_autarky"][j][y],
                    results["abatement"][j][y], results["costs_autarky"][j][y],
                    results["costs"][j][y],
                ]
            )  # fmt: skip
    out["markets.csv"] = _csv(
        ["jurisdiction", "year", "bau_mt", "allowances_mt", "emissions_mt",
         "abatement_autarky_mt", "abatement_linked_mt", "cost_autarky", "cost_linked"], rows,
    )  # fmt: skip
    rows = []
    for arc, by_year in results["flows"].items():
        for y in years:
            rows.append(
                [arc, y, by_year.get(y, 0), results["payments"][arc].get(y, 0),
                 results["rents"][arc].get(y, 0)]
            )  # fmt: skip
    out["flows.csv"] = _csv(["link", "year", "flow_mt", "payment", "rent"], rows)
    rows = []
    for rule, parties in results["accounting"].items():
        for party, summary in parties.items():
            for row, cells in summary["rows"].items():
                for y, value in cells.items():
                    rows.append([rule, party, row, y, value])
    out["article6.csv"] = _csv(["rule_set", "party", "table4_row", "year", "tonnes"], rows)
    rows = []
    for j, periods in results["compliance"].items():
        for period, p in periods.items():
            rows.append(
                [j, period, p["entities"], p["compliant"], p["obligation"],
                 p["surrendered"], p["shortfall"], p["fines"], p["currency"]]
            )  # fmt: skip
    out["compliance.csv"] = _csv(
        ["jurisdiction", "period", "cohorts", "compliant", "obligation_t", "surrendered_t",
         "shortfall_t", "fines", "currency"], rows,
    )  # fmt: skip
    # the registries' own mechanics, when the run has them
    for name, key, columns in (
        ("auctions.csv", "auctions", ["auction_id", "year", "business_date", "offered", "sold",
                                      "settlement_price", "reserve_price", "at_reserve"]),
        ("held_transfers.csv", "held_transfers", ["registry", "transaction", "direction",
                                                  "quantity", "initiated", "execute_at",
                                                  "executed", "state"]),
        ("issuances.csv", "issuances", ["jurisdiction", "project", "sector", "year",
                                        "reductions", "credited", "tradable", "state"]),
    ):  # fmt: skip
        if results.get(key):
            out[name] = _csv(columns, ([row[c] for c in columns] for row in results[key]))
    return out
