"""The wire contract between registries and the clearinghouse.

Registries and the clearinghouse talk only through these versioned integration
messages (DESIGN.md, principle 2); domain events never leave their application.
Every message names the transaction it belongs to, so each step is idempotent
by transaction id, and travels in an :class:`Envelope` that names the
application and log position it came from, which consumers record as tracking
(at-least-once delivery, exactly-once effect).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clearinghouse.units import IDENTIFIER, Block

SCHEMA_VERSION = 1

Identifier = Annotated[str, Field(pattern=IDENTIFIER.pattern, examples=["KR_ETS"])]
AccountId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
TransactionId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")]
Purpose = Literal["compliance", "ndc", "oimp", "voluntary", "omge", "share_of_proceeds"]
StatusAction = Literal["surrender", "retirement", "cancellation"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BlockModel(Frozen):
    """A serial block on the wire."""

    registry: Identifier
    unit_type: Identifier
    vintage: int = Field(ge=1900, le=2200)
    first: int = Field(ge=1)
    last: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> BlockModel:
        if self.last < self.first:
            raise ValueError(f"last serial {self.last} is before first serial {self.first}")
        return self

    def to_block(self) -> Block:
        return Block(self.registry, self.unit_type, self.vintage, self.first, self.last)

    @classmethod
    def of(cls, block: Block) -> BlockModel:
        return cls(
            registry=block.registry,
            unit_type=block.unit_type,
            vintage=block.vintage,
            first=block.first,
            last=block.last,
        )


def blocks_of(models: list[BlockModel]) -> list[Block]:
    return [m.to_block() for m in models]


def models_of(blocks: list[Block] | tuple[Block, ...]) -> list[BlockModel]:
    return [BlockModel.of(b) for b in blocks]


class _Message(Frozen):
    transaction_id: TransactionId
    business_date: date


# -- registry -> clearinghouse ------------------------------------------------


class IssuanceProposed(_Message):
    kind: Literal["issuance_proposed"] = "issuance_proposed"
    registry: Identifier
    account: AccountId
    blocks: list[BlockModel] = Field(min_length=1)
    authorization_id: str | None = None


class TransferProposed(_Message):
    kind: Literal["transfer_proposed"] = "transfer_proposed"
    source_registry: Identifier
    source_account: AccountId
    destination_registry: Identifier
    destination_account: AccountId
    blocks: list[BlockModel] = Field(min_length=1)


class StatusChangeProposed(_Message):
    """Surrender, retirement or cancellation: units leave circulation for good."""

    kind: Literal["status_change_proposed"] = "status_change_proposed"
    registry: Identifier
    account: AccountId
    action: StatusAction
    purpose: Purpose
    blocks: list[BlockModel] = Field(min_length=1)


class TransferDebited(_Message):
    kind: Literal["transfer_debited"] = "transfer_debited"
    registry: Identifier


class TransferCredited(_Message):
    kind: Literal["transfer_credited"] = "transfer_credited"
    registry: Identifier
    source_registry: Identifier
    #: blocks credited as they were sent (no conversion)
    blocks: list[BlockModel] = Field(default_factory=list)
    #: units issued at the destination for converted blocks, in instruction order
    issued: list[BlockModel] = Field(default_factory=list)


class CreditRefused(_Message):
    kind: Literal["credit_refused"] = "credit_refused"
    registry: Identifier
    source_registry: Identifier
    code: str
    reason: str


# -- clearinghouse -> registries ----------------------------------------------


class TransactionAccepted(_Message):
    kind: Literal["transaction_accepted"] = "transaction_accepted"


class TransactionRejected(_Message):
    kind: Literal["transaction_rejected"] = "transaction_rejected"
    code: str
    check_version: int
    reason: str


class Conversion(Frozen):
    """Units to issue at the destination in place of source blocks of one vintage."""

    sources: list[BlockModel] = Field(min_length=1)
    unit_type: Identifier
    vintage: int
    quantity: int = Field(ge=1)


class CreditInstruction(_Message):
    kind: Literal["credit_instruction"] = "credit_instruction"
    source_registry: Identifier
    account: AccountId
    blocks: list[BlockModel] = Field(default_factory=list)
    conversions: list[Conversion] = Field(default_factory=list)


class TransferCompleted(_Message):
    kind: Literal["transfer_completed"] = "transfer_completed"


class ReturnInstruction(_Message):
    """Compensation: the destination refused, so the source takes its units back."""

    kind: Literal["return_instruction"] = "return_instruction"
    account: AccountId
    blocks: list[BlockModel]
    code: str
    reason: str


Message = Annotated[
    IssuanceProposed
    | TransferProposed
    | StatusChangeProposed
    | TransferDebited
    | TransferCredited
    | CreditRefused
    | TransactionAccepted
    | TransactionRejected
    | CreditInstruction
    | TransferCompleted
    | ReturnInstruction,
    Field(discriminator="kind"),
]


class Envelope(Frozen):
    """A message in transit: where it came from (application and log position),
    where it goes, and the schema version of the contract."""

    schema_version: int = SCHEMA_VERSION
    source: str
    position: int = Field(ge=1)
    destination: str
    message: Message

    @property
    def message_id(self) -> str:
        return f"{self.source}:{self.position}"
