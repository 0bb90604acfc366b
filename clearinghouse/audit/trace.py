"""Provenance: the history of the block holding one serial, across every log.

``clearinghouse audit trace SERIAL --registry R`` follows one serial of the
serial space (R, unit type) from its issuance through every step any log
records: proposals and verdicts, holds, transfers (cross-border in the
clearinghouse's ledger, internal in the registry's accounts), splits,
conversions at an exchange rate, the Article 6 authorization, first transfer
and corresponding adjustments, and its end (surrender, retirement,
cancellation) — each with its log, position and business date.

Conversions: the clearinghouse records a conversion per vintage group (source
blocks in, ``quantity`` units of the destination's type out), not serial by
serial. The trace follows the serial proportionally, in serial order: unit
``k`` (0-based) of a group converted at rate ``r`` becomes units
``floor(k·r)`` … ``ceil((k+1)·r) − 1`` of the new block [assumption, stated in
docs/audit.md], so at rate 1 serial for serial.

Steps come from two passes: the clearinghouse's log (which finds the serials
to follow, conversions included), then the logs of the registries that held
them. They are merged by business date, then recording time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from pydantic import BaseModel

from adapters.accounts import Account, account_id
from clearinghouse.application import CLEARINGHOUSE, registry_app_name
from clearinghouse.audit.dating import Reader
from clearinghouse.audit.logs import Logs
from clearinghouse.checks import Refused
from clearinghouse.ledger import UnitLedger, ledger_id
from clearinghouse.units import Block, BlockError, ItmoId
from projections.log import name_of

_SPACE_SERIAL = re.compile(r"^([A-Z][A-Z0-9_]*):([A-Z][A-Z0-9_]*):([0-9]+)$")


class Step(BaseModel):
    application: str
    position: int
    business_date: date | None
    recorded_at: datetime
    event: str
    step: str  # what happened, in a word or two
    key: bool  # one of the steps the short trace shows
    transaction: str | None
    block: str | None  # the block of the event that holds a followed serial
    quantity: int | None
    detail: str
    account: str | None = None  # for a registry's account events


class Now(BaseModel):
    """Where the followed serials are at the end of the logs."""

    block: str
    holder: str  # the registry, per the central ledger
    status: str
    authorization: str | None
    first_transferred: bool
    account: str | None  # the registry account holding it, per the registry's log


class Trace(BaseModel):
    serial: int
    space: str  # REGISTRY:UNIT_TYPE
    followed: list[str]  # the serial, and what conversions made of it
    steps: list[Step]
    now: list[Now]


@dataclass(frozen=True)
class Query:
    """A serial of one serial space (the unit type may be left open)."""

    registry: str
    serial: int
    unit_type: str | None = None

    @classmethod
    def parse(cls, text: str, registry: str | None = None, unit_type: str | None = None) -> Query:
        """``150`` (with a registry), ``REG:TYPE:150``, a block ``REG:TYPE:VINTAGE:F-L``
        or an ITMO id: the latter two mean their first serial."""
        text = text.strip()
        if text.isdigit():
            if registry is None:
                raise ValueError("a bare serial needs its originating registry (--registry)")
            return cls(registry, int(text), unit_type)
        match = _SPACE_SERIAL.fullmatch(text)
        if match:
            return cls(match[1], int(match[3]), match[2])
        for parse in (Block.parse, lambda t: ItmoId.parse(t).block):
            try:
                block = parse(text)
            except BlockError:
                continue
            return cls(block.registry, block.first, block.unit_type)
        raise ValueError(
            f"not a serial: {text!r} (give SERIAL with --registry, REG:TYPE:SERIAL, "
            "a block REG:TYPE:VINTAGE:FIRST-LAST or an ITMO id)"
        )


@dataclass
class _Range:
    registry: str
    unit_type: str
    first: int
    last: int

    def hit(self, block: Block) -> bool:
        return (
            block.registry == self.registry
            and block.unit_type == self.unit_type
            and block.first <= self.last
            and self.first <= block.last
        )

    def __str__(self) -> str:
        serials = str(self.first) if self.first == self.last else f"{self.first}-{self.last}"
        return f"{self.registry}:{self.unit_type}:{serials}"


class _Followed:
    """The ranges being followed: the serial, then what conversions made of it."""

    def __init__(self, query: Query) -> None:
        self.query = query
        self.ranges: list[_Range] = []
        if query.unit_type is not None:
            self.ranges.append(_Range(query.registry, query.unit_type, query.serial, query.serial))

    def hits(self, blocks: Iterable[Block]) -> list[Block]:
        return [b for b in blocks if any(r.hit(b) for r in self.ranges)]

    def issued(self, blocks: Iterable[Block]) -> None:
        """An issuance in the query's registry holding the serial fixes an open unit type."""
        q = self.query
        for b in blocks:
            holds = b.registry == q.registry and b.first <= q.serial <= b.last
            if holds and not any(r.unit_type == b.unit_type for r in self.ranges):
                self.ranges.append(_Range(q.registry, b.unit_type, q.serial, q.serial))


