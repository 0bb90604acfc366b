"""The registry adapter framework: a jurisdiction's registry as an application.

A :class:`RegistryApplication` keeps accounts and the blocks they hold, issues,
transfers internally, and proposes to the clearinghouse whatever changes the
central ledger: issuance, cross-border transfers, surrender, retirement and
cancellation. It applies the clearinghouse's decisions when they arrive.

A jurisdiction plugs its own rules in through :class:`NativeRules` (allocation,
offset limits, banking, penalties: issue #3); every operation passes its
``check`` hook before anything is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from eventsourcing.domain import DomainEvent
from pydantic import BaseModel

from adapters.accounts import (
    SYSTEM_ACCOUNTS,
    Account,
    SerialRegister,
    account_id,
    serial_register_id,
)
from adapters.transactions import RegistryTransaction, registry_transaction_id
from clearinghouse.application import CLEARINGHOUSE, registry_app_name
from clearinghouse.checks import Refused
from clearinghouse.commands import (
    Cancel,
    CrossBorderTransfer,
    InternalTransfer,
    Issue,
    OpenAccount,
    Retire,
    Surrender,
    validate,
)
from clearinghouse.messages import (
    CreditInstruction,
    CreditRefused,
    IssuanceProposed,
    Message,
    ReturnInstruction,
    StatusChangeProposed,
    TransactionAccepted,
    TransactionRejected,
    TransferCompleted,
    TransferCredited,
    TransferDebited,
    TransferProposed,
    blocks_of,
    models_of,
)
from clearinghouse.participant import Participant, UnitOfWork
from clearinghouse.store import StoreConfig
from clearinghouse.units import Block

OperationKind = Literal[
    "issue", "transfer", "export", "import", "surrender", "retirement", "cancellation"
]


@dataclass(frozen=True)
class Operation:
    """What a native rule gets to see before an operation is recorded."""

    kind: OperationKind
    registry: str
    account: str
    account_kind: str
    blocks: tuple[Block, ...]
    business_date: date
    counterparty: str | None = None  # the other account, or the other registry
    purpose: str | None = None
    price: Decimal | None = None  # per unit, in the registry's currency, when stated

    @property
    def quantity(self) -> int:
        return sum(b.count for b in self.blocks)


class NativeRules:
    """A jurisdiction's own rules. The default allows whatever the framework allows.

    Override :meth:`check` and raise :class:`~clearinghouse.checks.Refused` with
    the jurisdiction's check code to refuse an operation.
    """

    account_kinds: tuple[str, ...] = ()

    def check(self, op: Operation, registry: RegistryApplication) -> None:
        return None


@dataclass(frozen=True)
class RegistryConfig:
    code: str
    name: str
    party: str
    unit_types: tuple[str, ...]
    rules: NativeRules = field(default_factory=NativeRules)
    #: the application class that runs this registry (a jurisdiction's adapter may
    #: add native commands); None means the plain :class:`RegistryApplication`
    application: Callable[..., RegistryApplication] | None = None
    #: the catalogue code and factory options this config was made from
    #: (``adapters.catalogue.standard``); recorded when the registry connects, so
    #: another process can stand the registry up again exactly as it was created
    standard: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PlainIssuance:
    """Why an adapter refuses the framework's plain ``issue`` (CMP-009): its units
    come only from a native command (an allocation, a project's certification, a
    Joint Committee decision)."""

    operation: str
    reason: str
    source: str


class Receipt(BaseModel):
    """What a registry command answers: the transaction and where it stands."""

    transaction_id: str
    registry: str
    kind: str
    state: str
    quantity: int
    code: str | None = None
    reason: str | None = None

    @property
    def refused(self) -> bool:
        return self.state in ("refused", "rejected")


BASE_KINDS = ("holding", "surrender", "retirement", "cancellation")
_STATUS_KINDS = {
    "surrender": "SURRENDER",
    "retirement": "RETIREMENT",
    "cancellation": "CANCELLATION",
}


class RegistryApplication(Participant):
    """One jurisdiction's registry, with its own event log.

    An adapter's registry names the rules class it reads (:attr:`rules_type`, and
    ``rules: ThatClass`` for the type checker) and extends :meth:`_open` with what
    it keeps from its first start (authority accounts, books)."""

    #: set by an adapter whose units are issued only by its native commands
    plain_issuance: PlainIssuance | None = None
    #: the rules a config must carry to run this registry: checked at start, so a
    #: config made for another adapter fails at once rather than at its first command
    rules_type: type[NativeRules] = NativeRules
    rules: NativeRules

    def __init__(
        self,
        config: RegistryConfig,
        store: StoreConfig | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        if not isinstance(config.rules, self.rules_type):
            raise TypeError(
                f"{config.code}: a {type(self).__name__} needs {self.rules_type.__name__}"
            )
        self.config = config
        self.rules = config.rules
        self.code = config.code
        self.name = registry_app_name(config.code)
        super().__init__(store, {"AGGREGATE_CACHE_MAXSIZE": "5000", **(env or {})})
        self.run(self._open)

    @property
    def account_kinds(self) -> tuple[str, ...]:
        return BASE_KINDS + self.config.rules.account_kinds

    def _open(self, uow: UnitOfWork) -> None:
        """Create what the registry keeps from its first start: the system accounts.

        Runs at every start, in one unit of work; what exists already is left as
        it is. An adapter extends it (calling this first) with its own accounts and
        aggregates."""
        for account, kind in SYSTEM_ACCOUNTS.items():
            self._open_account(uow, account, kind, self.config.name)

    def _open_account(self, uow: UnitOfWork, account: str, kind: str, holder: str) -> Account:
        """The account ``account``, opened (of ``kind``, for ``holder``) if it is not
        open yet: opening is idempotent, an open account is left as it is."""
        found = uow.get(Account, account_id(self.code, account))
        return found or uow.add(Account(self.code, account, kind, holder))

    # -- queries --------------------------------------------------------------------

    def account(self, account: str) -> Account | None:
        return UnitOfWork(self).get(Account, account_id(self.code, account))

    def transaction(
        self, code: str, direction: str = "out", source: str | None = None
    ) -> RegistryTransaction | None:
        """A transaction by its id; an incoming one by its id and source registry
        (without ``source``: the first incoming transfer that used the id)."""
        uow = UnitOfWork(self)
        txn = self._transaction(uow, code, direction)
        if direction != "in" or source is None or txn is None:
            return txn
        if txn.details.get("from_registry") == source:
            return txn
        return self._transaction(uow, code, f"in/{source}")

    # -- commands -------------------------------------------------------------------

    def open_account(self, data: OpenAccount | dict[str, Any]) -> None:
        cmd = validate(OpenAccount, data)
        if cmd.kind not in self.account_kinds:
            raise Refused(
                "INP-001",
                field="kind",
                reason=f"{cmd.kind!r} is not one of {', '.join(self.account_kinds)}",
            )

        self.run(lambda uow: self._open_account(uow, cmd.account, cmd.kind, cmd.holder))

    def issue(self, data: Issue | dict[str, Any]) -> Receipt:
        cmd = validate(Issue, data)

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            if self.plain_issuance is not None:
                raise Refused(
                    "CMP-009",
                    registry=self.code,
                    operation=self.plain_issuance.operation,
                    reason=self.plain_issuance.reason,
                    source=self.plain_issuance.source,
                )
            if cmd.unit_type not in self.config.unit_types:
                raise Refused(
                    "UNT-009",
                    registry=self.code,
                    unit_type=cmd.unit_type,
                    issues=", ".join(self.config.unit_types),
                )
            account = self._account(uow, cmd.account)
            if account.terminal:
                raise Refused("UNT-008", account=cmd.account, kind=account.kind)
            register = self._register(uow, cmd.unit_type)
            block = register.allocate(
                cmd.transaction_id, cmd.vintage, cmd.quantity, cmd.first_serial
            )
            self._check_rules(uow, "issue", account, [block], cmd.business_date)
            return [block], {"account": cmd.account, "authorization_id": cmd.authorization_id}

        return self._decide_and_record("issuance", cmd, decide)

    def transfer(self, data: InternalTransfer | dict[str, Any]) -> Receipt:
        cmd = validate(InternalTransfer, data)

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            if cmd.to_account == cmd.account:
                raise Refused("UNT-010", account=cmd.account)
            source = self._account(uow, cmd.account)
            target = self._account(uow, cmd.to_account)
            blocks = self._units(source, cmd)
            self._check_rules(
                uow, "transfer", source, blocks, cmd.business_date, cmd.to_account, price=cmd.price
            )
            source.debit(cmd.transaction_id, blocks)
            target.credit(cmd.transaction_id, blocks)
            return blocks, {"account": cmd.account, "to_account": cmd.to_account}

        return self._decide_and_record("transfer", cmd, decide, direction="internal")

    def transfer_abroad(self, data: CrossBorderTransfer | dict[str, Any]) -> Receipt:
        cmd = validate(CrossBorderTransfer, data)

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            source = self._account(uow, cmd.account)
            blocks = self._units(source, cmd)
            self._check_rules(uow, "export", source, blocks, cmd.business_date, cmd.to_registry)
            source.hold(cmd.transaction_id, blocks)
            return blocks, {
                "account": cmd.account,
                "to_registry": cmd.to_registry,
                "to_account": cmd.to_account,
            }

        return self._decide_and_record("transfer", cmd, decide)

    def surrender(self, data: Surrender | dict[str, Any]) -> Receipt:
        cmd = validate(Surrender, data)
        return self._end("surrender", cmd, "compliance")

    def retire(self, data: Retire | dict[str, Any]) -> Receipt:
        cmd = validate(Retire, data)
        return self._end("retirement", cmd, cmd.purpose)

    def cancel(self, data: Cancel | dict[str, Any]) -> Receipt:
        cmd = validate(Cancel, data)
        return self._end("cancellation", cmd, cmd.purpose)

    def _end(self, kind: OperationKind, cmd: Surrender | Retire | Cancel, purpose: str) -> Receipt:
        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            source = self._account(uow, cmd.account)
            blocks = self._units(source, cmd)
            self._check_rules(uow, kind, source, blocks, cmd.business_date, purpose=purpose)
            source.hold(cmd.transaction_id, blocks)
            return blocks, {
                "account": cmd.account,
                "purpose": purpose,
                "to_account": _STATUS_KINDS[kind],
            }

        return self._decide_and_record(kind, cmd, decide)

    # -- command plumbing ---------------------------------------------------------------

    def _transaction(
        self, uow: UnitOfWork, code: str, direction: str = "out"
    ) -> RegistryTransaction | None:
        """This registry's transaction ``code`` as loaded in ``uow`` (by default the
        outgoing one a clearinghouse decision names), or None."""
        return uow.get(RegistryTransaction, registry_transaction_id(self.code, code, direction))

    def _account(self, uow: UnitOfWork, account: str) -> Account:
        found = uow.get(Account, account_id(self.code, account))
        if found is None:
            raise Refused("UNT-007", registry=self.code, account=account)
        return found

    def _register(self, uow: UnitOfWork, unit_type: str) -> SerialRegister:
        found = uow.get(SerialRegister, serial_register_id(self.code, unit_type))
        return found or uow.add(SerialRegister(self.code, unit_type))

    def _units(self, account: Account, cmd: Any) -> list[Block]:
        if cmd.blocks is not None:
            blocks = blocks_of(cmd.blocks)
            account.check_spendable(blocks)
            return blocks
        selected: list[Block] = account.select(cmd.quantity, cmd.unit_type, cmd.vintage)
        return selected

    def _check_rules(
        self,
        uow: UnitOfWork,
        kind: OperationKind,
        account: Account,
        blocks: list[Block],
        on: date,
        counterparty: str | None = None,
        purpose: str | None = None,
        price: Decimal | None = None,
    ) -> None:
        op = Operation(
            kind,
            self.code,
            account.account,
            account.kind,
            tuple(blocks),
            on,
            counterparty,
            purpose,
            price,
        )
        self._native(uow, op)

    def _native(self, uow: UnitOfWork, op: Operation) -> None:
        """Run the native rules on ``op``; an adapter that keeps native state (a
        covered entity's trades, say) records it here, in the same unit of work."""
        self.config.rules.check(op, self)

    def _decide_and_record(
        self, kind: str, cmd: Any, decide: Any, direction: str = "out"
    ) -> Receipt:
        """Decide a command and record it, or record its refusal; idempotent by id."""
        code = cmd.transaction_id
        request = cmd.model_dump(mode="json")

        def work(uow: UnitOfWork) -> RegistryTransaction:
            existing = self._transaction(uow, code, direction)
            if existing is not None:
                if existing.details.get("request") != request:
                    raise Refused("TXN-001", transaction=code)
                return existing
            try:
                blocks, details = decide(uow)
                refusal = None
            except Refused as refused:
                uow.loaded.clear()  # nothing the decision touched is kept
                blocks, details = [], {}
                refusal = {
                    "code": refused.code,
                    "check_version": refused.version,
                    "reason": refused.reason,
                }
            return uow.add(
                RegistryTransaction(
                    registry=self.code,
                    code=code,
                    direction=direction,
                    kind=kind,
                    business_date=cmd.business_date,
                    details={**details, "request": request},
                    blocks=blocks,
                    refusal=refusal,
                )
            )

        try:
            txn: RegistryTransaction = self.run(work)
        except Refused as refused:  # TXN-001: the id belongs to another transaction
            return Receipt(
                transaction_id=code,
                registry=self.code,
                kind=kind,
                state="refused",
                quantity=0,
                code=refused.code,
                reason=refused.reason,
            )
        return self.receipt(txn)

    def receipt(self, txn: RegistryTransaction) -> Receipt:
        verdict = txn.verdict or {}
        return Receipt(
            transaction_id=txn.code,
            registry=self.code,
            kind=txn.kind,
            state=txn.state,
            quantity=sum(b.count for b in txn.blocks) or sum(b.count for b in txn.issued),
            code=verdict.get("code"),
            reason=verdict.get("reason"),
        )

    # -- decisions from the clearinghouse --------------------------------------------------

    def apply(self, uow: UnitOfWork, message: Message) -> None:
        if isinstance(message, CreditInstruction):
            self._credit_incoming(uow, message)
            return
        txn = self._transaction(uow, message.transaction_id)
        if txn is None:
            return
        if isinstance(message, TransactionAccepted) and txn.state == "proposed":
            self._accepted(uow, txn)
        elif isinstance(message, TransactionRejected) and txn.state == "proposed":
            if txn.kind != "issuance":
                self._account(uow, txn.details["account"]).release(txn.code)
            txn.reject(message.code, message.check_version, message.reason)
        elif isinstance(message, TransferCompleted) and txn.state == "debited":
            txn.complete()
        elif isinstance(message, ReturnInstruction) and txn.state == "debited":
            self._account(uow, message.account).credit(txn.code, blocks_of(message.blocks))
            txn.returned(message.code, message.reason)
        elif not isinstance(
            message,
            TransactionAccepted | TransactionRejected | TransferCompleted | ReturnInstruction,
        ):
            super().apply(uow, message)

    def _accepted(self, uow: UnitOfWork, txn: RegistryTransaction) -> None:
        account = self._account(uow, txn.details["account"])
        txn.accept()
        if txn.kind == "issuance":
            account.credit(txn.code, txn.blocks)
            txn.complete()
        elif txn.kind == "transfer":
            account.debit_held(txn.code)
            txn.debit()
        else:  # surrender, retirement, cancellation: units end in the system account
            account.debit_held(txn.code)
            self._account(uow, txn.details["to_account"]).credit(txn.code, txn.blocks)
            txn.complete()

    def _incoming_key(self, uow: UnitOfWork, msg: CreditInstruction) -> str | None:
        """Which key an incoming transfer takes, or None if it was already credited.

        Ids are unique per source registry only (the clearinghouse keys transactions
        by source and id). The first source to use an id keys it as ``in``, as stores
        always have; another source's transfer with the same id is keyed
        ``in/SOURCE``, so neither is mistaken for a redelivery of the other."""
        first = self._transaction(uow, msg.transaction_id, "in")
        if first is None:
            return "in"
        if first.details.get("from_registry") == msg.source_registry:
            return None
        key = f"in/{msg.source_registry}"
        return None if self._transaction(uow, msg.transaction_id, key) is not None else key

    def _credit_incoming(self, uow: UnitOfWork, msg: CreditInstruction) -> None:
        key = self._incoming_key(uow, msg)
        if key is None:
            return
        # serials issued for conversions are allocated under a key unique to this transfer
        # ("/" is not allowed in ids, so no id can spell another transfer's key)
        local = msg.transaction_id if key == "in" else f"{msg.source_registry}/{msg.transaction_id}"

        def received() -> RegistryTransaction:
            return uow.add(
                RegistryTransaction(
                    registry=self.code,
                    code=msg.transaction_id,
                    direction="in",
                    kind="transfer",
                    business_date=msg.business_date,
                    details={"account": msg.account, "from_registry": msg.source_registry},
                    blocks=[],
                    key=None if key == "in" else key,
                )
            )

        txn = received()
        try:
            account = self._account(uow, msg.account)
            if account.terminal:
                raise Refused("UNT-008", account=msg.account, kind=account.kind)
            incoming = blocks_of(msg.blocks)
            issued = [
                self._register(uow, c.unit_type).allocate(f"{local}/{i}", c.vintage, c.quantity)
                for i, c in enumerate(msg.conversions)
            ]
            self._check_rules(
                uow, "import", account, incoming + issued, msg.business_date, msg.source_registry
            )
        except Refused as refused:
            uow.loaded.clear()
            txn = received()
            txn.refuse_credit(refused.code, refused.version, refused.reason)
            return
        account.credit(msg.transaction_id, incoming + issued)
        txn.credited(incoming, issued)

    # -- messages to the clearinghouse -------------------------------------------------------

    def outbox(self, event: DomainEvent) -> Iterator[tuple[str, Message]]:
        kind = type(event).__name__
        if not isinstance(event, RegistryTransaction.Event):
            return
        if kind == "Requested":
            yield from self._proposal(event)
            return
        txn: RegistryTransaction = self.repository.get(
            event.originator_id, version=event.originator_version
        )
        common = {
            "transaction_id": txn.code,
            "business_date": txn.business_date,
            "registry": self.code,
        }
        if kind == "Debited":
            yield CLEARINGHOUSE, TransferDebited(**common)
            return
        incoming = {**common, "source_registry": txn.details.get("from_registry")}
        if kind == "Credited":
            credited = TransferCredited(
                **incoming, blocks=models_of(txn.blocks), issued=models_of(txn.issued)
            )
            yield CLEARINGHOUSE, credited
        elif kind == "CreditRefused":
            verdict = txn.verdict or {}
            refused = CreditRefused(**incoming, code=verdict["code"], reason=verdict["reason"])
            yield CLEARINGHOUSE, refused

    def _proposal(self, event: Any) -> Iterator[tuple[str, Message]]:
        if event.refusal is not None or event.direction != "out":
            return
        d = event.details
        common = {
            "transaction_id": event.code,
            "business_date": event.business_date,
            "blocks": models_of(event.blocks),
        }
        if event.kind == "issuance":
            yield (
                CLEARINGHOUSE,
                IssuanceProposed(
                    **common,
                    registry=self.code,
                    account=d["account"],
                    authorization_id=d["authorization_id"],
                ),
            )
        elif event.kind == "transfer":
            yield (
                CLEARINGHOUSE,
                TransferProposed(
                    **common,
                    source_registry=self.code,
                    source_account=d["account"],
                    destination_registry=d["to_registry"],
                    destination_account=d["to_account"],
                ),
            )
        else:
            yield (
                CLEARINGHOUSE,
                StatusChangeProposed(
                    **common,
                    registry=self.code,
                    account=d["account"],
                    action=event.kind,
                    purpose=d["purpose"],
                ),
            )
