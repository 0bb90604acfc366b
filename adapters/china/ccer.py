"""The CCER registry (units CCER and legacy CCER_2012) and its factory ``ccer()``.

China's voluntary crediting scheme (china-ets.md, "Offsets — CCER"; seed 004
L355–400, L617–632). Projects register with a published methodology and issue
credits per project; credits reach national-ETS entities through the
clearinghouse under a domestic linkage agreement (same Party: no corresponding
adjustment) and are surrendered there as offsets, up to 5% of the obligation.

* Only projects in China may register (L400), and not projects under national
  ETS allowance management (L162, L400).
* New projects use the published methodologies (L623), each from its
  publication date.
* The old scheme registered projects and recorded credits until new
  registrations were suspended on 14 Mar 2017 (L360–362, L382); credits
  recorded before that date are ``CCER_2012`` units, usable in the national ETS
  until 31 Dec 2024 only (L396, L628). The new scheme opened in January 2024
  (L87, L364).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from pydantic import Field

from adapters.base import (
    NativeRules,
    Operation,
    PlainIssuance,
    Receipt,
    RegistryApplication,
    RegistryConfig,
)
from adapters.china.national import CCER, CCER_2012
from clearinghouse.checks import Refused
from clearinghouse.commands import Command, validate
from clearinghouse.messages import AccountId, Identifier, TransactionId
from clearinghouse.participant import UnitOfWork
from clearinghouse.units import Block

#: new registrations and recordings were suspended on this day (L360–362, L382, L396)
SUSPENDED_ON = date(2017, 3, 14)
#: **[GK]** the new scheme's first day: the sources give January 2024 (L87, L364),
#: not the day; the first of the month is assumed (configurable)
RELAUNCHED_ON = date(2024, 1, 1)

#: the published methodologies of the new scheme and their publication dates (L623)
METHODOLOGIES: dict[str, tuple[str, date]] = {
    "CCER-14-001-V01": ("afforestation", date(2023, 10, 24)),
    "CCER-01-001-V01": ("grid-connected solar thermal power", date(2023, 10, 24)),
    "CCER-01-002-V01": ("grid-connected offshore wind power", date(2023, 10, 24)),
    "CCER-14-002-V01": ("mangrove creation", date(2023, 10, 24)),
    "CCER-10-001-V01": (
        "low-concentration coal-mine and ventilation-air methane",
        date(2025, 1, 3),
    ),
    "CCER-07-001-V01": ("highway tunnel lighting energy saving", date(2025, 1, 3)),
}


class RegisterProject(Command):
    """Register a mitigation project. ``methodology`` is a code of the new
    scheme (L623); legacy projects (registered before 14 Mar 2017) name the old
    scheme's methodology, which the sources do not list."""

    project: Identifier
    name: str = Field(min_length=1)
    methodology: str = Field(min_length=1, max_length=64)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    province: str | None = None
    under_ets_allowance_management: bool = False
    business_date: date


class IssueCredits(Command):
    """Issue credits for a registered project's verified reductions into an account."""

    transaction_id: TransactionId
    project: Identifier
    account: AccountId
    vintage: int = Field(ge=2005, le=2200)
    quantity: int = Field(ge=1)
    business_date: date


