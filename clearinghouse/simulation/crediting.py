"""Crediting registries: how the simulator drives a registry that issues credits for
projects' verified reductions instead of allocating allowances.

A crediting registry's covered entities are *projects* (activities): they owe
nothing, and what they abate at the market price they sell across a link. Its
life cycle is the same whatever the programme — register the projects once,
issue each year's verified reductions, deliver what the projects sold abroad —
but the commands differ. A :class:`CreditingDriver` maps the life cycle onto
one programme's commands; :func:`driver_of` picks the driver from the commands
the registry application has, so a new programme needs a driver here, not
changes to the market, the plan or the executor:

* :class:`DecisionDriver` — a registry run by decisions on verified reductions
  (the JCM host: ``approve_methodology``, ``designate_verifier``,
  ``register_project``, ``decide_issuance``; a project's participant receives
  its share of the credits and sells them with ``transfer_abroad``);
* :class:`MechanismDriver` — the Article 6.4 mechanism registry
  (``register_activity``, ``approve_transition`` for a CDM activity,
  ``authorize_activity``, ``issue_reductions``, ``forward``): reductions are
  issued into the pending account less the share of proceeds and the OMGE
  (adapters/a64/deductions.py), and a participant's instruction forwards the
  units sold to the buyer's registry.

What reaches the participants out of a year's verified reductions is the
programme's pure rule (:meth:`CreditingDriver.credited`): the JCM buyer's share
(``crediting.share``); the A6.4 split (1,000 → 930 to the pending account, 50
share of proceeds, 20 OMGE: reference/linkage-and-article6.md L21). The plan
asks the driver for the reductions whose issuance covers the credits a project
sells (:meth:`CreditingDriver.reductions`).

A project whose units no link may carry — an A6.4 activity the host did not
authorize, whose *mitigation contribution* units no Party may count (ACC-002,
L21) — is outside the market (:meth:`CreditingDriver.tradable`): it abates its
whole potential each year [assumption: results-based finance outside the
market pays for it], its units are issued and forwarded to its participant's
holding account, and no corresponding adjustment ever covers them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from adapters.base import Receipt, RegistryConfig
from clearinghouse.simulation.entities import Cohort
from clearinghouse.simulation.scenario import Crediting

if TYPE_CHECKING:
    from clearinghouse.simulation.execute import Executor
    from clearinghouse.simulation.model import JurisdictionModel


def project_id(cohort: str) -> str:
    """A project's id from its cohort's account (identifiers: A-Z, 0-9, _)."""
    return cohort.replace("-", "_")[:32]


def _flag(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "no", "0", "none", "")
    return default


class CreditingDriver(Protocol):
    """One crediting programme's life cycle, in its registry's commands."""

    @property
    def name(self) -> str:
        """The programme, for messages."""
        ...

    def credited(self, m: JurisdictionModel, reductions: int) -> int:
        """Credits that reach the project's participants out of ``reductions`` (pure)."""
        ...

    def reductions(self, m: JurisdictionModel, credits: int) -> int:
        """The fewest verified reductions whose issuance credits ``credits`` (pure)."""
        ...

    def tradable(self, m: JurisdictionModel, cohort: Cohort) -> bool:
        """Whether the project's units may cross a link (it takes part in the market)."""
        ...

    def setup(self, ex: Executor, m: JurisdictionModel, on: date) -> None:
        """Register the projects (once, before the first year)."""
        ...

    def issue(
        self, ex: Executor, m: JurisdictionModel, cohort: Cohort, year: int, reductions: int,
        on: date,
    ) -> Receipt:  # fmt: skip
        """Issue a project's verified reductions of ``year``."""
        ...

    def export(
        self, ex: Executor, m: JurisdictionModel, data: dict[str, Any], year: int
    ) -> Receipt:
        """Deliver credits a project sold to an account in another registry (``data``
        holds transaction_id, account, to_registry, to_account, quantity, unit_type,
        business_date, as for ``transfer_abroad``)."""
        ...

    def keep(
        self, ex: Executor, m: JurisdictionModel, cohort: Cohort, year: int, quantity: int,
        on: date,
    ) -> None:  # fmt: skip
        """What an untradable project's participants do with its credits."""
        ...


