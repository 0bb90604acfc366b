"""A simulation run, end to end: clear, execute through the system, account, write.

:func:`simulate` is the service the CLI calls: it loads nothing and prints
nothing itself (the caller passes a loaded scenario and a progress callback),
so tests drive it directly. The output folder holds:

* ``store/`` — the SQLite event logs of the clearinghouse and every registry
  (audit them with ``clearinghouse events --store OUT/store``);
* ``scenario.yaml`` — the scenario exactly as run (its sha256 is in results.json);
* ``results.json``, ``*.csv``, ``charts/*.png``, ``report.html``;
* ``parties/<P>.yaml`` — the Party files the Article 6 summary used.

:func:`reaccount` applies other rule sets to an existing run's store without
clearing the markets again (issue #5, item 3).
"""

from __future__ import annotations

import copy
import json
import shutil
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from clearinghouse.checks import Refused
from clearinghouse.simulation import accounting, model, results
from clearinghouse.simulation.execute import Executor
from clearinghouse.simulation.market import TOLERANCE
from clearinghouse.simulation.plan import Capacity, Holdings, YearPlan, plan_year, price_of
from clearinghouse.simulation.scenario import Loaded, Scenario, parse
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem

Progress = Callable[[int, int, str], None]  # done, total, note


def _quiet(done: int, total: int, note: str) -> None:
    return None


def simulate(
    loaded: Loaded,
    out: Path,
    rules: list[str] | None = None,
    progress: Progress = _quiet,
    store: StoreConfig | None = None,
    force: bool = False,
    outputs: bool = True,
) -> dict[str, Any]:
    """Run ``loaded`` into ``out`` and return results.json's content."""
    scenario = loaded.scenario
    rule_names = rules or scenario.rules
    store = store or StoreConfig(kind="sqlite", path=out / "store")
    _prepare(out, store, force)
    started = time.perf_counter()
    models = model.build(scenario)
    autarky = model.clear_case(scenario, models, linked=False)
    linked = model.clear_case(scenario, models, linked=True)
    cleared = time.perf_counter()
    years = scenario.year_list
    total = len(years) + 2
    progress(1, total, "markets cleared")
    with EmbeddedSystem(store) as system:
        executor = Executor(system, scenario, models)
        executor.setup()
        progress(2, total, "registries set up")
        plans = _execute(scenario, models, linked, executor, progress, total)
        executed = time.perf_counter()
        events = {app.name: app.recorder.max_notification_id() or 0 for app in system.apps()}
        view = accounting.view(system.clearinghouse)
        conservation = {
            m.id: executor.registry(m).conservation().balanced
            for m in models.values()
            if m.kind in ("allowance", "credit")
        }
    parties = sorted({m.party for m in models.values()})
    summaries = accounting.summaries(view, scenario, parties, rule_names)
    accounted = time.perf_counter()
    data: dict[str, Any] = {
        "scenario": _about(loaded, out),
        **results.market(scenario, models, autarky, linked, plans),
        "adjustments": accounting.adjustments(summaries[rule_names[0]], years),
        "accounting": summaries,
        "rules": rule_names,
        "violations": accounting.violations(view),
        "refusals": [r.as_dict() for r in executor.record.refusals],
        "compliance": results.compliance(executor.record.closed),
        "periods_not_closed": executor.record.unclosed,
        "conservation": conservation,
        **({"issuances": executor.record.issued} if executor.record.issued else {}),
        **({"held_transfers": executor.record.held} if executor.record.held else {}),
        **({"auctions": executor.record.auctions} if executor.record.auctions else {}),
        **(
            {"holding_limits": executor.record.holding_limits}
            if executor.record.holding_limits
            else {}
        ),
        "link_events": executor.record.link_events,
        "allocation_differences": _allocation_differences(models, linked, executor, years),
        "market": {
            "method": "SLSQP + Newton polish + least-volume flows "
            "(clearinghouse/simulation/market.py)",
            "tolerance": TOLERANCE,
            "residual_autarky": autarky.solution.residual,
            "residual_linked": linked.solution.residual,
            "allocation_rounds": {"autarky": autarky.rounds, "linked": linked.rounds},
        },
        "run": {
            "store": store.describe(),
            "events": events,
            "events_total": sum(events.values()),
            "commands": executor.record.commands,
            "seconds": {
                "clearing": round(cleared - started, 3),
                "execution": round(executed - cleared, 3),
                "accounting": round(accounted - executed, 3),
                "total": round(accounted - started, 3),
            },
            "cohorts": {m.id: len(m.cohorts) for m in models.values()},
            "entities": {m.id: len(m.entities) for m in models.values()},
        },
    }
    data["run"]["events_per_second"] = round(
        data["run"]["events_total"] / max(executed - cleared, 1e-9), 1
    )
    if outputs:
        write(out, data, loaded.text, scenario)
    progress(total, total, "done")
    return data


