"""The structured summary (biennial transparency report, Table 4), rows 3-14.

Row definitions: reference/registries-and-reporting.md L14-27. How each is
derived here (docs/article6.md explains it at length):

* 3 / 4 — the Party file's trajectory (row 3 for a single-year NDC, 4 for a
  multi-year NDC); under V10 "target" it is the trajectory minus row 12 (the
  target moves instead of the emissions).
* 5 — the Party file's inventory; 6 — its ``inventory_para10``, where given.
* 7 / 8 — ITMOs the Party first transferred, in the year of the first transfer
  (L20-21): 7 those authorized for NDC use or NDC and OIMP, 8 OIMP only.
* 9 — ITMOs the Party used towards its NDC, in the year of use (L22).
* 10 — (7 + 8) − 9 (L23). 13 — cumulative of row 10 (L26).
* 11 — averaging only: the average of row 10 over the inventory years of the
  NDC period elapsed so far, the same figure for each of them (L24; issue #4:
  100/200/300 gives 200 each year, not a staircase).
* 12 — corresponding adjustments (L25, L28): by vintage, from ITMOs actually
  first transferred (host, +) and used (acquirer, −) under trajectory and
  multi-year; row 11 under averaging; under V12 "vintage", the target year's
  vintage only; under V12 "cumulative", the period's total in the target year.
* 14 — row 5 + row 12 for years with an inventory (L27).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from projections.article6.accounting import Evaluation
from projections.article6.party import PartyFile

ROWS = [str(r) for r in range(3, 15)]


@dataclass
class Summary:
    party: str
    method: str
    rules: str
    rows: dict[str, dict[int, int]]
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """``{"party": P, "method": M, "rows": {"7": {"2021": n, ...}, ...}}`` (issue #4,
        item 7): integer tonnes, years as strings."""
        return {
            "party": self.party,
            "method": self.method,
            "rows": {
                row: {str(year): value for year, value in sorted(cells.items())}
                for row, cells in self.rows.items()
            },
        }

    def budget(self) -> tuple[int, int] | None:
        """Multi-year method: (sum of row 14, sum of row 4) over the years that
        have both — the emissions balance against the budget."""
        if self.method != "multi-year":
            return None
        years = set(self.rows["14"]) & set(self.rows["4"])
        if not years:
            return None
        return sum(self.rows["14"][y] for y in years), sum(self.rows["4"][y] for y in years)


def summarize(evaluation: Evaluation, party: PartyFile) -> Summary:
    rules = evaluation.rules
    method = party.method(rules.single_year_method)
    p = party.party
    row7: dict[int, Fraction] = defaultdict(Fraction)
    row8: dict[int, Fraction] = defaultdict(Fraction)
    row9: dict[int, Fraction] = defaultdict(Fraction)
    ca: dict[int, Fraction] = defaultdict(Fraction)  # by vintage
    for o in evaluation.outcomes:
        if o.host == p and o.counts and o.first is not None:
            (row7 if o.ndc_purpose else row8)[o.first.on.year] += o.tonnes
        if o.host == p and o.counts and o.host_adjusts:
            ca[o.block.vintage] += o.tonnes
        for s in o.steps:
            if s.party == p:
                row9[s.on.year] -= s.sign * s.counted
                ca[o.block.vintage] += s.sign * s.counted

    years = set(party.ndc.years) | set(party.inventory) | set(row7) | set(row8) | set(row9)
    row10 = {y: row7[y] + row8[y] - row9[y] for y in years}
    row11: dict[int, Fraction] = {}
    row12: dict[int, Fraction] = {}
    notes = list(evaluation.notes)
    if method in ("trajectory", "multi-year"):
        row12 = {v: q for v, q in ca.items()}
        for y in party.ndc.years:
            row12.setdefault(y, Fraction(0))
    elif method == "averaging":
        elapsed = sorted(y for y in party.inventory if y in party.ndc.years)
        if elapsed:
            average = sum((row10.get(y, Fraction(0)) for y in elapsed), Fraction(0)) / len(elapsed)
            row11 = dict.fromkeys(elapsed, average)
            row12 = dict(row11)
        else:
            notes.append("averaging: no inventory year in the NDC period yet; no adjustment")
    elif method == "vintage":
        row12 = {party.ndc.target_year: ca.get(party.ndc.target_year, Fraction(0))}
    else:  # cumulative
        total = sum((q for v, q in ca.items() if v in party.ndc.years), Fraction(0))
        row12 = {party.ndc.target_year: total}

    cumulative = Fraction(0)
    row13: dict[int, Fraction] = {}
    for y in sorted(years):
        cumulative += row10[y]
        row13[y] = cumulative

    trajectory_row = "3" if party.ndc.type == "single-year" else "4"
    row14: dict[int, Fraction] = {}
    trajectory = {y: Fraction(v) for y, v in party.trajectory.items()}
    for y, emissions in party.inventory.items():
        if rules.adjusted_object == "emissions":
            row14[y] = emissions + row12.get(y, Fraction(0))
        else:  # V10 "target": the target moves by the adjustment, emissions stay
            row14[y] = Fraction(emissions)
    if rules.adjusted_object == "target":
        trajectory = {y: v - row12.get(y, Fraction(0)) for y, v in trajectory.items()}

    rows: dict[str, dict[int, int]] = {r: {} for r in ROWS}
    rows[trajectory_row] = _whole(trajectory)
    rows["5"] = dict(party.inventory)
    rows["6"] = dict(party.inventory_para10)
    rows["7"] = _whole({y: row7[y] for y in years})
    rows["8"] = _whole({y: row8[y] for y in years})
    rows["9"] = _whole({y: row9[y] for y in years})
    rows["10"] = _whole(row10)
    rows["11"] = _whole(row11)
    rows["12"] = _whole(row12)
    rows["13"] = _whole(row13)
    rows["14"] = _whole(row14)
    return Summary(p, method, rules.name, rows, notes)


def _whole(values: dict[int, Fraction]) -> dict[int, int]:
    """Whole tonnes, nearest (ties to even) [assumption: Table 4 reports whole
    tonnes; only averaging and V7 factors produce fractions]."""
    return {y: round(v) for y, v in sorted(values.items())}
