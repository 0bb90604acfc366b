"""From a scenario to markets: entities, cohorts, allowances, MAC curves, links.

For every jurisdiction this module builds the registry it will run on (its
adapter from ``adapters.catalogue``, or a scenario registry), its synthetic
entities and cohorts, and for every year the allowances each cohort receives
and the :class:`~clearinghouse.simulation.market.Market` to clear.

**Where allowances come from.** A scenario registry allocates what the scenario
says (cap pro rata to BAU, benchmark × output, or grandfathering). An adapter
decides itself: the model asks the adapter's own ``ComplianceRules`` — pure
functions — what it would allocate to each cohort (every allocation stage of
the year, on an in-memory ``CoveredEntity`` with the cohort's registration and
verified data; plus what a K-ETS-style registry withholds for auction, or a
Tokyo-style facility's annual cap when the system credits reductions below a
cap rather than allocating). Where an allocation depends on verified emissions
(China's 80% coal floor, its gas top-up) the clearing is repeated with the
emissions the previous clearing gave until the allowances no longer change
(:func:`clear_case`). So the market clears against the registry's rules, not a
copy of them.

Quantities: t for cohorts and registries, Mt for markets. Pure: the adapter
configs are built but no application is started.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction
from typing import Any

from adapters.base import RegistryConfig
from adapters.compliance import ComplianceRules, CoveredEntity
from adapters.compliance_registry import ComplianceRegistry
from clearinghouse.checks import Refused
from clearinghouse.simulation import mac
from clearinghouse.simulation.crediting import CreditingDriver, driver_of
from clearinghouse.simulation.entities import Cohort, Entity, cohorts, draw, resolve
from clearinghouse.simulation.market import Arc, ClearingError, Market, Solution, clear
from clearinghouse.simulation.registry import scenario_registry
from clearinghouse.simulation.scenario import (
    Jurisdiction,
    Limit,
    LimitAmount,
    Link,
    Scenario,
    build_adapter,
    limit_mt,
    series,
)

MT = 1_000_000  # t per Mt


@dataclass
class JurisdictionModel:
    spec: Jurisdiction
    config: RegistryConfig
    years: list[int]
    entities: list[Entity]
    cohorts: list[Cohort]
    currency: str
    #: "allowance": allowances are allocated; "credit": a baseline-and-credit system
    #: (Tokyo, Saitama) whose facilities are credited what they emit below a cap
    kind: str = "allowance"
    offsets: dict[int, float] = field(default_factory=dict)  # Mt potential
    floor: dict[int, float | None] = field(default_factory=dict)
    ceiling: dict[int, float | None] = field(default_factory=dict)
    #: the scenario registry's allocation plan, t (adapters: None, they decide —
    #: except one that allocates from a table given at registration: the plan is it)
    plan: dict[tuple[str, int], int] | None = None
    #: of the plan, what the registry sells at auction instead (allocation.auctioned)
    withheld: dict[tuple[str, int], int] = field(default_factory=dict)
    #: the registry sells its auction share at joint auctions with the registries it
    #: is linked to (the WCI's: ``record_auction``, adapters/wci/joint.py)
    joint_auction: bool = False
    #: a crediting registry's driver (clearinghouse/simulation/crediting.py)
    driver: CreditingDriver | None = None
    #: crediting projects whose units no link carries (not in the market)
    outside: set[str] = field(default_factory=set)
    #: the scenario's name, for messages
    scenario: str = ""

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def code(self) -> str:
        return self.config.code

    @property
    def party(self) -> str:
        return self.config.party

    @property
    def first(self) -> int:
        return self.years[0]

    @property
    def rules(self) -> ComplianceRules | None:
        rules = self.config.rules
        return rules if isinstance(rules, ComplianceRules) else None

    @property
    def unit(self) -> str:
        """The unit type this jurisdiction's registry exports."""
        rules = self.rules
        if rules is not None and rules.allowance_types:
            return rules.allowance_types[0]
        return self.config.unit_types[0]

    def market_entities(self) -> list[Entity]:
        """The entities whose abatement the market clears (not a crediting project
        whose units no link carries)."""
        if not self.outside:
            return self.entities
        return [e for c in self.cohorts if c.id not in self.outside for e in c.members]

    # -- per cohort --------------------------------------------------------------------------

    def bau(self, cohort: Cohort, year: int) -> float:
        return cohort.bau(year, self.first)

    def output(self, cohort: Cohort, year: int) -> float:
        return sum(e.output(year, self.first) or 0.0 for e in cohort.members)

    def quantities(self, cohort: Cohort, year: int, emissions: float) -> dict[str, float]:
        return {
            "emissions": emissions,
            "bau": self.bau(cohort, year),
            "base": self.bau(cohort, self.first),
            "output": self.output(cohort, year),
            "allocation": 0.0,
        }

    def registration(self, cohort: Cohort) -> dict[str, Any]:
        """What registers the cohort as a covered entity in the registry."""
        base = self.bau(cohort, self.first)
        quantities = self.quantities(cohort, self.first, base)
        attributes: dict[str, Any] = {}
        for key in cohort.members[0].attributes:
            values = [e.attributes[key] for e in cohort.members]
            first = values[0]
            if isinstance(first, bool | str):
                attributes[key] = first
            elif isinstance(first, int | float):
                attributes[key] = sum(values) / len(values)  # a drawn number: the mean
            else:
                attributes[key] = resolve(first, quantities)
        if self.plan is not None:
            attributes["allocation"] = {  # free allocation: the auctioned part is sold
                str(y): self.plan[(cohort.id, y)] - self.withheld.get((cohort.id, y), 0)
                for y in self.years
                if (cohort.id, y) in self.plan
            }
        return {
            "entity": cohort.id,
            "name": f"{self.spec.name or self.id} {cohort.sector} cohort {cohort.id} "
            f"({len(cohort.members)} entit{'y' if len(cohort.members) == 1 else 'ies'})",
            "sector": cohort.members[0].registry_sector or cohort.sector,
            "emissions": round(base),
            "attributes": attributes,
        }

    def activity(self, cohort: Cohort, year: int, emissions: float) -> dict[str, Any]:
        quantities = self.quantities(cohort, year, emissions)
        out: dict[str, Any] = {}
        for key in cohort.members[0].activity:
            values = [e.activity[key] for e in cohort.members]
            first = values[0]
            if isinstance(first, bool | str):
                out[key] = first
            elif isinstance(first, int | float):
                out[key] = sum(values)
            else:
                out[key] = resolve(first, quantities)
        return out

    # -- allowances ------------------------------------------------------------------------

    def allowances(
        self, emissions: Callable[[Cohort, int], float]
    ) -> dict[tuple[str, int], tuple[int, int]]:
        """(allowances, of which auctioned) per cohort and year, t, given each
        cohort-year's verified emissions."""
        out: dict[tuple[str, int], tuple[int, int]] = {}
        for c in self.cohorts:
            for y in self.years:
                if self.plan is not None:
                    out[(c.id, y)] = (self.plan[(c.id, y)], self.withheld.get((c.id, y), 0))
                elif self.kind == "crediting":  # projects owe nothing: what they abate they sell
                    out[(c.id, y)] = (round(self.bau(c, y)), 0)
                else:
                    out[(c.id, y)] = self._probe(c, y, emissions)
        return out

    def _probe(
        self, cohort: Cohort, year: int, emissions: Callable[[Cohort, int], float]
    ) -> tuple[int, int]:
        rules = self.rules
        assert rules is not None
        reg = self.registration(cohort)
        entity = CoveredEntity(
            registry=self.code,
            entity=cohort.id,
            name=reg["name"],
            sector=reg["sector"],
            account=cohort.id,
            attributes=reg["attributes"],
            registered_on=date(self.first, 1, 1),
        )
        for y in (year - 1, year):
            tonnes = emissions(cohort, y) if y in self.years else self.bau(cohort, self.first)
            entity.verify(y, round(tonnes), self.activity(cohort, y, tonnes))
        annual_cap = getattr(rules, "annual_cap", None)
        if annual_cap is not None:  # baseline and credit: the cap is the supply
            return int(annual_cap(entity, year)), 0
        total = 0
        stages = rules.stages(year)
        for stage in stages:
            try:
                total = rules.allocation(entity, year, stage).total
            except Refused as refused:
                if stage != stages[-1]:
                    continue  # nothing at this stage for this entity (issued later)
                raise Refused(
                    "SIM-002",
                    file=f"(scenario {self.scenario})",
                    errors=f"{self.id}: {self.code} would not allocate cohort {cohort.id} "
                    f"({cohort.sector}) for {year}: {refused.reason} — give the adapter the "
                    "periods and parameters for the scenario's years (options)",
                ) from None
        auctioned = getattr(rules, "auctioned", None)
        withheld = int(auctioned(entity, year)) if auctioned is not None else 0
        return total + withheld, withheld