def _prepare(out: Path, store: StoreConfig, force: bool) -> None:
    if store.kind != "sqlite":
        out.mkdir(parents=True, exist_ok=True)
        return
    if store.path.exists() and any(store.path.iterdir()):
        if not force:
            raise Refused(
                "SIM-004",
                folder=str(out),
                reason="it already holds a run (store/); re-account it with --rules, "
                "or replace it with --force",
            )
        shutil.rmtree(store.path)
    out.mkdir(parents=True, exist_ok=True)


def _execute(
    scenario: Scenario,
    models: dict[str, model.JurisdictionModel],
    linked: model.Case,
    executor: Executor,
    progress: Progress,
    total: int,
) -> dict[int, YearPlan]:
    holdings: Holdings = {}
    plans: dict[int, YearPlan] = {}
    pending: list[tuple[date, str, int]] = []  # closes, by business date
    years = scenario.year_list
    for n, year in enumerate(years):
        _close_due(executor, linked, pending, before=date(year + 1, 4, 1))
        executor.link_changes(year)
        capacity = _capacity(executor, year)
        plan = plan_year(
            scenario, models, linked.solution, linked.allowances, year, holdings, capacity
        )
        plans[year] = plan
        for m in models.values():
            executor.verify(m, plan)
        for m in models.values():
            executor.allocate(m, plan)
        executor.trade(plan)
        for m in models.values():
            executor.surrender(m, plan)
        for m in models.values():
            rules = m.rules
            period = rules.period_of(year) if rules is not None else None
            if period is None or year not in (period.last, years[-1]):
                continue
            if period.first < years[0] or period.last > years[-1]:
                # the run covers part of the period: closing it would assess years no
                # one simulated (CMP-006) or cut a period short
                executor.record.unclosed.setdefault(m.id, []).append(period.id)
            else:
                pending.append((period.surrender_by, m.id, year))
        progress(3 + n, total, f"{year}")
    _close_due(executor, linked, pending, before=date.max)
    return plans


def _close_due(
    executor: Executor, linked: model.Case, pending: list[tuple[date, str, int]], before: date
) -> None:
    for item in sorted(pending):
        deadline, jid, year = item
        if deadline < before:
            m = executor.models[jid]
            executor.close(m, year, price_of(linked.solution.price(jid, year)))
            pending.remove(item)


def _capacity(executor: Executor, year: int) -> Capacity:
    """How many foreign units a cohort of an adapter can surrender this year, where
    the adapter limits them (K-ETS: international offsets), from its own rules
    applied to the registered entity with the year's verified emissions (in memory)."""
    cache: dict[tuple[str, str], Any] = {}

    def capacity(jid: str, cohort: str, verified: int) -> int | None:
        m = executor.models[jid]
        rules = m.rules
        if m.spec.adapter is None or rules is None or not rules.offset_types:
            return None
        if not foreign_offsets(executor, jid):
            return None  # the units it receives are allowances, not offsets (the WCI's)
        period = rules.period_of(year)
        if period is None:
            return None
        if (jid, cohort) not in cache:
            cache[(jid, cohort)] = executor.registry(m).entity(cohort)
        entity = cache[(jid, cohort)]
        if entity is None:
            return None
        probe = copy.deepcopy(entity)
        for y in period.years:
            probe.verified.setdefault(y, verified)
        probe.verified[year] = verified
        limit_of = getattr(rules, "international_limit", None) or rules.offset_limit
        try:
            limit = limit_of(probe, period)
        except Refused:
            return None
        return None if limit is None else int(limit[0])

    return capacity


