"""China's national ETS (CEA): one test per rule with the documents' own numbers.

Sources: china-ets.md (the digest) and, through it, seed 004 (EDF, July 2025),
lines ``L…``. Every refusal test also proves nothing changed.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from adapters.base import RegistryConfig
from adapters.china import cn_ets
from adapters.china.allocation import (
    UnitActivity,
    benchmark_formula,
    pre_allocation,
    unit_allocation,
)
from adapters.china.benchmarks import GAS, TABLE_2, benchmark
from adapters.china.cycles import CYCLES
from adapters.china.market import band
from adapters.china.penalties import borrowing_cap, carry_over_limit, fine
from adapters.china.registry import ChinaNationalRegistry
from clearinghouse.checks import Refused
from clearinghouse.system import EmbeddedSystem
from projections import invariants
from projections.adjustments import adjustments
from projections.log import read
from tests.china_support import (
    CN_NDC,
    allocate,
    china,
    comply,
    held,
    holdings,
    register,
    trade,
    verify,
)
from tests.coverage import covers

CN1, CN2, CN3, CN4 = CYCLES

#: Table 2 gives benchmarks for 2023 and 2024 only; cycles 1–2 used values the
#: sources do not print (L272). Test input, not a document number: the 2023
#: benchmarks reused for 2021 and 2022 so that a cycle-2 final allocation can run.
TEST_BENCHMARKS_2021_2022 = {2021: TABLE_2[2023], 2022: TABLE_2[2023]}


# -- coverage (L156, L161) ------------------------------------------------------------------


@covers("CMP-001")
def test_coverage_threshold_is_26000_t_and_nothing_below_is_registered() -> None:
    # "26,000 tCO2e/yr (10,000 t coal-equivalent)" — china-ets.md, L156
    _s, r, _c = china()
    before = holdings(r)
    with pytest.raises(Refused) as below:
        register(r, "SMALL", emissions=25_999)
    assert below.value.code == "CMP-001" and "26000" in below.value.reason
    assert "L156" in below.value.reason
    assert r.entity("SMALL") is None and holdings(r) == before
    register(r, "EXACT", emissions=26_000)
    assert r.entity("EXACT") is not None


@covers("CMP-001")
def test_a_power_entity_needs_a_province_for_the_registry_chain() -> None:
    # allowances reach an entity through its provincial account (L470–500)
    _s, r, _c = china()
    with pytest.raises(Refused) as refused:
        register(r, "NOWHERE", province="ZZ")
    assert refused.value.code == "CMP-001" and r.entity("NOWHERE") is None


@covers("CMP-009")
def test_mrv_only_sectors_report_but_surrender_nothing() -> None:
    # chemicals, petrochemicals, copper, flat glass, paper, domestic aviation at
    # ≥ 26,000 t report and are verified but have no surrender obligation (L161)
    s, r, _c = china()
    register(r, "CHEMCO", emissions=30_000, sector="chemicals", category=None, province=None)
    verify(r, "CHEMCO", 2023, 30_000)
    verify(r, "CHEMCO", 2024, 31_000)
    before = holdings(r)
    refused = allocate(s, "A-CHEM", "CHEMCO", 2024, "final")
    assert refused.code == "CMP-009" and "L161" in (refused.reason or "")
    assert holdings(r) == before
    [result] = r.close_period({"period": "CN4", "business_date": "2026-01-05"})
    assert (result["obligation"], result["shortfall"], result["compliant"]) == (0, 0, True)
    assert (result["fine"], result["penalty_basis"]) == ("0", "no shortfall")


# -- allocation (L159, L256–292) ------------------------------------------------------------


def test_pre_allocation_is_70_percent_of_last_years_verified_emissions() -> None:
    # "pre-allocation of 1,000,000 t verified → 700,000" (issue #3 acceptance; L159, L260)
    assert pre_allocation(1_000_000) == 700_000
    s, r, _c = china()
    register(r, "HUANENG")
    verify(r, "HUANENG", 2023, 1_000_000)
    receipt = allocate(s, "PRE-24", "HUANENG", 2024, "pre")
    assert (receipt.state, receipt.quantity) == ("completed", 700_000)
    assert held(r, "HUANENG") == 700_000
    # tradable at once (L260): the entity holds them, not the authorities
    assert held(r, "MEE") == 0 and held(r, "PROV-GD") == 0


@covers("CMP-006")
def test_pre_allocation_needs_last_years_verified_emissions() -> None:
    s, r, _c = china()
    register(r, "HUANENG")
    before = holdings(r)
    refused = allocate(s, "PRE-24", "HUANENG", 2024, "pre")
    assert refused.code == "CMP-006" and "2023" in (refused.reason or "")
    assert holdings(r) == before


def test_final_allocation_is_benchmark_times_output_with_ex_post_top_up() -> None:
    # coal > 300 MW, 2023 benchmarks 0.7950 tCO2/MWh and 0.1038 tCO2/GJ (Table 2, L274–282):
    # 1,000,000 MWh × 0.7950 + 100,000 GJ × 0.1038 = 795,000 + 10,380 = 805,380 t;
    # 700,000 pre-allocated, so the province issues 105,380 more (L262–264)
    s, r, _c = china()
    register(r, "HUANENG")
    verify(r, "HUANENG", 2022, 1_000_000)
    allocate(s, "PRE-23", "HUANENG", 2023, "pre")
    verify(r, "HUANENG", 2023, 900_000, electricity_mwh=1_000_000, heat_gj=100_000)
    top_up = allocate(s, "FIN-23", "HUANENG", 2023, "final")
    assert (top_up.kind, top_up.quantity) == ("issuance", 105_380)
    assert held(r, "HUANENG") == 805_380
    entity = r.entity("HUANENG")
    assert entity is not None and entity.allocated(2023) == 805_380


def test_over_allocation_is_recovered_ex_post() -> None:
    # 600,000 MWh × 0.7950 = 477,000 t < 700,000 pre-allocated: 223,000 recovered (L262–264);
    # 477,000 is above 80% of the verified 500,000 (400,000), so no floor applies
    s, r, _c = china()
    register(r, "HUANENG")
    verify(r, "HUANENG", 2022, 1_000_000)
    allocate(s, "PRE-23", "HUANENG", 2023, "pre")
    verify(r, "HUANENG", 2023, 500_000, electricity_mwh=600_000)
    recovered = allocate(s, "FIN-23", "HUANENG", 2023, "final")
    assert (recovered.kind, recovered.quantity) == ("recovery", 223_000)
    assert held(r, "HUANENG") == 477_000 and held(r, "RECOVERY") == 223_000
    # the same chain backwards: entity → province → MEE → recovered (L470–500)
    hops = [r.transaction(f"FIN-23:hop{n}", "internal") for n in (1, 2, 3)]
    assert [(h.details["account"], h.details["to_account"]) for h in hops if h] == [
        ("HUANENG", "PROV-GD"),
        ("PROV-GD", "MEE"),
        ("MEE", "RECOVERY"),
    ]
    assert held(r, "PROV-GD") == 0 and held(r, "MEE") == 0
    c = r.conservation()
    assert (c.issued, c.recovered, c.holdings, c.balanced) == (700_000, 223_000, 477_000, True)


def test_coal_unit_below_80_percent_of_verified_is_raised_to_80_percent() -> None:
    # "coal unit formula giving 70% of verified → raised to 80%" (acceptance; L166, L449):
    # 1,400,000 MWh × 0.7950 = 1,113,000 t = 70% of the verified 1,590,000 t → 1,272,000 t
    unit = UnitActivity(category="coal_above_300mw", electricity_mwh=1_400_000, emissions=1_590_000)
    b = benchmark("coal_above_300mw", 2023)
    assert b is not None and benchmark_formula(unit, b) == 1_113_000
    assert Fraction(1_113_000, 1_590_000) == Fraction(70, 100)
    assert unit_allocation(unit, b, CN3).final == 1_272_000
    s, r, _c = china()
    register(r, "COALCO")
    verify(r, "COALCO", 2023, 1_590_000, electricity_mwh=1_400_000)
    assert allocate(s, "FIN-23", "COALCO", 2023, "final").quantity == 1_272_000


def test_per_cycle_parameters_are_replaceable() -> None:
    # the coal floor applies in cycles 3–4 (L166); a user may apply it to cycle 2 too
    cn2_floor = replace(CN2, coal_floor=Fraction(4, 5))
    s, r, _c = china(benchmarks=TEST_BENCHMARKS_2021_2022, cycles=(CN1, cn2_floor, CN3, CN4))
    register(r, "COALCO")
    verify(r, "COALCO", 2021, 1_590_000, electricity_mwh=1_400_000)
    assert allocate(s, "FIN-21", "COALCO", 2021, "final").quantity == 1_272_000
    s2, r2, _c2 = china(benchmarks=TEST_BENCHMARKS_2021_2022)
    register(r2, "COALCO")
    verify(r2, "COALCO", 2021, 1_590_000, electricity_mwh=1_400_000)
    assert allocate(s2, "FIN-21", "COALCO", 2021, "final").quantity == 1_113_000


def test_gas_unit_is_topped_up_to_verified_emissions_in_cycles_3_and_4() -> None:
    # 1,000,000 MWh × 0.3305 = 330,500 t < 400,000 verified: topped up to 400,000 (L166, L449)
    unit = UnitActivity(category=GAS, electricity_mwh=1_000_000, emissions=400_000)
    b = benchmark(GAS, 2023)
    assert b is not None
    assert unit_allocation(unit, b, CN3).final == 400_000
    assert unit_allocation(unit, b, CN2).final == 330_500  # no top-up before cycle 3
    s, r, _c = china()
    register(r, "GASCO", category=GAS)
    verify(r, "GASCO", 2023, 400_000, electricity_mwh=1_000_000)
    assert allocate(s, "FIN-23", "GASCO", 2023, "final").quantity == 400_000


def test_2023_and_2024_benchmarks_differ() -> None:
    # coal ≤ 300 MW: 0.8090 / 0.1038 in 2023, 0.8049 / 0.1033 in 2024 (Table 2, L274–282)
    # 1,000,000 MWh + 500,000 GJ: 809,000 + 51,900 = 860,900 t (2023);
    #                             804,900 + 51,650 = 856,550 t (2024)
    s, r, _c = china()
    register(r, "DATANG", category="coal_300mw_or_less")
    for year in (2023, 2024):
        verify(r, "DATANG", year, 900_000, electricity_mwh=1_000_000, heat_gj=500_000)
    assert allocate(s, "FIN-23", "DATANG", 2023, "final").quantity == 860_900
    assert allocate(s, "FIN-24", "DATANG", 2024, "final").quantity == 856_550


def test_gas_benchmark_source_inconsistency_is_selectable() -> None:
    # Table 2 prints the 2023 gas benchmarks (0.3305, 0.0536) above the balance values
    # (0.3239, 0.0525) although L272 says benchmarks sit slightly below them.
    # 1,000,000 MWh + 100,000 GJ, verified 300,000 t (below the formula: no top-up)
    results = {}
    for reading in ("printed", "below_balance"):
        s, r, _c = china(gas_2023=reading)
        register(r, "GASCO", category=GAS)
        verify(r, "GASCO", 2023, 300_000, electricity_mwh=1_000_000, heat_gj=100_000)
        results[reading] = allocate(s, "FIN-23", "GASCO", 2023, "final").quantity
    assert results == {"printed": 330_500 + 5_360, "below_balance": 323_900 + 5_250}


@covers("CMP-006")
def test_per_unit_allocation_applies_relief_unit_by_unit() -> None:
    # [GK] per-unit form: each unit's benchmark × output, then its own relief (L284, L449)
    # coal ≤ 300 MW 2024: 500,000 MWh × 0.8049 = 402,450 < 80% × 600,000 → 480,000
    # gas 2024: 200,000 MWh × 0.3288 + 100,000 GJ × 0.0533 = 65,760 + 5,330 = 71,090
    #           < 80,000 verified → 80,000
    units = [
        {
            "unit": "U1",
            "category": "coal_300mw_or_less",
            "electricity_mwh": 500_000,
            "emissions": 600_000,
        },
        {
            "unit": "U2",
            "category": GAS,
            "electricity_mwh": 200_000,
            "heat_gj": 100_000,
            "emissions": 80_000,
        },
    ]
    s, r, _c = china()
    register(r, "MIXED", category=None)
    verify(r, "MIXED", 2024, 680_000, units=units)
    assert allocate(s, "FIN-24", "MIXED", 2024, "final").quantity == 560_000
    # unit emissions that do not add up to the verified total are refused
    verify(r, "MIXED", 2023, 1_000_000, units=units)
    before = holdings(r)
    refused = allocate(s, "FIN-23", "MIXED", 2023, "final")
    assert refused.code == "CMP-006" and "680000" in (refused.reason or "")
    assert holdings(r) == before


@covers("CMP-009")
def test_steel_cement_aluminium_2024_allocation_equals_verified_emissions() -> None:
    # "2024: free allocation = verified emissions" (L159, L290); covered from 2024 (L193)
    s, r, _c = china()
    register(r, "BAOSTEEL", emissions=3_000_000, sector="steel", category=None, province="SH")
    verify(r, "BAOSTEEL", 2023, 3_100_000)  # reported while MRV-only
    verify(r, "BAOSTEEL", 2024, 3_000_000)
    before = holdings(r)
    assert allocate(s, "PRE-24", "BAOSTEEL", 2024, "pre").code == "CMP-009"
    assert allocate(s, "FIN-23", "BAOSTEEL", 2023, "final").code == "CMP-009"
    assert holdings(r) == before
    assert allocate(s, "FIN-24", "BAOSTEEL", 2024, "final").quantity == 3_000_000
    [cn3] = r.close_period({"period": "CN3", "business_date": "2025-01-05"})
    assert cn3["obligation"] == 0  # steel had no obligation for 2023


@covers("CMP-009")
def test_years_without_benchmarks_need_them_supplied() -> None:
    # Table 2 has 2023 and 2024 only; cycle 1–2 benchmarks are not in the sources
    s, r, _c = china()
    register(r, "HUANENG")
    verify(r, "HUANENG", 2021, 900_000, electricity_mwh=1_000_000)
    before = holdings(r)
    refused = allocate(s, "FIN-21", "HUANENG", 2021, "final")
    assert refused.code == "CMP-009" and "benchmarks=" in (refused.reason or "")
    assert holdings(r) == before
    s2, r2, _c2 = china(benchmarks=TEST_BENCHMARKS_2021_2022)
    register(r2, "HUANENG")
    verify(r2, "HUANENG", 2021, 900_000, electricity_mwh=1_000_000)
    assert allocate(s2, "FIN-21", "HUANENG", 2021, "final").quantity == 795_000


# -- the registry chain and conservation (L470–500) -------------------------------------


def test_issuance_and_surrender_follow_the_mee_province_entity_chain() -> None:
    # issuance: MEE → provincial account → entity; surrender: entity → province → MEE →
    # cancelled; issued − recovered − cancelled = Σ holdings (L470–500)
    s, r, _c = china()
    register(r, "HUANENG", province="HB")
    verify(r, "HUANENG", 2022, 1_000_000)
    allocate(s, "PRE-23", "HUANENG", 2023, "pre")
    hops = [r.transaction(f"PRE-23:hop{n}", "internal") for n in (1, 2)]
    assert [(h.details["account"], h.details["to_account"]) for h in hops if h] == [
        ("MEE", "PROV-HB"),
        ("PROV-HB", "HUANENG"),
    ]
    verify(r, "HUANENG", 2023, 600_000)
    assert comply(s, "S-23", "HUANENG", "CN3", "2024-11-30", quantity=600_000).state == "completed"
    out = [r.transaction(f"S-23:hop{n}", "internal") for n in (1, 2, 3)]
    assert [(h.details["account"], h.details["to_account"]) for h in out if h] == [
        ("HUANENG", "PROV-HB"),
        ("PROV-HB", "MEE"),
        ("MEE", "SURRENDER"),
    ]
    # CEAs come only from allocation: the plain issue command is refused
    before = holdings(r)
    minted = {
        "transaction_id": "MINT",
        "account": "HUANENG",
        "unit_type": "CEA",
        "vintage": 2023,
        "quantity": 1,
        "business_date": "2024-01-05",
    }
    assert s.do("CN_ETS", "issue", minted).code == "CMP-009" and holdings(r) == before
    c = r.conservation()
    assert (c.issued, c.recovered, c.ended, c.holdings) == (700_000, 0, 600_000, 100_000)
    assert c.balanced and held(r, "HUANENG") == 100_000
    assert invariants.check(read(s.clearinghouse)) == []


# -- offsets (L162, L357, L628) -------------------------------------------------------------
# The 5% limit and the legacy-CCER sunset are tested with CCER units in tests/test_ccer.py.


# -- carry-over and borrowing (L166, L449–468) ---------------------------------------------


def test_carry_over_limit_is_10000_plus_1_5_times_net_sales() -> None:
    # "carry-over for net sales of 200,000 t → 310,000" (acceptance; L453, L466)
    rule = CN3.carry_over
    assert rule is not None and carry_over_limit(rule, 200_000) == 310_000
    # [GK] a net buyer keeps the 10,000 t base (or none, by the bare formula)
    assert carry_over_limit(rule, -200_000) == 10_000
    assert carry_over_limit(rule, -200_000, negative_as_zero=False) == 0
    # unlimited in cycles 1–2 (L453)
    assert CN1.carry_over is None and CN2.carry_over is None


def sell_200000_net(s: EmbeddedSystem, r: Any) -> None:
    """SELLER gets a 700,000 t 2023 pre-allocation, sells 250,000 and buys 50,000
    back: net sales of 2023 vintages = 200,000 t."""
    register(r, "SELLER")
    register(r, "BUYER")
    verify(r, "SELLER", 2022, 1_000_000)
    verify(r, "BUYER", 2022, 1_000_000)
    allocate(s, "PRE-S", "SELLER", 2023, "pre")
    allocate(s, "PRE-B", "BUYER", 2023, "pre")
    assert trade(s, "T1", "SELLER", "BUYER", 250_000, "2023-06-01", price="60").state == "completed"
    assert trade(s, "T2", "BUYER", "SELLER", 50_000, "2023-07-01", price="62").state == "completed"
    verify(r, "SELLER", 2023, 100_000)
    verify(r, "BUYER", 2023, 900_000)
    assert comply(s, "S-S", "SELLER", "CN3", "2024-11-30", quantity=100_000).state == "completed"
    assert comply(s, "S-B", "BUYER", "CN3", "2024-11-30", quantity=900_000).state == "completed"


@covers("CMP-007")
def test_banking_beyond_the_carry_over_limit_is_refused_from_cycle_3() -> None:
    s, r, _c = china()
    sell_200000_net(s, r)
    results = {
        x["entity"]: x for x in r.close_period({"period": "CN3", "business_date": "2025-01-02"})
    }
    assert results["SELLER"]["carry_over_limit"] == 310_000
    assert results["BUYER"]["carry_over_limit"] == 10_000
    assert held(r, "SELLER") == 400_000  # 2023 vintages left over
    verify(r, "SELLER", 2024, 500_000)
    before = holdings(r)
    over = comply(s, "S4-over", "SELLER", "CN4", "2025-06-30", quantity=310_001, vintage=2023)
    assert over.code == "CMP-007" and "310000" in (over.reason or "")
    assert holdings(r) == before
    ok = comply(s, "S4", "SELLER", "CN4", "2025-06-30", quantity=310_000, vintage=2023)
    assert ok.state == "completed"
    # the other 90,000 t of 2023 allowances are above the limit: unusable (default)
    assert comply(s, "S4-more", "SELLER", "CN4", "2025-07-30", quantity=1).code == "CMP-007"


def test_what_happens_above_the_carry_over_limit_is_a_parameter() -> None:
    # L453 does not say; "report_only" records the limit but lets the units count
    s, r, _c = china(above_carry_over_limit="report_only")
    sell_200000_net(s, r)
    r.close_period({"period": "CN3", "business_date": "2025-01-02"})
    verify(r, "SELLER", 2024, 500_000)
    assert comply(s, "S4", "SELLER", "CN4", "2025-06-30", quantity=400_000).state == "completed"


def test_net_sales_window_is_a_parameter() -> None:
    # the window is unstated for cycle 3 (L453, L466): count 2019–2022 vintages only,
    # and the 2023 sales no longer raise the limit
    s, r, _c = china(net_sales_vintages={"CN3": (2019, 2020, 2021, 2022)})
    sell_200000_net(s, r)
    results = r.close_period({"period": "CN3", "business_date": "2025-01-02"})
    assert {x["entity"]: x["carry_over_limit"] for x in results} == {
        "SELLER": 10_000,
        "BUYER": 10_000,
    }


def test_borrowing_cap_is_half_the_shortfall_at_a_10_percent_rate() -> None:
    # cycle 2: shortfall rate ≥ 10% → up to 50% of the shortfall (L166, L451)
    rule = CN2.borrowing
    assert rule is not None
    assert borrowing_cap(rule, 1_000_000, 900_000) == (50_000, Fraction(1, 10))
    assert borrowing_cap(rule, 1_000_000, 900_001)[0] == 0  # rate just below 10%
    assert CN1.borrowing is None and CN3.borrowing is None and CN4.borrowing is None


@covers("CMP-008")
def test_borrowing_in_cycle_2_up_to_half_the_shortfall_from_the_2023_pre_allocation() -> None:
    # obligation 2021 + 2022 = 2,000,000 t; allocated the two pre-allocations of
    # 700,000 t: shortfall 600,000 t (30% ≥ 10%) → up to 300,000 t of 2023 (L166, L451)
    s, r, _c = china()
    register(r, "HUANENG")
    for year in (2020, 2021, 2022):
        verify(r, "HUANENG", year, 1_000_000)
    for year in (2021, 2022, 2023):
        allocate(s, f"PRE-{year}", "HUANENG", year, "pre")
    before = holdings(r)
    over = comply(s, "B-over", "HUANENG", "CN2", "2023-12-01", quantity=300_001, vintage=2023)
    assert over.code == "CMP-008" and "300000" in (over.reason or "")
    assert holdings(r) == before
    ok = comply(s, "B-ok", "HUANENG", "CN2", "2023-12-01", quantity=300_000, vintage=2023)
    assert ok.state == "completed"
    entity = r.entity("HUANENG")
    assert entity is not None and entity.surrendered("borrowed", "CN2") == 300_000


@covers("CMP-008")
def test_borrowing_below_a_10_percent_shortfall_rate_or_outside_cycle_2_is_refused() -> None:
    # gas unit, test benchmarks for 2021–2022: 1,000,000 MWh × 0.3305 = 330,500 t a year
    # against 350,000 t verified: shortfall 39,000 of 700,000 = 5.6% < 10% (L451)
    s, r, _c = china(benchmarks=TEST_BENCHMARKS_2021_2022)
    register(r, "GASCO", category=GAS)
    for year in (2021, 2022):
        verify(r, "GASCO", year, 350_000, electricity_mwh=1_000_000)
        allocate(s, f"FIN-{year}", "GASCO", year, "final")
    allocate(s, "PRE-23", "GASCO", 2023, "pre")  # 245,000
    before = holdings(r)
    low = comply(s, "B-low", "GASCO", "CN2", "2023-12-01", quantity=1, vintage=2023)
    assert low.code == "CMP-008" and "below 10%" in (low.reason or "")
    assert holdings(r) == before
    # cycle 3 may not borrow 2024 allowances at all (L166: "except cycle 2")
    verify(r, "GASCO", 2023, 350_000)
    allocate(s, "PRE-24", "GASCO", 2024, "pre")
    before = holdings(r)
    late = comply(s, "B-24", "GASCO", "CN3", "2024-12-01", quantity=1, vintage=2024)
    assert late.code == "CMP-008" and "only in cycle 2" in (late.reason or "")
    assert holdings(r) == before


# -- penalties (L445–457) -------------------------------------------------------------------


def test_fines_per_cycle_follow_their_own_formula() -> None:
    # cycles 1–2: CNY 20,000–30,000 (L455); from cycle 3: 5–10 × last month's average
    # price on the shortfall (L457): 5 × 97.49 × 10,000 = 4,874,500.00
    assert fine(CN2.fine, 10_000, Decimal(20_000), None) == Decimal(20_000)
    assert fine(CN2.fine, 0, Decimal(20_000), None) == 0
    assert fine(CN3.fine, 10_000, Decimal(5), Decimal("97.49")) == Decimal("4874500.00")
    assert fine(CN3.fine, 10_000, Decimal(10), Decimal("97.49")) == Decimal("9749000.00")
    with pytest.raises(ValueError):
        fine(CN3.fine, 10_000, Decimal(11), Decimal("97.49"))
    # the point within each range is a factory option, refused outside it
    with pytest.raises(ValueError, match="L455"):
        cn_ets(fixed_fine=30_001)
    with pytest.raises(ValueError, match="L457"):
        cn_ets(price_multiple=4)


@covers("CMP-006")
def test_price_multiple_fine_needs_the_reference_price() -> None:
    _s, r, _c = china(price_multiple=10)
    register(r, "HUANENG")
    verify(r, "HUANENG", 2023, 100_000)
    with pytest.raises(Refused) as missing:
        r.close_period({"period": "CN3", "business_date": "2025-01-02"})
    assert missing.value.code == "CMP-006" and "L457" in missing.value.reason
    entity = r.entity("HUANENG")
    assert entity is not None and entity.results == {}  # nothing recorded
    [result] = r.close_period(
        {"period": "CN3", "business_date": "2025-01-02", "reference_price": "97.49"}
    )
    # 10 × 97.49 × 100,000 t unsurrendered, and 100,000 t deducted from 2024
    assert (result["fine"], result["deduction"], result["deduct_from"]) == (
        "97490000.00",
        100_000,
        2024,
    )


# -- trading (L402–439) ---------------------------------------------------------------------


@covers("MKT-001")
def test_listing_trades_within_10_percent_and_block_trades_within_30_percent() -> None:
    # listing agreement < 100,000 t within ±10% of the previous close (L420, L433);
    # block agreement ≥ 100,000 t within ±30% (L422, L434). Previous close CNY 90.
    assert band(99_999, Decimal(90)).high == Decimal("99.00")
    assert band(100_000, Decimal(90)).high == Decimal("117.00")
    s, r, _c = china()
    register(r, "SELLER")
    register(r, "BUYER")
    verify(r, "SELLER", 2023, 1_000_000)
    allocate(s, "PRE-24", "SELLER", 2024, "pre")
    r.publish_close({"trading_day": "2024-06-03", "price": "90", "business_date": "2024-06-03"})
    before = holdings(r)
    day = "2024-06-04"
    dear = trade(s, "L1", "SELLER", "BUYER", 99_999, day, price="99.01")
    assert dear.code == "MKT-001" and "listing agreement" in (dear.reason or "")
    cheap = trade(s, "L2", "SELLER", "BUYER", 99_999, day, price="80.99")
    big = trade(s, "B1", "SELLER", "BUYER", 100_000, day, price="117.01")
    assert (cheap.code, big.code) == ("MKT-001", "MKT-001")
    assert holdings(r) == before
    assert trade(s, "L3", "SELLER", "BUYER", 99_999, day, price="99").state == "completed"
    assert trade(s, "B2", "SELLER", "BUYER", 100_000, day, price="117").state == "completed"
    assert trade(s, "B3", "SELLER", "BUYER", 100_000, day, price="63").state == "completed"
    assert held(r, "BUYER") == 299_999


@covers("CMP-009")
def test_only_covered_entities_trade_and_only_on_the_exchange() -> None:
    # only covered entities open accounts and trade (L410); no OTC: all trades are
    # made on the exchange (L416), so a transfer without a price is refused
    s, r, _c = china()
    register(r, "SELLER")
    register(r, "BUYER")
    register(r, "CHEMCO", emissions=30_000, sector="chemicals", category=None, province=None)
    verify(r, "SELLER", 2023, 1_000_000)
    allocate(s, "PRE-24", "SELLER", 2024, "pre")
    before = holdings(r)
    otc = trade(s, "T1", "SELLER", "BUYER", 1_000, "2024-06-04")
    assert otc.code == "CMP-009" and "L416" in (otc.reason or "")
    mrv = trade(s, "T2", "SELLER", "CHEMCO", 1_000, "2024-06-04", price="90")
    assert mrv.code == "CMP-009" and "L410" in (mrv.reason or "")
    with pytest.raises(Refused) as account:
        r.open_account({"account": "FUND", "holder": "An investment fund"})
    assert account.value.code == "CMP-009" and r.account("FUND") is None
    assert holdings(r) == before
    assert trade(s, "T3", "SELLER", "BUYER", 1_000, "2024-06-04", price="90").state == "completed"


# -- borders (L400) -------------------------------------------------------------------------


@covers("CMP-009")
def test_cea_export_is_refused_by_default() -> None:
    # "Nothing in Chinese rules provides for cross-border transfer of CEAs" (L400)
    s, r, _c = china()
    register(r, "HUANENG")
    verify(r, "HUANENG", 2023, 1_000_000)
    allocate(s, "PRE-24", "HUANENG", 2024, "pre")
    before = holdings(r)
    refused = s.do(
        "CN_ETS",
        "transfer_abroad",
        {
            "transaction_id": "X1",
            "account": "HUANENG",
            "to_registry": "KR_ETS",
            "to_account": "POSCO",
            "quantity": 1_000,
            "business_date": "2024-05-01",
        },
    )
    assert refused.code == "CMP-009" and "L400" in (refused.reason or "")
    assert holdings(r) == before


def test_cea_crosses_a_border_in_the_hypothetical_export_scenario() -> None:
    # cn_ets(allow_export=True): an authorized CN→KR link, China's first transfer adjusts
    s = EmbeddedSystem()
    s.clearinghouse.register_party({"code": "CN", "name": "China", "ndc": CN_NDC})
    s.clearinghouse.register_party(
        {
            "code": "KR",
            "name": "Republic of Korea",
            "ndc": {"type": "bau_relative", "period": "single-year", "target_years": [2030]},
        }
    )
    r = s.add_registry(cn_ets(allow_export=True))
    assert isinstance(r, ChinaNationalRegistry)
    korea = s.add_registry(RegistryConfig("KR_ETS", "Korea ETS registry", "KR", ("KAU",)))
    korea.open_account({"account": "POSCO", "holder": "POSCO"})
    s.clearinghouse.grant_authorization(
        {
            "code": "CN-A62-CEA",
            "party": "CN",
            "cooperative_approach": "CN_KR_LINK",
            "unit_types": ["CEA"],
            "vintages": [2024, 2035],
            "purposes": "ndc_and_oimp",
            "authorized_on": "2024-01-01",
        }
    )
    s.clearinghouse.conclude_agreement(
        {
            "code": "CN_KR",
            "jurisdictions": ["CN_ETS", "KR_ETS"],
            "directions": [{"source": "CN_ETS", "destination": "KR_ETS", "unit_types": ["CEA"]}],
            "effective_from": "2024-01-01",
            "authorized": True,
            "cooperative_approach": "CN_KR_LINK",
        }
    )
    register(r, "HUANENG")
    verify(r, "HUANENG", 2023, 1_000_000)
    allocate(s, "PRE-24", "HUANENG", 2024, "pre")
    sent = s.do(
        "CN_ETS",
        "transfer_abroad",
        {
            "transaction_id": "X1",
            "account": "HUANENG",
            "to_registry": "KR_ETS",
            "to_account": "POSCO",
            "quantity": 50_000,
            "business_date": "2024-05-01",
        },
    )
    assert sent.state == "completed"
    assert held(korea, "POSCO") == 50_000 and held(r, "HUANENG") == 650_000
    assert adjustments(read(s.clearinghouse))["CN"]["2024"]["first_transfer"] == 50_000
    c = r.conservation()
    assert (c.issued, c.exported, c.holdings, c.balanced) == (700_000, 50_000, 650_000, True)


# -- two cycles, two rule sets ----------------------------------------------------------------


def test_cycle_2_and_cycle_3_each_apply_their_own_rules() -> None:
    """A gas generator through cycle 2 (biennial, no gas top-up, borrowing, fixed
    fine) and cycle 3 (annual, gas top-up, price-multiple fine, carry-over limit).

    2021–2022 benchmarks are test inputs (the 2023 values; the sources print none)."""
    s, r, _c = china(benchmarks=TEST_BENCHMARKS_2021_2022)
    register(r, "GASCO", category=GAS, province="SH")
    for year in (2020, 2021, 2022, 2023):
        verify(r, "GASCO", year, 400_000, electricity_mwh=1_000_000)

    # cycle 2, 2021: pre 280,000 (70% × 400,000), final 1,000,000 MWh × 0.3305 = 330,500:
    # no gas top-up before cycle 3 (L166)
    assert allocate(s, "PRE-21", "GASCO", 2021, "pre").quantity == 280_000
    assert allocate(s, "FIN-21", "GASCO", 2021, "final").quantity == 50_500
    allocate(s, "PRE-22", "GASCO", 2022, "pre")
    allocate(s, "FIN-22", "GASCO", 2022, "final")
    allocate(s, "PRE-23", "GASCO", 2023, "pre")  # 280,000, before the cycle-2 deadline
    # obligation 800,000 against 661,000 allocated: 17.4% shortfall → borrow ≤ 69,500 (L451)
    borrow = comply(s, "C2-b", "GASCO", "CN2", "2023-12-15", quantity=69_500, vintage=2023)
    assert borrow.state == "completed"
    assert comply(s, "C2-s", "GASCO", "CN2", "2023-12-15", quantity=650_000).state == "completed"
    [cn2] = r.close_period({"period": "CN2", "business_date": "2024-01-02"})
    # 80,500 t short: fixed fine CNY 20,000 and 80,500 t less in 2023 (L455)
    assert (cn2["shortfall"], cn2["fine"], cn2["deduction"], cn2["deduct_from"]) == (
        80_500,
        "20000",
        80_500,
        2023,
    )
    assert cn2["carry_over_limit"] is None  # unlimited banking in cycles 1–2 (L453)

    # cycle 3, 2023: formula 330,500 < 400,000 verified → topped up to 400,000 (L166, L449),
    # less the 80,500 t deduction = 319,500; 280,000 already pre-allocated → 39,500
    assert allocate(s, "FIN-23", "GASCO", 2023, "final").quantity == 39_500
    # 11,000 t of 2021–2022 allowances carried into cycle 3 without limit, plus 250,000 of 2023
    assert held(r, "GASCO") == 261_000
    assert comply(s, "C3", "GASCO", "CN3", "2024-12-20", quantity=261_000).state == "completed"
    [cn3] = r.close_period(
        {"period": "CN3", "business_date": "2025-01-02", "reference_price": "97.49"}
    )
    # 139,000 t short: 5 × CNY 97.49 × 139,000 = 67,755,550.00 and 139,000 t less in 2024
    assert (cn3["shortfall"], cn3["fine"], cn3["deduction"], cn3["deduct_from"]) == (
        139_000,
        "67755550.00",
        139_000,
        2024,
    )
    assert cn3["carry_over_limit"] == 10_000  # from cycle 3: 10,000 t + 1.5 × 0 net sales
    c = r.conservation()
    # issued 2 × 330,500 + 280,000 + 39,500; all of it surrendered
    assert c.balanced and (c.issued, c.ended, c.holdings) == (980_500, 980_500, 0)
    assert invariants.check(read(s.clearinghouse)) == []
