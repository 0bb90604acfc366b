"""The Article 6.4 mechanism registry's commands, validated at the edge with pydantic."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from clearinghouse.commands import Command
from clearinghouse.messages import AccountId, Identifier, TransactionId

#: activity scopes: from projects to sectors and policies (003 L205–216)
Scope = Literal["project", "programme", "sub_sector", "sector", "policy"]


class CdmOrigin(Command):
    """A CDM activity asking to transition (003 L389–417)."""

    registered_on: date
    kind: Literal["project", "programmatic"] = "project"
    technology: str = Field(min_length=1)
    requested_on: date | None = None


class RegisterActivity(Command):
    """Register an activity hosted by the registry's Party; ``participants`` get
    a holding account each. ``crediting`` is the first and last year
    reductions may be credited for."""

    activity: AccountId
    name: str = Field(min_length=1)
    scope: Scope = "project"
    methodology: str = Field(min_length=1)
    participants: list[AccountId] = Field(min_length=1)
    crediting: tuple[int, int]
    cdm: CdmOrigin | None = None
    business_date: date

    @model_validator(mode="after")
    def _years(self) -> RegisterActivity:
        if self.crediting[0] > self.crediting[1]:
            raise ValueError("the crediting period runs from its first to its last year")
        return self


class ApproveTransition(Command):
    """The host Party approves a registered CDM activity's transition."""

    activity: AccountId
    business_date: date


class AuthorizeActivity(Command):
    """Record the host's Article 6 authorization of the activity's A6.4ERs (the
    authorization itself is granted at the clearinghouse, under ``authorization``);
    issuances from then on are authorized A6.4ERs, earlier ones stay mitigation
    contribution units."""

    activity: AccountId
    authorization: str = Field(min_length=1, max_length=64)
    business_date: date


class IssueReductions(Command):
    """Issue the verified reductions of ``vintage`` for an activity: into the pending
    account, less the share of proceeds (to the Adaptation Fund) and the OMGE
    (cancelled)."""

    transaction_id: TransactionId
    activity: AccountId
    vintage: int = Field(ge=2013, le=2200)
    reductions: int = Field(ge=1)
    business_date: date


class Forward(Command):
    """A participant's instruction: move ``quantity`` of the activity's units from the
    pending account to a participant's holding account here, or to an account in
    another registry (``to_registry``)."""

    transaction_id: TransactionId
    activity: AccountId
    participant: AccountId
    quantity: int = Field(ge=1)
    to_account: AccountId
    to_registry: Identifier | None = None
    business_date: date
