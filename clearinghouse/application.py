"""The clearinghouse application: thin service methods over the domain.

Administration (parties, registries, agreements, authorizations) comes as
validated commands; registry traffic comes as integration messages. Each
message is handled in one unit of work: load, decide (:mod:`clearinghouse.clearing`),
save with tracking. A refused proposal saves only its rejection.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import JSONTranscoder, Transcoding

from clearinghouse import clearing
from clearinghouse.agreements import LinkageAgreement, agreement_id
from clearinghouse.audit.status import ReconciliationStatus, reconciliation_id
from clearinghouse.authorizations import Authorization, authorization_id
from clearinghouse.checks import Refused
from clearinghouse.commands import (
    ChangeAgreement,
    ConcludeAgreement,
    ConnectRegistry,
    GrantAuthorization,
    RegisterParty,
    validate,
)
from clearinghouse.ledger import Entry, ItmoTag, UnitLedger, ledger_id
from clearinghouse.messages import (
    BlockModel,
    Conversion,
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
)
from clearinghouse.participant import Participant, UnitOfWork
from clearinghouse.parties import Jurisdiction, Party, jurisdiction_id, party_id
from clearinghouse.store import StoreConfig
from clearinghouse.transactions import Transaction, transaction_id, transaction_key
from clearinghouse.units import Block

CLEARINGHOUSE = "CLEARINGHOUSE"


def registry_app_name(code: str) -> str:
    return f"REGISTRY_{code}"


class AdminError(ValueError):
    """An administrative command that contradicts what is already recorded."""


class Aggregates:
    """The domain's view of stored aggregates during one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def jurisdiction(self, code: str) -> Jurisdiction | None:
        return self.uow.get(Jurisdiction, jurisdiction_id(code))

    def party(self, code: str) -> Party:
        return self.uow.require(Party, party_id(code), f"party {code}")

    def agreement(self, code: str) -> LinkageAgreement:
        return self.uow.require(LinkageAgreement, agreement_id(code), f"agreement {code}")

    def authorization(self, code: str) -> Authorization:
        found = self.uow.get(Authorization, authorization_id(code))
        if found is None:
            raise Refused(
                "AUT-001",
                agreement=f"authorization {code}",
                party="(unknown)",
                unit_type="any",
                vintage="any",
            )
        return found

    def ledger(self, registry: str, unit_type: str) -> UnitLedger:
        found = self.uow.get(UnitLedger, ledger_id(registry, unit_type))
        return found or self.uow.add(UnitLedger(registry, unit_type))

    def reconciliation(self, registry: str) -> ReconciliationStatus | None:
        return self.uow.get(ReconciliationStatus, reconciliation_id(registry))


class EntryAsList(Transcoding):
    """Ledger entries appear in snapshots of the ledger (never in events)."""

    type = Entry
    name = "ledger_entry"

    def encode(self, obj: Entry) -> list[Any]:
        return [obj.block, obj.holder, obj.status, obj.hold, obj.itmo]

    def decode(self, data: list[Any]) -> Entry:
        return Entry(*data)


class ItmoTagAsDict(Transcoding):
    type = ItmoTag
    name = "itmo_tag"

    def encode(self, obj: ItmoTag) -> dict[str, Any]:
        return obj.as_dict()

    def decode(self, data: dict[str, Any]) -> ItmoTag:
        tag = ItmoTag.of(data)  # parses a converted batch too
        assert tag is not None
        return tag


