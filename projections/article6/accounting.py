"""Applying a rule set to the lifecycle facts: first transfers, uses, deductions.

Pure functions of (view, rule set, Party file): no I/O, nothing stored. For
every lot of an ITMO (:mod:`~projections.article6.lifecycle`) the rule set
decides

* whether it is an ITMO at all under these rules (V5 coverage, V7 metric, V13
  6.4 units);
* which serials a deduction takes away, and at which stage (V14-V17: share of
  proceeds and OMGE as % of units, rounded down, carved from the end of the
  transaction's blocks: reference/linkage-and-article6.md L21, "issuance
  1,000 -> holding 930, OMGE 20, SOP 50 (rounding down)");
* when it is *first transferred* (reference/linkage-and-article6.md L19: the
  authorization's definition, or the rule set's override):

  - ``authorization`` / ``issuance``: the later of authorization and the moment
    the block became an ITMO (its issuance under the authorization, or its
    first cross-border transfer under an authorized agreement): it cannot be
    transferred before it exists (issue #4, item 4). Under the workbook
    convention (``authorization_timing: authorization_year``) the
    authorization date for ``authorization``, the issuance date for
    ``issuance`` (shared/data/README.md; [assumption] that the workbook keys
    ``issuance`` on the issuance year, as its name says);
  - ``first_international_transfer``: the first transfer between two Parties,
    or a use or cancellation if that comes first; nothing if neither is
    recorded (issue #4, item 4);
  - ``use_or_cancellation``: the use or cancellation;
  - for 6.4 units under V13 ``second_transfer``: the second international
    transfer;

* whether the host adjusts for it (row 12; V6, V11, and the first-transfer
  filter of registries-and-reporting.md L28);
* which steps of acquiring Parties count (row 9; V8 banking, V9 limit, V11
  timing): by default a use towards the NDC (surrender for compliance or
  retirement for NDC use, by a Party other than the host:
  clearinghouse/clearing.py ``NDC_USES``).

Quantities are in t CO2e, exact fractions (a non-GHG metric's factor may be
fractional, V7); tables round each cell to whole tonnes at the end. Units a
linkage agreement converted at an exchange rate carry the tonnes of the units
they replaced (:meth:`Lot.tonnes <projections.article6.lifecycle.Lot.tonnes>`,
:mod:`clearinghouse.conversion`): the host's first transfer and the acquirer's
use of an ITMO are of the same tonnes whatever the rate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from clearinghouse.units import Block
from projections.article6.lifecycle import Lot, Move
from projections.article6.party import PartyFile
from projections.article6.rules import RuleSet
from projections.article6.view import Article6View, AuthorizationInfo, Record

#: purposes of an end that count as use towards the user's NDC (clearing.py NDC_USES)
NDC_USES = ("compliance", "ndc")
#: purposes of an end that are a use at all (NDC or OIMP), for V11 "use" timing
USES = (*NDC_USES, "oimp")


@dataclass(frozen=True, slots=True)
class Deduction:
    kind: str  # share_of_proceeds | omge
    stage: str  # issuance | transfer | use
    on: date
    position: int
    party: str  # whose step it was: the host at issuance, the transferor, the user
    transaction: str


@dataclass(frozen=True, slots=True)
class FirstTransfer:
    on: date
    position: int
    move: Move | None  # the international transfer that was the first transfer, if one


@dataclass
class UserStep:
    """An acquiring Party's adjustment: ``sign`` -1 subtracts (use, or acquisition
    under V11 "transfer"), +1 adds back (an onward transfer under "transfer")."""

    party: str
    on: date
    position: int
    kind: str  # use | acquisition | onward
    sign: int
    tonnes: Fraction
    counted: Fraction  # what the rule set lets count (V8, V9)
    reason: str = ""


@dataclass
class Outcome:
    """One lot, or the part of it a deduction took, under one rule set."""

    block: Block
    lot: Lot
    authorization: AuthorizationInfo
    definition: str
    factor: Fraction
    excluded: str = ""  # why it is not an ITMO under these rules
    deduction: Deduction | None = None
    first: FirstTransfer | None = None
    host_adjusts: bool = False
    steps: list[UserStep] = field(default_factory=list)
    outside_coverage: bool = False

    @property
    def tonnes(self) -> Fraction:
        """t CO2e: the lot's tonnes (one per unit, or a converted batch's share,
        fixed at the units first transferred) times a V7 metric factor."""
        return self.lot.tonnes(self.block) * self.factor

    @property
    def tonnes_per_unit(self) -> Fraction:
        """The AEF's conversion factor: V7 metric factor times a conversion's
        t CO2e per unit."""
        converted = self.lot.converted if self.lot.itmo else None
        return self.factor * (converted.factor if converted is not None else 1)

    @property
    def host(self) -> str:
        return self.authorization.party

    @property
    def ndc_purpose(self) -> bool:
        return self.authorization.purposes in ("ndc", "ndc_and_oimp")

    @property
    def counts(self) -> bool:
        """An ITMO in the accounting: not excluded, not deducted at issuance."""
        return not self.excluded and not (self.deduction and self.deduction.stage == "issuance")


@dataclass
class Evaluation:
    rules: RuleSet
    outcomes: list[Outcome]
    notes: list[str]


def evaluate(view: Article6View, rules: RuleSet, party: PartyFile | None = None) -> Evaluation:
    """Every ITMO lot of the log under ``rules``. ``party`` supplies what only a
    Party file knows: its NDC coverage (V5/V6) and the basis of a use limit (V9)."""
    carver = _Carver(view, rules)
    outcomes: list[Outcome] = []
    notes: list[str] = []
    for block, lot in view.lots():
        if lot.superseded or lot.authorization is None:
            continue  # converted units continue in their replacements; non-ITMOs
        authorization = view.authorizations.get(lot.authorization)
        if authorization is None:
            notes.append(f"{block}: authorization {lot.authorization} not in the log")
            continue
        for piece, deduction in carver.pieces(block, lot):
            outcomes.append(_outcome(piece, lot, authorization, deduction, rules, party))
    if party is not None and rules.use_limit_percent is not None:
        notes += _apply_use_limit(outcomes, rules, party)
    return Evaluation(rules, outcomes, notes)


def _outcome(
    block: Block,
    lot: Lot,
    authorization: AuthorizationInfo,
    deduction: Deduction | None,
    rules: RuleSet,
    party: PartyFile | None,
) -> Outcome:
    definition = rules.first_transfer_definition or authorization.first_transfer
    factor = Fraction(1)
    # A converted ITMO is measured in the metric of the units first transferred.
    unit = rules.non_ghg_units.get(lot.origin_unit_type or block.unit_type)
    outcome = Outcome(block, lot, authorization, definition, factor, deduction=deduction)
    a64 = block.unit_type in rules.a64_unit_types
    if unit is not None:
        if rules.metric == "tco2e_only":
            outcome.excluded = f"V7: {unit.metric} is not tCO2e"
        outcome.factor = Fraction(unit.factor)
    if a64 and rules.a64_to_itmo == "separate":
        outcome.excluded = "V13: 6.4 units stay outside 6.2 (mitigation contribution)"
    if party is not None and party.party == authorization.party:
        outcome.outside_coverage = party.outside(block.registry, block.unit_type)
        if outcome.outside_coverage and rules.itmo_origin == "inside_coverage_only":
            outcome.excluded = "V5: outside the host's NDC coverage"
    if not outcome.counts:
        return outcome
    # What happened before a deduction took these serials (a transfer- or use-
    # stage deduction cancels them at that step: nothing after it applies).
    moves = list(lot.moves)
    end = lot.end
    if deduction is not None:
        moves = [m for m in moves if m.position <= deduction.position]
        if deduction.stage in ("transfer", "use"):
            end = None
    outcome.first = _first_transfer(lot, authorization, definition, rules, a64, moves, end)
    outcome.host_adjusts = _host_adjusts(outcome, rules, end)
    outcome.steps = _user_steps(outcome, rules, moves, end, deduction)
    return outcome


def _first_transfer(
    lot: Lot,
    authorization: AuthorizationInfo,
    definition: str,
    rules: RuleSet,
    a64: bool,
    moves: list[Move],
    end: object,
) -> FirstTransfer | None:
    later_of = rules.authorization_timing == "later_of"
    authorized = authorization.authorized_on
    international = [m for m in moves if m.international]
    found: FirstTransfer | None
    if a64 and rules.a64_to_itmo == "second_transfer":
        found = (
            FirstTransfer(international[1].on, international[1].position, international[1])
            if len(international) > 1
            else None
        )
    elif definition in ("authorization", "issuance"):
        bound_on = lot.bound_on or lot.issued_on
        bound_at = lot.bound_at or lot.issued_at
        if later_of:
            return FirstTransfer(max(authorized, bound_on), bound_at, None)
        return FirstTransfer(
            authorized if definition == "authorization" else lot.issued_on, bound_at, None
        )
    elif definition == "first_international_transfer":
        candidates: list[FirstTransfer] = []
        if international:
            m = international[0]
            candidates.append(FirstTransfer(m.on, m.position, m))
        if lot.end is not None and end is not None:
            candidates.append(FirstTransfer(lot.end.on, lot.end.position, None))
        found = min(candidates, key=lambda f: f.position) if candidates else None
    else:  # use_or_cancellation
        found = (
            FirstTransfer(lot.end.on, lot.end.position, None)
            if lot.end is not None and end is not None
            else None
        )
    if found is not None and later_of and found.on < authorized:
        found = FirstTransfer(authorized, found.position, found.move)
    return found


def _host_adjusts(outcome: Outcome, rules: RuleSet, end: object) -> bool:
    if outcome.outside_coverage and rules.outside_coverage_adjustment == "host_does_not_adjust":
        return False  # V6
    if not rules.ca_requires_first_transfer:
        return True  # the public workbook's row 12 (for comparison only)
    if outcome.first is None:
        return False
    if rules.ca_timing == "use":  # V11: the host adjusts when the ITMO is used
        lot_end = outcome.lot.end
        return end is not None and lot_end is not None and lot_end.purpose in USES
    return True


def _banked_too_long(rules: RuleSet, vintage: int, year: int) -> str:
    """V8: how long an ITMO may be kept before use (reference L34)."""
    if rules.banking == "unlimited":
        return ""
    allowed = 0 if rules.banking == "none" else rules.banking_years
    if year - vintage > allowed:
        return f"V8: vintage {vintage} used in {year}, banking allows {allowed} year(s)"
    return ""


def _user_steps(
    outcome: Outcome,
    rules: RuleSet,
    moves: list[Move],
    end: object,
    deduction: Deduction | None,
) -> list[UserStep]:
    if not outcome.ndc_purpose:
        return []  # OIMP-only units never count towards an NDC (ACC-001)
    host, vintage, tonnes = outcome.host, outcome.block.vintage, outcome.tonnes
    steps: list[UserStep] = []
    if rules.ca_timing == "transfer":  # V11: the acquirer adjusts on acquisition
        for m in moves:
            if not m.international:
                continue
            if deduction is not None and deduction.position == m.position:
                break  # the deducted part was cancelled at this transfer
            if m.destination_party != host:
                reason = _banked_too_long(rules, vintage, m.on.year)
                steps.append(
                    UserStep(m.destination_party, m.on, m.position, "acquisition", -1, tonnes,
                             Fraction(0) if reason else tonnes, reason)
                )  # fmt: skip
            if m.source_party != host:
                steps.append(
                    UserStep(m.source_party, m.on, m.position, "onward", +1, tonnes, tonnes)
                )
        return steps
    lot_end = outcome.lot.end
    if (
        end is not None
        and lot_end is not None
        and lot_end.purpose in NDC_USES
        and lot_end.party != host
    ):
        reason = _banked_too_long(rules, vintage, lot_end.on.year)
        steps.append(
            UserStep(lot_end.party, lot_end.on, lot_end.position, "use", -1, tonnes,
                     Fraction(0) if reason else tonnes, reason)
        )  # fmt: skip
    return steps


def _apply_use_limit(outcomes: list[Outcome], rules: RuleSet, party: PartyFile) -> list[str]:
    """V9: at most x% of the basis per year counts as used, earliest uses first."""
    assert rules.use_limit_percent is not None
    pct = Fraction(rules.use_limit_percent) / 100
    notes: list[str] = []
    steps = sorted(
        (s for o in outcomes for s in o.steps if s.party == party.party and s.sign < 0),
        key=lambda s: s.position,
    )
    room: dict[int, Fraction] = {}
    for s in steps:
        year = s.on.year
        if year not in room:
            basis = party.inventory.get(year)
            if rules.use_limit_basis == "ndc_effort" and basis is not None:
                target = party.trajectory.get(year)
                basis = None if target is None else max(basis - target, 0)
            if basis is None:
                notes.append(f"V9: no {rules.use_limit_basis} for {year}; limit not applied")
                room[year] = Fraction(-1)
            else:
                room[year] = Fraction(int(pct * basis))  # whole tonnes, rounded down
        if room[year] < 0:
            continue
        allowed = min(s.counted, room[year])
        if allowed < s.counted:
            s.reason = (
                f"V9: over the limit of {rules.use_limit_percent}% of {rules.use_limit_basis}"
            )
            notes.append(f"V9: {party.party} {year}: {s.counted - allowed} t over the use limit")
        s.counted = allowed
        room[year] -= allowed
    return notes


class _Carver:
    """Which serials each deduction takes (computed once per transaction)."""

    def __init__(self, view: Article6View, rules: RuleSet) -> None:
        self.view = view
        self.rules = rules
        self.cache: dict[tuple[str, str], list[tuple[Block, Deduction]]] = {}

    def pieces(self, block: Block, lot: Lot) -> Iterator[tuple[Block, Deduction | None]]:
        rules = self.rules
        if not rules.deducts_from(block.unit_type) or not (
            rules.omge.deducts or rules.share_of_proceeds.deducts
        ):
            yield block, None
            return
        stages: list[list[tuple[Block, Deduction]]] = []
        issued = self.view.issued.get(lot.issuance)
        if issued is not None:
            stages.append(self._carve("issuance", issued, lot.origin_party))
        if rules.omge.deducts and rules.omge.stage == "transfer":
            for m in lot.moves:
                record = self.view.moved.get(m.transaction)
                if m.international and record is not None:
                    stages.append(self._carve("transfer", record, m.source_party))
        if rules.omge.deducts and rules.omge.stage == "use" and lot.end is not None:
            record = self.view.ended.get(lot.end.transaction)
            if lot.end.purpose in USES and record is not None:
                stages.append(self._carve("use", record, lot.end.party))
        remaining = [block]
        for carves in stages:
            rest: list[Block] = []
            for part in remaining:
                parts = [part]
                for taken, deduction in carves:
                    kept: list[Block] = []
                    for p in parts:
                        cut = p.intersection(taken)
                        if cut is None:
                            kept.append(p)
                            continue
                        yield cut, deduction
                        kept += p.minus(cut)
                    parts = kept
                rest += parts
            remaining = rest
        for part in remaining:
            yield part, None

    def _carve(self, stage: str, record: Record, party: str) -> list[tuple[Block, Deduction]]:
        key = (stage, record.transaction)
        if key not in self.cache:
            self.cache[key] = self._carve_now(stage, record, party)
        return self.cache[key]

    def _carve_now(self, stage: str, record: Record, party: str) -> list[tuple[Block, Deduction]]:
        rules = self.rules
        blocks = [b for b in record.blocks if rules.deducts_from(b.unit_type)]
        total = sum(b.count for b in blocks)
        amounts: list[tuple[str, int]] = []
        if stage == "issuance" and rules.share_of_proceeds.deducts:
            amounts.append(
                ("share_of_proceeds", _percent_of(total, rules.share_of_proceeds.percent))
            )
        if rules.omge.deducts and rules.omge.stage == stage:
            amounts.append(("omge", _percent_of(total, rules.omge.percent)))
        carved: list[tuple[Block, Deduction]] = []
        # Take from the end of the transaction's blocks (highest serials first):
        # the last serials go to OMGE, the ones before them to share of proceeds.
        pool = sorted(blocks, key=lambda b: (b.registry, b.unit_type, b.first))
        for kind, amount in reversed(amounts):
            deduction = Deduction(
                kind, stage, record.on, record.position, party, record.transaction
            )
            while amount > 0 and pool:
                last = pool.pop()
                if last.count <= amount:
                    carved.append((last, deduction))
                    amount -= last.count
                else:
                    keep, take = last.split(last.count - amount)
                    carved.append((take, deduction))
                    pool.append(keep)
                    amount = 0
        return carved


def _percent_of(total: int, percent: object) -> int:
    """Rounded down (reference/linkage-and-article6.md L21)."""
    return int(Fraction(str(percent)) * total / 100)
