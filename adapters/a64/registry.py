"""The Article 6.4 mechanism registry (one section per host Party).

Sources: reference/linkage-and-article6.md L13, L21 (the mechanism; SOP 5%,
OMGE ≥ 2%, mitigation contribution units with no CA, the CA after the SOP
deduction, 1,000 → 930 / 50 / 20), reference/registries-and-reporting.md L52
(issued first into a pending account; authorized A6.4ERs become ITMOs at
first transfer and move on), 003 L194–241 (activities from projects to
policies, credited ex post), 003 L389–417 (the CDM transition).

How it runs:

* :meth:`A64Registry.register_activity`: an activity of the host Party, with
  its scope, methodology, participants (each gets a holding account), crediting
  years and, for a CDM activity, where it comes from;
* :meth:`A64Registry.authorize_activity`: the host's authorization (granted at
  the clearinghouse) applies to the activity's issuances from then on: they
  are **A6.4ERs** (``A64ER``) bound to it; without one they are **mitigation
  contribution** units (``A64MCU``), which no corresponding adjustment ever
  covers and no Party can count towards its NDC (the clearinghouse refuses it
  as double claiming, ACC-002);
* :meth:`A64Registry.issue_reductions`: verified reductions of a year are
  issued through the clearinghouse into ``PENDING``, less the share of
  proceeds (issued to ``ADAPTATION_FUND``, outside the authorization: the CA
  applies after the SOP deduction) and the OMGE (cancelled into
  ``OMGE_CANCELLATION`` as soon as the issuance is accepted); the split is
  :mod:`adapters.a64.deductions`;
* :meth:`A64Registry.forward`: a participant's instruction moves units of the
  activity out of ``PENDING`` — to a participant's holding account here, or to
  an account in a Party's registry through the clearinghouse, where an
  authorized A6.4ER's first international transfer records the host's
  corresponding adjustment;
* CDM activities transition under a rule variant (:mod:`adapters.a64.transition`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from adapters.a64.commands import (
    ApproveTransition,
    AuthorizeActivity,
    Forward,
    IssueReductions,
    RegisterActivity,
)
from adapters.a64.deductions import SOURCE as DEDUCTION_SOURCE
from adapters.a64.deductions import Deductions, Split
from adapters.a64.transition import CdmActivity, CdmTransition
from adapters.base import (
    NativeRules,
    Operation,
    PlainIssuance,
    Receipt,
    RegistryApplication,
)
from adapters.transactions import RegistryTransaction
from clearinghouse.checks import Refused
from clearinghouse.commands import validate
from clearinghouse.messages import (
    Message,
    ReturnInstruction,
    TransactionRejected,
)
from clearinghouse.participant import UnitOfWork
from clearinghouse.units import Block, Holding

SOURCE = "linkage-and-article6.md L13, L21; registries-and-reporting.md L52"
SCOPE_SOURCE = "003 L194–241"
AUTHORIZED, MITIGATION_CONTRIBUTION, PRE_2021 = "A64ER", "A64MCU", "A64CER"
UNIT_TYPES = (AUTHORIZED, MITIGATION_CONTRIBUTION, PRE_2021)
PENDING, ADAPTATION_FUND, OMGE_ACCOUNT = "PENDING", "ADAPTATION_FUND", "OMGE_CANCELLATION"
#: the mechanism credits reductions from 2021 [GK: the Paris Agreement's first
#: NDC period]; earlier ones only as pre-2021 units of transitioned CDM activities
FIRST_VINTAGE = 2021


def activity_id(registry: str, activity: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"registry:{registry}/a64-activity/{activity}")


class Activity(Aggregate):
    """A registered Article 6.4 activity and what was issued and forwarded for it."""

    @staticmethod
    def create_id(registry: str, activity: str, **_: Any) -> UUID:
        return activity_id(registry, activity)

    @event("Registered")
    def __init__(
        self,
        registry: str,
        activity: str,
        name: str,
        scope: str,
        methodology: str,
        participants: list[str],
        crediting: list[int],
        cdm: dict[str, Any] | None,
        registered_on: date,
    ) -> None:
        self.registry = registry
        self.activity = activity
        self.name = name
        self.scope = scope
        self.methodology = methodology
        self.participants = list(participants)
        self.crediting = (int(crediting[0]), int(crediting[1]))
        self.cdm = cdm
        self.registered_on = registered_on
        self.authorization: str | None = None
        self.authorized_on: date | None = None
        self.transition_approved_on: date | None = None
        #: vintage (as text) -> the issuance's split and transaction
        self.issued: dict[str, dict[str, Any]] = {}
        #: this activity's units in the pending account, not yet forwarded
        self.pending = Holding()

    @property
    def from_cdm(self) -> bool:
        return self.cdm is not None

    def cdm_activity(self) -> CdmActivity:
        assert self.cdm is not None
        requested = self.cdm.get("requested_on")
        return CdmActivity(
            registered_on=date.fromisoformat(str(self.cdm["registered_on"])),
            kind=self.cdm["kind"],
            technology=self.cdm["technology"],
            requested_on=date.fromisoformat(str(requested)) if requested else None,
        )

    @event("Authorized")
    def authorize(self, authorization: str, on: date) -> None:
        self.authorization = authorization
        self.authorized_on = on

    @event("TransitionApproved")
    def approve_transition(self, on: date) -> None:
        self.transition_approved_on = on

    @event("Issued")
    def record_issuance(self, vintage: int, transaction: str, issuance: dict[str, Any]) -> None:
        self.issued[str(vintage)] = {"transaction": transaction, **issuance}

    @event("IssuanceRejected")
    def issuance_rejected(self, vintage: int, reason: str) -> None:
        self.issued.pop(str(vintage), None)

    @event("Pending")
    def add_pending(self, blocks: list[Block]) -> None:
        self.pending = self.pending.add(blocks)

    @event("Forwarded")
    def forwarded(self, transaction: str, blocks: list[Block]) -> None:
        self.pending = self.pending.remove(blocks)


@dataclass(frozen=True)
class A64Rules(NativeRules):
    """The mechanism's parameters for one host's section."""

    host: str = ""
    deductions: Deductions = field(default_factory=Deductions)
    transition: CdmTransition = field(default_factory=CdmTransition)
    #: the share of proceeds is issued outside the authorization: the CA applies
    #: after the SOP deduction (L21). True: inside it (a variant).
    sop_adjusted: bool = False
    account_kinds: tuple[str, ...] = ("pending",)

    def check(self, op: Operation, registry: RegistryApplication) -> None:
        """Units leave the pending account only on a participant's instruction
        (:meth:`A64Registry.forward`) or as the OMGE (CMP-704)."""
        if op.account_kind == "pending" and op.kind in (
            "transfer", "export", "surrender", "retirement", "cancellation",
        ):  # fmt: skip
            raise Refused(
                "CMP-704",
                registry=registry.code,
                activity="(any)",
                reason="units leave the pending account only on a participant's forwarding "
                "instruction (forward)",
                source=SOURCE,
            )


class A64Registry(RegistryApplication):
    """One host Party's section of the Article 6.4 mechanism registry."""

    plain_issuance = PlainIssuance(
        "issuance",
        "A6.4ERs are issued only for an activity's verified reductions (issue_reductions)",
        SOURCE,
    )

    rules_type = A64Rules
    rules: A64Rules

    def _open(self, uow: UnitOfWork) -> None:
        super()._open(uow)
        accounts = {PENDING: "pending", ADAPTATION_FUND: "holding", OMGE_ACCOUNT: "cancellation"}
        for name, kind in accounts.items():
            self._open_account(uow, name, kind, "Article 6.4 mechanism")

    # -- queries ------------------------------------------------------------------------

    def activity(self, activity: str) -> Activity | None:
        return UnitOfWork(self).get(Activity, activity_id(self.code, activity))

    def split(self, reductions: int) -> Split:
        return self.rules.deductions.split(reductions)

    # -- commands ------------------------------------------------------------------------

    def register_activity(self, data: RegisterActivity | dict[str, Any]) -> Activity:
        """Register an activity; a CDM activity only if the transition variant lets
        it (CMP-702)."""
        cmd = validate(RegisterActivity, data)
        if cmd.cdm is not None:
            cdm = CdmActivity(
                cmd.cdm.registered_on, cmd.cdm.kind, cmd.cdm.technology, cmd.cdm.requested_on
            )
            why = self.rules.transition.refusal(cdm, cmd.business_date, approving=False)
            if why is not None:
                raise self._transition_refused(cmd.activity, why)

        def work(uow: UnitOfWork) -> Activity:
            found = uow.get(Activity, activity_id(self.code, cmd.activity))
            if found is not None:
                return found
            for p in cmd.participants:
                self._open_account(uow, p, "holding", p)
            return uow.add(
                Activity(
                    registry=self.code,
                    activity=cmd.activity,
                    name=cmd.name,
                    scope=cmd.scope,
                    methodology=cmd.methodology,
                    participants=cmd.participants,
                    crediting=list(cmd.crediting),
                    cdm=cmd.cdm.model_dump(mode="json") if cmd.cdm else None,
                    registered_on=cmd.business_date,
                )
            )

        activity: Activity = self.run(work)
        return activity

    def approve_transition(self, data: ApproveTransition | dict[str, Any]) -> Activity:
        """The host approves a CDM activity's transition (needed under ``reassessed``)."""
        cmd = validate(ApproveTransition, data)

        def work(uow: UnitOfWork) -> Activity:
            activity = self._activity(uow, cmd.activity)
            if not activity.from_cdm:
                raise Refused(
                    "CMP-701",
                    registry=self.code,
                    activity=cmd.activity,
                    reason="it is not a CDM activity; there is no transition to approve",
                    source=SCOPE_SOURCE,
                )
            why = self.rules.transition.refusal(
                activity.cdm_activity(), cmd.business_date, approving=True
            )
            if why is not None:
                raise self._transition_refused(cmd.activity, why)
            if activity.transition_approved_on is None:
                activity.approve_transition(cmd.business_date)
            return activity

        activity: Activity = self.run(work)
        return activity

    def authorize_activity(self, data: AuthorizeActivity | dict[str, Any]) -> Activity:
        cmd = validate(AuthorizeActivity, data)

        def work(uow: UnitOfWork) -> Activity:
            activity = self._activity(uow, cmd.activity)
            if activity.authorization != cmd.authorization:
                activity.authorize(cmd.authorization, cmd.business_date)
            return activity

        activity: Activity = self.run(work)
        return activity

    def issue_reductions(self, data: IssueReductions | dict[str, Any]) -> Receipt:
        """Issue a year's verified reductions: pending, share of proceeds, OMGE."""
        cmd = validate(IssueReductions, data)

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            activity = self._activity(uow, cmd.activity)
            self._check_vintage(activity, cmd.vintage)
            if str(cmd.vintage) in activity.issued:
                raise Refused(
                    "CMP-701",
                    registry=self.code,
                    activity=cmd.activity,
                    reason=f"its {cmd.vintage} reductions were issued already "
                    f"({activity.issued[str(cmd.vintage)]['transaction']})",
                    source=SCOPE_SOURCE,
                )
            pre2021 = cmd.vintage < FIRST_VINTAGE
            authorization = None if pre2021 else activity.authorization
            unit = PRE_2021 if pre2021 else AUTHORIZED if authorization else MITIGATION_CONTRIBUTION
            # pre-2021 units carry neither deduction [GK, adapters.a64.transition]
            split = (
                Split(cmd.reductions, cmd.reductions, 0, 0)
                if pre2021
                else self.split(cmd.reductions)
            )
            register = self._register(uow, unit)
            main = register.allocate(cmd.transaction_id, cmd.vintage, split.holding + split.omge)
            pending = self._account(uow, PENDING)
            self._check_rules(uow, "issue", pending, [main], cmd.business_date)
            if split.sop:
                sop = register.allocate(f"{cmd.transaction_id}:SOP", cmd.vintage, split.sop)
                uow.add(
                    RegistryTransaction(
                        registry=self.code,
                        code=f"{cmd.transaction_id}:SOP",
                        direction="out",
                        kind="issuance",
                        business_date=cmd.business_date,
                        details={
                            "account": ADAPTATION_FUND,
                            "authorization_id": authorization if self.rules.sop_adjusted else None,
                            "activity": cmd.activity,
                            "share_of_proceeds_of": cmd.transaction_id,
                        },
                        blocks=[sop],
                    )
                )
            issuance = {
                "unit_type": unit,
                "issued": split.issued,
                "holding": split.holding,
                "share_of_proceeds": split.sop,
                "omge": split.omge,
                "authorization": authorization,
                "rule": self.rules.deductions.describe() if not pre2021 else "pre-2021 [GK]",
            }
            activity.record_issuance(cmd.vintage, cmd.transaction_id, issuance)
            return [main], {
                "account": PENDING,
                "authorization_id": authorization,
                "activity": cmd.activity,
                "vintage": cmd.vintage,
                "omge": split.omge,
            }

        return self._decide_and_record("issuance", cmd, decide)

    def forward(self, data: Forward | dict[str, Any]) -> Receipt:
        """Move units of an activity out of the pending account on a participant's
        instruction (CMP-704 when the instruction is not one the registry can follow)."""
        cmd = validate(Forward, data)
        across = cmd.to_registry is not None and cmd.to_registry != self.code

        def refuse(reason: str) -> Refused:
            return Refused(
                "CMP-704", registry=self.code, activity=cmd.activity, reason=reason, source=SOURCE
            )

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            activity = self._activity(uow, cmd.activity)
            if cmd.participant not in activity.participants:
                raise refuse(f"{cmd.participant} is not one of its participants")
            if activity.pending.total < cmd.quantity:
                raise refuse(f"only {activity.pending.total} of its units are pending")
            pending = self._account(uow, PENDING)
            blocks = activity.pending.select(cmd.quantity)
            pending.check_spendable(blocks)
            activity.forwarded(cmd.transaction_id, blocks)
            if across:
                pending.hold(cmd.transaction_id, blocks)
                return blocks, {
                    "account": PENDING,
                    "to_registry": cmd.to_registry,
                    "to_account": cmd.to_account,
                    "activity": cmd.activity,
                }
            if cmd.to_account not in activity.participants:
                raise refuse(f"{cmd.to_account} is not a participant's holding account")
            pending.debit(cmd.transaction_id, blocks)
            self._account(uow, cmd.to_account).credit(cmd.transaction_id, blocks)
            return blocks, {"account": PENDING, "to_account": cmd.to_account,
                            "activity": cmd.activity}  # fmt: skip

        if across:
            return self._decide_and_record("transfer", cmd, decide)
        return self._decide_and_record("transfer", cmd, decide, direction="internal")

    # -- plumbing -----------------------------------------------------------------------

    def _activity(self, uow: UnitOfWork, activity: str) -> Activity:
        found = uow.get(Activity, activity_id(self.code, activity))
        if found is None:
            raise Refused(
                "CMP-701",
                registry=self.code,
                activity=activity,
                reason="no such activity is registered",
                source=SCOPE_SOURCE,
            )
        return found

    def _check_vintage(self, activity: Activity, vintage: int) -> None:
        first, last = activity.crediting

        def outside(reason: str, source: str) -> Refused:
            return Refused(
                "CMP-703",
                registry=self.code,
                activity=activity.activity,
                vintage=vintage,
                reason=reason,
                source=source,
            )

        if not first <= vintage <= last:
            raise outside(f"its crediting period is {first}–{last}", SCOPE_SOURCE)
        if activity.from_cdm:
            transition = self.rules.transition
            if transition.mode == "reassessed" and activity.transition_approved_on is None:
                raise self._transition_refused(
                    activity.activity, "the host has not approved its transition"
                )
            why = transition.vintage_refusal(activity.cdm_activity().registered_on, vintage)
            if why is not None:
                raise outside(why, transition.source)
        elif vintage < FIRST_VINTAGE:
            raise outside(
                f"the mechanism credits reductions from {FIRST_VINTAGE} [GK]", DEDUCTION_SOURCE
            )

    def _transition_refused(self, activity: str, reason: str) -> Refused:
        t = self.rules.transition
        return Refused(
            "CMP-702",
            registry=self.code,
            activity=activity,
            variant=t.name,
            reason=reason,
            source=t.source,
        )

    # -- decisions from the clearinghouse ---------------------------------------------------

    def apply(self, uow: UnitOfWork, message: Message) -> None:
        if isinstance(message, TransactionRejected | ReturnInstruction):
            txn = self._transaction(uow, message.transaction_id)
            code = txn.details.get("activity") if txn is not None else None
            if txn is not None and code is not None:
                activity = self._activity(uow, code)
                if isinstance(message, TransactionRejected) and txn.state == "proposed":
                    if txn.kind == "issuance" and "vintage" in txn.details:
                        activity.issuance_rejected(txn.details["vintage"], message.reason)
                    elif txn.kind == "transfer":
                        activity.add_pending(list(txn.blocks))
                elif isinstance(message, ReturnInstruction) and txn.state == "debited":
                    activity.add_pending(list(txn.blocks))
        super().apply(uow, message)

    def _accepted(self, uow: UnitOfWork, txn: RegistryTransaction) -> None:
        super()._accepted(uow, txn)
        if txn.kind != "issuance" or "vintage" not in txn.details:
            return
        # the issuance is in PENDING: the OMGE share is cancelled at once, the rest
        # waits for the participants' instructions
        (block,) = txn.blocks
        omge = int(txn.details["omge"])
        activity = self._activity(uow, txn.details["activity"])
        if omge == 0:
            activity.add_pending([block])
            return
        cancelled, rest = block.split(omge)
        activity.add_pending([rest])
        self._account(uow, PENDING).hold(f"{txn.code}:OMGE", [cancelled])
        uow.add(
            RegistryTransaction(
                registry=self.code,
                code=f"{txn.code}:OMGE",
                direction="out",
                kind="cancellation",
                business_date=txn.business_date,
                details={
                    "account": PENDING,
                    "purpose": "omge",
                    "to_account": OMGE_ACCOUNT,
                    "omge_of": txn.code,
                },
                blocks=[cancelled],
            )
        )