def project_id(registry: str, project: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/project/{project}")


class Project(Aggregate):
    """A registered CCER project and what it has issued."""

    @staticmethod
    def create_id(registry: str, project: str, **_: Any) -> UUID:
        return project_id(registry, project)

    @event("Registered")
    def __init__(
        self,
        registry: str,
        project: str,
        name: str,
        methodology: str,
        country: str,
        province: str | None,
        registered_on: date,
        legacy: bool,
    ) -> None:
        self.registry = registry
        self.project = project
        self.name = name
        self.methodology = methodology
        self.country = country
        self.province = province
        self.registered_on = registered_on
        self.legacy = legacy
        #: transaction id -> [unit type, vintage, quantity]
        self.issued: dict[str, list[Any]] = {}

    @event("CreditsIssued")
    def record_issuance(
        self, transaction: str, unit_type: str, vintage: int, quantity: int
    ) -> None:
        self.issued[transaction] = [unit_type, vintage, quantity]

    @property
    def total_issued(self) -> int:
        return sum(q for _t, _v, q in self.issued.values())


@dataclass(frozen=True)
class CCERRules(NativeRules):
    """Where CCERs may go: to China's compliance registries (a domestic link);
    abroad only in the hypothetical Article 6 / CORSIA scenario (L400)."""

    jurisdiction: str = "CCER"
    domestic_registries: tuple[str, ...] = ("CN_ETS",)
    allow_international: bool = False
    relaunched_on: date = RELAUNCHED_ON

    def check(self, op: Operation, registry: RegistryApplication) -> None:
        if (
            op.kind == "export"
            and op.counterparty not in self.domestic_registries
            and not self.allow_international
        ):
            raise Refused(
                "CMP-009",
                registry=self.jurisdiction,
                operation=f"transfer to {op.counterparty}",
                reason="CCERs serve China's national and pilot markets; international use "
                "under CORSIA or Article 6 is only a prospect (scenario: "
                "ccer(allow_international=True))",
                source="china-ets.md, L400",
            )


class CCERRegistry(RegistryApplication):
    """The CCER registry (NCSC, L396): projects and per-project issuance."""

    plain_issuance = PlainIssuance(
        "issuance without a project",
        "CCERs are issued for a registered project's verified reductions (use issue_credits)",
        "china-ets.md, L392–394, L617–632",
    )

    rules_type = CCERRules
    rules: CCERRules

    def project(self, project: str) -> Project | None:
        return UnitOfWork(self).get(Project, project_id(self.code, project))

    def _refuse(self, operation: str, reason: str, source: str) -> Refused:
        return Refused(
            "CMP-009",
            registry=self.code,
            operation=operation,
            reason=reason,
            source=f"china-ets.md, {source}",
        )

    def register_project(self, data: RegisterProject | dict[str, Any]) -> Project:
        """Register a project, or refuse one the rules exclude (CMP-009)."""
        cmd = validate(RegisterProject, data)
        what = f"registration of project {cmd.project}"
        if cmd.country != "CN":
            raise self._refuse(what, f"the project is in {cmd.country}, not in China", "L400")
        if cmd.under_ets_allowance_management:
            raise self._refuse(
                what, "the project is under national ETS allowance management", "L162, L400"
            )
        legacy = cmd.business_date < SUSPENDED_ON
        if not legacy and cmd.business_date < self.rules.relaunched_on:
            raise self._refuse(
                what,
                f"new registrations were suspended from {SUSPENDED_ON} until the scheme "
                f"relaunched on {self.rules.relaunched_on}",
                "L360–364, L382",
            )
        if not legacy:
            published = METHODOLOGIES.get(cmd.methodology)
            if published is None:
                raise self._refuse(
                    what,
                    f"{cmd.methodology} is not a published methodology "
                    f"({', '.join(METHODOLOGIES)})",
                    "L623",
                )
            if cmd.business_date < published[1]:
                raise self._refuse(
                    what, f"{cmd.methodology} was published only on {published[1]}", "L623"
                )

        def work(uow: UnitOfWork) -> Project:
            found = uow.get(Project, project_id(self.code, cmd.project))
            return found or uow.add(
                Project(
                    registry=self.code,
                    project=cmd.project,
                    name=cmd.name,
                    methodology=cmd.methodology,
                    country=cmd.country,
                    province=cmd.province,
                    registered_on=cmd.business_date,
                    legacy=legacy,
                )
            )

        project: Project = self.run(work)
        return project

    def issue_credits(self, data: IssueCredits | dict[str, Any]) -> Receipt:
        """Issue a project's credits through the clearinghouse: ``CCER_2012`` when
        recorded before 14 Mar 2017 (legacy), ``CCER`` under the new scheme."""
        cmd = validate(IssueCredits, data)

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            what = f"issuance for project {cmd.project}"
            project = uow.get(Project, project_id(self.code, cmd.project))
            if project is None:
                raise self._refuse(what, "no such registered project", "L392–394")
            if cmd.business_date < project.registered_on:
                raise self._refuse(
                    what, f"the project was registered on {project.registered_on}", "L392–394"
                )
            legacy = cmd.business_date < SUSPENDED_ON
            if project.legacy and not legacy:
                raise self._refuse(
                    what,
                    f"legacy projects recorded no credits after {SUSPENDED_ON}; "
                    "the new scheme needs a new registration",
                    "L360–364, L382",
                )
            unit_type = CCER_2012 if legacy else CCER
            account = self._account(uow, cmd.account)
            if account.terminal:
                raise Refused("UNT-008", account=cmd.account, kind=account.kind)
            block = self._register(uow, unit_type).allocate(
                cmd.transaction_id, cmd.vintage, cmd.quantity
            )
            self._check_rules(uow, "issue", account, [block], cmd.business_date)
            project.record_issuance(cmd.transaction_id, unit_type, cmd.vintage, cmd.quantity)
            return [block], {
                "account": cmd.account,
                "authorization_id": None,
                "project": cmd.project,
            }

        return self._decide_and_record("issuance", cmd, decide)


def ccer(
    code: str = "CCER",
    *,
    name: str = "China Certified Emission Reduction registry (NCSC)",
    party: str = "CN",
    domestic_registries: tuple[str, ...] = ("CN_ETS",),
    allow_international: bool = False,
    relaunched_on: date = RELAUNCHED_ON,
) -> RegistryConfig:
    """A CCER registry, ready for ``system.add_registry(ccer())``.

    ``domestic_registries`` are the Chinese compliance registries CCERs may go to
    (add pilot registries here); ``allow_international`` is the hypothetical
    scenario in which CCERs leave China (L400)."""
    rules = CCERRules(
        jurisdiction=code,
        domestic_registries=domestic_registries,
        allow_international=allow_international,
        relaunched_on=relaunched_on,
    )
    return RegistryConfig(code, name, party, (CCER, CCER_2012), rules, CCERRegistry)