def foreign_offsets(executor: Executor, jid: str) -> bool:
    """Whether units of a jurisdiction linked to ``jid`` count as offsets in ``jid``'s
    registry (K-ETS: international offsets), so its offset limit caps them."""
    m = executor.models[jid]
    rules = m.rules
    if rules is None:
        return False
    incoming = [
        executor.models[other].unit
        for link in executor.scenario.links
        for other, to in ((link.from_, link.to), (link.to, link.from_))
        if to == jid and (other == link.from_ or link.direction == "two-way")
    ]
    return any(unit in rules.offset_types for unit in incoming)


def _allocation_differences(
    models: dict[str, model.JurisdictionModel],
    linked: model.Case,
    executor: Executor,
    years: list[int],
) -> list[dict[str, Any]]:
    """Where a registry issued other than the market assumed (should be none)."""
    out = []
    for m in models.values():
        if m.kind != "allowance":
            continue
        for c in m.cohorts:
            for y in years:
                total, auctioned = linked.allowances[m.id][(c.id, y)]
                issued = executor.record.allocated.get((m.id, c.id, y))
                if issued is not None and issued != total - auctioned:
                    out.append(
                        {"jurisdiction": m.id, "cohort": c.id, "year": y,
                         "assumed": total - auctioned, "issued": issued}
                    )  # fmt: skip
    return out


def _about(loaded: Loaded, out: Path) -> dict[str, Any]:
    s = loaded.scenario
    return {
        "name": s.name,
        "title": s.title,
        "description": s.description,
        "file": loaded.source,
        "sha256": loaded.digest,
        "years": s.year_list,
        "currency": s.currency,
        "sources": s.sources,
        "assumptions": s.assumptions,
        "output": str(out),
        "links": [
            {
                "id": link.code,
                "from": link.from_,
                "to": link.to,
                "direction": link.direction,
                "authorized": link.authorized,
                "rate": link.rate,
            }
            for link in s.links
        ],
        "jurisdictions": [
            {
                "id": j.id,
                "party": j.party,
                "name": j.name or j.id,
                "adapter": j.adapter.code if j.adapter else None,
                "currency": j.currency or s.currency,
                "fx": j.fx,
            }
            for j in s.jurisdictions
        ],
    }


def write(out: Path, data: dict[str, Any], text: str, scenario: Scenario) -> None:
    """results.json, the CSV tables, Party files, the scenario, charts and the report."""
    from clearinghouse.simulation import charts, report

    out.mkdir(parents=True, exist_ok=True)
    (out / "scenario.yaml").write_text(text, encoding="utf-8")
    (out / "results.json").write_text(json.dumps(data, indent=2, default=_json) + "\n", "utf-8")
    for name, content in results.tables(data).items():
        (out / name).write_text(content, encoding="utf-8")
    parties = out / "parties"
    parties.mkdir(exist_ok=True)
    for party in sorted({j["party"] for j in data["scenario"]["jurisdictions"]}):
        (parties / f"{party}.yaml").write_text(accounting.party_yaml(scenario, party), "utf-8")
    pictures = charts.draw(data, out / "charts")
    (out / "report.html").write_text(report.html(data, pictures), encoding="utf-8")


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON: {value!r}")


def reaccount(out: Path, rules: list[str], store: StoreConfig | None = None) -> dict[str, Any]:
    """Apply ``rules`` to the run in ``out`` (its store, its scenario) without clearing
    the markets again; rewrite results.json's accounting and the outputs."""
    found = out / "results.json"
    scenario_file = out / "scenario.yaml"
    if not found.exists() or not scenario_file.exists():
        raise Refused(
            "SIM-004", folder=str(out), reason="there is no run here to re-account "
            "(results.json and scenario.yaml are missing)",
        )  # fmt: skip
    data: dict[str, Any] = json.loads(found.read_text(encoding="utf-8"))
    text = scenario_file.read_text(encoding="utf-8")
    loaded = parse(text, str(scenario_file))
    scenario = loaded.scenario
    store = store or StoreConfig(kind="sqlite", path=out / "store")
    with EmbeddedSystem(store) as system:
        view = accounting.view(system.clearinghouse)
    parties = sorted({j["party"] for j in data["scenario"]["jurisdictions"]})
    summaries = accounting.summaries(view, scenario, parties, rules)
    data["accounting"] = summaries
    data["rules"] = rules
    data["adjustments"] = accounting.adjustments(summaries[rules[0]], scenario.year_list)
    data["violations"] = accounting.violations(view)
    write(out, data, text, scenario)
    return data
