"""The Article 6 view: one incremental fold over the clearinghouse's log, with tracking.

This follows the ``eventsourcing`` library's projection pattern
(``eventsourcing.projection.Projection``): a :class:`Article6Projection`
processes each domain event together with its :class:`Tracking` record
(application name, notification id), and its *view* is a tracking recorder
that stores the position alongside the state it folded, so it always knows
where to resume. The library's ``ProjectionRunner`` needs a recorder with
subscriptions, which SQLite lacks (reference/eventsourcing-notes.md,
"Systems"), so :func:`catch_up` polls ``select_notifications`` from the
view's last tracked position instead — incremental when called again, and a
rebuild from scratch when given a fresh view.

What the view holds (each read through a small module named after it):

* the ITMO lifecycle per serial block (:mod:`~projections.article6.lifecycle`);
* holdings per registry and Party (:mod:`~projections.article6.holdings`);
* limit usage per linkage agreement (:mod:`~projections.article6.limits`);
* the double-counting invariants (:class:`projections.invariants.DoubleCounting`);
* what rule sets need to decide first transfers, adjustments and deductions:
  authorizations, and the blocks of each issuance, transfer and use.

The view holds only rule-independent facts; rule sets are applied afterwards
(:mod:`~projections.article6.accounting`), so one pass serves many rule sets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Tracking
from eventsourcing.popo import POPOTrackingRecorder
from eventsourcing.projection import Projection

from clearinghouse.agreements import LinkageAgreement
from clearinghouse.application import CLEARINGHOUSE
from clearinghouse.conversion import ConvertedBatch
from clearinghouse.units import Block
from projections.article6.lifecycle import End, Lot, Move, Segments, bind, ended, moved, unbind
from projections.invariants import DoubleCounting
from projections.log import name_of

PAGE = 2000


@dataclass(frozen=True, slots=True)
class AuthorizationInfo:
    """An Article 6.2 authorization as granted (clearinghouse/authorizations.py)."""

    code: str
    party: str
    approach: str
    purposes: str  # ndc | oimp | ndc_and_oimp
    first_transfer: str  # the authorization's own first-transfer definition
    authorized_on: date


@dataclass(frozen=True, slots=True)
class TransactionInfo:
    kind: str  # issuance | transfer | status_change
    on: date
    registry: str
    destination: str | None
    action: str | None  # surrender | retirement | cancellation
    purpose: str | None


@dataclass(frozen=True, slots=True)
class Record:
    """The blocks one transaction issued, moved or ended, as a whole: deductions
    (share of proceeds, OMGE) are computed on a transaction's total."""

    transaction: str
    on: date
    position: int
    blocks: tuple[Block, ...]


