"""The Joint Crediting Mechanism (JCM): bilateral crediting between Japan and a partner.

What the sources say (reference/northeast-asia.md, "Joint Crediting Mechanism";
ASPI report E:990–1010): Japanese firms invest in emission-reducing projects in
partner countries; "part of the resulting emissions reduction is accounted by
the recipient country, and part accrues to Japan as offset credits"
(E:994–996). A Joint Committee of both governments develops the rules,
designates third-party verifiers, registers projects and determines the amount
of credits issued in each case (E:1000–1003). 17 partners, 50–100 million
credits targeted through 2030 (E:1009).

How it is modelled:

* one :class:`JcmRegistry` per partner (factory :func:`jcm`), on the partner
  Party, whose native commands are the Joint Committee's decisions: approve a
  methodology, designate a verifier, register a project (with its **Japan
  share**, a per-project parameter), decide an issuance. Each decision is an
  event; the only way credits come into being is an issuance decision, which
  issues Japan's share to the project participant's account and records the
  host's share as accounted by the host (it is not issued as credits: the
  source says it is "accounted by the recipient country");
* Japan's JCM registry (factory :func:`jcm_japan`) on Party JP holds the credits
  Japan acquires;
* the credits cross from the partner's registry to Japan's through the
  clearinghouse under an authorized linkage agreement with a cooperative
  approach (:func:`jcm_agreement`) and the host's Article 6.2 authorization
  (:func:`jcm_authorization`) [GK: the JCM as an Article 6.2 cooperative
  approach, reference/linkage-and-article6.md 003 L123–177 names JCM credits as
  a source of ITMOs; the report itself predates the Article 6 rules]. The
  clearinghouse then records the host's corresponding adjustment at the first
  international transfer and Japan's when it uses them towards its NDC.

The real JCM registries issue each side's credits directly in their own
registries on the Joint Committee's notification [GK]; moving Japan's share by a
first international transfer is the issue's design and keeps the adjustment at
a transfer the clearinghouse sees (``first_transfer`` is configurable in the
authorization).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal
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
from adapters.compliance import floor
from adapters.japan.projects import CreditingProject, project_id
from clearinghouse.checks import Refused
from clearinghouse.commands import (
    Command,
    ConcludeAgreement,
    GrantAuthorization,
    validate,
)
from clearinghouse.messages import AccountId, Identifier, TransactionId
from clearinghouse.participant import UnitOfWork
from clearinghouse.units import Block

SOURCE = "northeast-asia.md, Joint Crediting Mechanism; E:994–996, E:1000–1003"
A62_SOURCE = "northeast-asia.md, JCM [GK]; linkage-and-article6.md, 003 L123–177"
UNIT = "JCM"
JAPAN_REGISTRY = "JP_JCM"


# -- rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JcmRules(NativeRules):
    """A partner's JCM registry: Japan's share leaves only for Japan's registry."""

    partner: str = ""
    japan_registry: str = JAPAN_REGISTRY

    def check(self, op: Operation, registry: RegistryApplication) -> None:
        if op.kind == "export" and op.counterparty != self.japan_registry:
            raise Refused(
                "CMP-009",
                registry=op.registry,
                operation=f"transfer to {op.counterparty}",
                reason=f"JCM credits accrue to Japan; they go to {self.japan_registry} only",
                source=SOURCE,
            )


def japan_share_of(reductions: int, share: Fraction) -> tuple[int, int]:
    """(credits for Japan, tonnes accounted by the host) for verified ``reductions``:
    Japan's share rounded down to whole credits, the host keeps the rest
    (E:994–996; the rounding favours the host, so no tonne is credited twice)."""
    credits = floor(reductions * share)
    return credits, reductions - credits


# -- the Joint Committee ------------------------------------------------------------------


