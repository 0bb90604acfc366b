"""Tokyo cap-and-trade and Saitama's target-setting ETS, and their two-way link.

Sources: reference/northeast-asia.md, "Japan" and "Tokyo–Saitama link"; the ASPI
report E:840–866 and E:885–908; Chinese edition endnotes 48, 49, 57
(C:4676–4702). Numbers: a facility with base-year emissions of 100,000 t a year
makes the factors easy to read (6% → an annual cap of 94,000 t).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from adapters.japan import saitama, tokyo
from adapters.japan.fiscal import fiscal_year, fiscal_year_end, fiscal_year_start
from adapters.japan.metropolitan import tokyo_saitama_link
from adapters.japan.metropolitan_registry import MetropolitanRegistry
from adapters.japan.metropolitan_rules import base_year_emissions
from clearinghouse.checks import Refused
from clearinghouse.system import EmbeddedSystem
from projections import invariants
from projections.adjustments import adjustments
from projections.log import read
from tests.coverage import covers

FIRST, SECOND = "FY2010-2014", "FY2015-2019"


def new_system(**tokyo_options: Any) -> EmbeddedSystem:
    s = EmbeddedSystem()
    s.clearinghouse.register_party(
        {
            "code": "JP",
            "name": "Japan",
            "ndc": {"type": "absolute", "period": "single-year", "target_years": [2030]},
        }
    )
    s.add_registry(tokyo(**tokyo_options))
    s.add_registry(saitama())
    s.clearinghouse.conclude_agreement(tokyo_saitama_link())
    return s


@pytest.fixture
def system() -> EmbeddedSystem:
    return new_system()


def reg(s: EmbeddedSystem, code: str) -> MetropolitanRegistry:
    r = s.registry(code)
    assert isinstance(r, MetropolitanRegistry)
    return r


def register(
    s: EmbeddedSystem,
    code: str,
    entity: str,
    category: str = "I-1",
    base: int = 100_000,
    kl: int = 20_000,
) -> None:
    reg(s, code).register_entity(
        {
            "entity": entity,
            "name": entity.title(),
            "sector": "office" if category.startswith("I") else "factory",
            "emissions": base,
            "attributes": {"energy_kl": kl, "category": category, "base_emissions": base},
            "business_date": "2010-04-01",
        }
    )


def verify(s: EmbeddedSystem, code: str, entity: str, fy: int, tonnes: int) -> None:
    reg(s, code).verify_emissions(
        {"entity": entity, "year": fy, "tonnes": tonnes, "business_date": f"{fy + 1}-06-30"}
    )


def excess_credits(s: EmbeddedSystem, code: str, tid: str, entity: str, fy: int) -> Any:
    data = {
        "transaction_id": tid,
        "entity": entity,
        "fiscal_year": fy,
        "business_date": f"{fy + 1}-07-01",
    }
    return s.do(code, "issue_excess_reduction_credits", data)


def comply(s: EmbeddedSystem, code: str, tid: str, entity: str, period: str, **units: Any) -> Any:
    on = "2016-09-01" if period == FIRST else "2021-09-01"
    data = {"transaction_id": tid, "entity": entity, "period": period, "business_date": on}
    return s.do(code, "comply", {**data, **units})


def held(s: EmbeddedSystem, code: str, account: str, unit_type: str | None = None) -> int:
    a = reg(s, code).account(account)
    assert a is not None
    return a.available.quantity(unit_type) if unit_type else a.available.total


def cap(s: EmbeddedSystem, code: str, entity: str, fy: int) -> int:
    r = reg(s, code)
    e = r.entity(entity)
    assert e is not None
    return r.metro.annual_cap(e, fy)


# -- coverage, base year, fiscal years ---------------------------------------------------


@covers("CMP-001")
def test_coverage_starts_at_1500_kl_crude_oil_equivalent(system: EmbeddedSystem) -> None:
    # endnote 48 (C:4676): "in excess of 1,500 kl of crude oil equivalent or more per year"
    r = reg(system, "TOKYO")
    before = r.recorder.max_notification_id()
    with pytest.raises(Refused) as refused:
        register(system, "TOKYO", "SMALL_OFFICE", kl=1_499)
    assert refused.value.code == "CMP-001" and "1500 kl" in refused.value.reason
    assert r.recorder.max_notification_id() == before and r.entity("SMALL_OFFICE") is None
    register(system, "TOKYO", "LARGE_OFFICE", kl=1_500)
    assert r.entity("LARGE_OFFICE") is not None


def test_base_year_emissions_average_three_fiscal_years() -> None:
    # [GK] the average of three consecutive fiscal years between FY2002 and FY2007,
    # rounded down
    assert base_year_emissions([101_000, 99_000, 100_001]) == 100_000
    with pytest.raises(ValueError):
        base_year_emissions([100_000, 100_000])


def test_fiscal_years_run_from_april_to_march() -> None:
    # northeast-asia.md: periods "FY2010–2014", "FY2015–2019" are Japanese fiscal years
    assert fiscal_year(date(2011, 3, 31)) == 2010 and fiscal_year(date(2011, 4, 1)) == 2011
    assert (fiscal_year_start(2010), fiscal_year_end(2010)) == (date(2010, 4, 1), date(2011, 3, 31))


def test_a_fiscal_year_is_verified_after_it_ends(system: EmbeddedSystem) -> None:
    # FY2012 runs to 31 March 2013: its emissions cannot be verified on that day
    register(system, "TOKYO", "OFFICE")
    r = reg(system, "TOKYO")
    before = r.recorder.max_notification_id()
    with pytest.raises(Refused) as early:
        r.verify_emissions(
            {"entity": "OFFICE", "year": 2012, "tonnes": 90_000, "business_date": "2013-03-31"}
        )
    assert early.value.code == "CMP-005" and r.recorder.max_notification_id() == before
    r.verify_emissions(
        {"entity": "OFFICE", "year": 2012, "tonnes": 90_000, "business_date": "2013-04-01"}
    )
    office = r.entity("OFFICE")
    assert office is not None and office.verified == {2012: 90_000}


# -- compliance factors per period and category ----------------------------------------------


def test_first_period_factors_6_and_8_percent_by_category(system: EmbeddedSystem) -> None:
    # E:840–844 "6 to 8 percent during the first compliance period (2010–2014)";
    # endnote 49 (C:4677): 6% commercial buildings and DHC facilities (I-1), 8% buildings
    # using district heating and cooling (I-2); factories (II) 6% [GK]
    register(system, "TOKYO", "OFFICE", "I-1")
    register(system, "TOKYO", "DHC_USER", "I-2")
    register(system, "TOKYO", "FACTORY", "II")
    assert cap(system, "TOKYO", "OFFICE", 2012) == 94_000
    assert cap(system, "TOKYO", "DHC_USER", 2012) == 92_000
    assert cap(system, "TOKYO", "FACTORY", 2012) == 94_000
    r = reg(system, "TOKYO")
    office = r.entity("OFFICE")
    assert office is not None
    # the period's cap: base × (1 − 6%) × 5 fiscal years
    assert r.metro.period_cap(office, r.metro.period(FIRST)) == 470_000


def test_second_period_factors_15_and_17_percent(system: EmbeddedSystem) -> None:
    # E:842 "15 to 17 percent for its second implementation period"
    register(system, "TOKYO", "OFFICE", "I-1")
    register(system, "TOKYO", "DHC_USER", "I-2")
    assert cap(system, "TOKYO", "OFFICE", 2016) == 85_000
    assert cap(system, "TOKYO", "DHC_USER", 2016) == 83_000


def test_tmg_reading_of_the_categories_is_selectable() -> None:
    # source disagreement: endnote 49 vs TMG's table [GK] (I-1 8%/17%, I-2 6%/15%)
    s = new_system(reading="tmg")
    register(s, "TOKYO", "OFFICE", "I-1")
    register(s, "TOKYO", "DHC_USER", "I-2")
    assert cap(s, "TOKYO", "OFFICE", 2012) == 92_000 and cap(s, "TOKYO", "OFFICE", 2016) == 83_000
    assert cap(s, "TOKYO", "DHC_USER", 2012) == 94_000


# -- excess-reduction credits ---------------------------------------------------------------


@covers("CMP-005", "CMP-006")
def test_excess_reductions_are_credited_after_the_fiscal_year_is_verified(
    system: EmbeddedSystem,
) -> None:
    register(system, "TOKYO", "OFFICE", "I-1")
    # not verified yet: CMP-006, nothing issued
    assert excess_credits(system, "TOKYO", "E0", "OFFICE", 2012).code == "CMP-006"
    assert held(system, "TOKYO", "OFFICE") == 0
    verify(system, "TOKYO", "OFFICE", 2012, 90_000)
    # FY2012 ends on 31 March 2013: no credit before
    early = system.do(
        "TOKYO",
        "issue_excess_reduction_credits",
        {
            "transaction_id": "E1",
            "entity": "OFFICE",
            "fiscal_year": 2012,
            "business_date": "2013-03-31",
        },
    )
    assert early.code == "CMP-005" and held(system, "TOKYO", "OFFICE") == 0
    # cap 94,000 t − verified 90,000 t = 4,000 excess-reduction credits, vintage FY2012
    issued = excess_credits(system, "TOKYO", "E2", "OFFICE", 2012)
    assert (issued.state, issued.quantity) == ("completed", 4_000)
    assert held(system, "TOKYO", "OFFICE", "TKY_ERC") == 4_000
    assert reg(system, "TOKYO").conservation().balanced


def test_no_credit_for_a_year_above_the_cap(system: EmbeddedSystem) -> None:
    register(system, "TOKYO", "OFFICE", "I-1")
    verify(system, "TOKYO", "OFFICE", 2012, 95_000)  # above 94,000
    assert excess_credits(system, "TOKYO", "E1", "OFFICE", 2012).quantity == 0
    assert held(system, "TOKYO", "OFFICE") == 0


@covers("CMP-009")
def test_nothing_is_allocated_so_plain_issuance_is_refused(system: EmbeddedSystem) -> None:
    register(system, "TOKYO", "OFFICE")
    refused = system.do(
        "TOKYO",
        "issue",
        {
            "transaction_id": "I1",
            "account": "OFFICE",
            "unit_type": "TKY_ERC",
            "vintage": 2012,
            "quantity": 1_000,
            "business_date": "2013-05-01",
        },
    )
    assert refused.code == "CMP-009" and held(system, "TOKYO", "OFFICE") == 0


# -- small and mid-size facility credits ------------------------------------------------------


def small(s: EmbeddedSystem, tid: str, facility: str, kl: int, tonnes: int, fy: int = 2012) -> Any:
    data = {
        "transaction_id": tid,
        "facility": facility,
        "name": facility.title(),
        "fiscal_year": fy,
        "energy_kl": kl,
        "reductions": tonnes,
        "business_date": f"{fy + 1}-06-01",
    }
    return s.do("TOKYO", "credit_small_facility", data)


def test_small_and_mid_size_facility_credits(system: EmbeddedSystem) -> None:
    # E:900–902: "Small and Mid-size Facility Credits"; a facility below the 1,500 kl
    # threshold (endnote 48) is credited its verified reductions
    ok = small(system, "S1", "CORNER_SHOP", 1_499, 120)
    assert (ok.state, ok.quantity) == ("completed", 120)
    assert held(system, "TOKYO", "CORNER_SHOP", "TKY_SMC") == 120
    # 1,500 kl is a covered facility, not a small one; and a year is credited once
    assert small(system, "S2", "BIG_SHOP", 1_500, 120).code == "CMP-009"
    assert small(system, "S3", "CORNER_SHOP", 1_499, 50).code == "CMP-009"
    assert reg(system, "TOKYO").account("BIG_SHOP") is None
    # FY2013 ends on 31 March 2014: not credited on that day
    early = system.do(
        "TOKYO",
        "credit_small_facility",
        {
            "transaction_id": "S4",
            "facility": "CORNER_SHOP",
            "name": "Corner shop",
            "fiscal_year": 2013,
            "energy_kl": 1_499,
            "reductions": 80,
            "business_date": "2014-03-31",
        },
    )
    assert early.code == "CMP-005"
    assert held(system, "TOKYO", "CORNER_SHOP") == 120


# -- the obligation -----------------------------------------------------------------------------


def test_excess_emissions_are_covered_by_surrendering_credits(system: EmbeddedSystem) -> None:
    # cap 470,000 t for FY2010–2014 (base 100,000 t, I-1 6%); emissions 96,000 t a year
    # = 480,000 t: 10,000 t above the cap must be covered by credits
    register(system, "TOKYO", "OFFICE", "I-1")
    for fy in range(2010, 2015):
        verify(system, "TOKYO", "OFFICE", fy, 96_000)
    small(system, "S1", "CORNER_SHOP", 900, 10_000)
    system.do(
        "TOKYO",
        "transfer",
        {
            "transaction_id": "T1",
            "account": "CORNER_SHOP",
            "to_account": "OFFICE",
            "quantity": 10_000,
            "business_date": "2013-07-01",
        },
    )
    assert comply(system, "TOKYO", "C1", "OFFICE", FIRST, quantity=10_000).state == "completed"
    [result] = reg(system, "TOKYO").close_period({"period": FIRST, "business_date": "2016-10-01"})
    assert (result["obligation"], result["shortfall"], result["compliant"]) == (10_000, 0, True)


def test_credits_already_issued_for_a_good_year_leave_the_cap(system: EmbeddedSystem) -> None:
    # FY2010 at 90,000 t earns 4,000 credits; the other four years at 96,000 t exceed by
    # 2,000 t each: the period's obligation is 8,000 t (= 480,000 − 470,000 + 4,000 − 6,000)
    register(system, "TOKYO", "OFFICE", "I-1")
    verify(system, "TOKYO", "OFFICE", 2010, 90_000)
    assert excess_credits(system, "TOKYO", "E10", "OFFICE", 2010).quantity == 4_000
    for fy in range(2011, 2015):
        verify(system, "TOKYO", "OFFICE", fy, 96_000)
    r = reg(system, "TOKYO")
    office = r.entity("OFFICE")
    assert office is not None
    assert r.metro.obligation(office, r.metro.period(FIRST)) == 8_000


@covers("CMP-008")
def test_credits_of_a_later_period_cannot_be_borrowed(system: EmbeddedSystem) -> None:
    register(system, "TOKYO", "OFFICE", "I-1")
    verify(system, "TOKYO", "OFFICE", 2015, 80_000)
    excess_credits(system, "TOKYO", "E15", "OFFICE", 2015)  # 85,000 − 80,000 = 5,000
    refused = comply(system, "TOKYO", "C1", "OFFICE", FIRST, quantity=100, vintage=2015)
    assert refused.code == "CMP-008" and held(system, "TOKYO", "OFFICE") == 5_000


def test_tokyo_shortfall_orders_1_3_times_and_then_fines(system: EmbeddedSystem) -> None:
    # [GK] Tokyo: a shortfall after the adjustment period → an order to reduce 1.3 × the
    # shortfall; not carrying out the order → fine up to JPY 500,000
    register(system, "TOKYO", "OFFICE", "I-1")
    for fy in range(2010, 2020):
        verify(system, "TOKYO", "OFFICE", fy, 96_000 if fy < 2015 else 85_000)
    r = reg(system, "TOKYO")
    [first] = r.close_period({"period": FIRST, "business_date": "2016-10-01"})
    assert (first["shortfall"], first["fine"]) == (10_000, "0") and "13000 t" in first[
        "penalty_basis"
    ]
    [second] = r.close_period({"period": SECOND, "business_date": "2021-10-01"})
    # second period at its cap (85,000 t a year), but the 13,000 t order is due
    assert (second["obligation"], second["shortfall"]) == (13_000, 13_000)
    assert Decimal(second["fine"]) == Decimal(500_000) and second["currency"] == "JPY"


def test_saitama_targets_carry_no_penalty(system: EmbeddedSystem) -> None:
    # [GK] Saitama's "target setting" system (endnote 57's title): no penalty, no order
    register(system, "SAITAMA", "KUMAGAYA", "II")
    for fy in range(2010, 2020):
        verify(system, "SAITAMA", "KUMAGAYA", fy, 96_000 if fy < 2015 else 85_000)
    r = reg(system, "SAITAMA")
    [first] = r.close_period({"period": FIRST, "business_date": "2016-10-01"})
    assert (first["shortfall"], first["fine"]) == (10_000, "0")
    [second] = r.close_period({"period": SECOND, "business_date": "2021-10-01"})
    assert (second["obligation"], second["shortfall"]) == (0, 0)


# -- two periods, two sets of factors ----------------------------------------------------------


def test_multi_year_first_and_second_period_factors_applied(system: EmbeddedSystem) -> None:
    """FY2012 (first period, 6%) and FY2016 (second period, 15%) for the same office,
    base 100,000 t, both years emitting 88,000 t; then both periods close."""
    register(system, "TOKYO", "OFFICE", "I-1")
    for fy in range(2010, 2020):
        verify(system, "TOKYO", "OFFICE", fy, 88_000 if fy in (2012, 2016) else 94_000)
    # first period: cap 94,000 → 6,000 credits; second: cap 85,000 → 3,000 excess t
    assert excess_credits(system, "TOKYO", "E12", "OFFICE", 2012).quantity == 6_000
    assert excess_credits(system, "TOKYO", "E16", "OFFICE", 2016).quantity == 0
    r = reg(system, "TOKYO")
    position = r.position("OFFICE", SECOND)
    assert (position["annual_cap"], position["period_cap"], position["obligation"]) == (
        85_000,
        425_000,
        39_000,
    )
    [first] = r.close_period({"period": FIRST, "business_date": "2016-10-01"})
    # 464,000 emitted − 470,000 cap + 6,000 credited = 0
    assert (first["obligation"], first["compliant"]) == (0, True)
    # second period: 4 × 94,000 + 88,000 = 464,000 against 425,000: 39,000 t to cover;
    # the FY2012 credits are banked into the second period (one period later [GK])
    assert comply(system, "TOKYO", "C2", "OFFICE", SECOND, quantity=6_000).state == "completed"
    [second] = r.close_period({"period": SECOND, "business_date": "2021-10-01"})
    assert (second["obligation"], second["surrendered"], second["shortfall"]) == (
        39_000,
        6_000,
        33_000,
    )


def test_multi_year_saitama_with_tokyos_factors(system: EmbeddedSystem) -> None:
    """Saitama: the sources give no factors of its own (E:897–899), so Tokyo's apply
    [assumption]: a factory (II) at 6% in FY2012 and 15% in FY2016."""
    register(system, "SAITAMA", "KUMAGAYA", "II")
    for fy in (2012, 2016):
        verify(system, "SAITAMA", "KUMAGAYA", fy, 80_000)
    assert excess_credits(system, "SAITAMA", "S12", "KUMAGAYA", 2012).quantity == 14_000
    assert excess_credits(system, "SAITAMA", "S16", "KUMAGAYA", 2016).quantity == 5_000
    kumagaya = reg(system, "SAITAMA").account("KUMAGAYA")
    assert kumagaya is not None
    assert kumagaya.available.quantity("STM_ERC", 2012) == 14_000
    assert kumagaya.available.quantity("STM_ERC", 2016) == 5_000


# -- the two-way link ------------------------------------------------------------------------


def abroad(s: EmbeddedSystem, source: str, tid: str, to_account: str, qty: int, on: str) -> Any:
    src, dst, account = (
        ("TOKYO", "SAITAMA", "MARUNOUCHI")
        if source == "TOKYO"
        else ("SAITAMA", "TOKYO", "KUMAGAYA")
    )
    data = {
        "transaction_id": tid,
        "account": account,
        "to_registry": dst,
        "to_account": to_account,
        "quantity": qty,
        "business_date": on,
    }
    return s.do(src, "transfer_abroad", data)


@covers("AGR-002")
def test_link_replays_the_first_period_transfers_both_ways(system: EmbeddedSystem) -> None:
    """Endnote 57: during the first period, 14 transfers between Tokyo and Saitama,
    8 from Tokyo to Saitama and 6 from Saitama to Tokyo; the link is in force from
    April 2011 (E:891–898). Both are Japan: no corresponding adjustment."""
    register(system, "TOKYO", "MARUNOUCHI", "I-1")
    register(system, "SAITAMA", "KUMAGAYA", "II")
    verify(system, "TOKYO", "MARUNOUCHI", 2010, 90_000)
    verify(system, "SAITAMA", "KUMAGAYA", 2010, 90_000)
    excess_credits(system, "TOKYO", "TE10", "MARUNOUCHI", 2010)  # 4,000 TKY_ERC
    excess_credits(system, "SAITAMA", "SE10", "KUMAGAYA", 2010)  # 4,000 STM_ERC
    # agreed in September 2010, in force 1 April 2011: a March 2011 transfer is refused
    early = abroad(system, "TOKYO", "early", "KUMAGAYA", 100, "2011-03-31")
    assert early.code == "AGR-002" and held(system, "TOKYO", "MARUNOUCHI") == 4_000
    dates = ["2011-06-01", "2011-11-01", "2012-05-01", "2012-10-01", "2013-06-01", "2013-12-01"]
    for i, on in enumerate([*dates, "2014-06-01", "2015-01-15"]):
        assert abroad(system, "TOKYO", f"t2s-{i}", "KUMAGAYA", 100, on).state == "completed"
    for i, on in enumerate(dates):
        assert abroad(system, "SAITAMA", f"s2t-{i}", "MARUNOUCHI", 50, on).state == "completed"
    assert held(system, "SAITAMA", "KUMAGAYA", "TKY_ERC") == 800
    assert held(system, "TOKYO", "MARUNOUCHI", "STM_ERC") == 300
    # Tokyo's credits count towards a Saitama obligation, and the other way round
    for fy in range(2011, 2015):
        verify(system, "SAITAMA", "KUMAGAYA", fy, 94_200)  # 200 t above the cap a year
        verify(system, "TOKYO", "MARUNOUCHI", fy, 94_100)
    s_ok = comply(system, "SAITAMA", "SC", "KUMAGAYA", FIRST, quantity=800, unit_type="TKY_ERC")
    t_ok = comply(system, "TOKYO", "TC", "MARUNOUCHI", FIRST, quantity=300, unit_type="STM_ERC")
    assert (s_ok.state, t_ok.state) == ("completed", "completed")
    # same Party: no adjustment anywhere
    assert adjustments(read(system.clearinghouse)) == {}
    assert invariants.check(read(system.clearinghouse)) == []
    for code in ("TOKYO", "SAITAMA"):
        assert reg(system, code).conservation().balanced


@covers("UNT-001")
def test_the_link_carries_credits_only_in_their_own_direction(system: EmbeddedSystem) -> None:
    # a Saitama credit held in Tokyo cannot be sent on to Saitama as a Tokyo credit:
    # the link recognises Tokyo's credit types from Tokyo, Saitama's from Saitama
    register(system, "SAITAMA", "KUMAGAYA", "II")
    register(system, "TOKYO", "MARUNOUCHI", "I-1")
    verify(system, "SAITAMA", "KUMAGAYA", 2011, 90_000)
    excess_credits(system, "SAITAMA", "SE11", "KUMAGAYA", 2011)
    assert abroad(system, "SAITAMA", "s2t", "MARUNOUCHI", 500, "2012-06-01").state == "completed"
    back = abroad(system, "TOKYO", "t2s", "KUMAGAYA", 500, "2012-07-01")
    assert back.code == "UNT-001" and held(system, "TOKYO", "MARUNOUCHI", "STM_ERC") == 500