@dataclass(frozen=True)
class DecisionDriver:
    """The JCM host registry: Joint Committee decisions (docs/jurisdictions.md, JCM)."""

    name: str = "decisions (JCM)"

    def share(self, m: JurisdictionModel) -> Fraction:
        spec = m.spec.crediting
        return Fraction(spec.share) / 100 if spec is not None else Fraction(1)

    def credited(self, m: JurisdictionModel, reductions: int) -> int:
        return math.floor(reductions * self.share(m))

    def reductions(self, m: JurisdictionModel, credits: int) -> int:
        return math.ceil(credits / self.share(m)) if credits > 0 else 0

    def tradable(self, m: JurisdictionModel, cohort: Cohort) -> bool:
        return True

    def setup(self, ex: Executor, m: JurisdictionModel, on: date) -> None:
        spec = m.spec.crediting or Crediting()
        reg: Any = ex.plain(m)
        first = ex.years[0]
        ex.call(m, "approve_methodology", first, spec.methodology, partial(
            reg.approve_methodology,
            {"methodology": spec.methodology, "title": spec.title, "business_date": on},
        ))  # fmt: skip
        ex.call(m, "designate_verifier", first, spec.verifier, partial(
            reg.designate_verifier, {"verifier": spec.verifier, "business_date": on},
        ))  # fmt: skip
        for c in m.cohorts:
            data = {
                "project": project_id(c.id),
                "name": f"{m.spec.name or m.id} {c.sector} project {c.id}",
                "methodology": spec.methodology,
                "participant": c.id,
                "japan_share": spec.share,
                "business_date": on,
            }
            ex.call(m, "register_project", first, c.id, partial(reg.register_project, data))

    def issue(
        self, ex: Executor, m: JurisdictionModel, cohort: Cohort, year: int, reductions: int,
        on: date,
    ) -> Receipt:  # fmt: skip
        spec = m.spec.crediting or Crediting()
        return ex.do(m, "decide_issuance", year, {
            "transaction_id": f"{year}-D-{cohort.id}"[:80], "project": project_id(cohort.id),
            "year": year, "reductions": reductions, "verifier": spec.verifier,
            "business_date": on,
        })  # fmt: skip

    def export(
        self, ex: Executor, m: JurisdictionModel, data: dict[str, Any], year: int
    ) -> Receipt:
        return ex.do(m, "transfer_abroad", year, data)

    def keep(
        self, ex: Executor, m: JurisdictionModel, cohort: Cohort, year: int, quantity: int,
        on: date,
    ) -> None:  # fmt: skip
        return None  # every JCM project is tradable


