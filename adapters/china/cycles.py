"""The compliance cycles of China's national ETS and the rules that change between them.

Every number here is a parameter of one cycle, so a 2021–2022 cycle and a 2024
cycle each follow their own rules (china-ets.md, "Compliance cycles" and
"Relief and flexibility, versioned by cycle"; seed 004 L109, L166, L447–468).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from adapters.compliance import Period, percent

#: the sectors with a surrender obligation (L156, L193)
POWER = "power"
INDUSTRY = ("steel", "cement", "aluminium")
#: sectors that report and are verified but surrender nothing (L161)
MRV_ONLY = (
    "chemicals",
    "petrochemicals",
    "copper_smelting",
    "flat_glass",
    "paper",
    "domestic_aviation",
)

#: 26,000 tCO2e a year (10,000 t coal-equivalent) on the latest verified result (L156, L652)
COVERAGE_THRESHOLD = 26_000


@dataclass(frozen=True)
class CarryOver:
    """From cycle 3: "max carry-over = 10,000 t + 1.5 × net sales" of the listed
    vintages (china-ets.md, L453, L466; seed 004 L166)."""

    base: int
    multiple: Fraction
    #: the vintages whose net sales count (L453 lists 2019–2020 … 2024; the
    #: 2023 plan can only have counted up to 2023: a parameter, per cycle)
    net_sales_vintages: tuple[int, ...]


@dataclass(frozen=True)
class Borrowing:
    """Cycle 2 only: an entity whose shortfall rate is ≥ 10% may borrow from the
    2023 pre-allocation, up to 50% of its shortfall (china-ets.md, L451; L166)."""

    min_shortfall_rate: Fraction
    max_share_of_shortfall: Fraction
    from_year: int


@dataclass(frozen=True)
class FinePolicy:
    """What an unsurrendered shortfall costs (china-ets.md, L445–457).

    ``fixed``: cycles 1–2, a fine of CNY 20,000–30,000 (L455).
    ``price_multiple``: from cycle 3, 5–10 × the average market price of the
    month before the deadline, on the unsurrendered tonnes (L457).
    Both then deduct the shortfall from next year's allocation (L455, L457)."""

    kind: Literal["fixed", "price_multiple"]
    low: Decimal
    high: Decimal
    source: str


@dataclass(frozen=True)
class Cycle:
    """One compliance cycle with every parameter that differs between cycles."""

    period: Period
    #: sectors with a surrender obligation in this cycle (L156, L193)
    sectors: tuple[str, ...]
    #: gas units topped up to verified emissions (cycles 3–4: L166, L449)
    gas_top_up: bool
    #: coal units' allocation raised to this share of verified emissions (cycles 3–4: L166, L449)
    coal_floor: Fraction | None
    #: None: unlimited banking (cycles 1–2: L453)
    carry_over: CarryOver | None
    borrowing: Borrowing | None
    fine: FinePolicy


_FIXED = FinePolicy("fixed", Decimal(20_000), Decimal(30_000), "china-ets.md, L455")
_MULTIPLE = FinePolicy("price_multiple", Decimal(5), Decimal(10), "china-ets.md, L457")

CYCLES: tuple[Cycle, ...] = (
    Cycle(
        Period("CN1", (2019, 2020), date(2021, 12, 31), "china-ets.md, L166, L447"),
        sectors=(POWER,),
        gas_top_up=False,
        coal_floor=None,
        carry_over=None,
        borrowing=None,
        fine=_FIXED,
    ),
    Cycle(
        Period("CN2", (2021, 2022), date(2023, 12, 31), "china-ets.md, L166, L447"),
        sectors=(POWER,),
        gas_top_up=False,
        coal_floor=None,
        carry_over=None,
        borrowing=Borrowing(percent(10), percent(50), 2023),
        fine=_FIXED,
    ),
    Cycle(
        Period("CN3", (2023,), date(2024, 12, 31), "china-ets.md, L166, L447"),
        sectors=(POWER,),
        gas_top_up=True,
        coal_floor=percent(80),
        carry_over=CarryOver(10_000, Fraction(3, 2), (2019, 2020, 2021, 2022, 2023)),
        borrowing=None,
        fine=_MULTIPLE,
    ),
    Cycle(
        Period("CN4", (2024,), date(2025, 12, 31), "china-ets.md, L166, L193, L447"),
        sectors=(POWER, *INDUSTRY),
        gas_top_up=True,
        coal_floor=percent(80),
        carry_over=CarryOver(10_000, Fraction(3, 2), (2019, 2020, 2021, 2022, 2023, 2024)),
        borrowing=None,
        fine=_MULTIPLE,
    ),
)
