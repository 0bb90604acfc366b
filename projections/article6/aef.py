"""The Agreed Electronic Format: Table 2 (actions) and Table 3 (holdings).

Columns, in the official order, from reference/registries-and-reporting.md
L7-8 (Table 2: ITMO / unique identifier / metric and quantity / ITMO details /
authorization / action details; Table 3: the same without the action columns).
The action-type vocabulary is issue #4's (item 2), after the public
implementation listed in L9.

Rows are built from an :class:`~projections.article6.accounting.Evaluation`,
so the first-transfer dates and deductions follow the rule set in force. A row
covers one contiguous serial block sharing every other column; neighbouring
rows that differ only in serials are merged.

Identifiers (L30-31, decision 6/CMA.4): a unit's unique identifier is
``<cooperative approach>-<registry>-<unit type>-<vintage>-<serial>`` (the ITMO
id of :class:`clearinghouse.units.ItmoId` for a one-unit block); "first/last
unique identifier" name the block's first and last unit, "underlying unit block
start/last ID" its serials.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from clearinghouse.conversion import tonnes
from clearinghouse.units import Block
from projections.article6.accounting import Evaluation, Outcome
from projections.article6.lifecycle import Move

TABLE2 = (
    "Article 6 database record ID",
    "Cooperative approach",
    "First unique identifier",
    "Last unique identifier",
    "Underlying unit block start ID",
    "Underlying unit block last ID",
    "Metric",
    "Quantity (in metric)",
    "Quantity (t CO2 eq)",
    "Conversion factor",
    "First transferring participating Party",
    "Vintage",
    "Sector(s)",
    "Activity type(s)",
    "Date of authorization",
    "Authorization ID",
    "Purposes for authorization",
    "OIMP authorized by the Party",
    "First transfer definition",
    "Action date",
    "Action type",
    "Transferring participating Party",
    "Acquiring participating Party",
    "Purposes for cancellation",
    "Using participating Party or authorized entities",
    "First transfer (yes/no)",
)
TABLE3 = TABLE2[:19]
FIELDS = (
    "record_id", "approach", "first_id", "last_id", "block_start", "block_last", "metric",
    "quantity_in_metric", "quantity", "conversion_factor", "first_transferring_party",
    "vintage", "sectors", "activity_types", "authorization_date", "authorization_id",
    "purposes", "oimp_authorized", "first_transfer_definition", "action_date", "action_type",
    "transferring_party", "acquiring_party", "cancellation_purposes", "using_party",
    "first_transfer",
)  # fmt: skip
COLUMN_OF = dict(zip(FIELDS, TABLE2, strict=True))
FIELD_OF = dict(zip(TABLE2, FIELDS, strict=True))

ACTION_TYPES = (
    "Authorization",
    "First transfer",
    "Transfer",
    "Acquisition",
    "Use towards NDC",
    "Use for OIMP",
    "Voluntary cancellation",
    "OMGE cancellation",
    "Share of proceeds cancellation",
)
ActionType = Literal[
    "Authorization",
    "First transfer",
    "Transfer",
    "Acquisition",
    "Use towards NDC",
    "Use for OIMP",
    "Voluntary cancellation",
    "OMGE cancellation",
    "Share of proceeds cancellation",
]
PURPOSES = {"ndc": "NDC", "oimp": "OIMP", "ndc_and_oimp": "NDC and OIMP"}
DEFINITIONS = {
    "authorization": "Authorization",
    "issuance": "Issuance",
    "first_international_transfer": "First international transfer",
    "use_or_cancellation": "Use or cancellation",
}
#: how an end (surrender, retirement, cancellation) appears, by its purpose
#: (messages.py ``Purpose``): the action type and the purpose-of-cancellation text
END_ACTIONS = {
    "compliance": ("Use towards NDC", ""),
    "ndc": ("Use towards NDC", ""),
    "oimp": ("Use for OIMP", ""),
    "voluntary": ("Voluntary cancellation", "Voluntary cancellation"),
    "omge": ("OMGE cancellation", "OMGE"),
    "share_of_proceeds": ("Share of proceeds cancellation", "Share of proceeds"),
}
DEDUCTION_ACTIONS = {
    "omge": ("OMGE cancellation", "OMGE"),
    "share_of_proceeds": ("Share of proceeds cancellation", "Share of proceeds"),
}


class AefRow(BaseModel):
    """One row of Table 2 (or, with the action columns empty, Table 3). Empty
    cells are ``""`` for text and ``None`` for numbers and dates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_id: str = ""
    approach: str = ""
    first_id: str = ""
    last_id: str = ""
    block_start: int | None = None
    block_last: int | None = None
    metric: str = ""
    quantity_in_metric: int | None = None
    quantity: int | None = None
    conversion_factor: str = ""
    first_transferring_party: str = ""
    vintage: int | None = None
    sectors: str = ""
    activity_types: str = ""
    authorization_date: date | None = None
    authorization_id: str = ""
    purposes: str = ""
    oimp_authorized: str = ""
    first_transfer_definition: str = ""
    action_date: date | None = None
    action_type: ActionType | Literal[""] = ""
    transferring_party: str = ""
    acquiring_party: str = ""
    cancellation_purposes: str = ""
    using_party: str = ""
    first_transfer: Literal["Yes", "No", ""] = ""

    @field_validator("first_transfer", mode="before")
    @classmethod
    def _yes_no(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
            return value.strip().capitalize()
        return value

    def cells(self, columns: tuple[str, ...] = TABLE2) -> list[Any]:
        return [getattr(self, FIELD_OF[c]) for c in columns]

    def match_key(self) -> tuple[Any, ...]:
        """What identifies an action when a submission is checked against the log
        (not the record id, which each side numbers its own way)."""
        return (self.action_type, self.action_date, self.first_id, self.last_id)


@dataclass(frozen=True)
class Tables:
    party: str
    year: int
    table2: list[AefRow]
    table3: list[AefRow]


# -- building the tables from an evaluation ---------------------------------------------------


@dataclass(frozen=True)
class _Action:
    party: str  # who reports it
    on: date
    block: Block
    fields: tuple[tuple[str, Any], ...]  # the action columns


def tables(evaluation: Evaluation, party: str, year: int) -> Tables:
    end_of_year = date(year, 12, 31)
    actions: list[tuple[_Action, Outcome]] = []
    holdings: list[tuple[Block, Outcome]] = []
    for o in evaluation.outcomes:
        if o.excluded:
            continue
        for action in _actions(o):
            if action.party == party and action.on.year == year:
                actions.append((action, o))
        if _held_by(o, end_of_year) == party:
            holdings.append((o.block, o))
    table2 = _rows(
        [(a.block, o, (("action_date", a.on), *a.fields)) for a, o in actions], evaluation, party
    )
    table3 = _rows([(b, o, ()) for b, o in holdings], evaluation, party)
    return Tables(party, year, table2, table3)


def _actions(o: Outcome) -> list[_Action]:
    auth, lot, block = o.authorization, o.lot, o.block
    found: list[_Action] = []
    host = auth.party
    authorized_on = max(auth.authorized_on, lot.bound_on or lot.issued_on)
    found.append(_Action(host, authorized_on, block, (("action_type", "Authorization"),)))
    deduction = o.deduction
    if deduction is not None and deduction.stage == "issuance":
        kind, purpose = DEDUCTION_ACTIONS[deduction.kind]
        found.append(
            _Action(
                deduction.party,
                deduction.on,
                block,
                (("action_type", kind), ("cancellation_purposes", purpose)),
            )
        )
        return found
    first_move = o.first.move if o.first is not None else None
    if o.first is not None:
        found.append(
            _Action(
                host,
                o.first.on,
                block,
                (
                    ("action_type", "First transfer"),
                    ("transferring_party", host),
                    ("acquiring_party", first_move.destination_party if first_move else ""),
                    ("first_transfer", "Yes"),
                ),
            )
        )
    for m in _moves(o):
        if not m.international:
            continue
        is_first = "Yes" if m is first_move else "No"
        parties = (("transferring_party", m.source_party), ("acquiring_party", m.destination_party))
        if deduction is not None and deduction.position == m.position:
            kind, purpose = DEDUCTION_ACTIONS[deduction.kind]
            found.append(
                _Action(
                    m.source_party,
                    m.on,
                    block,
                    (("action_type", kind), *parties, ("cancellation_purposes", purpose)),
                )
            )
            return found
        if m is not first_move:
            found.append(
                _Action(
                    m.source_party,
                    m.on,
                    block,
                    (("action_type", "Transfer"), *parties, ("first_transfer", is_first)),
                )
            )
        found.append(
            _Action(
                m.destination_party,
                m.on,
                block,
                (("action_type", "Acquisition"), *parties, ("first_transfer", is_first)),
            )
        )
    end = lot.end
    if end is not None and end.purpose in END_ACTIONS:
        kind, purpose = END_ACTIONS[end.purpose]
        if deduction is not None and deduction.stage == "use":
            kind, purpose = DEDUCTION_ACTIONS[deduction.kind]
        using = end.party if kind.startswith("Use") else ""
        found.append(
            _Action(
                end.party,
                end.on,
                block,
                (
                    ("action_type", kind),
                    ("cancellation_purposes", purpose),
                    ("using_party", using),
                ),
            )
        )
    return found


def _moves(o: Outcome) -> list[Move]:
    if o.deduction is None:
        return list(o.lot.moves)
    return [m for m in o.lot.moves if m.position <= o.deduction.position]


def _held_by(o: Outcome, when: date) -> str | None:
    """The Party whose registries hold the ITMO at ``when`` (business dates), if it
    is an ITMO then and still in circulation."""
    lot = o.lot
    if lot.issued_on > when or o.authorization.authorized_on > when:
        return None
    if lot.bound_on is not None and lot.bound_on > when:
        return None
    if o.deduction is not None and o.deduction.on <= when:
        return None
    if lot.end is not None and lot.end.on <= when:
        return None
    party = lot.origin_party
    for m in lot.moves:
        if m.on <= when:
            party = m.destination_party
    return party


def _rows(
    items: list[tuple[Block, Outcome, tuple[tuple[str, Any], ...]]],
    evaluation: Evaluation,
    party: str,
) -> list[AefRow]:
    specs: list[tuple[Block, dict[str, Any]]] = []
    for block, o, action in items:
        specs.append((block, {**_itmo_fields(o, evaluation), **dict(action)}))
    specs.sort(key=lambda s: (_sort_key(s[1]), s[0].registry, s[0].unit_type, s[0].first))
    merged: list[tuple[Block, dict[str, Any]]] = []
    for block, fields in specs:
        if merged and merged[-1][1] == fields and merged[-1][0].adjacent_to(block):
            merged[-1] = (merged[-1][0].merge(block), fields)
        else:
            merged.append((block, fields))
    rows = []
    for n, (block, fields) in enumerate(merged, start=1):
        approach = fields["approach"]
        batch = fields.pop("_batch")
        factor = fields.pop("_factor")
        rows.append(
            AefRow(
                record_id=f"{party}-{n:05d}",
                first_id=_unit_id(approach, block, block.first),
                last_id=_unit_id(approach, block, block.last),
                block_start=block.first,
                block_last=block.last,
                quantity_in_metric=block.count,
                quantity=round(tonnes(block, batch) * factor),
                vintage=block.vintage,
                **fields,
            )
        )
        fields["_batch"], fields["_factor"] = batch, factor
    return rows


def _sort_key(fields: dict[str, Any]) -> tuple[Any, ...]:
    action_type = fields.get("action_type", "")
    order = ACTION_TYPES.index(action_type) if action_type in ACTION_TYPES else -1
    return (fields.get("action_date") or date.min, order)


def _itmo_fields(o: Outcome, evaluation: Evaluation) -> dict[str, Any]:
    auth = o.authorization
    unit = evaluation.rules.non_ghg_units.get(o.lot.origin_unit_type or o.block.unit_type)
    metric, factor_text = (unit.metric, str(unit.factor)) if unit else ("t CO2 eq", "1")
    batch = o.lot.converted if o.lot.itmo else None
    if batch is not None:
        # Converted at an exchange rate: counted in the destination's units, each
        # carrying the tonnes first transferred (R L7: metric, quantity in
        # metric, quantity in t CO2 eq, conversion factor).
        metric, factor_text = f"{o.block.unit_type} units", _number(o.tonnes_per_unit)
    return {
        "approach": auth.approach,
        "metric": metric,
        "conversion_factor": factor_text,
        "_batch": batch,
        "_factor": o.factor,
        "first_transferring_party": auth.party,
        "authorization_date": auth.authorized_on,
        "authorization_id": auth.code,
        "purposes": PURPOSES.get(auth.purposes, auth.purposes),
        "oimp_authorized": "Yes" if "oimp" in auth.purposes else "No",
        "first_transfer_definition": DEFINITIONS.get(o.definition, o.definition),
    }


def _number(value: Fraction) -> str:
    """An exact factor as text: a decimal when it has one (0.5, 2), else a fraction
    (1/3)."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        return str(value)
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _unit_id(approach: str, block: Block, serial: int) -> str:
    return f"{approach}-{block.registry}-{block.unit_type}-{block.vintage}-{serial}"


# -- checking a submission against the log ---------------------------------------------------


@dataclass(frozen=True)
class Difference:
    kind: str  # only_in_submission | only_in_log | different
    key: tuple[Any, ...]
    submitted: AefRow | None
    recorded: AefRow | None

    def as_dict(self) -> dict[str, Any]:
        def show(row: AefRow | None) -> dict[str, Any] | None:
            return None if row is None else row.model_dump(mode="json")

        return {
            "kind": self.kind,
            "action_type": self.key[0],
            "action_date": str(self.key[1]),
            "first_unique_identifier": self.key[2],
            "last_unique_identifier": self.key[3],
            "submitted": show(self.submitted),
            "recorded": show(self.recorded),
        }


def differences(submitted: list[AefRow], recorded: list[AefRow]) -> list[Difference]:
    """Rows of a submission against the rows the log gives, matched by action type,
    date and unit identifiers; matched rows must agree in every other column
    except the record id (reference L10: identifiers valid and unique,
    quantities match, actions consistent with authorizations)."""
    mine = {r.match_key(): r for r in recorded}
    theirs = {r.match_key(): r for r in submitted}
    found: list[Difference] = []
    for key, row in theirs.items():
        other = mine.get(key)
        if other is None:
            found.append(Difference("only_in_submission", key, row, None))
        elif replace_id(row) != replace_id(other):
            found.append(Difference("different", key, row, other))
    for key, row in mine.items():
        if key not in theirs:
            found.append(Difference("only_in_log", key, None, row))
    return found


def replace_id(row: AefRow) -> AefRow:
    return row.model_copy(update={"record_id": ""})
