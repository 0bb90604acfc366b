"""Shortfall penalties, carry-over and borrowing limits of China's national ETS:
pure functions of a cycle's parameters (china-ets.md, "Relief and flexibility"
and "Compliance and penalties"; seed 004 L166, L445–468).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from adapters.china.cycles import Borrowing, CarryOver, FinePolicy
from adapters.compliance import floor

CENT = Decimal("0.01")


def fine(
    policy: FinePolicy, shortfall: int, point: Decimal, reference_price: Decimal | None
) -> Decimal:
    """The fine for ``shortfall`` unsurrendered tonnes.

    ``point`` is where in the documented range the authority lands: a fixed
    amount in CNY for cycles 1–2 (20,000–30,000, L455), the multiple of the
    reference price from cycle 3 (5–10 ×, L457). The price-multiple fine is
    rounded half-up to the fen. No shortfall, no fine."""
    if shortfall <= 0:
        return Decimal(0)
    if not policy.low <= point <= policy.high:
        raise ValueError(f"{point} is outside {policy.low}–{policy.high} ({policy.source})")
    if policy.kind == "fixed":
        return point
    if reference_price is None:
        raise ValueError("the average market price of the month before the deadline is needed")
    return (point * reference_price * shortfall).quantize(CENT, rounding=ROUND_HALF_UP)


def carry_over_limit(rule: CarryOver, net_sales: int, negative_as_zero: bool = True) -> int:
    """10,000 t + 1.5 × net sales of the rule's vintages (L453, L466), rounded down.

    **[GK]** A net buyer (negative net sales) would get a limit below 10,000 t by
    the bare formula; ``negative_as_zero`` (default) counts negative net sales
    as zero, so every entity keeps at least the 10,000 t base."""
    counted = max(0, net_sales) if negative_as_zero else net_sales
    return max(0, rule.base + floor(rule.multiple * counted))


def borrowing_cap(rule: Borrowing, obligation: int, allocated: int) -> tuple[int, Fraction]:
    """(how much may be borrowed, the shortfall rate) in cycle 2 (L166, L451).

    The shortfall is the obligation less the cycle's allocation; its rate is the
    shortfall over the obligation. Below a 10% rate nothing may be borrowed;
    at or above, up to 50% of the shortfall, rounded down."""
    shortfall = max(0, obligation - allocated)
    rate = Fraction(shortfall, obligation) if obligation else Fraction(0)
    if rate < rule.min_shortfall_rate:
        return 0, rate
    return floor(shortfall * rule.max_share_of_shortfall), rate
