"""Several rule sets over one log, side by side, with the differing cells marked.

The log is read once (one :class:`~projections.article6.view.Article6View`);
each rule set is then applied to the same folded facts, so the variants can
never disagree about what happened — only about how to count it (DESIGN.md,
principle 4; issue #4, item 5).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from projections.article6.accounting import evaluate
from projections.article6.party import PartyFile
from projections.article6.rules import RuleSet
from projections.article6.table4 import ROWS, Summary, summarize
from projections.article6.view import Article6View


@dataclass(frozen=True)
class Cell:
    row: str
    year: int
    values: tuple[int | None, ...]

    @property
    def differs(self) -> bool:
        return len(set(self.values)) > 1


@dataclass(frozen=True)
class Comparison:
    party: str
    rule_sets: tuple[str, ...]
    methods: tuple[str, ...]
    cells: tuple[Cell, ...]
    summaries: tuple[Summary, ...]

    @property
    def differing(self) -> int:
        return sum(c.differs for c in self.cells)

    def as_json(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "rule_sets": list(self.rule_sets),
            "methods": list(self.methods),
            "differing_cells": self.differing,
            "cells": [
                {"row": c.row, "year": str(c.year), "values": list(c.values), "differs": c.differs}
                for c in self.cells
            ],
            "summaries": [s.as_json() for s in self.summaries],
        }

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["row", "year", *self.rule_sets, "differs"])
        for c in self.cells:
            shown = ["" if v is None else v for v in c.values]
            writer.writerow([c.row, c.year, *shown, "yes" if c.differs else ""])
        return out.getvalue()

    def text(self, only_differences: bool = False) -> str:
        width = max(12, *(len(n) + 2 for n in self.rule_sets))
        head = f"{'row':>4} {'year':>5} " + "".join(f"{n:>{width}}" for n in self.rule_sets)
        lines = [
            f"Table 4 for {self.party}: {len(self.rule_sets)} rule sets, one pass over the log; "
            f"* marks a cell where they differ ({self.differing} cells)",
            "methods: "
            + ", ".join(f"{n}={m}" for n, m in zip(self.rule_sets, self.methods, strict=True)),
            "",
            head,
            "-" * len(head),
        ]
        for c in self.cells:
            if only_differences and not c.differs:
                continue
            shown = "".join(f"{'' if v is None else f'{v:,}':>{width}}" for v in c.values)
            lines.append(f"{c.row:>4} {c.year:>5} {shown}{' *' if c.differs else ''}")
        return "\n".join(lines)


def compare(view: Article6View, party: PartyFile, rule_sets: list[RuleSet]) -> Comparison:
    summaries = tuple(summarize(evaluate(view, rules, party), party) for rules in rule_sets)
    cells: list[Cell] = []
    for row in ROWS:
        years = sorted({y for s in summaries for y in s.rows[row]})
        for year in years:
            cells.append(Cell(row, year, tuple(s.rows[row].get(year) for s in summaries)))
    return Comparison(
        party=party.party,
        rule_sets=tuple(r.name for r in rule_sets),
        methods=tuple(s.method for s in summaries),
        cells=tuple(cells),
        summaries=summaries,
    )