def registry_kind(config: RegistryConfig) -> str:
    """How the simulator drives a registry, from what the adapter is:

    * ``allowance``: a ``ComplianceRegistry`` that allocates (China, K-ETS, pilots,
      a scenario registry, any new compliance adapter);
    * ``credit``: a ``ComplianceRegistry`` whose rules credit reductions below an
      annual cap instead (Tokyo, Saitama: ``rules.annual_cap``);
    * ``crediting``: a project registry issuing on decisions (the JCM host:
      ``decide_issuance``) — its projects sell their reductions;
    * ``buyer``: any other registry (Japan's JCM registry): it receives units and
      retires them for NDC use; its demand is the aggregate market the scenario gives.
    """
    application = config.application
    if application is not None and issubclass(application, ComplianceRegistry):  # type: ignore[arg-type]
        return "credit" if hasattr(config.rules, "annual_cap") else "allowance"
    if driver_of(config) is not None:
        return "crediting"
    return "buyer"


def build(scenario: Scenario) -> dict[str, JurisdictionModel]:
    """A model per jurisdiction (raises ``Refused`` SIM-002 for an adapter that cannot
    cover the scenario's years)."""
    years = scenario.year_list
    accepted: dict[str, list[str]] = {j.id: [] for j in scenario.jurisdictions}
    models: dict[str, JurisdictionModel] = {}
    for j in scenario.jurisdictions:
        models[j.id] = _model(scenario, j, years, ())
    # units of linked jurisdictions count in a scenario registry: rebuild with them
    for link in scenario.links:
        accepted[link.to].append(models[link.from_].unit)
        if link.direction == "two-way":
            accepted[link.from_].append(models[link.to].unit)
    for j in scenario.jurisdictions:
        if j.adapter is None:
            models[j.id] = _model(scenario, j, years, tuple(dict.fromkeys(accepted[j.id])))
    for m in models.values():
        # the market model needs something on each jurisdiction's MAC curve every year
        idle = [y for y in years if not any(e.potential(y, m.first) > 0 for e in m.entities)]
        if idle:
            raise Refused(
                "SIM-002",
                file=f"(scenario {scenario.name})",
                errors=f"{m.id}: nothing can abate in {', '.join(map(str, idle))} (no "
                "emissions or no abatement potential): give bau and mac.potential, or the "
                "entities' emissions and max_share, positive values in every year",
            )
    return models


