"""cn_ets(industry_benchmarks=...): steel, cement and aluminium allocated after 2024.

The sources give the form of the post-2024 industry allocation — intensity-based
on output from 2025, tightening from 2027 (china-ets.md, L288–292) — but no
benchmark; the option lets a scenario supply one (ne-asia-trilateral does), and
without it the allocation is refused as before (CMP-009)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from adapters.china.cycles import CYCLES, INDUSTRY, POWER
from adapters.compliance import Period
from clearinghouse.system import EmbeddedSystem
from tests.china_support import china, register

CN5 = replace(
    CYCLES[-1],
    period=Period("CN5", (2025,), date(2026, 12, 31), "[assumption] a 2025 cycle"),
    sectors=(POWER, *INDUSTRY),
)


def _steel_2025(**options: Any) -> EmbeddedSystem:
    s, r, _ = china(cycles=(*CYCLES, CN5), **options)
    register(r, "STEEL1", sector="steel", category=None, emissions=2_000_000)
    verified = {"entity": "STEEL1", "year": 2025, "tonnes": 1_900_000,
                "activity": {"output_t": 1_000_001}, "business_date": "2026-08-31"}  # fmt: skip
    r.verify_emissions(verified)
    return s


def test_supplied_benchmark_allocates_benchmark_times_output() -> None:
    s = _steel_2025(industry_benchmarks={2025: {"steel": Decimal("1.85")}})
    receipt = s.do("CN_ETS", "allocate", {"transaction_id": "F25", "entity": "STEEL1",
                                          "year": 2025, "stage": "final",
                                          "business_date": "2026-09-01"})  # fmt: skip
    assert receipt.state == "completed"
    assert receipt.quantity == 1_850_001  # ⌊1.85 × 1,000,001⌋ = 1,850,001.85 rounded down


def test_pre_allocation_is_refused_as_in_2024() -> None:
    s = _steel_2025(industry_benchmarks={2025: {"steel": Decimal("1.85")}})
    receipt = s.do("CN_ETS", "allocate", {"transaction_id": "P25", "entity": "STEEL1",
                                          "year": 2025, "stage": "pre",
                                          "business_date": "2026-09-01"})  # fmt: skip
    assert receipt.refused and receipt.code == "CMP-009"


def test_without_a_benchmark_it_is_still_refused() -> None:
    s = _steel_2025()
    receipt = s.do("CN_ETS", "allocate", {"transaction_id": "F25", "entity": "STEEL1",
                                          "year": 2025, "stage": "final",
                                          "business_date": "2026-09-01"})  # fmt: skip
    assert receipt.refused and receipt.code == "CMP-009"
    assert "no numbers in the sources" in (receipt.reason or "")
