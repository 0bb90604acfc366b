"""A registry that runs compliance cycles: the service around :mod:`adapters.compliance`.

Each command loads what it needs, lets the jurisdiction's :class:`ComplianceRules`
decide, and records the outcome in one unit of work ("load, call, save"). Units
still move only the framework's way: allocations are issuances the clearinghouse
accepts into its central ledger, compliance surrenders are status changes it
clears, trades are internal transfers; so every allowance a jurisdiction issues
can later cross a border under a linkage agreement, and no unit is counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

from adapters.accounts import Account
from adapters.base import BASE_KINDS, Operation, Receipt, RegistryApplication
from adapters.compliance import (
    ComplianceRules,
    CoveredEntity,
    Period,
    PeriodFacts,
    Roster,
    entities_roster_id,
    entity_id,
)
from adapters.compliance_commands import (
    Allocate,
    ClosePeriod,
    ComplianceSurrender,
    RegisterEntity,
    VerifyEmissions,
)
from adapters.transactions import RegistryTransaction
from clearinghouse.checks import Refused
from clearinghouse.commands import validate
from clearinghouse.messages import Message, TransactionAccepted, TransactionRejected
from clearinghouse.participant import UnitOfWork
from clearinghouse.units import Block
from projections.holdings import fold
from projections.log import read


@dataclass(frozen=True)
class Conservation:
    """The registry chain's conservation check (china-ets.md, Registry flows, L470–500):
    issued − recovered − ended = Σ holdings, over this registry's own units."""

    issued: int
    recovered: int
    ended: int  # surrendered, retired or cancelled
    exported: int  # held by other registries now (net of what came back)
    holdings: int  # in holding and authority accounts here

    @property
    def balanced(self) -> bool:
        return self.issued - self.recovered - self.ended - self.exported == self.holdings