def _model(
    scenario: Scenario, j: Jurisdiction, years: list[int], accepted: tuple[str, ...]
) -> JurisdictionModel:
    currency = j.currency or scenario.currency
    if j.adapter is not None:
        config = build_adapter(j.adapter)
    elif j.national:
        # a plain registry: it holds what it acquires and retires it for the NDC
        config = RegistryConfig(j.id, j.name or f"{j.party} national registry", j.party,
                                (f"{j.id[:27]}_NR",))  # fmt: skip
    else:
        share = Fraction(str(j.offsets.limit)) if j.offsets is not None else None
        config = scenario_registry(j.id, j.name or j.id, j.party, years, accepted, share, currency)
    if config.party != j.party:
        config = RegistryConfig(
            config.code,
            config.name,
            j.party,
            config.unit_types,
            config.rules,
            config.application,
        )
    if j.entities is not None:
        entities = draw(f"{j.id}-", j.entities)
        groups = cohorts(entities, j.entities.cohorts)
    else:
        assert j.bau is not None and j.mac is not None
        bau = {y: v * MT for y, v in series(j.bau, years).items()}
        potential = series(j.mac.potential, years) if j.mac.potential is not None else None
        pot = {y: (potential[y] * MT if potential else bau[y]) for y in years}
        aggregate = Entity(
            id=f"{j.id}-COVERED",
            sector="covered",
            base=bau[years[0]],
            growth=0.0,
            intensity=None,
            full_cost=j.mac.slope * pot[years[0]] / MT,
            max_share=1.0,
            attributes={},
            activity={},
            bau_years=bau,
            cost_years={y: j.mac.slope * pot[y] / MT for y in years},
            share_years={y: pot[y] / bau[y] if bau[y] else 0.0 for y in years},
        )
        entities = [aggregate]
        groups = [Cohort("COVERED", "covered", [aggregate])]
    kind = registry_kind(config)
    if j.adapter is not None and kind in ("allowance", "credit") and j.entities is None:
        raise Refused(
            "SIM-002",
            file=scenario.name,
            errors=f"{j.id}: a compliance registry ({config.code}) allocates per covered "
            "entity: give entities, not an aggregate market",
        )
    if kind == "crediting" and j.entities is None:
        raise Refused(
            "SIM-002", file=scenario.name, errors=f"{j.id}: a crediting registry needs projects "
            "(entities)",
        )  # fmt: skip
    model = JurisdictionModel(j, config, years, entities, groups, currency, kind)
    model.scenario = scenario.name
    if kind == "crediting":
        model.driver = driver_of(config)
        assert model.driver is not None
        model.outside = {c.id for c in groups if not model.driver.tradable(model, c)}
    if j.offsets is not None:
        supply = series(j.offsets.supply, years)
        model.offsets = dict(supply)
    if j.price_controls is not None:
        pc = j.price_controls
        model.floor = dict(series(pc.floor, years)) if pc.floor is not None else {}
        model.ceiling = dict(series(pc.ceiling, years)) if pc.ceiling is not None else {}
    model.joint_auction = hasattr(config.application, "record_auction")
    if j.adapter is None or kind == "buyer":
        model.plan = _plan(model, j, years)
    elif j.allocation is not None:
        _table_adapter(scenario, model, j)
        model.plan = _plan(model, j, years)
    if j.allocation is not None and j.allocation.auctioned is not None:
        model.withheld = _withheld(model, j.allocation.auctioned, years)
    return model


