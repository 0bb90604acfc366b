"""Power-sector benchmarks: china-ets.md Table 2 (seed 004 L274–282).

Four unit categories (L268): conventional coal above the 300 MW class,
conventional coal at or below it, non-conventional coal (gangue, slime,
coal-water slurry, incl. circulating fluidised bed) and gas. Values in tCO2/MWh
of electricity supplied and tCO2/GJ of heat supplied, exact decimals as printed.

Source disagreement: L272 says benchmarks are set "slightly below" the balance
values, yet Table 2 prints the 2023 gas benchmarks (0.3305, 0.0536) above the
gas balance values (0.3239, 0.0525). ``gas_2023="printed"`` (the default) uses
the table as printed; ``gas_2023="below_balance"`` reads the two gas columns as
swapped, so the 2023 gas benchmarks are 0.3239 and 0.0525, below 0.3305 and
0.0536, as L272 describes. The 2024 gas values have no balance column to compare
with and are used as printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

COAL_ABOVE_300MW = "coal_above_300mw"
COAL_300MW_OR_LESS = "coal_300mw_or_less"
COAL_UNCONVENTIONAL = "coal_unconventional"
GAS = "gas"
CATEGORIES = (COAL_ABOVE_300MW, COAL_300MW_OR_LESS, COAL_UNCONVENTIONAL, GAS)
COAL = (COAL_ABOVE_300MW, COAL_300MW_OR_LESS, COAL_UNCONVENTIONAL)

GasReading = Literal["printed", "below_balance"]


@dataclass(frozen=True)
class Benchmark:
    """A unit category's benchmarks for one year."""

    electricity: Decimal  # tCO2/MWh, exact as printed
    heat: Decimal  # tCO2/GJ, exact as printed
    source: str


def _b(elec: str, heat: str, source: str) -> Benchmark:
    return Benchmark(Decimal(elec), Decimal(heat), source)


_T2 = "china-ets.md Table 2, seed 004 L274–282"

#: year -> category -> benchmark (the "2023 benchmark" and "2024 benchmark" columns)
TABLE_2: dict[int, dict[str, Benchmark]] = {
    2023: {
        COAL_ABOVE_300MW: _b("0.7950", "0.1038", _T2),
        COAL_300MW_OR_LESS: _b("0.8090", "0.1038", _T2),
        COAL_UNCONVENTIONAL: _b("0.8285", "0.1038", _T2),
        GAS: _b("0.3305", "0.0536", _T2),
    },
    2024: {
        COAL_ABOVE_300MW: _b("0.7910", "0.1033", _T2),
        COAL_300MW_OR_LESS: _b("0.8049", "0.1033", _T2),
        COAL_UNCONVENTIONAL: _b("0.8244", "0.1033", _T2),
        GAS: _b("0.3288", "0.0533", _T2),
    },
}

#: the 2023 balance values (平衡值), the basis the 2023 benchmarks were set from (L272)
BALANCE_2023: dict[str, Benchmark] = {
    COAL_ABOVE_300MW: _b("0.7982", "0.1041", _T2),
    COAL_300MW_OR_LESS: _b("0.8155", "0.1041", _T2),
    COAL_UNCONVENTIONAL: _b("0.8352", "0.1041", _T2),
    GAS: _b("0.3239", "0.0525", _T2),
}


def benchmark(category: str, year: int, gas_2023: GasReading = "printed") -> Benchmark | None:
    """The benchmark of ``category`` for ``year``, or None when the documents
    give none (years before 2023 are not in Table 2)."""
    if year == 2023 and category == GAS and gas_2023 == "below_balance":
        b = BALANCE_2023[GAS]
        return Benchmark(b.electricity, b.heat, _T2 + " and L272 (gas columns read as swapped)")
    return TABLE_2.get(year, {}).get(category)
