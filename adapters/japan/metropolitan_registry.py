"""The Tokyo (or Saitama) registry: a compliance registry with the scheme's own commands.

Covered facilities are registered, verified and surrender through the framework
(:class:`~adapters.compliance_registry.ComplianceRegistry`). What is native:

* :meth:`MetropolitanRegistry.issue_excess_reduction_credits`: after a fiscal
  year ends and its emissions are verified, a facility that emitted less than
  its annual cap receives the difference as excess-reduction credits;
* :meth:`MetropolitanRegistry.credit_small_facility`: a facility below the
  coverage threshold that reduced its emissions receives small and mid-size
  facility credits (E:900–902);
* no other issuance: the plain ``issue`` command is refused (CMP-009), since
  neither scheme allocates allowances.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from adapters.base import PlainIssuance, Receipt
from adapters.compliance import CoveredEntity, entity_id
from adapters.compliance_commands import Allocate, VerifyEmissions
from adapters.compliance_registry import ComplianceRegistry
from adapters.japan.fiscal import fiscal_year_end
from adapters.japan.metropolitan_rules import COVERAGE_SOURCE, SOURCE, MetropolitanRules
from adapters.japan.projects import CreditingProject, project_id
from clearinghouse.checks import Refused
from clearinghouse.commands import Command, validate
from clearinghouse.messages import AccountId, TransactionId
from clearinghouse.participant import UnitOfWork
from clearinghouse.units import Block

FiscalYear = Field(ge=2002, le=2100)


class IssueExcessReductionCredits(Command):
    """Issue a covered facility's excess-reduction credits for a fiscal year."""

    transaction_id: TransactionId
    entity: AccountId
    fiscal_year: int = FiscalYear
    business_date: date


class CreditSmallFacility(Command):
    """Credit a small or mid-size facility's verified reductions for a fiscal year.

    ``energy_kl`` is its energy use (kl crude oil equivalent a year): it must be
    below the coverage threshold, or the facility would be a covered one."""

    transaction_id: TransactionId
    facility: AccountId
    name: str = Field(min_length=1)
    fiscal_year: int = FiscalYear
    energy_kl: int = Field(ge=0)
    reductions: int = Field(ge=1)
    business_date: date


def before_year_end(registry: str, fy: int, what: str) -> Refused:
    """CMP-005: ``what`` happens only after fiscal year ``fy`` has ended."""
    return Refused(
        "CMP-005",
        registry=registry,
        period=f"FY{fy}",
        reason=f"the fiscal year ends on {fiscal_year_end(fy)}; {what} after it ends",
        source=SOURCE,
    )