def trace(logs: Logs, query: Query) -> Trace:
    """The history of ``query``'s serial across every log (AUD-041 if never issued)."""
    followed = _Followed(query)
    steps, holders, spaces = _clearinghouse_steps(logs, followed)
    if not spaces:
        where = f" by {query.registry}" + (f" as {query.unit_type}" if query.unit_type else "")
        raise Refused(
            "AUD-041",
            serial=query.serial,
            space=f"{query.registry}:{query.unit_type or '*'}",
            where=where,
        )
    if len(spaces) > 1:
        raise ValueError(
            f"serial {query.serial} of {query.registry} exists in {len(spaces)} unit types "
            f"({', '.join(sorted(spaces))}): give --unit-type"
        )
    for registry in sorted(holders):
        if logs.has(registry_app_name(registry)):
            steps += _registry_steps(logs, registry, followed)
    steps = _merged(steps)
    _mark_splits(steps)
    first = followed.ranges[0]
    return Trace(
        serial=query.serial,
        space=f"{first.registry}:{first.unit_type}",
        followed=[str(r) for r in followed.ranges],
        steps=steps,
        now=_now(logs, followed, steps),
    )


# -- the clearinghouse's log -------------------------------------------------------------


def _clearinghouse_steps(logs: Logs, followed: _Followed) -> tuple[list[Step], set[str], set[str]]:
    reader = Reader(CLEARINGHOUSE)
    proposals: dict[str, dict[str, Any]] = {}  # transaction code -> proposal and kind
    conversions: dict[str, list[dict[str, Any]]] = {}
    steps: list[Step] = []
    holders: set[str] = set()
    for position, e in logs.events(CLEARINGHOUSE):
        seen = reader.read(e)
        name = name_of(e)
        if name == "Transaction.Received":
            proposals[e.code] = {**e.proposal, "kind": e.kind, "registry": e.registry}
        elif name == "Transaction.Accepted" and e.conversions and seen.transaction:
            conversions[seen.transaction] = e.conversions
            proposals.setdefault(seen.transaction, {})["conversions"] = e.conversions
        if name == "UnitLedger.Issued":
            followed.issued(seen.blocks)
        hits = followed.hits(seen.blocks)
        if name == "Transaction.Completed" and seen.transaction in conversions and hits:
            proposal = proposals.setdefault(seen.transaction, {})
            proposal["now"] = _follow_conversion(followed, conversions[seen.transaction], e.issued)
        if not hits:
            continue
        proposal = proposals.get(seen.transaction or "", {})
        step, key, detail = _describe_central(name, e, proposal, followed, seen.transaction)
        if name in ("UnitLedger.Issued", "UnitLedger.Moved"):
            holders.add(e.holder)
        steps.append(_step(CLEARINGHOUSE, position, e, seen, hits, step, key, detail))
    spaces = {
        f"{r.registry}:{r.unit_type}"
        for r in followed.ranges
        if r.registry == followed.query.registry
    }
    return steps, holders, spaces


def _follow_conversion(
    followed: _Followed, groups: list[dict[str, Any]], issued: list[Block]
) -> list[str]:
    """Map each followed serial of a converted group onto the block issued for it;
    returns the new ranges followed."""
    added: list[_Range] = []
    for group, new in zip(groups, issued, strict=False):
        sources = [Block.parse(s) for s in group["sources"]]
        total = sum(b.count for b in sources)
        rate = Fraction(group["quantity"], total)
        for r in list(followed.ranges):
            offset = 0
            for source in sources:
                lo, hi = max(r.first, source.first), min(r.last, source.last)
                if (r.registry, r.unit_type) == source.serial_space and lo <= hi:
                    k_lo, k_hi = offset + lo - source.first, offset + hi - source.first
                    first = new.first + math.floor(k_lo * rate)
                    last = new.first + min(math.ceil((k_hi + 1) * rate), new.count) - 1
                    added.append(_Range(new.registry, new.unit_type, first, max(first, last)))
                offset += source.count
    followed.ranges += added
    return [str(r) for r in added]