#: a quantity no adapter would allocate by itself: the probe of :func:`_table_adapter`
_PROBE = 7_654_321


def _table_adapter(scenario: Scenario, model: JurisdictionModel, j: Jurisdiction) -> None:
    """Refuse (SIM-002) an ``allocation`` for an adapter that does not allocate from
    a table given at registration, and ``auctioned`` for one that holds no auctions.
    Asked of the adapter's own rules: allocating with a probe table must give the
    probe back (EU ETS, Swiss ETS, WCI: ``attributes.allocation``)."""
    rules = model.rules
    assert j.allocation is not None
    year = model.first
    reads = False
    if rules is not None and model.kind == "allowance":
        entity = _covered(model, model.cohorts[0], {"allocation": {str(year): _PROBE}})
        try:
            reads = rules.allocation(entity, year, rules.stages(year)[-1]).total == _PROBE
        except (Refused, KeyError, TypeError, ValueError):
            reads = False
    if not reads:
        raise Refused(
            "SIM-002",
            file=scenario.name,
            errors=f"{j.id}: {model.code} allocates by its own rules: leave allocation out "
            "(only an adapter that allocates from a table given at registration takes one)",
        )
    if j.allocation.auctioned is not None and not model.joint_auction:
        raise Refused(
            "SIM-002",
            file=scenario.name,
            errors=f"{j.id}: {model.code} holds no joint auctions: leave allocation.auctioned out",
        )


def _withheld(
    model: JurisdictionModel, auctioned: Any, years: list[int]
) -> dict[tuple[str, int], int]:
    """The auctioned part of each cohort's allowances (whole tonnes, down)."""
    share = series(auctioned, years)
    assert model.plan is not None
    return {
        (c.id, y): int(model.plan[(c.id, y)] * Fraction(str(share[y]))) for c in model.cohorts
        for y in years
    }  # fmt: skip


