"""The three double-counting invariants, checked over the clearinghouse's log.

The taxonomy (reference/linkage-and-article6.md, "Article 6"; Schneider et al.
[GK]) has three separate failures, each checked on its own:

* **double issuance**: two issuances of overlapping serials in one serial space;
* **double use**: serials retired, surrendered, cancelled or converted twice, or
  moved after they ended;
* **double claiming**: an ITMO used towards an NDC by an acquiring Party without
  a first-transfer corresponding adjustment for the same units (for converted
  units: for the units they replaced), a unit authorized for other
  international mitigation purposes only that is counted towards an NDC, or
  acquiring Parties subtracting more tonnes of an authorization's vintage than
  its Party added for them at their first transfer (units converted at an
  exchange rate carry the tonnes first transferred, clearinghouse/conversion.py:
  a use counted in the destination's units would count tonnes twice).

The clearinghouse refuses all three when clearing; this check proves, from the
log alone, that nothing got through: an auditor need not trust the clearing code.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from clearinghouse.units import Block
from projections.log import name_of


@dataclass(frozen=True)
class Violation:
    rule: str  # double_issuance | double_use | double_claiming
    block: str
    party: str | None
    positions: tuple[int, ...]
    detail: str
    events: tuple[str, ...] = ()  # the event at each position, e.g. UnitLedger.Issued

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "block": self.block,
            "party": self.party,
            "positions": list(self.positions),
            "events": list(self.events),
            "detail": self.detail,
        }


@dataclass
class _Spans:
    """Serials seen so far in one serial space, as disjoint sorted ranges, each
    with the log position that first covered it (bisect: a long log stays fast)."""

    firsts: list[int] = field(default_factory=list)
    spans: list[tuple[int, int, int]] = field(default_factory=list)  # first, last, position

    def _start(self, first: int) -> int:
        i = bisect_right(self.firsts, first)
        return i - 1 if i > 0 and self.spans[i - 1][1] >= first else i

    def clash(self, block: Block) -> int | None:
        i = self._start(block.first)
        if i < len(self.spans) and self.spans[i][0] <= block.last:
            return self.spans[i][2]
        return None

    def covers(self, block: Block) -> bool:
        """Whether every serial of ``block`` has been seen."""
        i = self._start(block.first)
        cursor = block.first
        while i < len(self.spans) and self.spans[i][0] <= cursor:
            cursor = max(cursor, self.spans[i][1] + 1)
            if cursor > block.last:
                return True
            i += 1
        return False

    def add(self, block: Block, position: int) -> None:
        """Cover ``block``'s serials not yet covered (covered ones keep their position)."""
        i = self._start(block.first)
        cursor = block.first
        new: list[tuple[int, int, int]] = []
        while i < len(self.spans) and self.spans[i][0] <= block.last:
            first, last, _ = self.spans[i]
            if first > cursor:
                new.append((cursor, first - 1, position))
            cursor = max(cursor, last + 1)
            i += 1
        if cursor <= block.last:
            new.append((cursor, block.last, position))
        for span in new:
            j = bisect_right(self.firsts, span[0])
            self.firsts.insert(j, span[0])
            self.spans.insert(j, span)


def check(events: Iterable[tuple[int, Any]]) -> list[Violation]:
    """Every violation in a log (a whole pass: see :class:`DoubleCounting`)."""
    checker = DoubleCounting()
    for position, event in events:
        checker.process(position, event)
    return checker.violations()


