"""The WCI: California and Québec linked since 2014, Ontario in and out in 2018.

Sources: reference/registries-and-reporting.md L44–49 — CITSS; linked 1 Jan
2014; Ontario joined 1 Jan 2018 and left mid-2018; HL = 0.1 × 25,000,000 +
0.025 × (C − 25,000,000) with C the combined cap (C = 300 Mt → 9,375,000);
Québec offsets ≤ 8% of the obligation per period, California 8% to 2020,
[GK] 4% 2021–2025, 6% 2026–2030; joint auctions: single round, sealed bids,
lots of 1,000, uniform price, reserve $10 in 2012 rising 5% + inflation a
year; 25 Nov 2014: 23,070,987 current allowances at $12.10 (reserve $11.34);
Feb 2021: 54,773,607 at $17.80 (reserve $17.71); purchase limits covered
entities 15%, utilities 40%, others 4%, advance auctions 25%.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from adapters.wci import (
    CALIFORNIA,
    ONTARIO,
    QUEBEC,
    WciMarket,
    WciRegistry,
    california,
    compliance_account,
    hold_joint_auction,
    holding_limit,
    memberships,
    ontario,
    ontario_accession,
    ontario_exit,
    quebec,
    reserve_price,
    wci_authorizations,
    wci_link,
)
from adapters.wci.auction import Cap, JointBid, clear_joint
from clearinghouse.checks import Refused
from clearinghouse.system import EmbeddedSystem
from projections import invariants
from projections.adjustments import adjustment_events
from projections.log import read
from tests.coverage import covers

NDC = {"type": "absolute", "period": "single-year", "target_years": [2030]}
#: C = 300 Mt in 2015 and 2016, so that HL = 9,375,000 (L46's example)
MARKET_300 = WciMarket(caps={CALIFORNIA: {2015: 250_000_000, 2016: 250_000_000},
                             QUEBEC: {2015: 50_000_000, 2016: 50_000_000}})  # fmt: skip


def new_system(market: WciMarket | None = None, **options: Any) -> EmbeddedSystem:
    s = EmbeddedSystem()
    ch = s.clearinghouse
    ch.register_party({"code": "US", "name": "United States", "ndc": NDC})
    ch.register_party({"code": "CA", "name": "Canada", "ndc": NDC})
    s.add_registry(california(market=market, **options))
    s.add_registry(quebec(market=market, **options))
    s.add_registry(ontario(market=market))
    for grant in wci_authorizations():
        ch.grant_authorization(grant)
    ch.conclude_agreement(wci_link())
    return s


@pytest.fixture
def system() -> EmbeddedSystem:
    return new_system()


def reg(s: EmbeddedSystem, code: str) -> WciRegistry:
    r = s.registry(code)
    assert isinstance(r, WciRegistry)
    return r


def registries(s: EmbeddedSystem) -> dict[str, WciRegistry]:
    return {code: reg(s, code) for code in (CALIFORNIA, QUEBEC, ONTARIO)}


def register(
    s: EmbeddedSystem, code: str, entity: str, *, sector: str = "cement", on: str = "2014-01-02",
    allocation: dict[str, int] | None = None,
) -> None:  # fmt: skip
    reg(s, code).register_entity(
        {
            "entity": entity,
            "name": entity.title(),
            "sector": sector,
            "emissions": 500_000,
            "attributes": {"allocation": allocation or {}},
            "business_date": on,
        }
    )


def participant(s: EmbeddedSystem, code: str, account: str) -> None:
    """A registered participant that is not a covered entity (a trader)."""
    reg(s, code).open_account({"account": account, "holder": account.title()})


def held(s: EmbeddedSystem, code: str, account: str, unit_type: str | None = None) -> int:
    a = reg(s, code).account(account)
    assert a is not None
    return a.available.quantity(unit_type) if unit_type else a.available.total


def auction(s: EmbeddedSystem, **data: Any) -> dict[str, Any]:
    result = hold_joint_auction(registries(s), data)
    s.settle()
    return result


def bid(code: str, account: str, quantity: int, price: str) -> dict[str, Any]:
    return {"registry": code, "account": account, "quantity": quantity, "price": price}


# -- the holding limit -------------------------------------------------------------------


def test_the_holding_limit_for_a_combined_cap_of_300_mt_is_9_375_000() -> None:
    # L46: HL = 0.1 × 25,000,000 + 0.025 × (C − 25,000,000); C = 300 Mt → 9,375,000
    assert holding_limit(300_000_000) == 9_375_000
    assert holding_limit(25_000_000) == 2_500_000
    assert MARKET_300.holding_limit(date(2015, 6, 1)) == 9_375_000


def test_c_adds_the_caps_of_the_jurisdictions_linked_on_the_day() -> None:
    market = WciMarket()
    assert market.linked(date(2013, 6, 1)) == (CALIFORNIA,)
    assert market.linked(date(2018, 3, 1)) == (CALIFORNIA, QUEBEC, ONTARIO)
    assert market.linked(date(2018, 7, 3)) == (CALIFORNIA, QUEBEC)  # Ontario left [GK date]
    with_ontario = market.combined_cap(date(2018, 3, 1))
    without = market.combined_cap(date(2018, 9, 1))
    assert with_ontario - without == market.caps[ONTARIO][2018]
    assert market.holding_limit(date(2018, 3, 1)) > market.holding_limit(date(2018, 9, 1))
    # the limit follows the formula on each side of the exit
    assert market.holding_limit(date(2018, 9, 1)) == holding_limit(without)


@covers("CMP-601")
def test_a_quebec_emitter_hits_the_holding_limit_and_the_compliance_account_is_exempt() -> None:
    s = new_system(MARKET_300)
    register(s, QUEBEC, "ALUMINERIE", on="2015-01-05")
    participant(s, CALIFORNIA, "TRADER")
    participant(s, CALIFORNIA, "TRADER2")
    # traders buy at auction into their holding accounts (others: 4% of 250 Mt offered)
    result = auction(
        s,
        auction_id="A2015-1",
        year=2015,
        business_date="2015-02-18",
        offers={CALIFORNIA: 240_000_000, QUEBEC: 10_000_000},
        bids=[bid(CALIFORNIA, "TRADER", 9_375_000, "13.00"),
              bid(CALIFORNIA, "TRADER2", 1_000_000, "13.00")],
    )  # fmt: skip
    assert result["sold"] == 10_375_000 and result["settlement_price"] == "12.10"  # at reserve
    assert reg(s, CALIFORNIA).holding("TRADER") == 9_375_000
    # the trader sells 9,375,000 to the Québec emitter's holding account: at the limit
    base = {"business_date": "2015-03-02", "account": "TRADER", "to_registry": QUEBEC,
            "to_account": "ALUMINERIE"}  # fmt: skip
    first = s.do(
        CALIFORNIA, "transfer_abroad", {"transaction_id": "T1", "quantity": 9_000_000, **base}
    )
    assert first.state == "completed"
    assert reg(s, QUEBEC).holding("ALUMINERIE") == 9_000_000
    # one more would take it above 9,375,000: Québec refuses the credit, units go back
    base["account"] = "TRADER2"
    before = held(s, CALIFORNIA, "TRADER2")
    over = s.do(
        CALIFORNIA, "transfer_abroad", {"transaction_id": "T2", "quantity": 375_001, **base}
    )
    assert over.state == "returned" and over.code == "CMP-601"
    assert "9375000" in (over.reason or "") and "300000000" in (over.reason or "")
    assert held(s, CALIFORNIA, "TRADER2") == before
    assert reg(s, QUEBEC).holding("ALUMINERIE") == 9_000_000
    # exactly to the limit is allowed
    at = s.do(CALIFORNIA, "transfer_abroad", {"transaction_id": "T3", "quantity": 375_000, **base})
    assert at.state == "completed"
    # moved to its compliance account, the allowances no longer count
    moved = s.do(
        QUEBEC,
        "transfer",
        {"transaction_id": "C1", "business_date": "2015-03-03", "account": "ALUMINERIE",
         "to_account": compliance_account("ALUMINERIE"), "quantity": 9_375_000},
    )  # fmt: skip
    assert moved.state == "completed"
    assert reg(s, QUEBEC).holding("ALUMINERIE") == 0
    assert reg(s, QUEBEC).holding(compliance_account("ALUMINERIE")) == 9_375_000


@covers("CMP-601")
def test_an_internal_purchase_above_the_holding_limit_is_refused() -> None:
    s = new_system(MARKET_300)
    participant(s, QUEBEC, "SELLER")
    participant(s, QUEBEC, "BUYER")
    auction(
        s,
        auction_id="A2016-1",
        year=2016,
        business_date="2016-02-17",
        offers={CALIFORNIA: 200_000_000, QUEBEC: 50_000_000},
        bids=[bid(QUEBEC, "SELLER", 9_375_000, "13.00"), bid(QUEBEC, "BUYER", 9_000_000, "13.00")],
    )
    q = reg(s, QUEBEC)
    assert q.holding("SELLER") == 9_375_000 and q.holding("BUYER") == 9_000_000
    before = q.recorder.max_notification_id()
    refused = s.do(
        QUEBEC,
        "transfer",
        {"transaction_id": "T1", "business_date": "2016-03-01", "account": "SELLER",
         "to_account": "BUYER", "quantity": 375_001},
    )  # fmt: skip
    assert refused.state == "refused" and refused.code == "CMP-601"
    assert q.holding("BUYER") == 9_000_000
    assert q.recorder.max_notification_id() == before + 1  # the refusal alone is recorded


@covers("CMP-602")
def test_units_leave_a_compliance_account_only_by_surrender(system: EmbeddedSystem) -> None:
    s = system
    register(s, CALIFORNIA, "REFINERY", allocation={"2014": 300_000})
    register(s, CALIFORNIA, "PLANT")
    receipt = s.do(
        CALIFORNIA,
        "allocate",
        {
            "transaction_id": "A14",
            "entity": "REFINERY",
            "year": 2014,
            "business_date": "2014-02-01",
        },
    )
    assert receipt.state == "completed"
    # free allocation lands in the compliance account [GK]
    assert held(s, CALIFORNIA, compliance_account("REFINERY"), "CCA") == 300_000
    out = s.do(
        CALIFORNIA,
        "transfer",
        {"transaction_id": "T1", "business_date": "2014-03-01",
         "account": compliance_account("REFINERY"), "to_account": "PLANT", "quantity": 1},
    )  # fmt: skip
    assert out.code == "CMP-602"
    participant(s, CALIFORNIA, "TRADER")
    s.do(
        CALIFORNIA,
        "issue",
        {"transaction_id": "O1", "business_date": "2014-03-01", "account": "TRADER",
         "unit_type": "ARBOC", "vintage": 2014, "quantity": 10},
    )  # fmt: skip
    into = s.do(
        CALIFORNIA,
        "transfer",
        {"transaction_id": "T2", "business_date": "2014-03-01", "account": "TRADER",
         "to_account": compliance_account("PLANT"), "quantity": 10},
    )  # fmt: skip
    assert into.code == "CMP-602"
    assert held(s, CALIFORNIA, "TRADER") == 10


@covers("CMP-009")
def test_allowances_come_only_from_allocation_or_auction(system: EmbeddedSystem) -> None:
    participant(system, CALIFORNIA, "TRADER")
    data = {"transaction_id": "I1", "business_date": "2014-03-01", "account": "TRADER",
            "vintage": 2014, "quantity": 10}  # fmt: skip
    assert system.do(CALIFORNIA, "issue", {**data, "unit_type": "CCA"}).code == "CMP-009"
    offsets = system.do(CALIFORNIA, "issue", {**data, "transaction_id": "I2", "unit_type": "ARBOC"})
    assert offsets.state == "completed"


# -- offset limits -------------------------------------------------------------------------


def offsets_into_compliance(s: EmbeddedSystem, code: str, entity: str, unit: str, n: int) -> None:
    for tid, kind, data in (
        ("O", "issue", {"account": entity, "unit_type": unit, "vintage": 2018, "quantity": n}),
        ("M", "transfer", {"account": entity, "to_account": compliance_account(entity),
                           "quantity": n}),
    ):  # fmt: skip
        receipt = s.do(code, kind, {"transaction_id": tid, "business_date": "2021-01-15", **data})
        assert receipt.state == "completed", receipt


def verify(s: EmbeddedSystem, code: str, entity: str, years: range, tonnes: int) -> None:
    for y in years:
        reg(s, code).verify_emissions(
            {"entity": entity, "year": y, "tonnes": tonnes, "business_date": f"{y + 1}-06-01"}
        )


@covers("CMP-003")
def test_an_offset_use_of_9_percent_in_quebec_is_refused(system: EmbeddedSystem) -> None:
    s = system
    register(s, QUEBEC, "CIMENTERIE", on="2018-01-02")
    verify(s, QUEBEC, "CIMENTERIE", range(2018, 2021), 100_000)  # obligation 300,000 (CP3)
    offsets_into_compliance(s, QUEBEC, "CIMENTERIE", "QCOC", 27_000)
    comply = {"entity": "CIMENTERIE", "period": "CP3", "unit_type": "QCOC",
              "business_date": "2021-10-01"}  # fmt: skip
    # 9% of 300,000 = 27,000: above the 8% limit (L47)
    nine = s.do(QUEBEC, "comply", {"transaction_id": "S9", "quantity": 27_000, **comply})
    assert nine.state == "refused" and nine.code == "CMP-003"
    assert "24000" in (nine.reason or "")
    eight = s.do(QUEBEC, "comply", {"transaction_id": "S8", "quantity": 24_000, **comply})
    assert eight.state == "completed"
    more = s.do(QUEBEC, "comply", {"transaction_id": "S1", "quantity": 1, **comply})
    assert more.code == "CMP-003"


def test_californias_offset_limit_follows_the_emission_years() -> None:
    rules = california().rules
    s = new_system()
    register(s, CALIFORNIA, "PLANT", on="2021-01-02")
    verify(s, CALIFORNIA, "PLANT", range(2021, 2027), 100_000)
    entity = reg(s, CALIFORNIA).entity("PLANT")
    assert entity is not None
    # CP4 2021–2023: 4% ([GK] L47) of 300,000 = 12,000
    cp4 = rules.offset_limit(entity, rules.period("CP4"))
    assert cp4 is not None and cp4[0] == 12_000
    # CP5 2024–2026: 4% + 4% + 6% of 100,000 each = 14,000
    cp5 = rules.offset_limit(entity, rules.period("CP5"))
    assert cp5 is not None and cp5[0] == 14_000
    # to 2020: 8% (L47)
    register(s, CALIFORNIA, "OLD", on="2015-01-02")
    verify(s, CALIFORNIA, "OLD", range(2018, 2021), 100_000)
    old = reg(s, CALIFORNIA).entity("OLD")
    assert old is not None
    cp3 = rules.offset_limit(old, rules.period("CP3"))
    assert cp3 is not None and cp3[0] == 24_000


def test_a_quebec_emitter_surrenders_california_allowances_with_both_adjustments() -> None:
    s = new_system(MARKET_300)
    register(s, QUEBEC, "CIMENTERIE", on="2015-01-02")
    verify(s, QUEBEC, "CIMENTERIE", range(2015, 2018), 10_000)
    auction(
        s,
        auction_id="A2015-1",
        year=2015,
        business_date="2015-02-18",
        offers={CALIFORNIA: 900_000, QUEBEC: 100_000},
        bids=[bid(QUEBEC, "CIMENTERIE", 30_000, "12.50")],
    )
    # 27,000 of its own jurisdiction's allowances were sold... no: 90% of sales are
    # California's, so the Québec winner gets Québec's 3,000 and 27,000 CCA across the link
    q = reg(s, QUEBEC)
    assert held(s, QUEBEC, compliance_account("CIMENTERIE"), "QCA") == 3_000
    assert held(s, QUEBEC, compliance_account("CIMENTERIE"), "CCA") == 27_000
    receipt = s.do(
        QUEBEC,
        "comply",
        {"transaction_id": "S", "entity": "CIMENTERIE", "period": "CP2", "quantity": 30_000,
         "business_date": "2018-10-15"},
    )  # fmt: skip
    assert receipt.state == "completed"
    (result,) = q.close_period({"period": "CP2", "business_date": "2018-11-02"})
    assert result["compliant"]
    rows = {
        (a["party"], a["role"]): a["quantity"] for a in adjustment_events(read(s.clearinghouse))
    }
    assert rows == {("US", "first_transfer"): 27_000, ("CA", "use"): 27_000}
    assert invariants.check(read(s.clearinghouse)) == []


def test_a_shortfall_owes_four_allowances_for_each_missing_one(system: EmbeddedSystem) -> None:
    s = system
    register(s, CALIFORNIA, "PLANT", on="2013-01-02", allocation={"2013": 1_000})
    s.do(CALIFORNIA, "allocate", {"transaction_id": "A", "entity": "PLANT", "year": 2013,
                                  "business_date": "2013-02-01"})  # fmt: skip
    verify(s, CALIFORNIA, "PLANT", range(2013, 2015), 600)
    s.do(CALIFORNIA, "comply", {"transaction_id": "S", "entity": "PLANT", "period": "CP1",
                                "quantity": 1_000, "business_date": "2015-10-01"})  # fmt: skip
    r = reg(s, CALIFORNIA)
    (result,) = r.close_period({"period": "CP1", "business_date": "2015-11-02"})
    assert result["shortfall"] == 200 and "4 × 200" in result["penalty_basis"]
    verify(s, CALIFORNIA, "PLANT", range(2015, 2018), 0)
    entity = r.entity("PLANT")
    assert entity is not None
    assert r.rules.obligation(entity, r.rules.period("CP2")) == 800


# -- joint auctions -----------------------------------------------------------------------


def test_the_reserve_price_rises_5_percent_plus_inflation_from_10_dollars_in_2012() -> None:
    assert reserve_price(2012) == Decimal("10.00")
    assert reserve_price(2014) == Decimal("11.34")  # L48: the 25 Nov 2014 floor
    assert reserve_price(2021) == Decimal("17.71")  # L48: the Feb 2021 floor
    # with no inflation the rule is 5% a year, rounded to the cent each year
    assert reserve_price(2014, {}) == Decimal("11.03")  # 10 → 10.50 → 11.03 (11.025 half up)


def test_a_joint_auction_clears_at_the_reserve_price(system: EmbeddedSystem) -> None:
    s = system
    register(s, CALIFORNIA, "REFINERY")
    register(s, QUEBEC, "CIMENTERIE")
    participant(s, CALIFORNIA, "FUND")
    result = auction(
        s,
        auction_id="A2014-4",
        year=2014,
        business_date="2014-11-25",
        offers={CALIFORNIA: 100_000, QUEBEC: 20_000},
        bids=[
            bid(CALIFORNIA, "REFINERY", 15_000, "15.00"),
            bid(QUEBEC, "CIMENTERIE", 12_000, "11.34"),
            bid(CALIFORNIA, "FUND", 4_000, "12.00"),
            bid(CALIFORNIA, "FUND", 5_000, "11.00"),  # below the reserve: not filled
        ],
    )
    # fewer bids at or above the reserve than allowances: the reserve price (L48: $11.34)
    assert result["reserve_price"] == "11.34"
    assert result["settlement_price"] == "11.34" and result["at_reserve"]
    assert result["sold"] == 31_000 and result["unsold"] == 89_000
    assert result["below_reserve"] == 5_000
    # each jurisdiction sells pro rata to its offer: 100,000 : 20,000
    assert result["sold_by"] == {CALIFORNIA: 25_833, QUEBEC: 5_167}
    assert result["proceeds_by"] == {CALIFORNIA: "292946.22", QUEBEC: "58593.78"}
    # every winner pays the same price and receives what it won
    assert held(s, CALIFORNIA, compliance_account("REFINERY"), "CCA") == 15_000
    assert held(s, CALIFORNIA, "FUND", "CCA") == 4_000
    cim = compliance_account("CIMENTERIE")
    assert held(s, QUEBEC, cim, "QCA") == 5_167
    assert held(s, QUEBEC, cim, "CCA") == 6_833  # the rest crossed the link
    books = reg(s, QUEBEC).auctions()["A2014-4"]
    assert books["price"] == "11.34" and books["sold"] == 5_167


def test_the_2014_joint_auction_sold_23_070_987_at_12_10() -> None:
    # L48: 25 Nov 2014, 23,070,987 current allowances at $12.10 (reserve $11.34). The
    # offers and bids are illustrative; the supply, the reserve and the price are the source's.
    offered = {CALIFORNIA: 20_070_987, QUEBEC: 3_000_000}
    bids = [
        JointBid("A", CALIFORNIA, 12_000_000, Decimal("12.50")),
        JointBid("B", QUEBEC, 6_000_000, Decimal("12.25")),
        JointBid("C", CALIFORNIA, 10_000_000, Decimal("12.10")),
        JointBid("D", CALIFORNIA, 2_000_000, Decimal("11.50")),
    ]
    result = clear_joint(offered, bids, reserve_price(2014), {})
    assert result.sold == 23_070_987 and result.price == Decimal("12.10")
    assert not result.at_reserve
    assert {a.bidder: a.quantity for a in result.awards} == {
        "A": 12_000_000, "B": 6_000_000, "C": 5_070_987,
    }  # fmt: skip


def test_ties_at_the_settlement_price_share_in_whole_lots() -> None:
    bids = [
        JointBid("A", CALIFORNIA, 6_000, Decimal("20")),
        JointBid("B", CALIFORNIA, 3_000, Decimal("15")),
        JointBid("C", QUEBEC, 3_000, Decimal("15")),
    ]
    result = clear_joint({CALIFORNIA: 9_500}, bids, Decimal("10"), {})
    # 3,500 left for 6,000 at $15: one lot each, then the leftover lot and a half
    # in submission order
    assert result.price == Decimal("15")
    assert {a.bidder: a.quantity for a in result.awards} == {"A": 6_000, "B": 2_000, "C": 1_500}


@covers("MKT-601")
def test_purchase_limits_per_bidder_kind(system: EmbeddedSystem) -> None:
    s = system
    register(s, CALIFORNIA, "REFINERY")
    register(s, CALIFORNIA, "PGE", sector="utility")
    participant(s, QUEBEC, "FUND")
    result = auction(
        s,
        auction_id="A2014-1",
        year=2014,
        business_date="2014-02-19",
        offers={CALIFORNIA: 90_000, QUEBEC: 10_000},
        bids=[
            bid(CALIFORNIA, "REFINERY", 20_000, "14.00"),  # covered entity: 15% = 15,000
            bid(CALIFORNIA, "PGE", 50_000, "14.00"),  # utility: 40% = 40,000
            bid(QUEBEC, "FUND", 10_000, "14.00"),  # other: 4% = 4,000
        ],
    )
    awards = {a["bidder"]: a["quantity"] for a in result["awards"]}
    assert awards == {"REFINERY": 15_000, "PGE": 40_000, "FUND": 4_000}
    cut = {c["bidder"]: (c["quantity"], c["reason"]) for c in result["cut"]}
    assert cut["REFINERY"][0] == 5_000 and "15% of the 100000 offered" in cut["REFINERY"][1]
    assert cut["PGE"][0] == 10_000 and "40%" in cut["PGE"][1]
    assert cut["FUND"][0] == 6_000 and "(other)" in cut["FUND"][1]
    # the advance auction: 25% for everyone (L49)
    advance = auction(
        s,
        auction_id="A2014-1-ADV",
        year=2014,
        kind="advance",
        business_date="2014-02-19",
        offers={CALIFORNIA: 10_000},
        bids=[bid(QUEBEC, "FUND", 5_000, "12.00")],
    )
    assert advance["vintage"] == 2017 and advance["awards"][0]["quantity"] == 2_500


@covers("INP-001")
def test_bids_come_in_lots_of_1000(system: EmbeddedSystem) -> None:
    participant(system, CALIFORNIA, "FUND")
    with pytest.raises(Refused) as refused:
        hold_joint_auction(
            registries(system),
            {"auction_id": "X", "year": 2015, "business_date": "2015-02-18",
             "offers": {CALIFORNIA: 10_000}, "bids": [bid(CALIFORNIA, "FUND", 1_500, "13")]},
        )  # fmt: skip
    assert refused.value.code == "INP-001" and "lots of 1,000" in refused.value.reason


# -- Ontario, 2018 ------------------------------------------------------------------------


@pytest.fixture
def with_ontario(system: EmbeddedSystem) -> EmbeddedSystem:
    s = system
    s.clearinghouse.conclude_agreement(ontario_accession())
    register(s, CALIFORNIA, "REFINERY", on="2017-01-03")
    register(s, QUEBEC, "CIMENTERIE", on="2017-01-03")
    participant(s, ONTARIO, "ON_TRADER")
    return s


def test_ontario_joins_on_1_january_2018_and_trades_across(with_ontario: EmbeddedSystem) -> None:
    s = with_ontario
    result = auction(
        s,
        auction_id="A2018-1",
        year=2018,
        business_date="2018-02-21",
        offers={CALIFORNIA: 60_000, QUEBEC: 10_000, ONTARIO: 30_000},
        bids=[
            bid(ONTARIO, "ON_TRADER", 4_000, "15.00"),
            bid(CALIFORNIA, "REFINERY", 15_000, "15.00"),
        ],
    )
    assert result["sold"] == 19_000 and result["settlement_price"] == "14.53"  # 2018 reserve
    assert held(s, ONTARIO, "ON_TRADER", "ONA") == 4_000
    # 30% of the sales are Ontario's: 5,700 ONA, 4,000 to its own trader, 1,700 to California
    assert held(s, CALIFORNIA, compliance_account("REFINERY"), "ONA") == 1_700
    sale = s.do(
        ONTARIO,
        "transfer_abroad",
        {"transaction_id": "T1", "business_date": "2018-03-01", "account": "ON_TRADER",
         "to_registry": QUEBEC, "to_account": "CIMENTERIE", "quantity": 1_000},
    )  # fmt: skip
    assert sale.state == "completed"
    assert held(s, QUEBEC, "CIMENTERIE", "ONA") == 1_000
    # both Canadian: no adjustment between Ontario and Québec
    txn = s.clearinghouse.transaction("T1", ONTARIO)
    assert txn is not None and txn.state == "completed" and txn.adjustments == []


@covers("AGR-004", "CMP-603", "MKT-602")
def test_ontario_units_after_exit_cannot_cross_the_link(with_ontario: EmbeddedSystem) -> None:
    s = with_ontario
    auction(
        s,
        auction_id="A2018-2",
        year=2018,
        business_date="2018-05-15",
        offers={ONTARIO: 200_000},
        bids=[
            bid(ONTARIO, "ON_TRADER", 5_000, "15.00"),
            bid(CALIFORNIA, "REFINERY", 3_000, "15.00"),
        ],
    )
    participant(s, CALIFORNIA, "CA_TRADER")
    s.do(
        ONTARIO,
        "transfer_abroad",
        {"transaction_id": "T1", "business_date": "2018-06-01", "account": "ON_TRADER",
         "to_registry": CALIFORNIA, "to_account": "CA_TRADER", "quantity": 2_000},
    )  # fmt: skip
    assert held(s, CALIFORNIA, "CA_TRADER", "ONA") == 2_000
    s.clearinghouse.change_agreement(ontario_exit())
    after = "2018-07-10"
    # from Ontario: the clearinghouse refuses, the link is de-linked
    out = s.do(
        ONTARIO,
        "transfer_abroad",
        {"transaction_id": "T2", "business_date": after, "account": "ON_TRADER",
         "to_registry": CALIFORNIA, "to_account": "CA_TRADER", "quantity": 1_000},
    )  # fmt: skip
    assert out.state == "rejected" and out.code == "AGR-004"
    assert held(s, ONTARIO, "ON_TRADER", "ONA") == 3_000
    # Ontario units held in California cannot go on to Québec either
    onward = s.do(
        CALIFORNIA,
        "transfer_abroad",
        {"transaction_id": "T3", "business_date": after, "account": "CA_TRADER",
         "to_registry": QUEBEC, "to_account": "CIMENTERIE", "quantity": 1_000, "unit_type": "ONA"},
    )  # fmt: skip
    assert onward.state == "refused" and onward.code == "CMP-603"
    assert held(s, CALIFORNIA, "CA_TRADER", "ONA") == 2_000
    # ...but stay valid where they are (rule choice "remain_valid"): traded and surrendered
    inside = s.do(
        CALIFORNIA,
        "transfer",
        {"transaction_id": "T4", "business_date": after, "account": "CA_TRADER",
         "to_account": "REFINERY", "quantity": 2_000},
    )  # fmt: skip
    assert inside.state == "completed"
    # Ontario is out of the next joint auction
    with pytest.raises(Refused) as refused:
        hold_joint_auction(
            registries(s),
            {"auction_id": "A2018-3", "year": 2018, "business_date": "2018-08-15",
             "offers": {CALIFORNIA: 10_000, ONTARIO: 10_000},
             "bids": [bid(CALIFORNIA, "REFINERY", 1_000, "16")]},
        )  # fmt: skip
    assert refused.value.code == "MKT-602"


@covers("CMP-603")
def test_the_frozen_rule_choice_keeps_ontario_units_where_they_are() -> None:
    s = new_system(ontario_units="frozen")
    s.clearinghouse.conclude_agreement(ontario_accession())
    register(s, CALIFORNIA, "REFINERY", on="2017-01-03")
    participant(s, ONTARIO, "ON_TRADER")
    auction(
        s,
        auction_id="A2018-2",
        year=2018,
        business_date="2018-05-15",
        offers={ONTARIO: 20_000},
        bids=[bid(CALIFORNIA, "REFINERY", 3_000, "15.00")],
    )
    s.clearinghouse.change_agreement(ontario_exit())
    verify(s, CALIFORNIA, "REFINERY", range(2018, 2021), 1_000)
    surrender = s.do(
        CALIFORNIA,
        "comply",
        {"transaction_id": "S", "entity": "REFINERY", "period": "CP3", "quantity": 3_000,
         "business_date": "2021-10-01"},
    )  # fmt: skip
    assert surrender.state == "refused" and surrender.code == "CMP-603"
    assert "frozen" in (surrender.reason or "")
    assert held(s, CALIFORNIA, compliance_account("REFINERY"), "ONA") == 3_000


def test_an_exit_date_other_than_3_july_moves_the_holding_limit_too() -> None:
    market = WciMarket(members=memberships(date(2018, 6, 15)))
    assert ONTARIO not in market.linked(date(2018, 6, 20))
    assert market.ontario_exit == date(2018, 6, 15)
    assert ONTARIO in WciMarket().linked(date(2018, 6, 20))
    assert Cap(1, "x").quantity == 1