class ComplianceRegistry(RegistryApplication):
    """A registry with covered entities and compliance periods."""

    rules_type = ComplianceRules
    rules: ComplianceRules

    def _open(self, uow: UnitOfWork) -> None:
        super()._open(uow)
        if uow.get(Roster, entities_roster_id(self.code)) is None:
            uow.add(Roster(self.code))
        accounts = {"RECOVERY": "recovery", **self.rules.authority_accounts}
        for account, kind in accounts.items():
            self._open_account(uow, account, kind, self.config.name)

    @property
    def account_kinds(self) -> tuple[str, ...]:
        kinds = {*BASE_KINDS, "recovery", *self.rules.authority_accounts.values()}
        return tuple(sorted(kinds | set(self.rules.account_kinds)))

    # -- queries ------------------------------------------------------------------------

    def entity(self, entity: str) -> CoveredEntity | None:
        return UnitOfWork(self).get(CoveredEntity, entity_id(self.code, entity))

    def entities(self) -> list[CoveredEntity]:
        uow = UnitOfWork(self)
        roster = uow.require(Roster, entities_roster_id(self.code), "roster")
        return [uow.require(CoveredEntity, entity_id(self.code, e), e) for e in roster.entities]

    def conservation(self) -> Conservation:
        """Fold this registry's log into the conservation check."""
        events = list(read(self))
        own = set(self.config.unit_types)

        def mine(blocks: list[Block]) -> int:
            return sum(b.count for b in blocks if b.registry == self.code and b.unit_type in own)

        issued = recovered = exported = 0
        for txn in fold(events, RegistryTransaction).values():
            if txn.state != "completed":
                continue
            if txn.kind == "issuance":
                issued += mine(txn.blocks)
            elif txn.kind == "recovery":
                recovered += mine(txn.blocks)
            elif txn.kind == "transfer" and txn.direction == "out":
                exported += mine(txn.blocks)
            elif txn.kind == "transfer" and txn.direction == "in":
                exported -= mine(txn.blocks)
        ended = holdings = 0
        for account in fold(events, Account).values():
            units = mine(list(account.available)) + sum(
                mine(list(blocks)) for blocks in account.held.values()
            )
            if account.kind == "recovery":
                continue  # counted as recovered
            if account.terminal:
                ended += units
            else:
                holdings += units
        return Conservation(issued, recovered, ended, exported, holdings)

    # -- commands --------------------------------------------------------------------------

    def register_entity(self, data: RegisterEntity | dict[str, Any]) -> CoveredEntity:
        """Register a covered entity (refused below the coverage threshold: CMP-001)."""
        cmd = validate(RegisterEntity, data)
        # "name" lets a refusal name the entity (rules see attributes only)
        self.rules.check_coverage(cmd.sector, cmd.emissions, {"name": cmd.entity, **cmd.attributes})

        def work(uow: UnitOfWork) -> CoveredEntity:
            found = uow.get(CoveredEntity, entity_id(self.code, cmd.entity))
            if found is not None:
                return found
            self._open_account(uow, cmd.entity, "holding", cmd.name)
            uow.require(Roster, entities_roster_id(self.code), "roster").add(cmd.entity)
            return uow.add(
                CoveredEntity(
                    registry=self.code,
                    entity=cmd.entity,
                    name=cmd.name,
                    sector=cmd.sector,
                    account=cmd.entity,
                    attributes=cmd.attributes,
                    registered_on=cmd.business_date,
                )
            )

        entity: CoveredEntity = self.run(work)
        return entity

    def verify_emissions(self, data: VerifyEmissions | dict[str, Any]) -> CoveredEntity:
        cmd = validate(VerifyEmissions, data)

        def work(uow: UnitOfWork) -> CoveredEntity:
            entity = self._entity(uow, cmd.entity)
            if (
                entity.verified.get(cmd.year) != cmd.tonnes
                or entity.activity.get(cmd.year) != cmd.activity
            ):
                entity.verify(cmd.year, cmd.tonnes, cmd.activity)
            return entity

        entity: CoveredEntity = self.run(work)
        return entity

    def allocate(self, data: Allocate | dict[str, Any]) -> Receipt:
        """Issue what the rules say ``entity`` is due for ``year`` after ``stage``
        beyond what it already got; recover the excess if it got too much."""
        cmd = validate(Allocate, data)

        def due(uow: UnitOfWork) -> tuple[CoveredEntity, int, str]:
            entity = self._entity(uow, cmd.entity)
            if cmd.stage not in self.rules.stages(cmd.year):
                raise Refused(
                    "CMP-009",
                    registry=self.code,
                    operation=f"{cmd.stage} allocation",
                    reason=f"the allocation stages for {cmd.year} are "
                    f"{', '.join(self.rules.stages(cmd.year))}",
                    source="docs/jurisdictions.md",
                )
            decision = self.rules.allocation(entity, cmd.year, cmd.stage)
            deduction = entity.deductions.get(cmd.year, 0)
            target = max(0, decision.total - deduction)
            basis = decision.basis + (f"; less {deduction} t deducted" if deduction else "")
            return entity, target - entity.allocated(cmd.year), basis

        # Whether this is an issuance or a recovery depends on state: peek first,
        # then decide again inside the recorded unit of work.
        try:
            _, delta, _ = due(UnitOfWork(self))
        except Refused:
            delta = 1  # let the recorded decision below refuse it, with its code
        existing = self.transaction(cmd.transaction_id, "out") or self.transaction(
            cmd.transaction_id, "internal"
        )
        if existing is not None:
            return self.receipt(existing)
        if delta == 0:
            return self._nothing_due(cmd, due)
        if delta > 0:
            return self._decide_and_record("issuance", cmd, lambda uow: self._issue(uow, cmd, due))
        return self._decide_and_record(
            "recovery", cmd, lambda uow: self._recover(uow, cmd, due), direction="internal"
        )

    def _nothing_due(self, cmd: Allocate, due: Any) -> Receipt:
        """The stage changes nothing (e.g. the final allocation equals the
        pre-allocation): the entity's record says so, no units move."""

        def work(uow: UnitOfWork) -> None:
            entity, delta, basis = due(uow)
            lines = entity.allocations.get(cmd.year, [])
            if delta == 0 and all(line["transaction"] != cmd.transaction_id for line in lines):
                entity.allocate(cmd.year, cmd.stage, 0, cmd.transaction_id, basis)

        self.run(work)
        return Receipt(
            transaction_id=cmd.transaction_id,
            registry=self.code,
            kind="allocation",
            state="completed",
            quantity=0,
        )

    def _issue(
        self, uow: UnitOfWork, cmd: Allocate, due: Any
    ) -> tuple[list[Block], dict[str, Any]]:
        entity, delta, basis = due(uow)
        if delta <= 0:
            raise Refused(
                "CMP-009",
                registry=self.code,
                operation=f"{cmd.stage} allocation",
                reason=f"{entity.entity} already holds its allocation for {cmd.year} ({basis})",
                source="docs/jurisdictions.md",
            )
        into = self.rules.allocation_account(entity)
        account = self._account(uow, into)
        unit_type = self.rules.allowance_types[0]
        block = self._register(uow, unit_type).allocate(cmd.transaction_id, cmd.year, delta)
        self._check_rules(uow, "issue", account, [block], cmd.business_date)
        entity.allocate(cmd.year, cmd.stage, delta, cmd.transaction_id, basis)
        chain = [a for a in self.rules.delivery_chain(entity) if a != into]
        return [block], {
            "account": into,
            "authorization_id": None,
            "entity": entity.entity,
            "deliver": chain,
        }

    def _recover(
        self, uow: UnitOfWork, cmd: Allocate, due: Any
    ) -> tuple[list[Block], dict[str, Any]]:
        entity, delta, basis = due(uow)
        source = self._account(uow, entity.account)
        target = self._account(uow, self.rules.recovery_account(entity))
        unit_type = self.rules.allowance_types[0]
        # The authority takes units back: not a trade, so no market rule applies.
        blocks = source.select(-delta, unit_type, cmd.year)
        source.debit(cmd.transaction_id, blocks)
        target.credit(cmd.transaction_id, blocks)
        entity.allocate(cmd.year, cmd.stage, delta, cmd.transaction_id, basis)
        return blocks, {"account": entity.account, "to_account": target.account}

    def comply(self, data: ComplianceSurrender | dict[str, Any]) -> Receipt:
        """Surrender units against ``entity``'s obligation for ``period``."""
        cmd = validate(ComplianceSurrender, data)

        def decide(uow: UnitOfWork) -> tuple[list[Block], dict[str, Any]]:
            entity = self._entity(uow, cmd.entity)
            period = self.rules.period(cmd.period)
            self._check_open(entity, period.id, cmd.business_date)
            source = self._account(uow, self.rules.surrender_account(entity))
            blocks = self._units(source, cmd)
            offsets = [b for b in blocks if b.unit_type in self.rules.offset_types]
            allowances = [b for b in blocks if b.unit_type in self.rules.allowance_types]
            others = [b for b in blocks if b not in offsets and b not in allowances]
            if others:
                raise Refused(
                    "CMP-004",
                    blocks=", ".join(map(str, others)),
                    registry=self.code,
                    reason=f"only {', '.join(self.rules.allowance_types + self.rules.offset_types)}"
                    " count towards an obligation here",
                    source="docs/jurisdictions.md",
                )
            if offsets:
                self.rules.check_offsets(entity, offsets, cmd.business_date)
                self._check_offset_limit(entity, period.id, sum(b.count for b in offsets))
            earlier = [b for b in allowances if self._relative(b.vintage, period) < 0]
            later = [b for b in allowances if self._relative(b.vintage, period) > 0]
            if earlier:
                self.rules.check_banking(entity, period, earlier, cmd.business_date)
            if later:
                self.rules.check_borrowing(entity, period, later, cmd.business_date)
            self._check_surrender(uow, entity, period, blocks)
            self._check_rules(
                uow, "surrender", source, blocks, cmd.business_date, purpose="compliance"
            )
            source.hold(cmd.transaction_id, blocks)
            entity.request_surrender(
                period.id,
                cmd.transaction_id,
                allowances=sum(b.count for b in allowances),
                offsets=sum(b.count for b in offsets),
                banked=sum(b.count for b in earlier),
                borrowed=sum(b.count for b in later),
            )
            return blocks, {
                "account": source.account,
                "purpose": "compliance",
                "to_account": "SURRENDER",
                "entity": entity.entity,
                "period": period.id,
            }

        return self._decide_and_record("surrender", cmd, decide)

    def close_period(self, data: ClosePeriod | dict[str, Any]) -> list[dict[str, Any]]:
        """Assess every entity's result for a period after its deadline; idempotent."""
        cmd = validate(ClosePeriod, data)
        period = self.rules.period(cmd.period)
        if cmd.business_date <= period.surrender_by:
            raise Refused(
                "CMP-005",
                registry=self.code,
                period=period.id,
                reason=f"it can only be closed after its surrender deadline {period.surrender_by}",
                source=period.source or "docs/jurisdictions.md",
            )

        def work(uow: UnitOfWork) -> list[dict[str, Any]]:
            roster = uow.require(Roster, entities_roster_id(self.code), "roster")
            names = cmd.entities if cmd.entities is not None else roster.entities
            results = []
            for name in names:
                entity = self._entity(uow, name)
                if period.id in entity.results:
                    results.append({"entity": name, **entity.results[period.id]})
                    continue
                if not any(y in entity.verified for y in period.years):
                    continue  # not covered in this period
                obligation = self.rules.obligation(entity, period)
                settled = [s for s in entity.surrenders.get(period.id, []) if s["accepted"]]
                facts = PeriodFacts(
                    period=period,
                    obligation=obligation,
                    allowances=sum(s["allowances"] for s in settled),
                    offsets=sum(s["offsets"] for s in settled),
                    reference_price=cmd.reference_price,
                )
                penalty = self.rules.penalty(entity, facts)
                limit = self.rules.carry_over_limit(entity, facts)
                result = {
                    "period": period.id,
                    "obligation": obligation,
                    "allowances": facts.allowances,
                    "offsets": facts.offsets,
                    "surrendered": facts.surrendered,
                    "shortfall": facts.shortfall,
                    "compliant": facts.shortfall == 0,
                    "fine": str(penalty.fine),
                    "currency": penalty.currency,
                    "deduction": penalty.deduction,
                    "deduct_from": penalty.deduct_from,
                    "penalty_basis": penalty.basis,
                    "carry_over_limit": limit,
                    "closed_on": cmd.business_date.isoformat(),
                }
                entity.close(period.id, result)
                results.append({"entity": name, **result})
            return results

        results: list[dict[str, Any]] = self.run(work)
        return results

    # -- plumbing ---------------------------------------------------------------------------

    def _entity(self, uow: UnitOfWork, entity: str) -> CoveredEntity:
        found = uow.get(CoveredEntity, entity_id(self.code, entity))
        if found is None:
            raise Refused("CMP-002", registry=self.code, entity=entity)
        return found

    def _check_open(self, entity: CoveredEntity, period_id: str, on: date) -> None:
        period = self.rules.period(period_id)
        if period_id in entity.results:
            reason = f"the period was closed on {entity.results[period_id]['closed_on']}"
        elif on > period.surrender_by:
            reason = f"the surrender deadline was {period.surrender_by}"
        else:
            return
        raise Refused(
            "CMP-005",
            registry=self.code,
            period=period_id,
            reason=reason,
            source=period.source or "docs/jurisdictions.md",
        )

    def _check_surrender(
        self, uow: UnitOfWork, entity: CoveredEntity, period: Period, blocks: list[Block]
    ) -> None:
        """A jurisdiction's surrender checks that need more than the rules' hooks see
        (e.g. the blocks of the entity's earlier surrenders), inside the decision's
        unit of work so a concurrent surrender conflicts instead of passing both."""

    def _relative(self, vintage: int, period: Period) -> int:
        """-1, 0 or 1: a vintage of an earlier period (banked), this one, or a later
        one (borrowed). A vintage in no period compares by year."""
        order = [p.id for p in self.rules.periods]
        home = self.rules.period_of(vintage)
        if home is not None:
            return (order.index(home.id) > order.index(period.id)) - (
                order.index(home.id) < order.index(period.id)
            )
        return (vintage > period.last) - (vintage < period.first)

    def _check_offset_limit(self, entity: CoveredEntity, period_id: str, quantity: int) -> None:
        period = self.rules.period(period_id)
        limit = self.rules.offset_limit(entity, period)
        if limit is None:
            return
        allowed, rule, source = limit
        used = entity.surrendered("offsets", period_id)
        if used + quantity > allowed:
            raise Refused(
                "CMP-003",
                entity=entity.entity,
                period=period_id,
                total=used + quantity,
                limit=allowed,
                rule=rule,
                source=source,
            )

    def _native(self, uow: UnitOfWork, op: Operation) -> None:
        super()._native(uow, op)
        if op.kind != "transfer" or op.counterparty is None:
            return
        for side, account in (("sell", op.account), ("buy", op.counterparty)):
            entity = uow.get(CoveredEntity, entity_id(self.code, account))
            if entity is not None:
                entity.trade(side, list(op.blocks), op.business_date)

    # -- decisions from the clearinghouse ------------------------------------------------------

    def apply(self, uow: UnitOfWork, message: Message) -> None:
        if isinstance(message, TransactionAccepted | TransactionRejected):
            txn = self._transaction(uow, message.transaction_id)
            if txn is not None and txn.state == "proposed" and "period" in txn.details:
                entity = self._entity(uow, txn.details["entity"])
                entity.settle_surrender(
                    txn.details["period"], txn.code, isinstance(message, TransactionAccepted)
                )
        super().apply(uow, message)

    def _accepted(self, uow: UnitOfWork, txn: RegistryTransaction) -> None:
        entity_name = txn.details.get("entity")
        chain: list[str] = []
        if txn.kind == "surrender" and entity_name is not None:
            chain = list(self.rules.surrender_chain(self._entity(uow, entity_name)))
        if not chain:
            super()._accepted(uow, txn)
        else:
            # The units take the jurisdiction's way out (china-ets.md L470–500:
            # entity → province → MEE → cancelled), each hop on record.
            txn.accept()
            self._account(uow, txn.details["account"]).debit_held(txn.code)
            self._account(uow, chain[0]).credit(txn.code, txn.blocks)
            self._hop(uow, txn, f"{txn.code}:hop1", txn.details["account"], chain[0])
            self._move_along(uow, txn, [*chain, txn.details["to_account"]], first_hop=2)
            txn.complete()
            return
        if txn.kind == "issuance":
            self._move_along(uow, txn, [txn.details["account"], *txn.details.get("deliver", [])])

    def _move_along(
        self, uow: UnitOfWork, txn: RegistryTransaction, chain: list[str], first_hop: int = 1
    ) -> None:
        """Move a transaction's units down a chain of accounts, one recorded hop each."""
        pairs = pairwise(chain)
        for hop, (source, target) in enumerate(pairs, start=first_hop):
            code = f"{txn.code}:hop{hop}"
            self._account(uow, source).debit(code, txn.blocks)
            self._account(uow, target).credit(code, txn.blocks)
            self._hop(uow, txn, code, source, target)

    def _hop(
        self, uow: UnitOfWork, txn: RegistryTransaction, code: str, source: str, target: str
    ) -> None:
        uow.add(
            RegistryTransaction(
                registry=self.code,
                code=code,
                direction="internal",
                kind="delivery",
                business_date=txn.business_date,
                details={"account": source, "to_account": target, "of": txn.code},
                blocks=list(txn.blocks),
            )
        )
