"""Commands a user sends, validated at the edge with pydantic.

Every command the CLI, a scenario file or the HTTP API accepts is one of these
models. Invalid input never reaches an aggregate: :func:`validate` turns a
pydantic error into :class:`InvalidInput` (check INP-001) naming the field and
the reason, and nothing changes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    field_validator,
    model_validator,
)

from clearinghouse.authorizations import FIRST_TRANSFER_DEFINITIONS, PURPOSES
from clearinghouse.checks import Refused
from clearinghouse.messages import AccountId, BlockModel, Identifier, Purpose, TransactionId

M = TypeVar("M", bound=BaseModel)


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InvalidInput(Refused):
    """Input that does not fit a command: names every bad field and why."""

    def __init__(self, error: ValidationError) -> None:
        self.errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "(input)", "reason": e["msg"]}
            for e in error.errors()
        ]
        fields = "; ".join(f"{e['field']}: {e['reason']}" for e in self.errors)
        super().__init__("INP-001", field=error.title, reason=fields)


def validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidInput(error) from None


# -- parties, jurisdictions, agreements, authorizations ---------------------------------


class NdcSpec(Command):
    """A nationally determined contribution, as far as accounting needs it."""

    type: Literal["absolute", "intensity", "bau_relative"]
    period: Literal["single-year", "multi-year"]
    target_years: list[int] = Field(min_length=1)
    description: str = ""

    @model_validator(mode="after")
    def _years(self) -> NdcSpec:
        if self.period == "single-year" and len(self.target_years) != 1:
            raise ValueError("a single-year NDC has exactly one target year")
        if self.period == "multi-year" and len(self.target_years) < 2:
            raise ValueError("a multi-year NDC names its first and last year")
        return self


class RegisterParty(Command):
    code: Identifier
    name: str = Field(min_length=1)
    ndc: NdcSpec


class AdapterSpec(Command):
    """The standard adapter a registry runs (``adapters.catalogue.standard``) and
    its factory options, recorded so any process can stand the registry up again."""

    standard: Identifier
    options: dict[str, JsonValue] = Field(default_factory=dict)
    #: options the creating process passed that are not JSON (so not recorded)
    unrecorded: list[str] = Field(default_factory=list)


class ConnectRegistry(Command):
    """A jurisdiction's registry joins the clearinghouse under its Party."""

    code: Identifier
    name: str = Field(min_length=1)
    party: Identifier
    unit_types: list[Identifier] = Field(min_length=1)
    adapter: AdapterSpec | None = None


def _fraction(value: Any) -> Fraction:
    try:
        rate = Fraction(str(value))
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"not an exact rate: {value!r} (write 1, 1/2 or 0.5)") from exc
    if rate <= 0:
        raise ValueError("an exchange rate must be positive")
    return rate


class DirectionSpec(Command):
    """Units from ``source`` that ``destination`` recognises, and at what rate."""

    source: Identifier
    destination: Identifier
    unit_types: list[Identifier] = Field(min_length=1)
    rate: str = "1"  # destination units per source unit, exact: "1", "1/2", "0.8"
    convert_to: Identifier | None = None

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        return str(_fraction(value))

    @model_validator(mode="after")
    def _conversion(self) -> DirectionSpec:
        if self.source == self.destination:
            raise ValueError("a direction links two different jurisdictions")
        if Fraction(self.rate) != 1 and self.convert_to is None:
            raise ValueError("a rate other than 1 needs convert_to: the unit type issued")
        return self