class ClearinghouseApplication(Participant):
    name = CLEARINGHOUSE
    # A busy serial space's ledger has many events: rebuild it from a snapshot.
    snapshotting_intervals = {UnitLedger: 200}  # noqa: RUF012 - library convention

    def __init__(self, store: StoreConfig | None = None, env: dict[str, str] | None = None):
        env = {"AGGREGATE_CACHE_MAXSIZE": "1000", **(env or {})}
        super().__init__(store, env)
        self._connected: list[str] | None = None

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(EntryAsList())
        transcoder.register(ItmoTagAsDict())

    # -- administration --------------------------------------------------------------

    def register_party(self, data: RegisterParty | dict[str, Any]) -> None:
        cmd = validate(RegisterParty, data)

        def work(uow: UnitOfWork) -> None:
            if uow.get(Party, party_id(cmd.code)) is None:
                uow.add(Party(cmd.code, cmd.name, cmd.ndc.model_dump(mode="json")))

        self.run(work)

    def connect_registry(self, data: ConnectRegistry | dict[str, Any]) -> None:
        cmd = validate(ConnectRegistry, data)

        def work(uow: UnitOfWork) -> None:
            if uow.get(Party, party_id(cmd.party)) is None:
                raise AdminError(f"register Party {cmd.party} before its registries")
            existing = uow.get(Jurisdiction, jurisdiction_id(cmd.code))
            if existing is None:
                existing = uow.add(Jurisdiction(cmd.code, cmd.name, cmd.party, cmd.unit_types))
                self._connected = None
            elif existing.party != cmd.party:
                raise AdminError(f"{cmd.code} is already connected under {existing.party}")
            if cmd.adapter is None:
                return
            adapter = cmd.adapter.model_dump(mode="json")
            if existing.adapter is None:  # new, or connected before adapters were recorded
                existing.record_adapter(**adapter)
            elif existing.adapter != adapter:
                raise AdminError(
                    f"{cmd.code} runs adapter {existing.adapter['standard']} with options "
                    f"{existing.adapter['options']}; standing it up with "
                    f"{adapter['standard']} {adapter['options']} would apply other rules "
                    "to the same log"
                )

        self.run(work)

    def conclude_agreement(self, data: ConcludeAgreement | dict[str, Any]) -> None:
        cmd = validate(ConcludeAgreement, data)

        def work(uow: UnitOfWork) -> None:
            if uow.get(LinkageAgreement, agreement_id(cmd.code)) is not None:
                return
            members = []
            for code in cmd.jurisdictions:
                member = uow.get(Jurisdiction, jurisdiction_id(code))
                if member is None:
                    raise AdminError(f"connect {code}'s registry before linking it")
                members.append(member)
            units = {m.code: m.unit_types for m in members}
            for d in cmd.directions:
                if d.convert_to and d.convert_to not in units[d.destination]:
                    raise AdminError(f"{d.destination} does not issue {d.convert_to}")
            if cmd.authorized and len({m.party for m in members}) < 2:
                raise AdminError(
                    "Article 6.2 authorization needs two Parties; "
                    "a link inside one Party has no corresponding adjustment"
                )
            uow.add(
                LinkageAgreement(
                    code=cmd.code,
                    jurisdictions=cmd.jurisdictions,
                    directions=[d.model_dump(mode="json") for d in cmd.directions],
                    limits=[x.model_dump(mode="json") for x in cmd.limits],
                    effective_from=cmd.effective_from,
                    effective_until=cmd.effective_until,
                    authorized=cmd.authorized,
                    cooperative_approach=cmd.cooperative_approach,
                )
            )
            for member in members:
                member.join(cmd.code)

        self.run(work)

    def change_agreement(self, data: ChangeAgreement | dict[str, Any]) -> None:
        cmd = validate(ChangeAgreement, data)

        def work(uow: UnitOfWork) -> None:
            agreement = uow.get(LinkageAgreement, agreement_id(cmd.code))
            if agreement is None:
                raise AdminError(f"no agreement {cmd.code}")
            if cmd.action == "suspend" and not agreement.suspended:
                agreement.suspend(cmd.on)
            elif cmd.action == "resume" and agreement.suspended:
                agreement.resume(cmd.on)
            elif cmd.action == "delink" and agreement.delinked_on is None:
                agreement.delink(cmd.on)

        self.run(work)

    def grant_authorization(self, data: GrantAuthorization | dict[str, Any]) -> None:
        cmd = validate(GrantAuthorization, data)

        def work(uow: UnitOfWork) -> None:
            if uow.get(Authorization, authorization_id(cmd.code)) is not None:
                return
            party = uow.get(Party, party_id(cmd.party))
            if party is None:
                raise AdminError(f"no Party {cmd.party}")
            uow.add(
                Authorization(
                    code=cmd.code,
                    party=cmd.party,
                    cooperative_approach=cmd.cooperative_approach,
                    unit_types=cmd.unit_types,
                    vintages=cmd.vintages,
                    cap=cmd.cap,
                    purposes=cmd.purposes,
                    first_transfer=cmd.first_transfer,
                    authorized_on=cmd.authorized_on,
                )
            )
            party.add_authorization(cmd.code)

        self.run(work)

    # -- queries ---------------------------------------------------------------------

    def transaction(self, local_id: str, registry: str | None = None) -> Transaction | None:
        """A transaction by the proposing registry and its id; without the registry,
        the first connected registry that used the id."""
        uow = UnitOfWork(self)
        registries = [registry] if registry else self.connected_registries()
        for code in registries:
            found = uow.get(Transaction, transaction_id(transaction_key(code, local_id)))
            if found is not None:
                return found
        return None

    def connected_registries(self) -> list[str]:
        """Registries connected, from the log (read once, then kept up to date)."""
        if self._connected is None:
            from projections.holdings import fold
            from projections.log import read

            self._connected = sorted(j.code for j in fold(read(self), Jurisdiction).values())
        return self._connected

    def agreement(self, code: str) -> LinkageAgreement | None:
        return UnitOfWork(self).get(LinkageAgreement, agreement_id(code))

    def ledger(self, registry: str, unit_type: str) -> UnitLedger | None:
        return UnitOfWork(self).get(UnitLedger, ledger_id(registry, unit_type))

    # -- messages from registries ---------------------------------------------------------

    def apply(self, uow: UnitOfWork, message: Message) -> None:
        repo = Aggregates(uow)
        if isinstance(message, IssuanceProposed):
            self._decide(
                uow,
                message,
                "issuance",
                message.registry,
                lambda t: clearing.clear_issuance(repo, t, message),
            )
        elif isinstance(message, TransferProposed):
            self._decide(
                uow,
                message,
                "transfer",
                message.source_registry,
                lambda t: clearing.clear_transfer(repo, t, message),
            )
        elif isinstance(message, StatusChangeProposed):
            self._decide(
                uow,
                message,
                "status_change",
                message.registry,
                lambda t: clearing.clear_status_change(repo, t, message),
            )
        elif isinstance(message, TransferDebited):
            txn = self._txn(uow, message.registry, message.transaction_id)
            if txn is not None and txn.state == "accepted":
                txn.debit()
        elif isinstance(message, TransferCredited):
            txn = self._txn(uow, message.source_registry, message.transaction_id)
            if txn is not None and txn.state == "debited":
                clearing.complete_transfer(repo, txn, message)
        elif isinstance(message, CreditRefused):
            txn = self._txn(uow, message.source_registry, message.transaction_id)
            if txn is not None and txn.state == "debited":
                clearing.return_transfer(repo, txn)
                txn.return_units(message.code, message.reason)
        else:
            super().apply(uow, message)

    def _txn(self, uow: UnitOfWork, registry: str, local_id: str) -> Transaction | None:
        return uow.get(Transaction, transaction_id(transaction_key(registry, local_id)))

    def _decide(
        self, uow: UnitOfWork, message: Message, kind: str, registry: str, decide: Any
    ) -> None:
        """Create the transaction and accept it, or record only its rejection."""
        key = transaction_key(registry, message.transaction_id)
        if self._txn(uow, registry, message.transaction_id) is not None:
            return  # already decided: a redelivery
        proposal = message.model_dump(mode="json")

        def received() -> Transaction:
            return Transaction(key, kind, registry, proposal, message.business_date)

        txn = uow.add(received())
        try:
            decide(txn)
        except Refused as refused:
            uow.loaded.clear()  # discard every change the decision started
            txn = uow.add(received())
            txn.reject(refused.code, refused.version, refused.reason)

    # -- messages to registries --------------------------------------------------------------

    def outbox(self, event: DomainEvent) -> Iterator[tuple[str, Message]]:
        kind = type(event).__name__
        if not isinstance(event, Transaction.Event) or kind == "Received":
            return
        txn = self._at(event)
        common = {"transaction_id": txn.local_id, "business_date": txn.business_date}
        source = registry_app_name(txn.registry)
        if kind == "Accepted":
            yield source, TransactionAccepted(**common)
        elif kind == "Rejected":
            verdict = txn.verdict or {}
            yield (
                source,
                TransactionRejected(
                    **common,
                    code=verdict["code"],
                    check_version=verdict["check_version"],
                    reason=verdict["reason"],
                ),
            )
        elif kind == "Debited":
            destination = txn.destination
            assert destination is not None
            # A converting direction converts every block; otherwise all pass through.
            yield (
                registry_app_name(destination),
                CreditInstruction(
                    **common,
                    source_registry=txn.registry,
                    account=txn.proposal["destination_account"],
                    blocks=[] if txn.conversions else txn.proposal["blocks"],
                    conversions=[
                        Conversion(
                            sources=[BlockModel.of(Block.parse(s)) for s in c["sources"]],
                            unit_type=c["unit_type"],
                            vintage=c["vintage"],
                            quantity=c["quantity"],
                        )
                        for c in txn.conversions
                    ],
                ),
            )
        elif kind == "Completed":
            yield source, TransferCompleted(**common)
        elif kind == "Returned":
            verdict = txn.verdict or {}
            yield (
                source,
                ReturnInstruction(
                    **common,
                    account=txn.proposal["source_account"],
                    blocks=txn.proposal["blocks"],
                    code=verdict["code"],
                    reason=verdict["reason"],
                ),
            )

    def _at(self, event: DomainEvent) -> Transaction:
        """The transaction as it stood right after ``event`` (the relay reads history)."""
        txn: Transaction = self.repository.get(
            event.originator_id, version=event.originator_version
        )
        return txn
