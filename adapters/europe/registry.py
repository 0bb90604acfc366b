"""The Union Registry (EU ETS) or the Swiss ETS registry: a compliance registry that
holds transfers back until they may execute.

What is native, beyond the compliance framework:

* **the settlement calendar**: a transfer to the registry across the link is
  not proposed to the clearinghouse when it is initiated; its units go on hold
  and it executes on the next settlement date (:mod:`adapters.europe.settlement`),
  when a tick of business time (:meth:`EuropeanRegistry.execute_due`) reaches
  it. The receiving registry refuses units credited on any other day (CMP-501);
* **the 26-hour delay** (EU registry): a transfer to an account that is not on
  the transferring account's trusted list (:meth:`EuropeanRegistry.trust_account`)
  waits 26 hours, across the link or inside the registry; accounts of the same
  holder are trusted [GK];
* **cancellation** of a transfer still held back (:meth:`EuropeanRegistry.cancel_transfer`);
* **participation by state**: an installation registers with its ``state``;
  one of a state that does not take part on the registration date is refused
  (CMP-503) — Norway, Iceland and Liechtenstein take part in the EU ETS as EEA
  states (:func:`adapters.europe.rules.eea_participation`);
* **aviation allowances** only for aircraft operators (CMP-502).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from adapters.accounts import Account, account_id
from adapters.base import Operation, OperationKind, Receipt
from adapters.compliance import CoveredEntity, Period
from adapters.compliance_commands import RegisterEntity
from adapters.compliance_registry import ComplianceRegistry
from adapters.europe.commands import (
    CancelTransfer,
    DistrustAccount,
    ExecuteDue,
    TimedCrossBorderTransfer,
    TimedTransfer,
    TrustAccount,
)
from adapters.europe.deferral import (
    DeferredBook,
    DeferredTransfer,
    TrustedList,
    deferred_book_id,
    deferred_id,
    trusted_list_id,
)
from adapters.europe.rules import EuropeanRules
from adapters.europe.settlement import NoSettlementDate, due_at
from adapters.transactions import RegistryTransaction
from clearinghouse.checks import Refused
from clearinghouse.commands import CrossBorderTransfer, InternalTransfer, validate
from clearinghouse.participant import UnitOfWork
from clearinghouse.units import Block


class ScheduledReceipt(Receipt):
    """A transfer held back: when it executes and why it waits."""

    execute_at: datetime
    waits_for: list[str]


class EuropeanRegistry(ComplianceRegistry):
    """The EU ETS's or the Swiss ETS's registry (factories in :mod:`adapters.europe`)."""

    rules_type = EuropeanRules
    rules: EuropeanRules

    def _open(self, uow: UnitOfWork) -> None:
        super()._open(uow)
        if uow.get(DeferredBook, deferred_book_id(self.code)) is None:
            uow.add(DeferredBook(self.code))

    # -- queries ------------------------------------------------------------------------

    def deferred(self, code: str) -> DeferredTransfer | None:
        return UnitOfWork(self).get(DeferredTransfer, deferred_id(self.code, code))

    def pending(self) -> list[DeferredTransfer]:
        """Transfers held back, in the order they fall due."""
        uow = UnitOfWork(self)
        book = uow.require(DeferredBook, deferred_book_id(self.code), "deferred book")
        found = [uow.require(DeferredTransfer, deferred_id(self.code, c), c) for c in book.pending]
        return sorted(found, key=lambda d: (d.execute_at, d.code))

    def trusted(self, account: str) -> list[dict[str, Any]]:
        found = UnitOfWork(self).get(TrustedList, trusted_list_id(self.code, account))
        if found is None:
            return []
        return [{"registry": r, "account": a, "since": s} for r, a, s in found.entries]

    def by_state(self) -> dict[str, dict[str, int]]:
        """Installations and verified emissions per participating state."""
        rows: dict[str, dict[str, int]] = {}
        for e in self.entities():
            row = rows.setdefault(e.attributes.get("state", "?"), {"entities": 0, "verified": 0})
            row["entities"] += 1
            row["verified"] += sum(e.verified.values())
        return dict(sorted(rows.items()))

    # -- registration -------------------------------------------------------------------

    def register_entity(self, data: RegisterEntity | dict[str, Any]) -> CoveredEntity:
        """Register an installation or aircraft operator with its ``state``; refused
        (CMP-503) if the state does not take part on the registration date."""
        cmd = validate(RegisterEntity, data)
        self.rules.check_coverage(cmd.sector, cmd.emissions, {"name": cmd.entity, **cmd.attributes})
        self.rules.check_participation(cmd.entity, cmd.attributes["state"], cmd.business_date)
        return super().register_entity(cmd)

    # -- the trusted account list --------------------------------------------------------

    def trust_account(self, data: TrustAccount | dict[str, Any]) -> None:
        cmd = validate(TrustAccount, data)

        def work(uow: UnitOfWork) -> None:
            self._account(uow, cmd.account)
            if cmd.trusted_registry in (None, self.code):
                self._account(uow, cmd.trusted_account)
            key = trusted_list_id(self.code, cmd.account)
            found = uow.get(TrustedList, key) or uow.add(TrustedList(self.code, cmd.account))
            registry = None if cmd.trusted_registry == self.code else cmd.trusted_registry
            if not found.trusts(registry, cmd.trusted_account, date.max):
                found.add(registry, cmd.trusted_account, cmd.business_date)

        self.run(work)

    def distrust_account(self, data: DistrustAccount | dict[str, Any]) -> None:
        cmd = validate(DistrustAccount, data)

        def work(uow: UnitOfWork) -> None:
            found = uow.get(TrustedList, trusted_list_id(self.code, cmd.account))
            registry = None if cmd.trusted_registry == self.code else cmd.trusted_registry
            if found is not None and found.trusts(registry, cmd.trusted_account, date.max):
                found.remove(registry, cmd.trusted_account)

        self.run(work)

    def _trusts(
        self, uow: UnitOfWork, account: str, registry: str | None, target: str, on: date
    ) -> bool:
        """Whether a transfer from ``account`` to ``target`` (in ``registry``, None:
        here) goes without delay: on the trusted list, or an account of the same
        holder here [GK]."""
        if registry is None:
            source = uow.get(Account, account_id(self.code, account))
            other = uow.get(Account, account_id(self.code, target))
            if source is not None and other is not None and source.holder == other.holder:
                return True
        found = uow.get(TrustedList, trusted_list_id(self.code, account))
        return found is not None and found.trusts(registry, target, on)

    # -- transfers that may wait ---------------------------------------------------------

    def transfer(self, data: InternalTransfer | dict[str, Any]) -> Receipt:
        """An internal transfer; delayed 26 hours (EU) to an account not trusted."""
        cmd = validate(TimedTransfer, _plain(data))
        delay = self.rules.untrusted_delay
        if delay is None or self._trusts(
            UnitOfWork(self), cmd.account, None, cmd.to_account, cmd.business_date
        ):
            return super().transfer(cmd)
        reason = f"{cmd.to_account} is not on {cmd.account}'s trusted account list: {_hours(delay)}"
        return self._schedule(cmd, "internal", None, delay, None, [reason])

    def transfer_abroad(self, data: CrossBorderTransfer | dict[str, Any]) -> Receipt:
        """A transfer to another registry: across the link, held until the next
        settlement date; to an account not trusted (EU), held 26 hours first."""
        cmd = validate(TimedCrossBorderTransfer, _plain(data))
        cross_link = cmd.to_registry in self.rules.settlement_partners
        delay = self.rules.untrusted_delay
        trusted = delay is None or self._trusts(
            UnitOfWork(self), cmd.account, cmd.to_registry, cmd.to_account, cmd.business_date
        )
        if not cross_link and trusted:
            return super().transfer_abroad(cmd)
        reasons = []
        if not trusted:
            assert delay is not None
            reasons.append(
                f"{cmd.to_registry} account {cmd.to_account} is not on {cmd.account}'s trusted "
                f"account list: {_hours(delay)}"
            )
        if cross_link:
            reasons.append(f"across the {self.rules.link_name} link: the next settlement date")
        calendar = self.rules.calendar if cross_link else None
        return self._schedule(
            cmd, "out", cmd.to_registry, None if trusted else delay, calendar, reasons
        )

    def _schedule(
        self,
        cmd: TimedTransfer | TimedCrossBorderTransfer,
        direction: str,
        to_registry: str | None,
        delay: timedelta | None,
        calendar: Any,
        reasons: list[str],
    ) -> Receipt:
        if self.transaction(cmd.transaction_id, direction) is not None:
            # decided before (refused, or executed): the framework answers, or TXN-001
            return self._decide_and_record("transfer", cmd, _never, direction=direction)
        request = cmd.model_dump(mode="json")
        initiated = datetime.combine(cmd.business_date, cmd.time or time.min)

        def work(uow: UnitOfWork) -> DeferredTransfer:
            found = uow.get(DeferredTransfer, deferred_id(self.code, cmd.transaction_id))
            if found is not None:
                if found.request != request:
                    raise Refused("TXN-001", transaction=cmd.transaction_id)
                return found
            if calendar is not None and cmd.business_date < calendar.live_from:
                raise Refused(
                    "CMP-501",
                    registry=self.code,
                    link=self.rules.link_name,
                    date=cmd.business_date,
                    reason=f"the registry link is live from {calendar.live_from}",
                    source=calendar.source,
                )
            try:
                execute_at = due_at(initiated, delay=delay, cross_link=calendar)
            except NoSettlementDate as none:
                raise Refused(
                    "CMP-501",
                    registry=self.code,
                    link=self.rules.link_name,
                    date=cmd.business_date,
                    reason=str(none),
                    source=calendar.source,
                ) from None
            source = self._account(uow, cmd.account)
            if direction == "internal":
                self._account(uow, cmd.to_account)
            blocks = self._units(source, cmd)
            kind: OperationKind = "export" if direction == "out" else "transfer"
            counterparty = to_registry if direction == "out" else cmd.to_account
            # the rules' check only: what a jurisdiction records about a trade (e.g. a
            # covered entity's sales) is recorded when the transfer executes
            self.config.rules.check(
                Operation(
                    kind,
                    self.code,
                    source.account,
                    source.kind,
                    tuple(blocks),
                    cmd.business_date,
                    counterparty,
                    price=getattr(cmd, "price", None),
                ),
                self,
            )
            source.hold(cmd.transaction_id, blocks)
            uow.require(DeferredBook, deferred_book_id(self.code), "deferred book").add(
                cmd.transaction_id
            )
            return uow.add(
                DeferredTransfer(
                    registry=self.code,
                    code=cmd.transaction_id,
                    direction=direction,
                    account=cmd.account,
                    to_account=cmd.to_account,
                    to_registry=to_registry,
                    blocks=blocks,
                    request=request,
                    initiated_at=initiated,
                    execute_at=execute_at,
                    reasons=reasons,
                )
            )

        try:
            deferred: DeferredTransfer = self.run(work)
        except Refused as refusal:
            refused = refusal
            if refused.code == "TXN-001":
                return Receipt(
                    transaction_id=cmd.transaction_id,
                    registry=self.code,
                    kind="transfer",
                    state="refused",
                    quantity=0,
                    code=refused.code,
                    reason=refused.reason,
                )

            def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
                raise refused

            return self._decide_and_record("transfer", cmd, decide, direction=direction)
        return self.deferred_receipt(deferred)

    def deferred_receipt(self, deferred: DeferredTransfer) -> Receipt:
        if deferred.state == "executed":
            txn = self.transaction(deferred.code, deferred.direction)
            if txn is not None:
                return self.receipt(txn)
        return ScheduledReceipt(
            transaction_id=deferred.code,
            registry=self.code,
            kind="transfer",
            state=deferred.state,
            quantity=deferred.quantity,
            reason=deferred.note or None,
            execute_at=deferred.execute_at,
            waits_for=deferred.reasons,
        )

    def execute_due(self, data: ExecuteDue | dict[str, Any]) -> list[Receipt]:
        """Execute every held-back transfer due by the given business date and time
        (end of the day if none), oldest first. A cross-border one is proposed to
        the clearinghouse, dated its execution date; settle the system afterwards
        for the clearinghouse's verdict."""
        cmd = validate(ExecuteDue, data)
        now = datetime.combine(cmd.business_date, cmd.time or time.max)
        receipts = []
        for deferred in self.pending():
            if deferred.execute_at > now:
                break
            receipts.append(self._execute(deferred.code))
        return receipts

    def _execute(self, code: str) -> Receipt:
        def work(uow: UnitOfWork) -> DeferredTransfer:
            d = uow.require(DeferredTransfer, deferred_id(self.code, code), code)
            if d.state != "scheduled":
                return d
            on = d.execute_at.date()
            book = uow.require(DeferredBook, deferred_book_id(self.code), "deferred book")
            details: dict[str, Any] = {
                "account": d.account,
                "to_account": d.to_account,
                "request": d.request,
            }
            if d.direction == "out":
                details["to_registry"] = d.to_registry
            else:
                try:
                    self._carry_out(uow, d, on)
                except Refused as refused:
                    uow.loaded.clear()
                    return self._failed(uow, code, on, refused)
            uow.add(
                RegistryTransaction(
                    registry=self.code,
                    code=d.code,
                    direction=d.direction,
                    kind="transfer",
                    business_date=on,
                    details=details,
                    blocks=d.blocks,
                )
            )
            d.execute(on)
            book.remove(d.code)
            return d

        deferred: DeferredTransfer = self.run(work)
        return self.deferred_receipt(deferred)

    def _carry_out(self, uow: UnitOfWork, d: DeferredTransfer, on: date) -> None:
        """An internal transfer whose delay is over: the rules run again (and record
        what they record about a trade), then the units move."""
        source = self._account(uow, d.account)
        target = self._account(uow, d.to_account)
        price = d.request.get("price")
        op = Operation(
            "transfer",
            self.code,
            source.account,
            source.kind,
            tuple(d.blocks),
            on,
            d.to_account,
            price=Decimal(price) if price is not None else None,
        )
        self._native(uow, op)
        source.debit_held(d.code)
        target.credit(d.code, d.blocks)

    def _failed(self, uow: UnitOfWork, code: str, on: date, refused: Refused) -> DeferredTransfer:
        """The rules refuse the transfer when it falls due: its units are released and
        the refusal recorded."""
        d = uow.require(DeferredTransfer, deferred_id(self.code, code), code)
        self._account(uow, d.account).release(code)
        uow.require(DeferredBook, deferred_book_id(self.code), "deferred book").remove(code)
        d.fail(on, refused.reason)
        uow.add(
            RegistryTransaction(
                registry=self.code,
                code=code,
                direction=d.direction,
                kind="transfer",
                business_date=on,
                details={"account": d.account, "to_account": d.to_account, "request": d.request},
                blocks=[],
                refusal={
                    "code": refused.code,
                    "check_version": refused.version,
                    "reason": refused.reason,
                },
            )
        )
        return d

    def cancel_transfer(self, data: CancelTransfer | dict[str, Any]) -> Receipt:
        """Cancel a transfer still held back (CMP-504 once it executed or ended)."""
        cmd = validate(CancelTransfer, data)

        def work(uow: UnitOfWork) -> DeferredTransfer:
            d = uow.get(DeferredTransfer, deferred_id(self.code, cmd.transaction_id))
            if d is None:
                raise Refused(
                    "CMP-504",
                    registry=self.code,
                    transaction=cmd.transaction_id,
                    action="cancelled",
                    reason="no transfer of that id is being held back",
                )
            if d.state == "cancelled":
                return d
            if d.state != "scheduled":
                raise Refused(
                    "CMP-504",
                    registry=self.code,
                    transaction=cmd.transaction_id,
                    action="cancelled",
                    reason=f"it is {d.state} (on {d.closed_on})",
                )
            self._account(uow, d.account).release(d.code)
            uow.require(DeferredBook, deferred_book_id(self.code), "deferred book").remove(d.code)
            d.cancel(cmd.business_date, cmd.reason)
            return d

        deferred: DeferredTransfer = self.run(work)
        return self.deferred_receipt(deferred)

    # -- compliance ------------------------------------------------------------------------

    def _check_surrender(
        self, uow: UnitOfWork, entity: CoveredEntity, period: Period, blocks: list[Block]
    ) -> None:
        self.rules.check_aviation(entity, blocks)


def _plain(data: Any) -> Any:
    """A framework command object (without a time) as the data it holds."""
    if isinstance(data, InternalTransfer | CrossBorderTransfer):
        return data.model_dump()
    return data


def _never(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:  # pragma: no cover
    raise AssertionError("only reached for a transaction id never used")


def _hours(delay: timedelta) -> str:
    return f"delayed {int(delay.total_seconds() // 3600)} hours"