def committee_id(registry: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/joint-committee")


class JointCommittee(Aggregate):
    """The Joint Committee of Japan and one partner: its methodologies and verifiers."""

    @staticmethod
    def create_id(registry: str, **_: Any) -> UUID:
        return committee_id(registry)

    @event("Constituted")
    def __init__(self, registry: str, partner: str) -> None:
        self.registry = registry
        self.partner = partner
        self.methodologies: dict[str, str] = {}
        self.verifiers: list[str] = []

    @event("MethodologyApproved")
    def approve(self, methodology: str, title: str) -> None:
        self.methodologies[methodology] = title

    @event("VerifierDesignated")
    def designate(self, verifier: str) -> None:
        self.verifiers = [*self.verifiers, verifier]


class ApproveMethodology(Command):
    methodology: Identifier
    title: str = Field(min_length=1)
    business_date: date


class DesignateVerifier(Command):
    verifier: Identifier
    business_date: date


class RegisterProject(Command):
    """Register a project; ``japan_share`` is the percentage of its verified
    reductions credited to Japan (the rest is accounted by the host)."""

    project: Identifier
    name: str = Field(min_length=1)
    methodology: Identifier
    participant: AccountId
    japan_share: Decimal = Field(gt=0, le=100, max_digits=7, decimal_places=4)
    business_date: date


class DecideIssuance(Command):
    """The Joint Committee's decision on a project's verified reductions for a year."""

    transaction_id: TransactionId
    project: Identifier
    year: int = Field(ge=2013, le=2100)
    reductions: int = Field(ge=1)
    verifier: Identifier
    business_date: date


class JcmRegistry(RegistryApplication):
    """A partner's JCM registry, run by the Joint Committee's decisions."""

    plain_issuance = PlainIssuance(
        "issuance",
        "the Joint Committee decides every issuance (decide_issuance)",
        SOURCE,
    )

    rules_type = JcmRules
    rules: JcmRules

    def _open(self, uow: UnitOfWork) -> None:
        """Constitute the Joint Committee."""
        super()._open(uow)
        if uow.get(JointCommittee, committee_id(self.code)) is None:
            uow.add(JointCommittee(self.code, self.rules.partner))

    # -- queries --------------------------------------------------------------------------

    def committee(self) -> JointCommittee:
        return UnitOfWork(self).require(JointCommittee, committee_id(self.code), "committee")

    def project(self, project: str) -> CreditingProject | None:
        return UnitOfWork(self).get(CreditingProject, project_id(self.code, project))

    # -- the Joint Committee's decisions ---------------------------------------------------

    def approve_methodology(self, data: ApproveMethodology | dict[str, Any]) -> None:
        cmd = validate(ApproveMethodology, data)

        def work(uow: UnitOfWork) -> None:
            committee = uow.require(JointCommittee, committee_id(self.code), "committee")
            if committee.methodologies.get(cmd.methodology) != cmd.title:
                committee.approve(cmd.methodology, cmd.title)

        self.run(work)

    def designate_verifier(self, data: DesignateVerifier | dict[str, Any]) -> None:
        cmd = validate(DesignateVerifier, data)

        def work(uow: UnitOfWork) -> None:
            committee = uow.require(JointCommittee, committee_id(self.code), "committee")
            if cmd.verifier not in committee.verifiers:
                committee.designate(cmd.verifier)

        self.run(work)

    def register_project(self, data: RegisterProject | dict[str, Any]) -> CreditingProject:
        """Register a project under an approved methodology (CMP-009 otherwise) and
        open its participant's account."""
        cmd = validate(RegisterProject, data)

        def work(uow: UnitOfWork) -> CreditingProject:
            found = uow.get(CreditingProject, project_id(self.code, cmd.project))
            if found is not None:
                return found
            committee = uow.require(JointCommittee, committee_id(self.code), "committee")
            if cmd.methodology not in committee.methodologies:
                raise Refused(
                    "CMP-009",
                    registry=self.code,
                    operation="project registration",
                    reason=f"methodology {cmd.methodology} is not approved by the Joint Committee",
                    source=SOURCE,
                )
            self._open_account(uow, cmd.participant, "holding", cmd.name)
            return uow.add(
                CreditingProject(
                    registry=self.code,
                    project=cmd.project,
                    name=cmd.name,
                    kind=cmd.methodology,
                    participant=cmd.participant,
                    attributes={"japan_share": str(cmd.japan_share)},
                    registered_on=cmd.business_date,
                )
            )

        project: CreditingProject = self.run(work)
        return project

    def decide_issuance(self, data: DecideIssuance | dict[str, Any]) -> Receipt:
        """Issue Japan's share of a project's verified reductions for ``year`` to the
        project participant; the host's share is recorded as accounted by the host.
        Refused (CMP-009): unknown project, undesignated verifier, a year already
        decided, or a share that rounds to no credit."""
        cmd = validate(DecideIssuance, data)

        def refuse(reason: str) -> Refused:
            return Refused(
                "CMP-009",
                registry=self.code,
                operation="issuance decision",
                reason=reason,
                source=SOURCE,
            )

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            committee = uow.require(JointCommittee, committee_id(self.code), "committee")
            project = uow.get(CreditingProject, project_id(self.code, cmd.project))
            if project is None:
                raise refuse(f"project {cmd.project} is not registered")
            if cmd.verifier not in committee.verifiers:
                raise refuse(f"{cmd.verifier} is not a verifier the Joint Committee designated")
            if cmd.year in project.credited:
                raise refuse(f"{cmd.project} already has a decision for {cmd.year}")
            share = Fraction(project.attributes["japan_share"]) / 100
            credits, host = japan_share_of(cmd.reductions, share)
            if credits == 0:
                raise refuse(f"{share} of {cmd.reductions} t is less than one credit")
            account = self._account(uow, project.participant)
            block = self._register(uow, self.config.unit_types[0]).allocate(
                cmd.transaction_id, cmd.year, credits
            )
            self._check_rules(uow, "issue", account, [block], cmd.business_date)
            project.decide(
                cmd.year,
                {
                    "transaction": cmd.transaction_id,
                    "reductions": cmd.reductions,
                    "japan_share": str(share),
                    "credits": credits,
                    "host_accounted": host,
                    "verifier": cmd.verifier,
                },
            )
            return [block], {"account": project.participant, "authorization_id": None}

        return self._decide_and_record("issuance", cmd, decide)


# -- factories and the arrangement -----------------------------------------------------------


def jcm(
    partner: str = "MN",
    partner_name: str = "Mongolia",
    code: str | None = None,
    unit_type: str = UNIT,
    japan_registry: str = JAPAN_REGISTRY,
) -> RegistryConfig:
    """A partner's JCM registry on the partner Party. The default partner,
    Mongolia, is illustrative [GK: the first country to sign a JCM, 2013]; the
    sources name no partner (17 partners, E:1007)."""
    return RegistryConfig(
        code or f"JCM_{partner}",
        f"JCM registry ({partner_name})",
        partner,
        (unit_type,),
        JcmRules(partner=partner, japan_registry=japan_registry),
        JcmRegistry,
    )


@dataclass(frozen=True)
class JcmJapanRules(NativeRules):
    """Japan's JCM registry issues nothing: it holds what partners' registries send."""

    def check(self, op: Operation, registry: RegistryApplication) -> None:
        if op.kind == "issue":
            raise Refused(
                "CMP-009",
                registry=op.registry,
                operation="issuance",
                reason="JCM credits are issued in the partner's registry on the Joint "
                "Committee's decision and transferred to Japan",
                source=SOURCE,
            )


def jcm_japan(code: str = JAPAN_REGISTRY) -> RegistryConfig:
    """Japan's JCM registry (Party JP), where acquired credits are held and used."""
    return RegistryConfig(code, "Japan JCM registry", "JP", (UNIT,), JcmJapanRules())


def jcm_authorization(
    partner: str = "MN",
    approach: str = "JCM_JP_MN",
    vintages: tuple[int, int] = (2021, 2030),
    authorized_on: date = date(2021, 1, 1),
    unit_type: str = UNIT,
    cap: int | None = None,
    first_transfer: Literal[
        "authorization", "issuance", "first_international_transfer", "use_or_cancellation"
    ] = "first_international_transfer",
) -> GrantAuthorization:
    """The host's Article 6.2 authorization of its JCM credits [GK, configurable]."""
    return GrantAuthorization(
        code=f"{partner}-A62-{approach}",
        party=partner,
        cooperative_approach=approach,
        unit_types=[unit_type],
        vintages=vintages,
        cap=cap,
        purposes="ndc_and_oimp",
        first_transfer=first_transfer,
        authorized_on=authorized_on,
    )


def jcm_agreement(
    host_registry: str = "JCM_MN",
    japan_registry: str = JAPAN_REGISTRY,
    approach: str = "JCM_JP_MN",
    effective_from: date = date(2021, 1, 1),
    unit_type: str = UNIT,
    authorized: bool = True,
) -> ConcludeAgreement:
    """The one-way channel from the partner's JCM registry to Japan's, authorized
    under the cooperative approach: units crossing it are ITMOs. ``authorized=False``
    switches the Article 6.2 treatment off [GK]: the credits cross without a
    corresponding adjustment (the pre-Paris JCM)."""
    return ConcludeAgreement.model_validate(
        {
            "code": f"{approach}_LINK",
            "jurisdictions": [host_registry, japan_registry],
            "directions": [
                {"source": host_registry, "destination": japan_registry, "unit_types": [unit_type]}
            ],
            "effective_from": effective_from,
            "authorized": authorized,
            "cooperative_approach": approach if authorized else None,
        }
    )