class DoubleCounting:
    """The check as an incremental fold: :meth:`process` each event in log order
    (the Article 6 projection does, in its single pass), then ask
    :meth:`violations` at any point. Double issuance and double use are found as
    events arrive; double claiming is decided over everything seen so far, since
    a use is only a violation if no first-transfer adjustment covers it."""

    def __init__(self) -> None:
        self.found: list[Violation] = []
        self.issued: dict[tuple[str, str], _Spans] = defaultdict(_Spans)
        self.ended: dict[tuple[str, str], _Spans] = defaultdict(_Spans)
        self.holds: dict[tuple[Any, str], list[Block]] = {}
        self.first_transferred: dict[tuple[str, str], _Spans] = defaultdict(_Spans)
        self.uses: list[tuple[int, Any]] = []
        self.converted_from: dict[Block, list[Block]] = {}
        self.conversions: dict[Any, list[Block]] = {}
        self.purposes: dict[str, str] = {}
        self.party_of: dict[str, str] = {}  # registry -> Party
        self.names: dict[int, str] = {}  # position -> event name, for the positions cited
        # t CO2e added at first transfer / subtracted on use, by (authorization, vintage)
        self.added: dict[tuple[str, int], int] = defaultdict(int)
        self.host_of: dict[str, str] = {}  # authorization -> first-transferring Party

    def _seen_twice(
        self, spans: _Spans, block: Block, position: int, rule: str, detail: str, name: str
    ) -> None:
        clash = spans.clash(block)
        if clash is not None:
            self.found.append(
                Violation(
                    rule,
                    str(block),
                    self.party_of.get(block.registry),
                    (clash, position),
                    detail,
                    (self.names.get(clash, "?"), name),
                )
            )

    def process(self, position: int, e: Any) -> None:
        name = name_of(e)
        if name == "UnitLedger.Issued":
            self.names[position] = name
            for b in e.blocks:
                spans = self.issued[b.serial_space]
                self._seen_twice(
                    spans, b, position, "double_issuance", "serials issued twice", name
                )
                spans.add(b, position)
        elif name == "UnitLedger.Held":
            self.holds[(e.originator_id, e.transaction)] = list(e.blocks)
            for b in e.blocks:
                self._seen_twice(
                    self.ended[b.serial_space],
                    b,
                    position,
                    "double_use",
                    "units moved after they were used",
                    name,
                )
        elif name in ("UnitLedger.Moved", "UnitLedger.Released"):
            self.holds.pop((e.originator_id, e.transaction), None)
        elif name == "UnitLedger.Ended":
            self.names[position] = name
            for b in self.holds.pop((e.originator_id, e.transaction), []):
                spans = self.ended[b.serial_space]
                self._seen_twice(spans, b, position, "double_use", "units used twice", name)
                spans.add(b, position)
        elif name == "Jurisdiction.Connected":
            self.party_of[e.code] = e.party
        elif name == "Authorization.Granted":
            self.purposes[e.code] = e.purposes
        elif name == "Transaction.Accepted" and e.conversions:
            self.conversions[e.originator_id] = [
                Block.parse(s) for c in e.conversions for s in c["sources"]
            ]
        elif name == "Transaction.Completed" and e.originator_id in self.conversions:
            for b in e.issued:
                self.converted_from[b] = self.conversions[e.originator_id]
        elif name == "Transaction.AdjustmentRecorded":
            if e.role == "first_transfer":
                self.added[(e.authorization or "", e.vintage)] += e.quantity
                self.host_of[e.authorization or ""] = e.party
                for b in e.blocks:
                    self.first_transferred[b.serial_space].add(b, position)
            else:
                self.uses.append((position, e))

    def violations(self) -> list[Violation]:
        violations = list(self.found) + self._over_subtracted()
        for position, e in self.uses:
            for b in e.blocks:
                claimed = Violation(
                    "double_claiming",
                    str(b),
                    e.party,
                    (position,),
                    "",
                    ("Transaction.AdjustmentRecorded",),
                )
                if not self._first_transferred(b):
                    violations.append(
                        replace(
                            claimed,
                            detail="used towards an NDC without a first-transfer adjustment",
                        )
                    )
                if e.authorization and self.purposes.get(e.authorization) == "oimp":
                    violations.append(
                        replace(
                            claimed,
                            detail="authorized for other international mitigation purposes only",
                        )
                    )
        return violations

    def _first_transferred(self, block: Block) -> bool:
        """A first-transfer adjustment covers ``block``, or, for units issued in a
        conversion, the units they replaced (through any number of conversions)."""
        if self.first_transferred[block.serial_space].covers(block):
            return True
        sources = next(
            (src for new, src in self.converted_from.items() if new.contains(block)), None
        )
        return sources is not None and all(self._first_transferred(s) for s in sources)

    def _over_subtracted(self) -> list[Violation]:
        """Uses of an authorization's vintage that subtract more t CO2e than its Party
        added at first transfer: the acquirers count tonnes the host never gave up."""
        uses: dict[tuple[str, int], list[tuple[int, Any]]] = defaultdict(list)
        for position, e in self.uses:
            uses[(e.authorization or "", e.vintage)].append((position, e))
        found = []
        for (authorization, vintage), events in sorted(uses.items()):
            subtracted = sum(e.quantity for _, e in events)
            added = self.added.get((authorization, vintage), 0)
            if subtracted <= added or added == 0:
                continue  # nothing added at all: each use is reported per block above
            host = self.host_of.get(authorization, "its Party")
            found.append(
                Violation(
                    "double_claiming",
                    ", ".join(str(b) for _, e in events for b in e.blocks),
                    ", ".join(sorted({e.party for _, e in events})),
                    tuple(position for position, _ in events),
                    f"{subtracted:,} t of {authorization or 'no authorization'} vintage "
                    f"{vintage} subtracted on use, but {host} added {added:,} t at first "
                    "transfer",
                    tuple("Transaction.AdjustmentRecorded" for _ in events),
                )
            )
        return found
