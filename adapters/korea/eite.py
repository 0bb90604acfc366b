"""The EITE test: who keeps 100% free allocation in every phase.

"EITE entities meet the criteria of having a (1) trade intensity level of 30
percent or higher, (2) production cost rate of 30 percent or higher, and (3)
trade intensity level of 10% or more and production cost rate of 5% or more"
(E:2117–2120, endnote 83; northeast-asia.md, Korea). The three criteria are
alternatives (any one suffices), as the digest reads them; and the free
allocation is "throughout all phases" (E:2117–2118), so an EITE entity gets no
auctioned share even in phase III.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from adapters.compliance import percent

SOURCE = "E:2117–2120 (endnote 83)"


def is_eite(trade_intensity: Fraction, cost_rate: Fraction) -> bool:
    """True when the sector meets any of the three criteria (bounds inclusive:
    "30 percent or higher")."""
    return (
        trade_intensity >= percent(30)
        or cost_rate >= percent(30)
        or (trade_intensity >= percent(10) and cost_rate >= percent(5))
    )


def eite_of(attributes: dict[str, Any]) -> bool:
    """The test on an entity's registered attributes ``trade_intensity`` and
    ``cost_rate``, each a percentage such as ``"12.5"`` (absent: 0)."""
    return is_eite(
        percent(attributes.get("trade_intensity", 0)),
        percent(attributes.get("cost_rate", 0)),
    )
