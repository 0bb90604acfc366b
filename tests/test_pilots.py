"""The eight Chinese pilots: parameters, coverage, allocation, offsets, banking,
penalties, two periods with different rules, and a link abroad.

Numbers come from the ASPI pilot table (E: lines of seed 001, C: lines and
endnotes of seed 000) as digested in china-ets.md, "Pilots"; each test names
its line. Market stabilisation is in test_pilot_markets.py.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from adapters.base import RegistryConfig
from adapters.compliance import percent
from adapters.pilots import PILOTS, PilotRegistry, PilotRules, pilot
from adapters.pilots.parameters import profile
from adapters.pilots.penalties import assess, excess_share, tier_multiple
from adapters.pilots.rules import uncovered
from clearinghouse.checks import Refused
from clearinghouse.units import Block
from projections.adjustments import adjustments
from projections.log import read
from tests.coverage import covers
from tests.pilot_helpers import (
    allocate,
    comply,
    held,
    holdings,
    issue,
    register,
    stand_up,
    system_with,
    trade,
    verify,
)

# -- the table -------------------------------------------------------------------------------


def test_every_pilot_has_its_table_row() -> None:
    # launch, 2016 cap (Mt), entities: E:1214–1310 and E:1711–1889
    rows = {
        "CN_BJ": (2013, 46, 947),
        "CN_CQ": (2014, 100, 230),
        "CN_FJ": (2016, 200, 277),
        "CN_GD": (2013, 422, 280),
        "CN_HB": (2014, 253, 236),
        "CN_SH": (2013, 155, 368),
        "CN_SZ": (2013, Fraction("31.45"), 824),
        "CN_TJ": (2013, 160, 109),
    }
    for code, (launch, cap, entities) in rows.items():
        p = PILOTS[code]
        assert (p.launch, Fraction(p.cap_2016[0], 1_000_000), p.entities) == (
            launch,
            cap,
            entities,
        )
    assert PILOTS["CN_TJ"].cap_2016 == (160_000_000, 170_000_000)  # "160–170", E:1306
    # the seven original caps add up to ~1.17 bn t (china-ets.md, E:465–467)
    seven = sum(p.cap_2016[0] for c, p in PILOTS.items() if c != "CN_FJ")
    assert 1_160_000_000 < seven < 1_180_000_000


def test_source_disagreements_are_selectable() -> None:
    # northeast-asia.md, "Source inconsistencies to keep selectable"
    assert profile("tianjin").entities == 109  # table, E:1889
    assert profile("tianjin", tianjin_entities="text").entities == 114  # E:536
    assert profile("shenzhen").entities == 824  # table, E:1864
    assert profile("shenzhen", shenzhen_entities="text").entities == 635  # E:537
    fj = profile("fujian").parameters(2016)
    assert fj.offset_limit == percent(5)  # English table, E:1629–1632
    fj8 = profile("fujian", fujian_offsets="chinese").parameters(2016)
    assert fj8.offset_limit == percent(8)  # Chinese table, C:3099
    sz = profile("shenzhen").parameters(2013).thresholds[-1]
    assert sz.minimum == 3_000  # table, E:1866
    sz5 = profile("shenzhen", shenzhen_threshold="endnote").parameters(2013).thresholds[-1]
    assert sz5.minimum == 5_000  # C: endnote 18 (C:4602)
    assert profile("hubei").parameters(2014).banking == "traded_once"  # E:1644–1649
    assert profile("hubei", hubei_banking="text").parameters(2014).banking == "none"  # E:589
    with pytest.raises(KeyError):
        profile("macau")


def test_one_call_stands_a_pilot_up() -> None:
    config = pilot("hubei")
    assert (config.code, config.party, config.unit_types) == ("CN_HB", "CN", ("HBEA", "CCER"))
    s = system_with(config, pilot("CN_BJ"))
    assert set(s.registries) == {"CN_HB", "CN_BJ"}
    assert pilot("beijing").unit_types == ("BEA", "CCER", "BJ_OFFSET")  # E:1606–1610
    # a discretionary amount outside the rule's range is refused at configuration
    with pytest.raises(ValueError):
        pilot("hubei", fine_multiple=4)  # 1–3×, E:1436–1442
    with pytest.raises(ValueError):
        pilot("shanghai", fixed_fine=Decimal(120_000))  # 50,000–100,000, E:1452–1454


# -- coverage ---------------------------------------------------------------------------------


@covers("CMP-001")
def test_beijing_threshold_5000_t_refuses_below_and_changes_nothing() -> None:
    # Beijing: +5,000 t per year (E:1715–1717)
    _s, r = stand_up("beijing")
    before = r.recorder.max_notification_id()
    with pytest.raises(Refused) as refused:
        register(r, "SHOP", "commerce", 4_999, historical_emissions=4_999)
    assert refused.value.code == "CMP-001" and "5,000" in refused.value.reason
    assert r.recorder.max_notification_id() == before and r.entity("SHOP") is None
    assert register(r, "MALL", "commerce", 5_000).entity == "MALL"


@covers("CMP-001")
def test_tce_thresholds_use_reported_energy_or_a_stated_factor() -> None:
    # Hubei: more than 10,000 tce for listed sectors, 60,000 tce for others (E:1800–1816)
    _s, hb = stand_up("hubei")
    before = hb.recorder.max_notification_id()
    with pytest.raises(Refused):
        register(hb, "MILL", "steel", 0, energy_tce=10_000)  # "more than": 10,000 is not
    assert hb.recorder.max_notification_id() == before and hb.entity("MILL") is None
    register(hb, "MILL2", "steel", 0, energy_tce=10_001)
    with pytest.raises(Refused):
        register(hb, "BREWERY", "food", 0, energy_tce=59_000)  # other sectors: 60,000 tce
    # without energy data: emissions ÷ 2.66 t CO2/tce [GK]; 26,600 t = 10,000 tce
    with pytest.raises(Refused):
        register(hb, "KILN", "building_materials", 26_600)
    register(hb, "KILN2", "building_materials", 26_603)  # 10,001.1 tce
    # Fujian: 10,000 tce, at least (E:1744–1753)
    _s, fj = stand_up("fujian")
    register(fj, "GLASS", "plate_glass", 26_600, benchmark="1")
    # a different factor is a configuration choice: 3 t/tce makes 26,600 t 8,867 tce
    _s, fj3 = stand_up("fujian", tce_factor=Fraction(3))
    with pytest.raises(Refused):
        register(fj3, "GLASS", "plate_glass", 26_600)


def test_sector_thresholds_and_either_measure() -> None:
    # Guangdong: 20,000 t or 10,000 tce (E:1773–1778)
    _s, gd = stand_up("guangdong")
    register(gd, "A", "textiles", 19_000, energy_tce=10_000)
    with pytest.raises(Refused):
        register(gd, "B", "textiles", 19_999, energy_tce=9_999)
    # Shanghai: shipping 100,000 t; aviation and ports 10,000 t; industry 20,000 t (E:1839–1854)
    _s, sh = stand_up("shanghai")
    with pytest.raises(Refused):
        register(sh, "SHIP", "shipping", 99_999)
    register(sh, "PORT", "ports", 10_000)
    with pytest.raises(Refused):
        register(sh, "WORKS", "chemicals", 19_999)
    # Shenzhen: 3,000 t (table) or 5,000 t (endnote 18); public buildings 20,000 m²
    _s, sz = stand_up("shenzhen")
    register(sz, "FAB", "manufacturing", 3_000)
    register(sz, "TOWER", "public_building", 0, floor_area_m2=20_000)
    with pytest.raises(Refused):
        register(sz, "HALL", "government_building", 0, floor_area_m2=9_999)
    _s, sz5 = stand_up("shenzhen", shenzhen_threshold="endnote")
    with pytest.raises(Refused):
        register(sz5, "FAB", "manufacturing", 4_999)


# -- allocation -------------------------------------------------------------------------------


def test_benchmark_allocation_initial_then_adjusted_to_verified_output() -> None:
    # Shanghai benchmarks power (E:1356–1361): benchmark 0.5 t/MWh [the sources give
    # no benchmark values: an entity attribute]; initial on 200,000 MWh planned output
    # = 100,000 t; adjusted on 180,000 MWh verified = 90,000 t: 10,000 t recovered.
    s, r = stand_up("shanghai")
    register(r, "PLANT", "power", 100_000, benchmark="0.5", planned_output=200_000)
    assert allocate(s, r, "I13", "PLANT", 2013, "initial").quantity == 100_000
    verify(r, "PLANT", 2013, 95_000, output=180_000)
    adjusted = allocate(s, r, "A13", "PLANT", 2013, "adjustment")
    assert (adjusted.kind, adjusted.quantity) == ("recovery", 10_000)
    assert held(r, "PLANT") == 90_000 and held(r, "RECOVERY") == 10_000
    # the next year's initial allocation uses the previous year's output
    assert allocate(s, r, "I14", "PLANT", 2014, "initial").quantity == 90_000
    assert r.conservation().balanced


@covers("CMP-006")
def test_grandfathering_and_beijing_new_entrants() -> None:
    # Hubei and Chongqing grandfather only (E:1350–1353, E:1325–1329)
    s, hb = stand_up("hubei")
    register(hb, "MILL", "steel", 60_000, historical_emissions=60_000)
    assert allocate(s, hb, "I14", "MILL", 2014, "initial").quantity == 60_000
    # Beijing benchmarks new entrants only (E:1316–1325)
    s, bj = stand_up("beijing")
    register(bj, "OLD", "heating", 8_000, historical_emissions=8_000)
    register(bj, "NEW", "heating", 6_000, new_entrant=True, benchmark="0.06", planned_output=90_000)
    assert allocate(s, bj, "O14", "OLD", 2014, "initial").quantity == 8_000
    assert allocate(s, bj, "N14", "NEW", 2014, "initial").quantity == 5_400  # 0.06 × 90,000
    # a missing fact is refused with CMP-006, nothing issued
    register(bj, "ODD", "heating", 9_000)
    missing = allocate(s, bj, "X14", "ODD", 2014, "initial")
    assert missing.code == "CMP-006" and held(bj, "ODD") == 0


# -- offsets and banking ---------------------------------------------------------------------


def cycle_entity(name: str, sector: str, tonnes: int, year: int, **options: Any) -> tuple:
    """A grandfathered entity of pilot ``name`` with ``tonnes`` allocated and verified."""
    s, r = stand_up(name, **options)
    register(r, "E1", sector, tonnes, historical_emissions=tonnes, benchmark="1")
    verify(r, "E1", year - 1, tonnes, output=tonnes)
    verify(r, "E1", year, tonnes, output=tonnes)
    allocate(s, r, f"I{year}", "E1", year, "initial")
    return s, r


@covers("CMP-003")
def test_shanghai_offsets_2_percent_refused_limit_1_percent() -> None:
    # Shanghai: CCER up to 1% of the compliance obligation (E:1661–1664); obligation
    # 100,000 t → 1,000 t; offsets of 2% (2,000 t) are refused and nothing moves.
    s, r = cycle_entity("shanghai", "power", 100_000, 2014)
    issue(s, r, "CCER-1", "E1", "CCER", 2014, 5_000)
    before = holdings(r)
    over = comply(s, r, "S-2pc", "E1", "2014", "2015-06-01", quantity=2_000, unit_type="CCER")
    assert over.code == "CMP-003" and "1% of the compliance obligation" in (over.reason or "")
    assert holdings(r) == before
    ok = comply(s, r, "S-1pc", "E1", "2014", "2015-06-01", quantity=1_000, unit_type="CCER")
    assert ok.state == "completed" and held(r, "SURRENDER", "CCER") == 1_000


def test_offset_limits_of_the_other_pilots() -> None:
    # Beijing: 5% of allowance (E:1606–1612): 100,000 t allocated → 5,000 t
    s, r = cycle_entity("beijing", "heating", 100_000, 2014)
    issue(s, r, "C", "E1", "CCER", 2014, 6_000)
    assert comply(s, r, "x", "E1", "2014", "2015-06-01", quantity=5_001, unit_type="CCER").code
    assert comply(s, r, "y", "E1", "2014", "2015-06-01", quantity=5_000, unit_type="CCER").state
    # Fujian: 5% (English, E:1629–1632) or 8% (Chinese, C:3099) of 100,000 t
    for reading, limit in (("english", 5_000), ("chinese", 8_000)):
        s, r = cycle_entity("fujian", "power", 100_000, 2016, fujian_offsets=reading)
        issue(s, r, "C", "E1", "CCER", 2016, 9_000)
        over = comply(s, r, "x", "E1", "2016", "2017-06-01", quantity=limit + 1, unit_type="CCER")
        assert over.code == "CMP-003"
        ok = comply(s, r, "y", "E1", "2016", "2017-06-01", quantity=limit, unit_type="CCER")
        assert ok.state == "completed"
    # Chongqing 8%, Guangdong/Hubei/Shenzhen/Tianjin 10% (E:1619–1684)
    for name, share in (("chongqing", 8), ("guangdong", 10), ("hubei", 10), ("tianjin", 10)):
        p = profile(name)
        assert p.parameters(2016).offset_limit == percent(share)


@covers("CMP-007")
def test_hubei_banks_only_units_traded_at_least_once() -> None:
    # Hubei: "Banking only for units traded at least once; borrowing not allowed"
    # (E:1644–1649). SELLER's 2014 units were never traded: refused in 2015;
    # BUYER's 2014 units were bought: they may be banked.
    s, r = stand_up("hubei")
    for name in ("SELLER", "BUYER"):
        register(r, name, "steel", 50_000, historical_emissions=50_000)
        for year in (2014, 2015):
            verify(r, name, year, 40_000)
            allocate(s, r, f"{name}{year}", name, year, "initial")
    assert trade(s, r, "T1", "SELLER", "BUYER", 1_000, "2014-09-01", "25").state == "completed"
    before = holdings(r)
    never = comply(s, r, "S1", "SELLER", "2015", "2016-06-01", quantity=1_000, vintage=2014)
    assert never.code == "CMP-007" and "never traded" in (never.reason or "")
    assert holdings(r) == before
    traded = comply(s, r, "S2", "BUYER", "2015", "2016-06-01", quantity=1_000, vintage=2014)
    assert traded.state == "completed"
    # the text's reading (E:589): no banking between periods at all
    s, r = stand_up("hubei", hubei_banking="text")
    for name in ("SELLER", "BUYER"):
        register(r, name, "steel", 50_000, historical_emissions=50_000)
        verify(r, name, 2014, 40_000)
        verify(r, name, 2015, 40_000)
        allocate(s, r, f"{name}2014", name, 2014, "initial")
    trade(s, r, "T1", "SELLER", "BUYER", 1_000, "2014-09-01", "25")
    refused = comply(s, r, "S2", "BUYER", "2015", "2016-06-01", quantity=1_000, vintage=2014)
    assert refused.code == "CMP-007" and "between compliance periods" in (refused.reason or "")


def test_uncovered_counts_units_outside_traded_blocks() -> None:
    held_block = Block("CN_HB", "HBEA", 2014, 1, 100)
    traded = [Block("CN_HB", "HBEA", 2014, 1, 30), Block("CN_HB", "HBEA", 2014, 20, 60)]
    assert uncovered([held_block], traded) == 40
    assert uncovered([Block("CN_HB", "HBEA", 2014, 10, 50)], traded) == 0


@covers("CMP-008")
def test_no_pilot_allows_borrowing() -> None:
    # "borrowing not allowed" in every pilot (E:1601–1679)
    s, r = cycle_entity("tianjin", "power", 30_000, 2014)
    allocate(s, r, "I2015", "E1", 2015, "initial")
    before = holdings(r)
    borrowed = comply(s, r, "B", "E1", "2014", "2015-06-01", quantity=10, vintage=2015)
    assert borrowed.code == "CMP-008" and holdings(r) == before


# -- penalties --------------------------------------------------------------------------------


def test_beijing_excess_of_15_percent_is_a_4x_fine() -> None:
    # C: endnote 22: 3× the average price below 10% excess, 4× from 10% to 20%, 5× above.
    rule = profile("beijing").parameters(2014).penalty
    assert tier_multiple(rule, excess_share(15_000, 100_000)) == 4
    assert [tier_multiple(rule, Fraction(x, 100)) for x in (5, 10, 20, 21)] == [3, 4, 4, 5]
    fine = assess(rule, shortfall=15_000, allowances=100_000, price=Decimal(50), next_year=2015)
    assert fine.fine == Decimal(3_000_000) and fine.deduction == 0  # 4 × 50 × 15,000


def test_beijing_fine_uses_the_six_month_average_of_recorded_trades() -> None:
    # 100,000 t allocated, 115,000 t verified, 100,000 surrendered: 15% excess → 4×
    # the 6-month average price (E:1386–1392). Trades: 1,000 t at 40, 3,000 t at 60
    # → volume-weighted 55 CNY; a trade 7 months before the deadline does not count.
    s, r = stand_up("beijing")
    register(r, "E1", "heating", 100_000, historical_emissions=100_000)
    register(r, "E2", "heating", 100_000, historical_emissions=100_000)
    for name in ("E1", "E2"):
        verify(r, name, 2014, 100_000)
        allocate(s, r, f"I-{name}", name, 2014, "initial")
    verify(r, "E1", 2014, 115_000)
    trade(s, r, "T0", "E2", "E1", 10, "2014-11-20", "90")  # outside the window
    trade(s, r, "T1", "E2", "E1", 1_000, "2015-02-01", "40")
    trade(s, r, "T2", "E2", "E1", 3_000, "2015-05-01", "60")
    comply(s, r, "S1", "E1", "2014", "2015-06-10", quantity=100_000)
    comply(s, r, "S2", "E2", "2014", "2015-06-10", quantity=95_990)
    results = r.close_period({"period": "2014", "business_date": "2015-07-01"})
    e1 = next(x for x in results if x["entity"] == "E1")
    assert e1["shortfall"] == 15_000 and Decimal(e1["fine"]) == 4 * 55 * 15_000
    assert "→ 4×" in e1["penalty_basis"]


def test_capped_fines_and_double_deductions() -> None:
    # Fujian: 1–3× the 12-month average, at most CNY 30,000; twice the shortfall
    # deducted from next year's allocation (E:1409–1424)
    fj = profile("fujian").parameters(2016).penalty
    p = assess(fj, shortfall=1_000, allowances=50_000, price=Decimal(20), next_year=2017)
    assert (p.fine, p.deduction, p.deduct_from) == (Decimal(20_000), 2_000, 2017)
    p = assess(fj, shortfall=2_000, allowances=50_000, price=Decimal(20), next_year=2017)
    assert p.fine == Decimal(30_000)  # 40,000 capped
    # Hubei: 1–3× average, at most CNY 150,000; 2× deduction (E:1436–1450)
    hb3 = pilot("hubei", fine_multiple=3).rules
    assert isinstance(hb3, PilotRules)
    rule = hb3.parameters(2015).penalty
    p = assess(rule, shortfall=1_000, allowances=9, price=Decimal(30), next_year=2016)
    assert (p.fine, p.deduction) == (Decimal(90_000), 2_000)
    p = assess(rule, shortfall=2_000, allowances=9, price=Decimal(30), next_year=2016)
    assert p.fine == Decimal(150_000)
    # Guangdong: CNY 50,000 and 2× deduction (E:1426–1434)
    gd = profile("guangdong").parameters(2015).penalty
    p = assess(gd, shortfall=7, allowances=9, price=None, next_year=2016)
    assert (p.fine, p.deduction) == (Decimal(50_000), 14)
    # Shanghai: CNY 50,000–100,000 (E:1452–1454); the lower bound unless configured
    sh = profile("shanghai").parameters(2015).penalty
    assert assess(sh, shortfall=1, allowances=9, price=None, next_year=2016).fine == 50_000
    sh_top = pilot("shanghai", fixed_fine=Decimal(100_000)).rules
    assert isinstance(sh_top, PilotRules)
    rule = sh_top.parameters(2015).penalty
    assert assess(rule, shortfall=1, allowances=9, price=None, next_year=2016).fine == 100_000
    # Shenzhen: 3× the 6-month average; missing allowances deducted (E:1467–1482)
    sz = profile("shenzhen").parameters(2015).penalty
    p = assess(sz, shortfall=100, allowances=9, price=Decimal(40), next_year=2016)
    assert (p.fine, p.deduction) == (Decimal(12_000), 100)
    # Chongqing and Tianjin: no fine, other sanctions named (E:1394–1407, E:1484–1491)
    for name in ("chongqing", "tianjin"):
        rule = profile(name).parameters(2015).penalty
        p = assess(rule, shortfall=100, allowances=9, price=None, next_year=2016)
        assert p.fine == 0 and "3 years" in p.basis


@covers("CMP-006")
def test_a_price_based_fine_without_any_price_is_refused() -> None:
    _s, r = cycle_entity("shenzhen", "power", 10_000, 2014)
    with pytest.raises(Refused) as refused:
        r.close_period({"period": "2014", "business_date": "2015-07-01"})
    assert refused.value.code == "CMP-006" and "6 months" in refused.value.reason


# -- two periods, different rules ------------------------------------------------------------


def test_guangdong_2014_and_2015_follow_their_own_auction_share() -> None:
    # Guangdong: free allocation + auctioning, 2.04% in 2014 and 0.51% in 2015
    # (E:1339–1344). A power plant benchmarked at 0.8 t/MWh on 100,000 MWh:
    # gross 80,000 t; 2014 free 80,000 × 97.96% = 78,368; 2015 × 99.49% = 79,592.
    # It falls 1,000 t short in 2014: CNY 50,000 and 2,000 t deducted from 2015
    # (E:1426–1434), so 2015 issues 77,592.
    s, r = stand_up("guangdong")
    register(r, "PLANT", "power", 80_000, benchmark="0.8", planned_output=100_000)
    first = allocate(s, r, "I14", "PLANT", 2014, "initial")
    assert first.quantity == 78_368
    verify(r, "PLANT", 2014, 79_368, output=100_000)
    assert allocate(s, r, "A14", "PLANT", 2014, "adjustment").quantity == 0
    assert comply(s, r, "S14", "PLANT", "2014", "2015-06-20", quantity=78_368).state == "completed"
    closed = r.close_period({"period": "2014", "business_date": "2015-07-01"})[0]
    assert (closed["shortfall"], closed["fine"], closed["deduction"]) == (1_000, "50000", 2_000)
    second = allocate(s, r, "I15", "PLANT", 2015, "initial")
    assert second.quantity == 79_592 - 2_000
    entity = r.entity("PLANT")
    assert entity is not None and "0.51% auctioned" in entity.allocations[2015][0]["basis"]
    assert "2.04% auctioned" in entity.allocations[2014][0]["basis"]
    verify(r, "PLANT", 2015, 77_592, output=100_000)
    assert comply(s, r, "S15", "PLANT", "2015", "2016-06-20", quantity=77_592).state == "completed"
    closed = r.close_period({"period": "2015", "business_date": "2016-07-01"})[0]
    assert closed["compliant"] and closed["fine"] == "0"
    assert r.conservation().balanced


def test_shanghai_two_periods_with_a_configured_offset_change() -> None:
    # The sources record one Shanghai offset limit (1%, E:1661–1664). A later change
    # is configured here as an assumption (5% from 2016) to show each period
    # applying its own version: 1,000 t allowed for 2015, 5,000 t for 2016.
    s, r = stand_up("shanghai", changes={2016: {"offset_limit": percent(5)}})
    register(r, "E1", "power", 100_000, benchmark="1", planned_output=100_000)
    for year in (2015, 2016):
        verify(r, "E1", year, 100_000, output=100_000)
        allocate(s, r, f"I{year}", "E1", year, "initial")
    issue(s, r, "C", "E1", "CCER", 2015, 10_000)
    on15, on16 = "2016-06-01", "2017-06-01"
    assert comply(s, r, "a", "E1", "2015", on15, quantity=1_001, unit_type="CCER").code
    assert comply(s, r, "b", "E1", "2015", on15, quantity=1_000, unit_type="CCER").state
    assert comply(s, r, "c", "E1", "2016", on16, quantity=5_001, unit_type="CCER").code
    ok = comply(s, r, "d", "E1", "2016", on16, quantity=5_000, unit_type="CCER")
    assert ok.state == "completed"


# -- across a border ---------------------------------------------------------------------------


def test_pilot_units_cross_to_a_foreign_subnational_market_for_a_test_period() -> None:
    # northeast-asia.md scenario 4 and E:2362–2417: "pilot linked subnational markets
    # in limited sectors for a test period". Shenzhen ↔ a hypothetical Japanese
    # subnational market, 2016 only, at most 10,000 t of Shenzhen allowances out.
    foreign = RegistryConfig("JP_SUB", "Japanese subnational test market", "JP", ("JPS",))
    s = system_with(pilot("shenzhen"))
    s.clearinghouse.register_party(
        {
            "code": "JP",
            "name": "Japan",
            "ndc": {"type": "absolute", "period": "single-year", "target_years": [2030]},
        }
    )
    s.add_registry(foreign)
    s.registries["JP_SUB"].open_account({"account": "BUYER", "kind": "holding", "holder": "Buyer"})
    s.clearinghouse.conclude_agreement(
        {
            "code": "SZ_JP_TEST",
            "jurisdictions": ["CN_SZ", "JP_SUB"],
            "directions": [
                {"source": "CN_SZ", "destination": "JP_SUB", "unit_types": ["SZEA"]},
                {"source": "JP_SUB", "destination": "CN_SZ", "unit_types": ["JPS"]},
            ],
            "limits": [{"jurisdiction": "CN_SZ", "flow": "export", "tonnes": 10_000}],
            "effective_from": "2016-01-01",
            "effective_until": "2016-12-31",
        }
    )
    r = s.registries["CN_SZ"]
    assert isinstance(r, PilotRegistry)
    register(r, "FAB", "manufacturing", 20_000, benchmark="1", planned_output=20_000)
    allocate(s, r, "I16", "FAB", 2016, "initial")

    def out(tid: str, quantity: int, on: str) -> str:
        data = {
            "transaction_id": tid,
            "account": "FAB",
            "to_registry": "JP_SUB",
            "to_account": "BUYER",
            "quantity": quantity,
            "business_date": on,
        }
        receipt = s.do("CN_SZ", "transfer_abroad", data)
        return receipt.code or receipt.state

    assert out("x1", 8_000, "2016-05-01") == "completed"
    assert out("x2", 2_001, "2016-06-01") == "QTY-002"  # 10,000 t export limit
    assert out("x3", 1_000, "2017-01-02").startswith("AGR")  # the test period is over
    buyer = s.registries["JP_SUB"].account("BUYER")
    assert buyer is not None and buyer.available.quantity("SZEA") == 8_000
    assert held(r, "FAB") == 12_000
    assert r.conservation().balanced


def test_a_domestic_pilot_link_moves_units_without_adjustment() -> None:
    # Two pilots of one Party (China): Guangdong allowances to a Hubei account under
    # a one-way link. Units move through the clearinghouse; no corresponding
    # adjustment, because both jurisdictions answer to China (docs/architecture.md).
    s = system_with(pilot("guangdong"), pilot("hubei"))
    gd, hb = s.registries["CN_GD"], s.registries["CN_HB"]
    assert isinstance(gd, PilotRegistry) and isinstance(hb, PilotRegistry)
    register(gd, "PLANT", "power", 50_000, benchmark="1", planned_output=50_000)
    register(hb, "MILL", "steel", 50_000, historical_emissions=50_000)
    allocate(s, gd, "I15", "PLANT", 2015, "initial")
    s.clearinghouse.conclude_agreement(
        {
            "code": "GD_HB",
            "jurisdictions": ["CN_GD", "CN_HB"],
            "directions": [{"source": "CN_GD", "destination": "CN_HB", "unit_types": ["GDEA"]}],
            "effective_from": "2015-01-01",
        }
    )
    data = {
        "transaction_id": "gdhb-1",
        "account": "PLANT",
        "to_registry": "CN_HB",
        "to_account": "MILL",
        "quantity": 5_000,
        "business_date": "2015-06-01",
    }
    assert s.do("CN_GD", "transfer_abroad", data).state == "completed"
    assert held(hb, "MILL", "GDEA") == 5_000 and held(gd, "PLANT") == 49_745 - 5_000
    assert adjustments(read(s.clearinghouse)) == {}
    assert gd.conservation().balanced
    # the link carries holdings; Hubei's compliance counts its own allowances only
    verify(hb, "MILL", 2015, 1_000)
    used = comply(s, hb, "S", "MILL", "2015", "2016-06-01", quantity=1_000, unit_type="GDEA")
    assert used.code == "CMP-004" and held(hb, "MILL", "GDEA") == 5_000