class LimitSpec(Command):
    """At most ``tonnes`` (or ``percent`` of ``reference``) per period."""

    jurisdiction: Identifier
    flow: Literal["import", "export"]
    tonnes: int | None = Field(default=None, ge=0)
    percent: str | None = None
    reference: int | None = Field(default=None, ge=0)
    years: tuple[int, int] | None = None

    @field_validator("percent")
    @classmethod
    def _percent(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            pct = Fraction(str(value))
        except ZeroDivisionError:  # "0/0" (a ValueError is pydantic's already)
            raise ValueError(f"not a percentage: {value!r}") from None
        if not 0 <= pct <= 100:
            raise ValueError("a percentage lies between 0 and 100")
        return str(pct)

    @model_validator(mode="after")
    def _one_form(self) -> LimitSpec:
        if (self.tonnes is None) == (self.percent is None):
            raise ValueError("give either tonnes, or percent with reference")
        if self.percent is not None and self.reference is None:
            raise ValueError("a percentage limit needs the reference quantity it applies to")
        if self.years and self.years[0] > self.years[1]:
            raise ValueError("years run from first to last")
        return self


class ConcludeAgreement(Command):
    code: Identifier
    jurisdictions: list[Identifier] = Field(min_length=2)
    directions: list[DirectionSpec] = Field(min_length=1)
    limits: list[LimitSpec] = Field(default_factory=list)
    effective_from: date
    effective_until: date | None = None
    authorized: bool = False
    cooperative_approach: Identifier | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ConcludeAgreement:
        members = set(self.jurisdictions)
        for d in self.directions:
            if {d.source, d.destination} - members:
                raise ValueError(f"direction {d.source}->{d.destination} names a non-member")
        for limit in self.limits:
            if limit.jurisdiction not in members:
                raise ValueError(f"limit on {limit.jurisdiction}, which is not a member")
        if self.effective_until and self.effective_until < self.effective_from:
            raise ValueError("effective_until is before effective_from")
        return self


class ChangeAgreement(Command):
    code: Identifier
    action: Literal["suspend", "resume", "delink"]
    on: date


class GrantAuthorization(Command):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    party: Identifier
    cooperative_approach: Identifier
    unit_types: list[Identifier] = Field(min_length=1)
    vintages: tuple[int, int]
    cap: int | None = Field(default=None, ge=1)
    purposes: Literal[PURPOSES] = "ndc_and_oimp"  # type: ignore[valid-type]
    first_transfer: Literal[FIRST_TRANSFER_DEFINITIONS] = "first_international_transfer"  # type: ignore[valid-type]
    authorized_on: date

    @model_validator(mode="after")
    def _vintages(self) -> GrantAuthorization:
        if self.vintages[0] > self.vintages[1]:
            raise ValueError("vintages run from first to last")
        return self


# -- registry commands -------------------------------------------------------------------

AccountKind = Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,31}$")]


class OpenAccount(Command):
    account: AccountId
    kind: AccountKind = "holding"
    holder: str = Field(min_length=1)


class _RegistryCommand(Command):
    transaction_id: TransactionId
    business_date: date


class Issue(_RegistryCommand):
    """Issue ``quantity`` new units into ``account``; serials are allocated by the
    registry unless ``first_serial`` is given (importing an existing issuance)."""

    account: AccountId
    unit_type: Identifier
    vintage: int = Field(ge=1900, le=2200)
    quantity: int = Field(ge=1)
    first_serial: int | None = Field(default=None, ge=1)
    authorization_id: str | None = None


class _Moving(_RegistryCommand):
    """Units are named either as blocks or as a quantity (picked oldest first)."""

    account: AccountId
    quantity: int | None = Field(default=None, ge=1)
    unit_type: Identifier | None = None
    vintage: int | None = None
    blocks: list[BlockModel] | None = None

    @model_validator(mode="after")
    def _what(self) -> _Moving:
        if (self.quantity is None) == (self.blocks is None):
            raise ValueError("name the units either by quantity or by blocks")
        return self


class InternalTransfer(_Moving):
    to_account: AccountId
    #: price per unit in the registry's currency, for registries whose market rules
    #: look at prices (price bands, daily-move limits); optional elsewhere
    price: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4)


class CrossBorderTransfer(_Moving):
    to_registry: Identifier
    to_account: AccountId


class Surrender(_Moving):
    """Surrender for compliance: units count towards the registry's Party's NDC."""


class Retire(_Moving):
    purpose: Purpose = "ndc"


class Cancel(_Moving):
    purpose: Purpose = "voluntary"
