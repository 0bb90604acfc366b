"""J-Credit: Japan's domestic crediting scheme.

What the sources say (reference/northeast-asia.md, "J-Credit"; ASPI report
E:953–964): J-VER (2008) merged in 2013 with the domestic credit system into the
J-Credit Scheme, "government-certified offset credits derived from implementing
energy-saving equipment, the use of renewable energy, and GHG abatement through
forest management inside Japan" (E:955–957). "Participating firms can use these
credits in their required emissions reporting, and for compliance under
voluntary systems such as Keidanren's Commitment to a Low-Carbon Society"
(E:957–959). Overseen jointly by METI, MOE and MAFF (E:960–962). Demand example:
Sony's plan to buy 70,000 J-Credits (E:1027–1030).

How it is modelled: a :class:`JCreditRegistry` (factory :func:`jcredit`) whose
native commands register projects of the three kinds, certify a project's
verified reductions for a fiscal year (one credit per tonne, vintage = the
fiscal year), and cancel credits for a stated use (emissions reporting, a
voluntary target, a carbon offset). J-Credits are domestic: any transfer to
another registry is refused (CMP-009) unless the ``exportable`` switch is set
[assumption: the sources describe only domestic use]. They are not accepted as
offsets in Tokyo or Saitama, since the sources do not say they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import Field

from adapters.base import (
    NativeRules,
    Operation,
    PlainIssuance,
    Receipt,
    RegistryApplication,
    RegistryConfig,
)
from adapters.japan.fiscal import fiscal_year_end
from adapters.japan.projects import CreditingProject, project_id
from adapters.transactions import RegistryTransaction
from clearinghouse.checks import Refused
from clearinghouse.commands import Cancel, Command, validate
from clearinghouse.messages import AccountId, Identifier, TransactionId
from clearinghouse.participant import UnitOfWork
from clearinghouse.units import Block
from projections.holdings import fold
from projections.log import read

SOURCE = "northeast-asia.md, J-Credit; E:953–964"
UNIT = "JCR"

#: the three kinds of project the scheme certifies (E:955–957)
ProjectKind = Literal["energy_saving", "renewable_energy", "forestry"]
#: what a cancelled J-Credit is used for (E:957–959)
Use = Literal["emissions_reporting", "voluntary_target", "carbon_offset"]


@dataclass(frozen=True)
class JCreditRules(NativeRules):
    """Domestic only unless ``exportable`` [assumption, configurable]."""

    exportable: bool = False

    def check(self, op: Operation, registry: RegistryApplication) -> None:
        if op.kind == "export" and not self.exportable:
            raise Refused(
                "CMP-009",
                registry=op.registry,
                operation=f"transfer to {op.counterparty}",
                reason="J-Credits are for use in Japan (emissions reporting and voluntary "
                "targets); exporting them is switched off",
                source=SOURCE,
            )


class RegisterJCreditProject(Command):
    project: Identifier
    name: str = Field(min_length=1)
    kind: ProjectKind
    participant: AccountId
    business_date: date


class Certify(Command):
    """Certify a project's verified reductions for a fiscal year: issue as many
    J-Credits, vintage = the fiscal year, into the participant's account."""

    transaction_id: TransactionId
    project: Identifier
    fiscal_year: int = Field(ge=2013, le=2100)
    reductions: int = Field(ge=1)
    business_date: date


class CancelForUse(Cancel):
    """Cancel J-Credits for a stated use in a fiscal year's report or target."""

    use: Use
    fiscal_year: int = Field(ge=2013, le=2100)


class JCreditRegistry(RegistryApplication):
    """The J-Credit registry."""

    plain_issuance = PlainIssuance(
        "issuance",
        "J-Credits are issued only by certifying a registered project",
        SOURCE,
    )
    rules_type = JCreditRules

    def project(self, project: str) -> CreditingProject | None:
        return UnitOfWork(self).get(CreditingProject, project_id(self.code, project))

    def register_project(self, data: RegisterJCreditProject | dict[str, Any]) -> CreditingProject:
        """Register a project and open its participant's account; idempotent."""
        cmd = validate(RegisterJCreditProject, data)

        def work(uow: UnitOfWork) -> CreditingProject:
            found = uow.get(CreditingProject, project_id(self.code, cmd.project))
            if found is not None:
                return found
            self._open_account(uow, cmd.participant, "holding", cmd.name)
            return uow.add(
                CreditingProject(
                    registry=self.code,
                    project=cmd.project,
                    name=cmd.name,
                    kind=cmd.kind,
                    participant=cmd.participant,
                    attributes={},
                    registered_on=cmd.business_date,
                )
            )

        project: CreditingProject = self.run(work)
        return project

    def certify(self, data: Certify | dict[str, Any]) -> Receipt:
        """Refused (CMP-009): unregistered project, year already certified, or a
        fiscal year not yet over (CMP-005)."""
        cmd = validate(Certify, data)

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            project = uow.get(CreditingProject, project_id(self.code, cmd.project))
            if project is None or cmd.fiscal_year in project.credited:
                raise Refused(
                    "CMP-009",
                    registry=self.code,
                    operation="certification",
                    reason=f"project {cmd.project} is not registered"
                    if project is None
                    else f"{cmd.project} is already certified for FY{cmd.fiscal_year}",
                    source=SOURCE,
                )
            if cmd.business_date <= fiscal_year_end(cmd.fiscal_year):
                raise Refused(
                    "CMP-005",
                    registry=self.code,
                    period=f"FY{cmd.fiscal_year}",
                    reason=f"reductions are certified after the fiscal year ends "
                    f"({fiscal_year_end(cmd.fiscal_year)})",
                    source=SOURCE,
                )
            account = self._account(uow, project.participant)
            block = self._register(uow, self.config.unit_types[0]).allocate(
                cmd.transaction_id, cmd.fiscal_year, cmd.reductions
            )
            self._check_rules(uow, "issue", account, [block], cmd.business_date)
            project.decide(
                cmd.fiscal_year,
                {"transaction": cmd.transaction_id, "reductions": cmd.reductions},
            )
            return [block], {"account": project.participant, "authorization_id": None}

        return self._decide_and_record("issuance", cmd, decide)

    def cancel_for_use(self, data: CancelForUse | dict[str, Any]) -> Receipt:
        """Cancel credits for reporting or a voluntary target (purpose ``voluntary``:
        a domestic use, no corresponding adjustment)."""
        cmd = validate(CancelForUse, data)
        return self._end("cancellation", cmd, "voluntary")

    def used(self, account: str, fiscal_year: int) -> dict[str, int]:
        """Tonnes ``account`` cancelled for each use in ``fiscal_year``."""
        totals: dict[str, int] = {}
        for txn in fold(list(read(self)), RegistryTransaction).values():
            request = txn.details.get("request", {})
            if (
                txn.kind == "cancellation"
                and txn.state == "completed"
                and request.get("account") == account
                and request.get("fiscal_year") == fiscal_year
                and "use" in request
            ):
                use = request["use"]
                totals[use] = totals.get(use, 0) + sum(b.count for b in txn.blocks)
        return totals


def jcredit(code: str = "J_CREDIT", *, exportable: bool = False) -> RegistryConfig:
    """The J-Credit registry (unit ``JCR``) on Party JP."""
    return RegistryConfig(
        code,
        "J-Credit registry",
        "JP",
        (UNIT,),
        JCreditRules(exportable=exportable),
        JCreditRegistry,
    )