class Article6View(POPOTrackingRecorder):
    """Folded state plus the tracking position it reflects."""

    def __init__(self) -> None:
        super().__init__()
        self.party_of: dict[str, str] = {}  # registry -> Party
        self.registry_names: dict[str, str] = {}
        self.authorizations: dict[str, AuthorizationInfo] = {}
        self.transactions: dict[str, TransactionInfo] = {}
        self.spaces: dict[tuple[str, str], Segments] = {}
        self.issued: dict[str, Record] = {}
        self.moved: dict[str, Record] = {}
        self.ended: dict[str, Record] = {}
        self.agreements: dict[Any, LinkageAgreement] = {}
        self.invariants = DoubleCounting()
        self.events = 0
        self._holds: dict[tuple[Any, str], tuple[Block, ...]] = {}
        self._conversions: dict[str, list[list[str]]] = {}

    @property
    def position(self) -> int:
        return self.max_tracking_id(CLEARINGHOUSE) or 0

    def segments(self, block: Block) -> Segments:
        space = self.spaces.get(block.serial_space)
        if space is None:
            space = self.spaces[block.serial_space] = Segments()
        return space

    def lots(self) -> Iterable[tuple[Block, Lot]]:
        for _, segments in sorted(self.spaces.items()):
            for piece in segments:
                yield piece.block, piece.lot

    # -- the fold ----------------------------------------------------------------------

    def process(self, position: int, e: Any) -> None:
        self.events += 1
        self.invariants.process(position, e)
        name = name_of(e)
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(self, position, e)
        elif isinstance(e, LinkageAgreement.Event):
            folded = e.mutate(self.agreements.get(e.originator_id))
            assert folded is not None
            self.agreements[e.originator_id] = folded

    def _connected(self, position: int, e: Any) -> None:
        self.party_of[e.code] = e.party
        self.registry_names[e.code] = e.name

    def _granted(self, position: int, e: Any) -> None:
        self.authorizations[e.code] = AuthorizationInfo(
            e.code, e.party, e.cooperative_approach, e.purposes, e.first_transfer, e.authorized_on
        )

    def _received(self, position: int, e: Any) -> None:
        p = e.proposal
        self.transactions[e.code] = TransactionInfo(
            kind=e.kind,
            on=e.business_date,
            registry=e.registry,
            destination=p.get("destination_registry"),
            action=p.get("action"),
            purpose=p.get("purpose"),
        )

    def _accepted(self, position: int, e: Any) -> None:
        if e.conversions:
            code = self._code_of(e)
            if code is not None:
                self._conversions[code] = [c["sources"] for c in e.conversions]

    def _code_of(self, e: Any) -> str | None:
        # Transaction events after Received carry no code; the ledger events that
        # follow name it. Conversions are rare: look the transaction up by id.
        from clearinghouse.transactions import transaction_id

        for code in reversed(list(self.transactions)):
            if transaction_id(code) == e.originator_id:
                return code
        return None

    def _issued(self, position: int, e: Any) -> None:
        txn = self.transactions.get(e.transaction)
        on = txn.on if txn else date.min
        tag = e.itmo
        blocks = tuple(e.blocks)
        if txn is not None and txn.kind == "transfer":
            self._issued_in_conversion(position, e, on, blocks)
            return
        party = self.party_of.get(e.holder, "?")
        self.issued[e.transaction] = Record(e.transaction, on, position, blocks)
        for b in blocks:
            lot = Lot(
                origin_party=party, holder=e.holder, issued_on=on, issued_at=position,
                issuance=e.transaction,
            )  # fmt: skip
            if tag is not None:
                lot = bind(lot, tag["authorization"], on, position)
            self.segments(b).insert(b, lot)

    def _issued_in_conversion(
        self, position: int, e: Any, on: date, blocks: tuple[Block, ...]
    ) -> None:
        """Units issued in place of converted ones continue their lineage: same
        origin, authorization and history, now held by the destination."""
        sources = self._conversions.get(e.transaction, [])
        for i, b in enumerate(blocks):
            texts = sources[min(i, len(sources) - 1)] if sources else []
            source_text = texts[0] if texts else None
            lot: Lot | None = None
            replaced: list[tuple[Block, Lot]] = []
            for text in texts:
                source = Block.parse(text)
                replaced += [(p.block, p.lot) for p in self.segments(source).at(source)]
            if replaced:
                lot = replaced[0][1]
            if lot is None:  # not a known conversion: a plain issuance at the destination
                lot = Lot(self.party_of.get(e.holder, "?"), e.holder, on, position, e.transaction)
            # An ITMO keeps the tonnes of the units it replaced, whatever the rate.
            batch = (
                ConvertedBatch.of_block(b, sum(r.tonnes(piece) for piece, r in replaced))
                if lot.itmo
                else None
            )
            origin_unit_type = (
                (lot.origin_unit_type or replaced[0][0].unit_type) if replaced else None
            )
            self.segments(b).insert(
                b,
                Lot(
                    origin_party=lot.origin_party,
                    holder=e.holder,
                    issued_on=lot.issued_on,
                    issued_at=lot.issued_at,
                    issuance=lot.issuance,
                    authorization=lot.authorization,
                    bound_on=lot.bound_on,
                    bound_at=lot.bound_at,
                    moves=lot.moves,
                    converted_from=source_text,
                    converted=batch,
                    origin_unit_type=origin_unit_type,
                ),
            )

    def _held(self, position: int, e: Any) -> None:
        self._holds[(e.originator_id, e.transaction)] = tuple(e.blocks)

    def _released(self, position: int, e: Any) -> None:
        self._holds.pop((e.originator_id, e.transaction), None)

    def _tagged(self, position: int, e: Any) -> None:
        txn = self.transactions.get(e.transaction)
        on = txn.on if txn else date.min
        for b in e.blocks:
            self.segments(b).rewrite(
                b, lambda lot: bind(lot, e.itmo["authorization"], on, position)
            )

    def _untagged(self, position: int, e: Any) -> None:
        for b in e.blocks:
            self.segments(b).rewrite(b, unbind)

    def _moved(self, position: int, e: Any) -> None:
        blocks = self._holds.pop((e.originator_id, e.transaction), ())
        self._move(position, e.transaction, blocks, e.holder, converted=False)

    def _move(
        self, position: int, code: str, blocks: tuple[Block, ...], to: str, converted: bool
    ) -> None:
        txn = self.transactions.get(code)
        on = txn.on if txn else date.min
        self.moved[code] = Record(code, on, position, blocks)
        for b in blocks:
            segments = self.segments(b)
            for piece in segments.at(b):
                move = Move(
                    on=on,
                    position=position,
                    transaction=code,
                    source=piece.lot.holder,
                    destination=to,
                    source_party=self.party_of.get(piece.lot.holder, "?"),
                    destination_party=self.party_of.get(to, "?"),
                    converted=converted,
                )
                segments.rewrite(piece.block, lambda lot, m=move: moved(lot, m))  # type: ignore[misc]

    def _ended(self, position: int, e: Any) -> None:
        blocks = self._holds.pop((e.originator_id, e.transaction), ())
        txn = self.transactions.get(e.transaction)
        if e.status == "converted":
            destination = txn.destination if txn and txn.destination else "?"
            self._move(position, e.transaction, blocks, destination, converted=True)
            return
        on = txn.on if txn else date.min
        registry = txn.registry if txn else "?"
        end = End(
            on=on,
            position=position,
            transaction=e.transaction,
            status=e.status,
            purpose=(txn.purpose if txn else None) or "",
            registry=registry,
            party=self.party_of.get(registry, "?"),
        )
        self.ended[e.transaction] = Record(e.transaction, on, position, blocks)
        for b in blocks:
            self.segments(b).rewrite(b, lambda lot: ended(lot, end))


