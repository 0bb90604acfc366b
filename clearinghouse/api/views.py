"""What the API answers: views of the aggregates as pydantic models.

Requests are the command models the CLI and applications use
(:mod:`clearinghouse.commands`); responses are these read models, built from
the aggregates the applications load (their state as their events left it).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from fractions import Fraction
from typing import Annotated, Any

from pydantic import BaseModel, Field, JsonValue, WithJsonSchema

from adapters.accounts import Account
from adapters.base import Receipt
from adapters.transactions import RegistryTransaction
from clearinghouse.agreements import LinkageAgreement
from clearinghouse.authorizations import Authorization
from clearinghouse.commands import AdapterSpec
from clearinghouse.messages import BlockModel, Identifier, models_of
from clearinghouse.parties import Jurisdiction, Party
from clearinghouse.transactions import Transaction
from clearinghouse.units import Block


def plain(value: Any) -> Any:
    """Domain values as JSON: fractions as exact strings, blocks as their text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Block):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    return value


class StandardRegistry(BaseModel):
    """Stand up a registry from the catalogue (``clearinghouse jurisdictions``):
    its adapter and options are recorded, so workers run the same rules."""

    model_config = {"extra": "forbid", "frozen": True}

    standard: Identifier
    options: dict[str, JsonValue] = Field(default_factory=dict)


class RegistryView(BaseModel):
    code: str
    name: str
    party: str
    unit_types: list[str]
    agreements: list[str]
    adapter: AdapterSpec | None

    @classmethod
    def of(cls, j: Jurisdiction) -> RegistryView:
        return cls(
            code=j.code,
            name=j.name,
            party=j.party,
            unit_types=list(j.unit_types),
            agreements=list(j.agreements),
            adapter=AdapterSpec.model_validate(j.adapter) if j.adapter else None,
        )


class PartyView(BaseModel):
    code: str
    name: str
    ndc: dict[str, Any]
    authorizations: list[str]

    @classmethod
    def of(cls, p: Party) -> PartyView:
        return cls(code=p.code, name=p.name, ndc=p.ndc, authorizations=list(p.authorizations))


class AgreementView(BaseModel):
    code: str
    jurisdictions: list[str]
    directions: list[dict[str, Any]]
    limits: list[dict[str, Any]]
    effective_from: date
    effective_until: date | None
    authorized: bool
    cooperative_approach: str | None
    suspended: bool
    delinked_on: date | None
    #: tonnes used per limit and period
    usage: list[dict[str, Any]]

    @classmethod
    def of(cls, a: LinkageAgreement) -> AgreementView:
        return cls(
            code=a.code,
            jurisdictions=list(a.jurisdictions),
            directions=plain(a.directions),
            limits=[{**plain(x), "maximum": x.maximum} for x in a.limits],
            effective_from=a.effective_from,
            effective_until=a.effective_until,
            authorized=a.authorized,
            cooperative_approach=a.cooperative_approach,
            suspended=a.suspended,
            delinked_on=a.delinked_on,
            usage=a.usage(),
        )


#: first and last vintage, documented as a two-item array rather than with
#: ``prefixItems``, which schemathesis's response validation (and OpenAPI 3.0
#: tools) cannot read: a fuzz example that got a 201 failed on the schema itself
VintageRange = Annotated[
    tuple[int, int],
    WithJsonSchema({"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}),
]


class AuthorizationView(BaseModel):
    code: str
    party: str
    cooperative_approach: str
    unit_types: list[str]
    vintages: VintageRange
    cap: int | None
    purposes: str
    first_transfer: str
    authorized_on: date
    used: int

    @classmethod
    def of(cls, a: Authorization) -> AuthorizationView:
        return cls(
            code=a.code,
            party=a.party,
            cooperative_approach=a.cooperative_approach,
            unit_types=list(a.unit_types),
            vintages=a.vintages,
            cap=a.cap,
            purposes=a.purposes,
            first_transfer=a.first_transfer,
            authorized_on=a.authorized_on,
            used=a.used,
        )


class AccountSummary(BaseModel):
    account: str
    kind: str
    holder: str
    #: units available, by ``originating registry:unit type``
    units: dict[str, int]
    on_hold: int


class AccountView(BaseModel):
    registry: str
    account: str
    kind: str
    holder: str
    total: int
    available: list[BlockModel]
    #: blocks on hold, by the transaction holding them
    on_hold: dict[str, list[BlockModel]]

    @classmethod
    def of(cls, a: Account) -> AccountView:
        return cls(
            registry=a.registry,
            account=a.account,
            kind=a.kind,
            holder=a.holder,
            total=a.available.total,
            available=models_of(list(a.available)),
            on_hold={t: models_of(list(blocks)) for t, blocks in a.held.items()},
        )


class TransactionView(Receipt):
    """A registry's transaction: the receipt plus what it moved."""

    direction: str
    business_date: date
    blocks: list[BlockModel]
    issued: list[BlockModel]

    @classmethod
    def of(cls, receipt: Receipt, txn: RegistryTransaction) -> TransactionView:
        return cls(
            **receipt.model_dump(),
            direction=txn.direction,
            business_date=txn.business_date,
            blocks=models_of(txn.blocks),
            issued=models_of(txn.issued),
        )


class ClearingView(BaseModel):
    """A transaction as the clearinghouse sees it: verdict, state, adjustments."""

    registry: str
    transaction_id: str
    kind: str
    state: str
    business_date: date
    destination: str | None
    agreement: str | None
    verdict: dict[str, Any] | None
    adjustments: list[dict[str, Any]]
    proposal: dict[str, Any]

    @classmethod
    def of(cls, t: Transaction) -> ClearingView:
        return cls(
            registry=t.registry,
            transaction_id=t.local_id,
            kind=t.kind,
            state=t.state,
            business_date=t.business_date,
            destination=t.destination,
            agreement=t.agreement,
            verdict=t.verdict,
            adjustments=plain(t.adjustments),
            proposal=t.proposal,
        )
