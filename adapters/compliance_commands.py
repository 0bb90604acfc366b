"""The commands of a compliance registry, validated at the edge with pydantic.

They are the native operations every jurisdiction shares (register a covered
entity, verify its emissions, allocate, surrender against an obligation, close
a period); a scenario file or the HTTP API sends the same models.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import Field, model_validator

from clearinghouse.commands import Command
from clearinghouse.messages import AccountId, BlockModel, Identifier, TransactionId


class RegisterEntity(Command):
    """Register a covered entity and open its holding account (named after it).

    ``emissions`` is the latest verified result the coverage threshold is tested
    on (china-ets.md L156); ``attributes`` are what the jurisdiction's allocation
    rule needs (e.g. a power unit's benchmark category)."""

    entity: AccountId
    name: str = Field(min_length=1)
    sector: str = Field(min_length=1)
    emissions: int = Field(ge=0)
    attributes: dict[str, Any] = Field(default_factory=dict)
    business_date: date


class VerifyEmissions(Command):
    """Record an entity's verified emissions for a year, with the activity data
    its allocation depends on (electricity and heat supplied, output, ...)."""

    entity: AccountId
    year: int = Field(ge=1990, le=2200)
    tonnes: int = Field(ge=0)
    activity: dict[str, Any] = Field(default_factory=dict)
    business_date: date


class Allocate(Command):
    """Allocate free allowances for ``year`` at ``stage`` (e.g. ``pre`` then
    ``final``): the registry issues what the rules say is due beyond what was
    already allocated, or recovers what was over-allocated."""

    transaction_id: TransactionId
    entity: AccountId
    year: int = Field(ge=1990, le=2200)
    stage: str = Field(default="final", pattern=r"^[a-z][a-z_]{0,31}$")
    business_date: date


class ComplianceSurrender(Command):
    """Surrender units from an entity's account against its obligation for ``period``.
    Units are named by quantity (oldest vintage first) or as blocks."""

    transaction_id: TransactionId
    entity: AccountId
    period: str = Field(min_length=1)
    quantity: int | None = Field(default=None, ge=1)
    unit_type: Identifier | None = None
    vintage: int | None = None
    blocks: list[BlockModel] | None = None
    business_date: date

    @model_validator(mode="after")
    def _what(self) -> ComplianceSurrender:
        if (self.quantity is None) == (self.blocks is None):
            raise ValueError("name the units either by quantity or by blocks")
        return self


class ClosePeriod(Command):
    """Close a compliance period after its deadline: assess each entity's shortfall,
    fine and deduction, and what it may carry over.

    ``reference_price`` is the market price the jurisdiction's penalty rule names
    (e.g. China from cycle 3: the average price of the month before the deadline,
    L457), in the registry's currency per tonne."""

    period: str = Field(min_length=1)
    business_date: date
    reference_price: Decimal | None = Field(default=None, ge=0)
    entities: list[AccountId] | None = None