_HANDLERS = {
    "Jurisdiction.Connected": Article6View._connected,
    "Authorization.Granted": Article6View._granted,
    "Transaction.Received": Article6View._received,
    "Transaction.Accepted": Article6View._accepted,
    "UnitLedger.Issued": Article6View._issued,
    "UnitLedger.Held": Article6View._held,
    "UnitLedger.Released": Article6View._released,
    "UnitLedger.Tagged": Article6View._tagged,
    "UnitLedger.Untagged": Article6View._untagged,
    "UnitLedger.Moved": Article6View._moved,
    "UnitLedger.Ended": Article6View._ended,
}


class Article6Projection(Projection[Article6View]):
    """The library's projection shape: process an event and its tracking record."""

    name = "article6"

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.process(tracking.notification_id, domain_event)
        self.view.insert_tracking(tracking)


def catch_up(app: Application[Any], projection: Article6Projection | None = None) -> Article6View:
    """Fold what ``app``'s log holds beyond the view's tracked position.

    With no projection (or a fresh one), this is a rebuild from scratch; with
    the same projection again, it processes only the new notifications. A
    notification the view already tracked is never applied twice (the tracking
    recorder refuses it)."""
    projection = projection or Article6Projection(Article6View())
    view = projection.view
    start = (view.max_tracking_id(app.name) or 0) + 1
    while True:
        page = app.recorder.select_notifications(start=start, limit=PAGE)
        if not page:
            return view
        for notification in page:
            event = app.mapper.to_domain_event(notification)
            projection.process_event(event, Tracking(app.name, notification.id))
        start = page[-1].id + 1