def _covered(
    model: JurisdictionModel, cohort: Cohort, extra: dict[str, Any] | None = None
) -> CoveredEntity:
    """The cohort as an in-memory covered entity of its registry (for the rules'
    pure functions)."""
    reg = model.registration(cohort)
    return CoveredEntity(
        registry=model.code,
        entity=cohort.id,
        name=reg["name"],
        sector=reg["sector"],
        account=cohort.id,
        attributes={**reg["attributes"], **(extra or {})},
        registered_on=date(model.first, 1, 1),
    )


def _plan(
    model: JurisdictionModel, j: Jurisdiction, years: list[int]
) -> dict[tuple[str, int], int]:
    """The scenario registry's allocation per cohort and year, whole tonnes (down)."""
    plan: dict[tuple[str, int], int] = {}
    first = years[0]
    if j.entities is None or j.allocation is None or j.allocation.type == "cap":
        assert j.cap is not None
        cap = series(j.cap, years)
        for y in years:
            total = sum(model.bau(c, y) for c in model.cohorts)
            for c in model.cohorts:
                plan[(c.id, y)] = int(cap[y] * MT * model.bau(c, y) / total) if total else 0
        return plan
    if j.allocation.type == "benchmark":
        benchmarks = {s.name: series(s.benchmark, years) for s in j.entities.sectors if s.benchmark}
        for c in model.cohorts:
            for y in years:
                plan[(c.id, y)] = int(
                    sum(benchmarks[e.sector][y] * (e.output(y, first) or 0.0) for e in c.members)
                )
        return plan
    assert j.allocation.share is not None
    share = series(j.allocation.share, years)
    for c in model.cohorts:
        for y in years:
            plan[(c.id, y)] = int(share[y] * model.bau(c, first))
    return plan


# -- markets ------------------------------------------------------------------------------------


def markets(
    models: dict[str, JurisdictionModel], allowances: dict[str, dict[tuple[str, int], int]]
) -> list[Market]:
    out = []
    shares = {jid: foreign_share(m) for jid, m in models.items()}
    for jid, m in models.items():
        for y in m.years:
            bau = sum(m.bau(c, y) for c in m.cohorts)
            supply = sum(allowances[jid][(c.id, y)] for c in m.cohorts)
            first = m.first
            curve = mac.MacCurve(
                mac.Piece(e.cost(y) / (e.potential(y, first) / MT), e.potential(y, first) / MT)
                for e in m.market_entities()
                if e.potential(y, first) > 0
            )
            if m.offsets.get(y):
                assert m.spec.offsets is not None
                limit = m.spec.offsets.limit * supply / MT
                potential = min(m.offsets[y], limit)
                if potential > 0:
                    curve = mac.combine(curve, mac.linear(m.spec.offsets.slope, potential))
            # a crediting registry's projects owe nothing: they abate only what they sell
            required = 0.0 if m.kind == "crediting" else (bau - supply) / MT
            out.append(
                Market(
                    jid,
                    y,
                    required,
                    curve,
                    fx=m.spec.fx,
                    floor=m.floor.get(y),
                    ceiling=m.ceiling.get(y),
                    foreign_share=shares[jid],
                    bau=bau / MT,
                )
            )
    return out


def arcs(
    scenario: Scenario,
    years: list[int],
    linked: bool = True,
    models: dict[str, JurisdictionModel] | None = None,
) -> dict[int, list[Arc]]:
    """Directed arcs per year for the links in force (none when ``linked`` is False).
    An arc is ``counted`` when the destination's rules take the source's units as
    offsets (K-ETS: international offsets), so they count against its limit."""
    out: dict[int, list[Arc]] = {y: [] for y in years}
    if not linked:
        return out
    for link in scenario.links:
        for y in years:
            if link.active(y):
                for arc in link_arcs(link):
                    if models is not None and _counts_as_offset(models, arc):
                        arc = replace(arc, counted=True)
                    out[y].append(arc)
    return out


def _counts_as_offset(models: dict[str, JurisdictionModel], arc: Arc) -> bool:
    destination = models[arc.destination]
    rules = destination.rules
    return (
        destination.spec.adapter is not None
        and rules is not None
        and models[arc.source].unit in rules.offset_types
    )


