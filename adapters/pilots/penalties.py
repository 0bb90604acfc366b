"""What a pilot charges for a shortfall: pure functions of the facts at close.

Sources: the ASPI pilot table, "Non-compliance enforcement" (E:1381–1491) and,
for Beijing's tiers, C: endnote 22 (C:4616–4619); digest china-ets.md, Pilots.
Money is ``Decimal`` in CNY; a price-based fine is multiple × average price ×
tonnes short, rounded half-even to the fen (the sources state no rounding); a
cap is applied after.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from adapters.compliance import Penalty
from adapters.pilots.parameters import PenaltyRule
from clearinghouse.checks import Refused

#: fines are rounded half-even to the fen (0.01 CNY)
FEN = Decimal("0.01")


def excess_share(shortfall: int, allowances: int) -> Fraction:
    """How far emissions exceed the allowances, as a share of the allowances.

    Beijing's tiers compare an entity's emissions with "their emissions
    allowances" (C: endnote 22): the excess is the shortfall over the allocation.
    With no allocation at all any shortfall is an unbounded excess."""
    if shortfall <= 0:
        return Fraction(0)
    if allowances <= 0:
        return Fraction(10**9)
    return Fraction(shortfall, allowances)


def tier_multiple(rule: PenaltyRule, excess: Fraction) -> int:
    """Beijing: 3× the average price when the excess is below 10%, 4× from 10% to
    20%, 5× above 20% (C: endnote 22; E:1386–1392). A share equal to a bound falls
    in the lower tier named by the digest's "10–20%" (10% → 4×, 20% → 4×)."""
    for bound, inclusive, multiple in rule.tiers:
        if bound is None or excess < bound or (inclusive and excess == bound):
            return multiple
    raise ValueError("a tier list ends with an open tier")


def assess(
    rule: PenaltyRule,
    *,
    shortfall: int,
    allowances: int,
    price: Decimal | None,
    next_year: int,
    currency: str = "CNY",
    registry: str = "",
    entity: str = "",
) -> Penalty:
    """The fine and deduction for ``shortfall`` tonnes under ``rule``.

    ``allowances`` is the entity's allocation for the period (Beijing's tier
    basis); ``price`` is the average market price over the rule's window (the
    registry computes it from recorded trades, or the caller states it)."""
    other = f"; also {rule.other}" if rule.other else ""
    if shortfall <= 0:
        return Penalty(Decimal(0), currency, 0, "no shortfall")
    deduction = shortfall * rule.deduction_factor
    deducted = f"; {rule.deduction_factor}× the shortfall deducted" if deduction else ""
    deduct_from = next_year if deduction else None
    if rule.kind == "none":
        return Penalty(
            Decimal(0),
            currency,
            deduction,
            f"no fine ({rule.source}){deducted}{other}",
            deduct_from,
        )
    if rule.kind == "fixed":
        basis = f"fixed fine {rule.amount} {currency} ({rule.source}){deducted}{other}"
        return Penalty(rule.amount, currency, deduction, basis, deduct_from)
    if price is None:
        raise Refused(
            "CMP-006",
            registry=registry,
            action="assess the fine",
            entity=entity,
            reason=f"the rule needs the average market price over "
            f"{rule.price_window_months or 'an unstated number of'} months and there is none",
        )
    window = f"{rule.price_window_months}-month " if rule.price_window_months else ""
    if rule.kind == "tiered_price":
        excess = excess_share(shortfall, allowances)
        multiple = tier_multiple(rule, excess)
        why = f"excess {float(excess):.1%} of allowances → {multiple}×"
    else:
        multiple = rule.multiple
        why = f"{multiple}× (range {rule.multiples[0]}–{rule.multiples[1]}×)"
    fine = (multiple * price * shortfall).quantize(FEN, rounding=ROUND_HALF_EVEN)
    capped = ""
    if rule.cap is not None and fine > rule.cap:
        fine, capped = rule.cap, f", capped at {rule.cap} {currency}"
    basis = (
        f"{why} the {window}average price {price} {currency}/t × {shortfall} t{capped} "
        f"({rule.source}){deducted}{other}"
    )
    return Penalty(fine, currency, deduction, basis, deduct_from)
