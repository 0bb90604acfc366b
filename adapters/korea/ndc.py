"""Korea's NDC as data for a linkage agreement's import limit.

"Korea is not currently on track to meet its 2030 mitigation target of 37
percent below BAU levels" (E:2131); "Korea specifying that 11.3 percent of its
37 percent mitigation target will be achieved through international markets"
(E:2186); a restricted link could tie "the number of foreign credits accepted
domestically" to that commitment (E:2249–2252). The digest reads the 11.3 as
percentage points of BAU (northeast-asia.md, Korea). What quantity the 11.3%
applies to is the agreement's choice: the caller states the reference (BAU
emissions, covered emissions, a cap), as ``clearinghouse/demo.py`` does with
1,000,000 t → 113,000 t.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from adapters.compliance import floor, percent


@dataclass(frozen=True)
class Ndc:
    target_year: int
    reduction_below_bau: Fraction
    international_points: Fraction
    source: str


KOREA_NDC = Ndc(
    target_year=2030,
    reduction_below_bau=percent(37),
    international_points=percent("11.3"),
    source="E:2131, E:2186 (northeast-asia.md, Korea)",
)


def international_limit(reference: int, ndc: Ndc = KOREA_NDC) -> int:
    """Tonnes of foreign units a reference quantity allows: 11.3% of it, rounded
    down to whole tonnes."""
    return floor(reference * ndc.international_points)


def import_limit(
    reference: int, jurisdiction: str = "KR_ETS", years: tuple[int, int] | None = None
) -> dict[str, Any]:
    """A linkage agreement's import limit (``LimitSpec``) tied to the 11.3 points."""
    pct = KOREA_NDC.international_points * 100  # 113/10, exact
    spec: dict[str, Any] = {
        "jurisdiction": jurisdiction,
        "flow": "import",
        "percent": str(Decimal(pct.numerator) / Decimal(pct.denominator)),  # "11.3"
        "reference": reference,
    }
    if years is not None:
        spec["years"] = years
    return spec