def _describe_central(
    name: str, e: Any, proposal: dict[str, Any], followed: _Followed, code: str | None
) -> tuple[str, bool, str]:
    kind = proposal.get("kind", "")
    source = proposal.get("registry") or proposal.get("source_registry") or "?"
    if name == "Transaction.Received":
        to = proposal.get("destination_registry")
        what = proposal.get("action") or kind
        return "proposed", False, f"{what} proposed by {source}" + (f" to {to}" if to else "")
    if name == "Transaction.Rejected":
        return "refused", True, f"refused by the clearinghouse, {e.code}: {e.reason}"
    if name == "Transaction.Accepted":
        return "accepted", False, "accepted by the clearinghouse"
    if name == "Transaction.Debited":
        return "debited", False, f"{source} debited the units"
    if name == "Transaction.Completed":
        if e.issued:
            return "transfer, converted", True, _conversion_detail(e, proposal, followed, source)
        return "completed", False, "transfer completed"
    if name == "Transaction.Returned":
        return "returned", True, f"returned to {source}: {e.code} {e.reason}"
    if name == "Transaction.AdjustmentRecorded":
        sign = "adds" if e.role == "first_transfer" else "subtracts"
        why = "first transfer" if e.role == "first_transfer" else "use towards its NDC"
        return (
            "corresponding adjustment",
            True,
            f"{e.party} {sign} {e.quantity:,} t ({why}; year {e.year}, vintage {e.vintage}"
            + (f", {e.authorization}" if e.authorization else "")
            + ")",
        )
    if name == "UnitLedger.Issued":
        itmo = e.itmo
        detail = f"issued to {e.holder}"
        if kind == "transfer":
            detail = f"issued to {e.holder} in place of the converted units"
        if itmo:
            detail += f"; an ITMO under {itmo['authorization']} ({itmo['approach']})"
        return ("issuance" if kind != "transfer" else "issued by conversion"), True, detail
    if name == "UnitLedger.Held":
        return "on hold", False, f"on hold for {code}"
    if name == "UnitLedger.Tagged":
        t = e.itmo
        return (
            "authorization",
            True,
            f"became an ITMO under {t['authorization']} ({t['approach']}, {t['purposes']}; "
            f"first transfer at {t['first_transfer'].replace('_', ' ')})",
        )
    if name == "UnitLedger.Untagged":
        return "authorization undone", True, "no longer an ITMO: the transfer was returned"
    if name == "UnitLedger.FirstTransferred":
        return (
            "first transfer",
            True,
            "first transferred (Article 6): the authorizing Party adjusts",
        )
    if name == "UnitLedger.Moved":
        return "transfer", True, f"transferred from {source} to {e.holder}"
    if name == "UnitLedger.Released":
        return "released", True, f"hold for {code} released: nothing moved"
    if name == "UnitLedger.Ended":
        if e.status == "converted":
            return "converted", False, f"ended as converted ({code})"
        purpose = proposal.get("purpose")
        return e.status, True, f"{e.status} in {source}" + (f" ({purpose})" if purpose else "")
    return name.split(".")[-1].lower(), False, name


def _conversion_detail(e: Any, proposal: dict[str, Any], followed: _Followed, source: str) -> str:
    groups = proposal.get("conversions", [])
    rates = []
    for group in groups:
        total = sum(Block.parse(s).count for s in group["sources"])
        rates.append(f"{total:,} -> {group['quantity']:,} {group['unit_type']}")
    new = ", ".join(proposal.get("now", []))
    return (
        f"transferred from {source} to {proposal.get('destination_registry')} and converted "
        f"({'; '.join(rates)}): the serial is now {new}"
    )


# -- the registries' logs ---------------------------------------------------------------


def _registry_steps(logs: Logs, registry: str, followed: _Followed) -> list[Step]:
    app = registry_app_name(registry)
    reader = Reader(app).prime(logs.events(app))
    accounts: dict[Any, str] = {}
    requests: dict[Any, dict[str, Any]] = {}
    steps: list[Step] = []
    for position, e in logs.events(app):
        seen = reader.read(e)
        name = name_of(e)
        if name == "Account.Opened":
            accounts[e.originator_id] = e.account
        elif name == "RegistryTransaction.Requested":
            requests[e.originator_id] = {"kind": e.kind, "direction": e.direction, **e.details}
        hits = followed.hits(seen.blocks)
        if not hits:
            continue
        account = accounts.get(e.originator_id, "?")
        request = requests.get(e.originator_id, {})
        step, key, detail = _describe_registry(name, e, account, request)
        found = _step(app, position, e, seen, hits, step, key, detail)
        if name.startswith("Account."):
            found.account = account
        steps.append(found)
    return steps