def foreign_share(model: JurisdictionModel) -> float | None:
    """The share of an obligation an adapter lets be met with offsets of other
    jurisdictions (its ``international_limit``, else ``offset_limit``), asked of its
    rules on a cohort with 1,000,000 t verified; a hair less, for rounding down."""
    rules = model.rules
    if model.spec.adapter is None or rules is None or not rules.offset_types:
        return None
    limit_of = getattr(rules, "international_limit", None) or rules.offset_limit
    year = model.first
    period = rules.period_of(year)
    if period is None:
        return None
    cohort = model.cohorts[0]
    reg = model.registration(cohort)
    entity = CoveredEntity(
        registry=model.code, entity=cohort.id, name=reg["name"], sector=reg["sector"],
        account=cohort.id, attributes=reg["attributes"], registered_on=date(year, 1, 1),
    )  # fmt: skip
    probe = 1_000_000
    for y in period.years:
        entity.verify(y, probe, {})
    try:
        limit = limit_of(entity, period)
    except Refused:
        return None
    if limit is None:
        return None
    share = limit[0] / (probe * len(period.years))
    return share * (1 - 1e-4)


def limit_tonnes(value: Limit) -> int:
    """A limit in whole tonnes as the clearinghouse computes it (agreements.Limit:
    ⌊percent × reference / 100⌋, the reference in whole tonnes)."""
    if isinstance(value, LimitAmount):
        reference = round(value.reference * MT)
        return math.floor(Fraction(str(value.percent)) * reference / 100)
    return round(value * MT)


def arc_limits(link: Link) -> dict[tuple[str, str], int]:
    """Each direction's limit in whole tonnes of source units (the smallest that applies)."""
    forward = [limit_tonnes(x) for x in (link.import_limit, link.export_limit) if x is not None]
    out = {}
    if forward:
        out[(link.from_, link.to)] = min(forward)
    if link.reverse_import_limit is not None:
        out[(link.to, link.from_)] = limit_tonnes(link.reverse_import_limit)
    return out


def link_arcs(link: Link) -> list[Arc]:
    rate = link.fraction
    forward = [limit_mt(x) for x in (link.import_limit, link.export_limit) if x is not None]
    arcs = [Arc(link.code, link.from_, link.to, float(rate), min(forward) if forward else None)]
    if link.direction == "two-way":
        back = limit_mt(link.reverse_import_limit) if link.reverse_import_limit else None
        arcs.append(Arc(link.code, link.to, link.from_, float(1 / rate), back))
    return arcs


@dataclass
class Case:
    """One cleared case (autarky or linked): the solution and the allowances it used."""

    solution: Solution
    allowances: dict[str, dict[tuple[str, int], tuple[int, int]]]
    rounds: int


def clear_case(
    scenario: Scenario, models: dict[str, JurisdictionModel], linked: bool, rounds: int = 6
) -> Case:
    """Clear the markets; repeat while the adapters' allowances depend on the emissions
    the clearing gives (China's coal floor, gas top-up), until they settle."""
    years = scenario.year_list
    banking = [j.id for j in scenario.jurisdictions if j.banking]

    def at_bau(model: JurisdictionModel) -> Callable[[Cohort, int], float]:
        return lambda c, y: model.bau(c, y)

    allowances = {jid: m.allowances(at_bau(m)) for jid, m in models.items()}
    for n in range(1, rounds + 1):
        totals = {jid: {k: v[0] for k, v in a.items()} for jid, a in allowances.items()}
        try:
            solution = clear(
                markets(models, totals), arcs(scenario, years, linked, models), banking,
                scenario.discount_rate,
            )  # fmt: skip
        except ClearingError as error:
            case = "linked" if linked else "autarky"
            raise Refused("SIM-003", scenario=scenario.name, reason=f"{case}: {error}") from None
        following = {jid: m.allowances(emitted(m, solution)) for jid, m in models.items()}
        if following == allowances:
            return Case(solution, allowances, n)
        allowances = following
    return Case(solution, allowances, rounds)


def emitted(model: JurisdictionModel, solution: Solution) -> Callable[[Cohort, int], float]:
    """Each cohort's verified emissions (t) at the cleared price."""

    def tonnes(cohort: Cohort, year: int) -> float:
        price = solution.price(model.id, year)
        return model.bau(cohort, year) - cohort.abatement(price, year, model.first)

    return tonnes