class MetropolitanRegistry(ComplianceRegistry):
    """Tokyo's or Saitama's registry."""

    plain_issuance = PlainIssuance(
        "issuance",
        "nothing is allocated; credits are issued only for verified excess reductions "
        "(issue_excess_reduction_credits) or to small and mid-size facilities "
        "(credit_small_facility)",
        SOURCE,
    )

    rules_type = MetropolitanRules
    rules: MetropolitanRules

    @property
    def metro(self) -> MetropolitanRules:
        """The scheme's rules (:attr:`rules`)."""
        return self.rules

    # -- queries ------------------------------------------------------------------------

    def position(self, entity: str, period: str) -> dict[str, Any]:
        """Where a facility stands in a period, in the scheme's own terms: its base-year
        emissions, factor and cap, what it emitted in the years verified so far, the
        excess-reduction credits issued for them, and (once every year is verified)
        what it must surrender."""
        found = self.entity(entity)
        if found is None:
            raise Refused("CMP-002", registry=self.code, entity=entity)
        p = self.metro.period(period)
        verified = {y: found.verified[y] for y in p.years if y in found.verified}
        complete = len(verified) == len(p.years)
        return {
            "period": p.id,
            "category": found.attributes["category"],
            "base_emissions": found.attributes["base_emissions"],
            "factor": self.metro.factor(found, p),
            "annual_cap": self.metro.annual_cap(found, p.first),
            "period_cap": self.metro.period_cap(found, p),
            "verified": verified,
            "excess_credits": self.metro.excess_credits_issued(found, p),
            "ordered": self.metro.order(found, p),
            "obligation": self.metro.obligation(found, p) if complete else None,
            "surrendered": found.surrendered("allowances", p.id),
        }

    # -- commands ------------------------------------------------------------------------

    def verify_emissions(self, data: VerifyEmissions | dict[str, Any]) -> CoveredEntity:
        """Verified emissions of a fiscal year, recorded once the year is over
        (CMP-005 before 1 April of the next calendar year)."""
        cmd = validate(VerifyEmissions, data)
        if cmd.business_date <= fiscal_year_end(cmd.year):
            raise before_year_end(self.code, cmd.year, "its emissions are verified")
        return super().verify_emissions(cmd)

    def issue_excess_reduction_credits(
        self, data: IssueExcessReductionCredits | dict[str, Any]
    ) -> Receipt:
        """Credits for a fiscal year's emissions below the annual cap, once the year
        is over (CMP-005 before 1 April of the next year) and verified (CMP-006)."""
        cmd = validate(IssueExcessReductionCredits, data)
        if cmd.business_date <= fiscal_year_end(cmd.fiscal_year):

            def too_early(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
                raise before_year_end(self.code, cmd.fiscal_year, "its reductions are credited")

            return self._decide_and_record("issuance", cmd, too_early)
        return self.allocate(
            Allocate(
                transaction_id=cmd.transaction_id,
                entity=cmd.entity,
                year=cmd.fiscal_year,
                stage="excess_reduction",
                business_date=cmd.business_date,
            )
        )

    def credit_small_facility(self, data: CreditSmallFacility | dict[str, Any]) -> Receipt:
        """Issue small and mid-size facility credits (E:900–902) into the facility's
        account, opened on first use; one decision per facility and fiscal year."""
        cmd = validate(CreditSmallFacility, data)
        rules = self.metro

        def refuse(reason: str) -> Refused:
            return Refused(
                "CMP-009",
                registry=self.code,
                operation="small and mid-size facility credit",
                reason=reason,
                source=COVERAGE_SOURCE,
            )

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            if cmd.business_date <= fiscal_year_end(cmd.fiscal_year):
                raise before_year_end(self.code, cmd.fiscal_year, "its reductions are credited")
            if cmd.energy_kl >= rules.threshold_kl:
                raise refuse(
                    f"{cmd.facility} uses {cmd.energy_kl} kl a year, not below the "
                    f"{rules.threshold_kl} kl threshold of covered facilities"
                )
            if uow.get(CoveredEntity, entity_id(self.code, cmd.facility)) is not None:
                raise refuse(f"{cmd.facility} is a covered facility")
            facility = uow.get(CreditingProject, project_id(self.code, cmd.facility))
            if facility is None:
                facility = uow.add(
                    CreditingProject(
                        registry=self.code,
                        project=cmd.facility,
                        name=cmd.name,
                        kind="small_mid_facility",
                        participant=cmd.facility,
                        attributes={},
                        registered_on=cmd.business_date,
                    )
                )
            if cmd.fiscal_year in facility.credited:
                raise refuse(f"{cmd.facility} was already credited for FY{cmd.fiscal_year}")
            account = self._open_account(uow, cmd.facility, "holding", cmd.name)
            unit_type = rules.small_facility_credit
            block = self._register(uow, unit_type).allocate(
                cmd.transaction_id, cmd.fiscal_year, cmd.reductions
            )
            self._check_rules(uow, "issue", account, [block], cmd.business_date)
            facility.decide(
                cmd.fiscal_year,
                {
                    "transaction": cmd.transaction_id,
                    "energy_kl": cmd.energy_kl,
                    "reductions": cmd.reductions,
                    "credits": cmd.reductions,
                },
            )
            return [block], {"account": cmd.facility, "authorization_id": None}

        return self._decide_and_record("issuance", cmd, decide)
