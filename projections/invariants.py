"""The three double-counting invariants, checked over the clearinghouse's log.

The taxonomy (reference/linkage-and-article6.md, "Article 6"; Schneider et al.
[GK]) has three separate failures, each checked on its own:

* **double issuance**: two issuances of overlapping serials in one serial space;
* **double use**: serials retired, surrendered, cancelled or converted twice, or
  moved after they ended;
* **double claiming**: an ITMO used towards an NDC by an acquiring Party without
  a first-transfer corresponding adjustment for the same units (for converted
  units: for the units they replaced), or a unit authorized for other
  international mitigation purposes only that is counted towards an NDC.

The clearinghouse refuses all three when clearing; this check proves, from the
log alone, that nothing got through: an auditor need not trust the clearing code.
"""

from __future__ import annotations

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

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "block": self.block,
            "party": self.party,
            "positions": list(self.positions),
            "detail": self.detail,
        }


@dataclass
class _Spans:
    """Serial ranges seen so far in one serial space, with the position of each."""

    spans: list[tuple[Block, int]] = field(default_factory=list)

    def clash(self, block: Block) -> int | None:
        for seen, position in self.spans:
            if seen.overlaps(block):
                return position
        return None

    def add(self, block: Block, position: int) -> None:
        self.spans.append((block, position))


def _covered(block: Block, cover: list[Block]) -> bool:
    """Whether every serial of ``block`` lies in some block of ``cover``."""
    remaining = [block]
    for c in cover:
        nxt: list[Block] = []
        for r in remaining:
            part = r.intersection(c)
            nxt += r.minus(part) if part else [r]
        remaining = nxt
        if not remaining:
            return True
    return not remaining


def check(events: Iterable[tuple[int, Any]]) -> list[Violation]:
    violations: list[Violation] = []
    issued: dict[tuple[str, str], _Spans] = defaultdict(_Spans)
    ended: dict[tuple[str, str], _Spans] = defaultdict(_Spans)
    holds: dict[tuple[Any, str], list[Block]] = {}
    first_transferred: list[Block] = []
    uses: list[tuple[int, Any]] = []
    converted_from: dict[Block, list[Block]] = {}
    conversions: dict[Any, list[Block]] = {}
    purposes: dict[str, str] = {}

    def seen_twice(spans: _Spans, block: Block, position: int, rule: str, detail: str) -> None:
        clash = spans.clash(block)
        if clash is not None:
            violations.append(Violation(rule, str(block), None, (clash, position), detail))

    for position, e in events:
        name = name_of(e)
        if name == "UnitLedger.Issued":
            for b in e.blocks:
                seen_twice(
                    issued[b.serial_space], b, position, "double_issuance", "serials issued twice"
                )
                issued[b.serial_space].add(b, position)
        elif name == "UnitLedger.Held":
            holds[(e.originator_id, e.transaction)] = list(e.blocks)
            for b in e.blocks:
                seen_twice(
                    ended[b.serial_space],
                    b,
                    position,
                    "double_use",
                    "units moved after they were used",
                )
        elif name in ("UnitLedger.Moved", "UnitLedger.Released"):
            holds.pop((e.originator_id, e.transaction), None)
        elif name == "UnitLedger.Ended":
            for b in holds.pop((e.originator_id, e.transaction), []):
                seen_twice(ended[b.serial_space], b, position, "double_use", "units used twice")
                ended[b.serial_space].add(b, position)
        elif name == "Authorization.Granted":
            purposes[e.code] = e.purposes
        elif name == "Transaction.Accepted" and e.conversions:
            conversions[e.originator_id] = [
                Block.parse(s) for c in e.conversions for s in c["sources"]
            ]
        elif name == "Transaction.Completed" and e.originator_id in conversions:
            for b in e.issued:
                converted_from[b] = conversions[e.originator_id]
        elif name == "Transaction.AdjustmentRecorded":
            if e.role == "first_transfer":
                first_transferred.extend(e.blocks)
            else:
                uses.append((position, e))

    for position, e in uses:
        for b in e.blocks:
            claimed = Violation("double_claiming", str(b), e.party, (position,), "")
            sources = next((src for new, src in converted_from.items() if new.contains(b)), [b])
            if not all(_covered(s, first_transferred) for s in sources):
                violations.append(
                    replace(
                        claimed, detail="used towards an NDC without a first-transfer adjustment"
                    )
                )
            if e.authorization and purposes.get(e.authorization) == "oimp":
                violations.append(
                    replace(
                        claimed,
                        detail="authorized for other international mitigation purposes only",
                    )
                )
    return violations
