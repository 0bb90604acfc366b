"""Clearing: the decisions on each proposal, as a domain service without I/O.

The functions here take a :class:`Aggregates` lookup (the application's unit of
work implements it) and change aggregates through their command methods. Any
check that fails raises :class:`~clearinghouse.checks.Refused`; the application
then discards every aggregate touched, so nothing is half-applied, and records
the rejection alone.

Corresponding adjustments (reference/linkage-and-article6.md, "Adopted rules"):
the first-transferring Party adds ITMOs at their *first transfer*, which the
authorization defines as its own date (so: the later of authorization and
issuance, since nothing is transferred before it exists), issuance, the first
international transfer, or use/cancellation; the using Party subtracts ITMOs it
uses towards its NDC. Units moved between jurisdictions of one Party are not
internationally transferred and are never adjusted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any, Protocol

from clearinghouse import conversion
from clearinghouse.agreements import Direction, LinkageAgreement
from clearinghouse.audit.status import ReconciliationStatus
from clearinghouse.authorizations import Authorization
from clearinghouse.checks import Refused
from clearinghouse.conversion import ConvertedBatch
from clearinghouse.ledger import ItmoTag, UnitLedger, ledgers_for
from clearinghouse.messages import (
    IssuanceProposed,
    StatusChangeProposed,
    TransferCredited,
    TransferProposed,
    blocks_of,
)
from clearinghouse.parties import Jurisdiction, Party
from clearinghouse.transactions import Transaction
from clearinghouse.units import Block

#: purposes of a surrender, retirement or cancellation that count towards the
#: using Party's NDC. Surrender in an ETS counts because the ETS's emissions are
#: covered by the Party's NDC [assumption: true of every ETS modelled here].
NDC_USES = ("compliance", "ndc")
#: first-transfer definitions under which binding a block to its authorization
#: (at issuance or at its first cross-border transfer) is its first transfer
FIRST_AT_BINDING = ("authorization", "issuance")


class Aggregates(Protocol):
    def jurisdiction(self, code: str) -> Jurisdiction | None: ...
    def party(self, code: str) -> Party: ...
    def agreement(self, code: str) -> LinkageAgreement: ...
    def authorization(self, code: str) -> Authorization: ...
    def ledger(self, registry: str, unit_type: str) -> UnitLedger: ...
    def reconciliation(self, registry: str) -> ReconciliationStatus | None: ...


def _connected(repo: Aggregates, registry: str) -> Jurisdiction:
    jurisdiction = repo.jurisdiction(registry)
    if jurisdiction is None:
        raise Refused("TXN-002", registry=registry)
    return jurisdiction


def _by_vintage(blocks: Iterable[Block]) -> dict[tuple[str, str, int], list[Block]]:
    groups: dict[tuple[str, str, int], list[Block]] = defaultdict(list)
    for b in blocks:
        groups[b.kind].append(b)
    return groups


def _record_adjustments(
    txn: Transaction,
    party: str,
    role: str,
    blocks: list[Block],
    tags: dict[Block, ItmoTag | None],
) -> None:
    """One adjustment event per vintage and authorization (tables are by vintage)."""
    groups: dict[tuple[int, str | None, str | None], list[Block]] = defaultdict(list)
    for b in blocks:
        tag = tags.get(b)
        groups[
            (b.vintage, tag.authorization if tag else None, tag.approach if tag else None)
        ].append(b)
    for (vintage, authorization, approach), group in sorted(
        groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
    ):
        txn.record_adjustment(
            party=party,
            role=role,
            year=txn.business_date.year,
            vintage=vintage,
            quantity=_tonnes(group, tags),
            blocks=group,
            authorization=authorization,
            cooperative_approach=approach,
        )


def _tonnes(blocks: Iterable[Block], tags: dict[Block, ItmoTag | None]) -> int:
    """t CO2e of held blocks: one per unit, or their converted batch's share
    (:mod:`clearinghouse.conversion`), so an ITMO's adjustments are of the tonnes
    that left the first-transferring Party whatever rates converted it since."""
    total = 0
    for b in blocks:
        tag = tags.get(b)
        total += conversion.tonnes(b, tag.converted if tag is not None else None)
    return total


def _hold_all(
    repo: Aggregates, code: str, blocks: list[Block], holder: str
) -> dict[tuple[str, str], UnitLedger]:
    ledgers = {}
    for (registry, unit_type), group in sorted(ledgers_for(blocks).items()):
        ledger = repo.ledger(registry, unit_type)
        ledger.hold(code, group, holder)
        ledgers[(registry, unit_type)] = ledger
    return ledgers


def _held_tags(
    ledgers: dict[tuple[str, str], UnitLedger], code: str
) -> dict[Block, ItmoTag | None]:
    return {e.block: e.itmo for ledger in ledgers.values() for e in ledger.held_for(code)}


# -- issuance ----------------------------------------------------------------------


def clear_issuance(repo: Aggregates, txn: Transaction, msg: IssuanceProposed) -> None:
    jurisdiction = _connected(repo, msg.registry)
    blocks = blocks_of(msg.blocks)
    for b in blocks:
        if b.registry != msg.registry or b.unit_type not in jurisdiction.unit_types:
            raise Refused(
                "UNT-009",
                registry=msg.registry,
                unit_type=f"{b.registry} {b.unit_type}",
                issues=", ".join(jurisdiction.unit_types),
            )
    tag = None
    if msg.authorization_id is not None:
        authorization = _authorization_for(repo, msg.authorization_id, jurisdiction.party, blocks)
        authorization.reserve(txn.code, sum(b.count for b in blocks))
        authorization.settle(txn.code)
        first_now = authorization.first_transfer in FIRST_AT_BINDING
        tag = _tag(authorization, first_transferred=first_now)
    for (registry, unit_type), group in sorted(ledgers_for(blocks).items()):
        repo.ledger(registry, unit_type).issue(txn.code, group, msg.registry, tag)
    txn.accept()
    if tag is not None and tag.first_transferred:
        _record_adjustments(txn, tag.party, "first_transfer", blocks, dict.fromkeys(blocks, tag))


def _authorization_for(
    repo: Aggregates, code: str, party: str, blocks: list[Block]
) -> Authorization:
    authorization = repo.authorization(code)
    for b in blocks:
        if not authorization.covers(party, b.unit_type, b.vintage):
            raise Refused(
                "AUT-001",
                agreement=f"authorization {code}",
                party=party,
                unit_type=b.unit_type,
                vintage=b.vintage,
            )
    return authorization


def _tag(authorization: Authorization, first_transferred: bool) -> ItmoTag:
    return ItmoTag(
        authorization=authorization.code,
        approach=authorization.cooperative_approach,
        party=authorization.party,
        purposes=authorization.purposes,
        first_transfer=authorization.first_transfer,
        first_transferred=first_transferred,
    )


# -- cross-border transfer -----------------------------------------------------------


def clear_transfer(repo: Aggregates, txn: Transaction, msg: TransferProposed) -> None:
    """Accept a proposal (units stay on hold for it) or raise the check that refuses it."""
    if msg.source_registry == msg.destination_registry:
        raise Refused("TXN-003", registry=msg.source_registry)
    source = _connected(repo, msg.source_registry)
    destination = _connected(repo, msg.destination_registry)
    _check_reconciled(repo, source.code, destination.code)
    agreement, direction = _agreement_for(repo, source, destination, msg.business_date)
    blocks = blocks_of(msg.blocks)
    for b in blocks:
        if b.unit_type not in direction.unit_types:
            raise Refused(
                "UNT-001",
                destination=destination.code,
                unit_type=b.unit_type,
                source=source.code,
                agreement=agreement.code,
            )
    conversions = _conversions(direction, blocks)
    ledgers = _hold_all(repo, txn.code, blocks, holder=source.code)
    tonnes = sum(b.count for b in blocks)
    agreement.reserve_limits(txn.code, source.code, destination.code, msg.business_date, tonnes)
    tagged = (
        _bind_to_authorizations(repo, txn.code, agreement, ledgers) if agreement.authorized else []
    )
    international = source.party != destination.party
    held = _held_tags(ledgers, txn.code)
    if conversions:
        _check_one_status(held)
    firsts = _first_transfers(held, international)
    txn.accept(
        agreement=agreement.code,
        conversions=conversions,
        first_transfer=[str(b) for b in firsts],
        tagged=tagged,
    )


def _check_reconciled(repo: Aggregates, *registries: str) -> None:
    """No transfer to or from a registry whose reconciliation with the central ledger
    is pending or found discrepancies (the ITL's rule, AUD-001; issue #6). A
    registry never reconciled is not held up."""
    for code in registries:
        status = repo.reconciliation(code)
        if status is not None and status.blocking:
            raise Refused("AUD-001", **status.refusal())


def _bind_to_authorizations(
    repo: Aggregates,
    code: str,
    agreement: LinkageAgreement,
    ledgers: dict[tuple[str, str], UnitLedger],
) -> list[Block]:
    """Units crossing under an authorized agreement become ITMOs of the first
    authorization of their originating Party that covers them; returns the
    blocks tagged."""
    reserved: dict[str, int] = defaultdict(int)
    chosen: dict[str, Authorization] = {}
    tagged: list[Block] = []
    for ledger in ledgers.values():
        untagged: dict[str, list[Block]] = defaultdict(list)
        for entry in ledger.held_for(code):
            if entry.itmo is None:
                origin = _connected(repo, entry.block.registry).party
                authorization = _find_authorization(repo, origin, agreement, entry.block)
                chosen[authorization.code] = authorization
                reserved[authorization.code] += entry.block.count
                untagged[authorization.code].append(entry.block)
        for auth_code, group in untagged.items():
            ledger.tag(code, group, _tag(chosen[auth_code], first_transferred=False))
            tagged += group
    for auth_code, tonnes in sorted(reserved.items()):
        chosen[auth_code].reserve(code, tonnes)
    return tagged


def _first_transfers(tags: dict[Block, ItmoTag | None], international: bool) -> list[Block]:
    """The held blocks whose first transfer this transfer is."""
    return [
        b
        for b, tag in tags.items()
        if tag is not None
        and not tag.first_transferred
        and (
            tag.first_transfer in FIRST_AT_BINDING
            or (tag.first_transfer == "first_international_transfer" and international)
        )
    ]


def _agreement_for(
    repo: Aggregates, source: Jurisdiction, destination: Jurisdiction, on: date
) -> tuple[LinkageAgreement, Direction]:
    candidates = []
    for code in source.agreements:
        agreement = repo.agreement(code)
        direction = agreement.direction(source.code, destination.code)
        if direction is not None:
            candidates.append((agreement, direction))
    if not candidates:
        raise Refused("AGR-001", source=source.code, destination=destination.code)
    first_refusal: Refused | None = None
    for agreement, direction in candidates:
        try:
            agreement.check_in_force(on)
        except Refused as refused:
            first_refusal = first_refusal or refused
            continue
        return agreement, direction
    assert first_refusal is not None
    raise first_refusal


def _conversions(direction: Direction, blocks: list[Block]) -> list[dict[str, Any]]:
    """One conversion per vintage: the destination issues ``quantity`` units of
    ``convert_to`` in place of the source blocks (which end as "converted")."""
    if direction.convert_to is None:
        return []
    conversions: list[dict[str, Any]] = []
    for (_, unit_type, vintage), group in sorted(_by_vintage(blocks).items()):
        count = sum(b.count for b in group)
        quantity = count * direction.rate
        if quantity.denominator != 1:
            raise Refused(
                "AGR-005",
                rate=direction.rate,
                quantity=count,
                unit_type=unit_type,
                multiple=direction.rate.denominator,
            )
        conversions.append(
            {
                "sources": [str(b) for b in group],
                "unit_type": direction.convert_to,
                "vintage": vintage,
                "quantity": int(quantity),
            }
        )
    return conversions


def _find_authorization(
    repo: Aggregates, party: str, agreement: LinkageAgreement, block: Block
) -> Authorization:
    for code in repo.party(party).authorizations:
        authorization = repo.authorization(code)
        approach_ok = (
            agreement.cooperative_approach is None
            or authorization.cooperative_approach == agreement.cooperative_approach
        )
        if approach_ok and authorization.covers(party, block.unit_type, block.vintage):
            return authorization
    raise Refused(
        "AUT-001",
        agreement=agreement.code,
        party=party,
        unit_type=block.unit_type,
        vintage=block.vintage,
    )


def complete_transfer(repo: Aggregates, txn: Transaction, msg: TransferCredited) -> None:
    """The destination credited the units: the ledger moves them (or ends them as
    converted and records the destination's new units), adjustments follow."""
    destination = txn.destination
    assert destination is not None
    source = _connected(repo, txn.registry)
    international = source.party != _connected(repo, destination).party
    spaces = sorted(ledgers_for(txn.proposal_blocks()))
    ledgers = {space: repo.ledger(*space) for space in spaces}
    tags = _held_tags(ledgers, txn.code)
    firsts = _first_transfers(tags, international)
    for space, ledger in ledgers.items():
        ledger.mark_first_transferred(txn.code, [b for b in firsts if b.serial_space == space])
    issued = blocks_of(msg.issued)
    if txn.conversions:
        inherited = _tag_for_converted(tags, bool(firsts))
        for ledger in ledgers.values():
            ledger.end(txn.code, "converted")
        batches = _converted_batches(txn.conversions, issued, tags)
        for (registry, unit_type), group in sorted(ledgers_for(issued).items()):
            repo.ledger(registry, unit_type).issue(
                txn.code,
                group,
                destination,
                inherited,
                [batches[b] for b in group] if inherited is not None else None,
            )
    else:
        for ledger in ledgers.values():
            ledger.move(txn.code, destination)
    _record_first_transfers(txn, firsts, tags)
    for code in sorted({tag.authorization for tag in tags.values() if tag is not None}):
        repo.authorization(code).settle(txn.code)
    if txn.agreement:
        repo.agreement(txn.agreement).settle_limits(txn.code)
    txn.complete(credited=blocks_of(msg.blocks), issued=issued)


def _record_first_transfers(
    txn: Transaction, firsts: list[Block], tags: dict[Block, ItmoTag | None]
) -> None:
    by_party: dict[str, list[Block]] = defaultdict(list)
    for b in firsts:
        tag = tags[b]
        assert tag is not None
        by_party[tag.party].append(b)
    for party, group in sorted(by_party.items()):
        _record_adjustments(txn, party, "first_transfer", group, tags)


def _converted_batches(
    conversions: list[dict[str, Any]], issued: list[Block], tags: dict[Block, ItmoTag | None]
) -> dict[Block, ConvertedBatch]:
    """Each issued block (one per conversion, in instruction order: TransferCredited)
    carries the tonnes of the held units its conversion replaced."""
    batches: dict[Block, ConvertedBatch] = {}
    for instruction, block in zip(conversions, issued, strict=True):
        sources = [Block.parse(s) for s in instruction["sources"]]
        replaced = [b for b in tags if any(b.overlaps(s) for s in sources)]
        batches[block] = ConvertedBatch.of_block(block, _tonnes(replaced, tags))
    return batches


def _check_one_status(tags: dict[Block, ItmoTag | None]) -> None:
    """A converting transfer carries units of one Article 6 status (ACC-003): the units
    a conversion issues are one batch under one tag (:func:`_tag_for_converted`), so
    ITMOs mixed with other units, or with another authorization's ITMOs, would make
    the batch carry tonnes no Party added for that ITMO."""
    statuses = {tag.authorization if tag is not None else None for tag in tags.values()}
    if len(statuses) > 1:
        named = sorted(f"ITMOs of {s}" if s else "units that are not ITMOs" for s in statuses)
        raise Refused("ACC-003", statuses=" and ".join(named))


def _tag_for_converted(tags: dict[Block, ItmoTag | None], first_now: bool) -> ItmoTag | None:
    """Converted units inherit the ITMO status of what they replace (one status per
    converting transfer: :func:`_check_one_status`)."""
    for tag in tags.values():
        if tag is not None:
            return replace(tag, first_transferred=tag.first_transferred or first_now)
    return None


def return_transfer(repo: Aggregates, txn: Transaction) -> None:
    """Compensation: untag what the transfer tagged, release holds, limits and
    authorization reservations, as if it had never been accepted."""
    tagged = ledgers_for(txn.tagged)
    reserved_under = {
        entry.itmo.authorization
        for space, blocks in tagged.items()
        for block in blocks
        for entry in repo.ledger(*space).overlapping(block.first, block.last)
        if entry.itmo is not None
    }
    for code in sorted(reserved_under):
        repo.authorization(code).release(txn.code)
    for space in sorted(ledgers_for(txn.proposal_blocks())):
        ledger = repo.ledger(*space)
        ledger.untag(txn.code, tagged.get(space, []))
        ledger.release(txn.code)
    if txn.agreement:
        repo.agreement(txn.agreement).release_limits(txn.code)


# -- surrender, retirement, cancellation ---------------------------------------------


STATUS_OF = {"surrender": "surrendered", "retirement": "retired", "cancellation": "cancelled"}


def clear_status_change(repo: Aggregates, txn: Transaction, msg: StatusChangeProposed) -> None:
    jurisdiction = _connected(repo, msg.registry)
    using_party = jurisdiction.party
    blocks = blocks_of(msg.blocks)
    ledgers = _hold_all(repo, txn.code, blocks, holder=msg.registry)
    tags = _held_tags(ledgers, txn.code)
    ndc_use = msg.purpose in NDC_USES
    first_now: list[Block] = []
    used: list[Block] = []
    for block, tag in tags.items():
        # An ITMO's origin is its authorizing Party, also once converted into
        # units another registry issued.
        origin = tag.party if tag is not None else _connected(repo, block.registry).party
        # Whatever the definition, an ITMO not yet first transferred is at the
        # latest when it is used or cancelled (use/cancellation, or "first
        # international transfer", which counts a retirement too: issue #4).
        if tag is not None and not tag.first_transferred:
            first_now.append(block)
        if not (ndc_use and origin != using_party):
            continue
        if tag is None:
            raise Refused("ACC-002", party=using_party, blocks=str(block), origin_party=origin)
        if tag.purposes not in ("ndc", "ndc_and_oimp"):
            raise Refused("ACC-001", blocks=str(block), purposes=tag.purposes)
        used.append(block)
    for space, ledger in ledgers.items():
        ledger.mark_first_transferred(txn.code, [b for b in first_now if b.serial_space == space])
        ledger.end(txn.code, STATUS_OF[msg.action])
    txn.accept(first_transfer=[str(b) for b in first_now])
    _record_first_transfers(txn, first_now, tags)
    if used:
        _record_adjustments(txn, using_party, "use", used, tags)