@dataclass(frozen=True)
class MechanismDriver:
    """The Article 6.4 mechanism registry (docs/jurisdictions.md, "Article 6.4
    mechanism registry"). A project's registration attributes say what kind of
    activity it is: ``scope`` (project, programme, sub_sector, sector, policy;
    default project), ``authorized`` (default true: the host authorizes its
    A6.4ERs under the link's authorization; false: mitigation contribution
    units), and for a CDM activity in transition ``cdm_registered_on``,
    ``cdm_requested_on``, ``cdm_technology``, ``cdm_kind``."""

    name: str = "Article 6.4 mechanism"

    def _split(self, m: JurisdictionModel, reductions: int) -> Any:
        return m.config.rules.deductions.split(reductions)  # type: ignore[attr-defined]

    def credited(self, m: JurisdictionModel, reductions: int) -> int:
        return int(self._split(m, reductions).holding) if reductions > 0 else 0

    def reductions(self, m: JurisdictionModel, credits: int) -> int:
        if credits <= 0:
            return 0
        d = m.config.rules.deductions  # type: ignore[attr-defined]
        net: Fraction = 1 - d.sop - d.omge
        reductions = math.ceil(Fraction(credits) / net)
        while self.credited(m, reductions) < credits:  # the OMGE rounded up
            reductions += 1
        return reductions

    def tradable(self, m: JurisdictionModel, cohort: Cohort) -> bool:
        return _flag(cohort.members[0].attributes.get("authorized", True), True)

    def setup(self, ex: Executor, m: JurisdictionModel, on: date) -> None:
        spec = m.spec.crediting or Crediting()
        reg: Any = ex.plain(m)
        first, last = ex.years[0], ex.years[-1]
        authorization = ex.authorization_of(m)
        for c in m.cohorts:
            attributes = c.members[0].attributes
            data: dict[str, Any] = {
                "activity": project_id(c.id),
                "name": f"{m.spec.name or m.id} {c.sector} activity {c.id}",
                "scope": attributes.get("scope", "project"),
                "methodology": spec.methodology,
                "participants": [c.id],
                "crediting": (first, last),
                "business_date": on,
            }
            cdm = attributes.get("cdm_registered_on")
            if cdm is not None:
                data["cdm"] = {
                    "registered_on": cdm,
                    "kind": attributes.get("cdm_kind", "project"),
                    "technology": attributes.get("cdm_technology", c.sector),
                    "requested_on": attributes.get("cdm_requested_on"),
                }
            if ex.call(m, "register_activity", first, c.id,
                       partial(reg.register_activity, data)) is None:  # fmt: skip
                continue
            if cdm is not None and reg.rules.transition.mode == "reassessed":
                # the host approves the transition (docs/jurisdictions.md, CDM transition)
                ex.call(m, "approve_transition", first, c.id, partial(
                    reg.approve_transition, {"activity": project_id(c.id), "business_date": on},
                ))  # fmt: skip
            if self.tradable(m, c) and authorization is not None:
                ex.call(m, "authorize_activity", first, c.id, partial(
                    reg.authorize_activity,
                    {"activity": project_id(c.id), "authorization": authorization,
                     "business_date": on},
                ))  # fmt: skip

    def issue(
        self, ex: Executor, m: JurisdictionModel, cohort: Cohort, year: int, reductions: int,
        on: date,
    ) -> Receipt:  # fmt: skip
        return ex.do(m, "issue_reductions", year, {
            "transaction_id": f"{year}-I-{cohort.id}"[:80], "activity": project_id(cohort.id),
            "vintage": year, "reductions": reductions, "business_date": on,
        })  # fmt: skip

    def export(
        self, ex: Executor, m: JurisdictionModel, data: dict[str, Any], year: int
    ) -> Receipt:
        return ex.do(m, "forward", year, {
            "transaction_id": data["transaction_id"], "activity": project_id(data["account"]),
            "participant": data["account"], "quantity": data["quantity"],
            "to_registry": data["to_registry"], "to_account": data["to_account"],
            "business_date": data["business_date"],
        })  # fmt: skip

    def keep(
        self, ex: Executor, m: JurisdictionModel, cohort: Cohort, year: int, quantity: int,
        on: date,
    ) -> None:  # fmt: skip
        """Mitigation contribution units: forwarded to the participant's holding account."""
        if quantity > 0:
            ex.do(m, "forward", year, {
                "transaction_id": f"{year}-K-{cohort.id}"[:80], "activity": project_id(cohort.id),
                "participant": cohort.id, "quantity": quantity, "to_account": cohort.id,
                "business_date": on,
            })  # fmt: skip


DRIVERS: tuple[tuple[str, CreditingDriver], ...] = (
    ("decide_issuance", DecisionDriver()),
    ("issue_reductions", MechanismDriver()),
)


def driver_of(config: RegistryConfig) -> CreditingDriver | None:
    """The crediting driver for a registry, by the issuing command its application
    has (None: not a crediting registry)."""
    application = config.application
    if application is None:
        return None
    for command, driver in DRIVERS:
        if hasattr(application, command):
            return driver
    return None
