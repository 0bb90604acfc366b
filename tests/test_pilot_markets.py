"""The pilots' market-stabilisation rules (E:1499–1591, E:551; china-ets.md, Pilots).

Rules that forbid a trade refuse it (MKT-001, MKT-002, CMP-009) and change
nothing; rules that tell the authority to intervene are triggers, evaluated
over recorded trades or a replayed price series and recorded on the market.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from adapters.pilots.parameters import profile
from adapters.pilots.stabilisation import DailyPrice, average_price, beijing_band, months_before
from adapters.pilots.stabilisation import Trade as PricedTrade
from tests.coverage import covers
from tests.pilot_helpers import allocate, held, holdings, register, stand_up, trade, verify


def days(start: date, prices: list[int]) -> list[dict[str, object]]:
    return [
        {"day": (start + timedelta(days=i)).isoformat(), "price": str(p), "volume": 100}
        for i, p in enumerate(prices)
    ]


def test_beijing_intervenes_above_150_for_10_days_or_below_20() -> None:
    # Beijing: "market intervention when weighted average price is over 150 CNY for
    # 10 consecutive days; price is below CNY 20" (E:1506–1515)
    _s, r = stand_up("beijing")
    nine = days(date(2015, 3, 1), [151] * 9 + [149] + [151] * 10 + [19])
    fired = r.evaluate_market({"evaluation": "EV1", "as_of": "2015-12-31", "prices": nine})
    assert [(t["rule"], t["day"]) for t in fired] == [
        ("price above band", "2015-03-20"),  # the tenth day of the second run
        ("price below band", "2015-03-21"),
    ]
    assert r.market().evaluations["EV1"] == fired
    # repeating the evaluation changes nothing and answers the same
    before = r.recorder.max_notification_id()
    again = r.evaluate_market({"evaluation": "EV1", "as_of": "2015-12-31", "prices": []})
    assert again == fired and r.recorder.max_notification_id() == before
    # exactly 150 is not "over 150"; exactly 20 is not "below 20"
    rule = profile("beijing").parameters(2015).stabilisation
    flat = [DailyPrice(date(2015, 4, d), Decimal(150), 1) for d in range(1, 12)]
    assert beijing_band(flat, rule) == []
    assert beijing_band([DailyPrice(date(2015, 5, 1), Decimal(20), 1)], rule) == []


def entities(name: str, tonnes: int = 200_000, year: int = 2014, **options: Any) -> tuple:
    s, r = stand_up(name, **options)
    for entity in ("A", "B"):
        register(r, entity, "steel", 100_000, historical_emissions=tonnes, benchmark="1")
        verify(r, entity, year - 1, tonnes, output=tonnes)
        allocate(s, r, f"I-{entity}", entity, year, "initial")
    return s, r


@covers("MKT-001")
def test_shanghai_refuses_a_trade_moving_the_price_more_than_10_percent_in_a_day() -> None:
    # Shanghai: intervention "when prices vary more than 10% in one day" (E:1568–1573):
    # the registry refuses a trade more than 10% from the previous trading day's
    # weighted average. Day 1 at 40 CNY → day 2 allowed 36–44.
    s, r = entities("shanghai")
    assert trade(s, r, "T1", "A", "B", 1_000, "2014-06-02", "40").state == "completed"
    before = holdings(r)
    jump = trade(s, r, "T2", "A", "B", 1_000, "2014-06-03", "44.01")
    assert jump.code == "MKT-001" and "36.0000–44.0000" in (jump.reason or "")
    assert holdings(r) == before and len(r.market().trades) == 1
    assert trade(s, r, "T3", "A", "B", 1_000, "2014-06-03", "44").state == "completed"
    assert trade(s, r, "T4", "A", "B", 1_000, "2014-06-03", "35.99").code == "MKT-001"
    # the recorded trades replay as triggers: none fired (every move was within 10%)
    assert r.evaluate_market({"evaluation": "E", "as_of": "2014-06-30"}) == []
    # a replayed series flags the day the price jumped
    series = days(date(2014, 7, 1), [40, 45, 44])
    fired = r.evaluate_market({"evaluation": "R", "as_of": "2014-07-31", "prices": series})
    assert [(t["rule"], t["day"]) for t in fired] == [("daily move above limit", "2014-07-02")]


@covers("MKT-002")
def test_shanghai_100000_t_or_more_must_be_negotiated() -> None:
    # "Shanghai requiring negotiated transactions for transfers of 100,000 or more
    # metric tons" (E:551)
    s, r = entities("shanghai")
    before = holdings(r)
    listed = trade(s, r, "L", "A", "B", 100_000, "2014-06-02")
    assert listed.code == "MKT-002" and holdings(r) == before
    assert trade(s, r, "S", "A", "B", 99_999, "2014-06-02").state == "completed"
    big = trade(s, r, "N", "A", "B", 100_000, "2014-06-02", negotiated=True)
    assert big.state == "completed" and held(r, "B") == 200_000 + 199_999


@covers("MKT-002")
def test_chongqing_entities_sell_at_most_half_their_free_allocation() -> None:
    # Chongqing: "compliance entities cannot sell more than 50% of their free
    # allocation" (E:1531–1535): A got 10,000 t for 2015, so at most 5,000 t sold.
    s, r = entities("chongqing", tonnes=10_000, year=2015)
    assert trade(s, r, "T1", "A", "B", 3_000, "2015-05-02", "30").state == "completed"
    before = holdings(r)
    over = trade(s, r, "T2", "A", "B", 2_001, "2015-05-03", "30")
    assert over.code == "MKT-002" and "50% of its 2015 free allocation" in (over.reason or "")
    assert holdings(r) == before
    assert trade(s, r, "T3", "A", "B", 2_000, "2015-05-03", "30").state == "completed"
    # B bought 5,000 t: it may still sell half of its own allocation
    assert trade(s, r, "T4", "B", "A", 5_000, "2015-05-04", "30").state == "completed"


@covers("CMP-009")
def test_hubei_keeps_8_percent_of_its_cap_as_government_reserve() -> None:
    # Hubei: "8% of the total cap kept as government reserve" (E:1562–1566); 2016 cap
    # 253 Mt (E:1270) → 20,240,000 t issued into the RESERVE account, once a year.
    s, r = stand_up("hubei")
    data = {"transaction_id": "R16", "year": 2016, "business_date": "2016-01-05"}
    r.establish_reserve(data)
    s.settle()
    assert held(r, "RESERVE") == 20_240_000
    ledger = s.clearinghouse.ledger("CN_HB", "HBEA")
    assert ledger is not None and ledger.holdings() == {("CN_HB", "active"): 20_240_000}
    before = holdings(r)
    twice = s.do("CN_HB", "establish_reserve", {**data, "transaction_id": "R16b"})
    assert twice.code == "CMP-009" and holdings(r) == before
    # no cap configured for 2015: the facts are missing
    missing = s.do("CN_HB", "establish_reserve", {**data, "transaction_id": "R15", "year": 2015})
    assert missing.code == "CMP-006"
    # a configured cap is used
    s2, r2 = stand_up("hubei", caps={2015: 281_000_000})
    r2.establish_reserve({**data, "transaction_id": "R15", "year": 2015})
    s2.settle()
    assert held(r2, "RESERVE") == 22_480_000


def test_shenzhen_buys_back_at_most_10_percent_of_the_allocation() -> None:
    # Shenzhen: the authority "can sell extra allowances and only buy back up to 10%
    # of total allocation" (E:1575–1585): allocations 2 × 50,000 = 100,000 t → 10,000 t.
    s, r = entities("shenzhen", tonnes=50_000, year=2015)

    def buy(tid: str, account: str, quantity: int) -> object:
        data = {
            "transaction_id": tid,
            "account": account,
            "year": 2015,
            "quantity": quantity,
            "price": "25",
            "business_date": "2015-10-01",
        }
        r.buy_back(data)
        s.settle()
        txn = r.transaction(tid, "internal")
        assert txn is not None
        return txn.verdict["code"] if txn.verdict else txn.state

    assert buy("B1", "A", 6_000) == "completed"
    before = holdings(r)
    assert buy("B2", "B", 4_001) == "CMP-009" and holdings(r) == before
    assert buy("B3", "B", 4_000) == "completed"
    assert held(r, "RESERVE") == 10_000 and r.market().bought_back == {2015: 10_000}
    # the authority's buy-backs are not market prices for the triggers and fines
    assert r.market().trades == []


def test_guangdong_auctions_at_or_above_the_floor_within_the_auction_share() -> None:
    # Guangdong: free allocation + auctioning (2.04% in 2014, E:1339–1344) with an
    # auction price floor (E:1549–1551; its level, CNY 60, is an assumption [GK]).
    # With a configured 2014 cap of 1,000,000 t, 20,400 t may be auctioned.
    s, r = stand_up("guangdong", caps={2014: 1_000_000})
    register(r, "MILL", "steel", 30_000, benchmark="1", planned_output=30_000)

    def auction(tid: str, quantity: int, price: str) -> str:
        data = {
            "transaction_id": tid,
            "account": "MILL",
            "year": 2014,
            "quantity": quantity,
            "price": price,
            "business_date": "2014-03-01",
        }
        receipt = s.do("CN_GD", "auction", data)
        return receipt.code or receipt.state

    before = holdings(r)
    assert auction("A1", 10_000, "59.99") == "MKT-001"
    assert holdings(r) == before and r.market().auctioned == {}
    assert auction("A2", 10_000, "60") == "completed"
    before = holdings(r)
    assert auction("A3", 10_401, "61") == "CMP-009"
    assert holdings(r) == before and r.market().auctioned == {2014: 10_000}
    assert auction("A4", 10_400, "61") == "completed"
    assert held(r, "MILL") == 20_400 and r.market().auctioned == {2014: 20_400}
    assert r.conservation().balanced
    # other pilots allocate free only
    s, bj = stand_up("beijing")
    register(bj, "MILL", "steel", 30_000)
    assert s.do("CN_BJ", "auction", {**_auction("X"), "account": "MILL"}).code == "CMP-009"


def _auction(tid: str) -> dict[str, object]:
    return {
        "transaction_id": tid,
        "year": 2014,
        "quantity": 1,
        "price": "100",
        "business_date": "2014-03-01",
    }


def test_average_prices_over_a_window() -> None:
    # the penalty rules' "average market price over past 6 months" (E:1386–1392)
    trades = [
        PricedTrade(date(2014, 12, 30), Decimal(90), 10),  # 6 months before: outside
        PricedTrade(date(2015, 1, 1), Decimal(40), 1_000),
        PricedTrade(date(2015, 6, 30), Decimal(60), 3_000),
    ]
    # the window is (30 Dec 2014, 30 Jun 2015]: (1,000 × 40 + 3,000 × 60) / 4,000
    assert average_price(trades, date(2015, 6, 30), 6) == Decimal(55)
    assert months_before(date(2015, 8, 31), 6) == date(2015, 2, 28)
    assert average_price([], date(2015, 6, 30), 6) is None