def _describe_registry(
    name: str, e: Any, account: str, request: dict[str, Any]
) -> tuple[str, bool, str]:
    if name == "Account.Credited":
        return "credited", True, f"credited to account {account}"
    if name == "Account.Debited":
        return "debited", False, f"debited from account {account}"
    if name == "Account.Held":
        return "on hold", False, f"on hold in account {account}"
    if name == "Account.Released":
        return "released", False, f"released back to account {account}"
    if name == "Account.HeldDebited":
        return "debited", False, f"debited from account {account} (after the hold)"
    if name == "RegistryTransaction.Requested":
        if e.refusal is not None:
            return (
                "refused",
                True,
                f"refused by the registry, {e.refusal['code']}: {e.refusal['reason']}",
            )
        if e.direction == "internal":
            return (
                "internal transfer",
                True,
                f"{e.kind} from account {request.get('account')} to {request.get('to_account')}",
            )
        if e.direction == "in":
            return "incoming", False, f"incoming from {request.get('from_registry')}"
        return "requested", False, f"{e.kind} requested from account {request.get('account')}"
    if name == "SerialRegister.Allocated":
        return "serials allocated", False, "serials allocated by the registry"
    kind = name.split(".")[-1]
    plain = {
        "Accepted": "the clearinghouse accepted it",
        "Rejected": "the clearinghouse rejected it",
        "Debited": "the registry debited the units",
        "Completed": "completed",
        "Returned": "the units came back",
        "Credited": "credited by the destination registry",
        "CreditRefused": "the destination registry refused the credit",
    }
    return kind.lower(), False, plain.get(kind, name)


# -- shared ----------------------------------------------------------------------------


def _step(
    app: str, position: int, e: Any, seen: Any, hits: list[Block], step: str, key: bool, detail: str
) -> Step:
    block = hits[0]
    return Step(
        application=app,
        position=position,
        business_date=seen.business_date,
        recorded_at=e.timestamp,
        event=name_of(e),
        step=step,
        key=key,
        transaction=seen.transaction,
        block=str(block),
        quantity=block.count,
        detail=detail,
    )


def _merged(steps: list[Step]) -> list[Step]:
    """Order steps by business date, then recording time, keeping each log's own
    order: events of one commit are stamped as triggered, not as stored, so each
    log's times are made non-decreasing in position order first."""
    keyed = []
    for app in sorted({s.application for s in steps}):
        latest = datetime.min.replace(tzinfo=steps[0].recorded_at.tzinfo)
        for s in sorted((s for s in steps if s.application == app), key=lambda s: s.position):
            latest = max(latest, s.recorded_at)
            keyed.append(
                ((s.business_date or date.min, latest, app != CLEARINGHOUSE, app, s.position), s)
            )
    return [s for _, s in sorted(keyed, key=lambda pair: pair[0])]


def _mark_splits(steps: list[Step]) -> None:
    """Say so where a key step moves part of the block the previous one concerned."""
    previous: Block | None = None
    for s in steps:
        if not s.key or s.block is None:
            continue
        block = Block.parse(s.block)
        if previous is not None and previous.contains(block) and block != previous:
            s.detail += f" (split: {block.count:,} of the {previous.count:,} in {previous})"
        previous = block


def _now(logs: Logs, followed: _Followed, steps: list[Step]) -> list[Now]:
    """The central ledger's entries for the last serials followed, and the account
    holding them in the registry's log."""
    ch = logs.app(CLEARINGHOUSE)
    last = followed.ranges[-1]
    try:
        ledger: UnitLedger = ch.repository.get(ledger_id(last.registry, last.unit_type))
    except Exception:
        return []
    accounts = [s for s in steps if s.event == "Account.Credited"]
    out: list[Now] = []
    for entry in ledger.overlapping(last.first, last.last):
        account = None
        app = registry_app_name(entry.holder)
        for step in reversed(accounts):
            if step.application == app and step.account is not None:
                held = _account_holds(logs, entry.holder, step.account, entry.block, last)
                account = step.account if held else None
                break
        out.append(
            Now(
                block=str(entry.block),
                holder=entry.holder,
                status=entry.status,
                authorization=entry.itmo.authorization if entry.itmo else None,
                first_transferred=bool(entry.itmo and entry.itmo.first_transferred),
                account=account,
            )
        )
    return out


def _account_holds(logs: Logs, registry: str, account: str, block: Block, r: _Range) -> bool:
    try:
        found: Account = logs.app(registry_app_name(registry)).repository.get(
            account_id(registry, account)
        )
    except Exception:
        return False
    probe = block.with_range(max(block.first, r.first), min(block.last, r.last))
    return found.available.holds(probe) or any(
        b.contains(probe) for blocks in found.held.values() for b in blocks
    )
