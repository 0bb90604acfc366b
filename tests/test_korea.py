"""K-ETS: one test per rule with the documents' own numbers, a multi-year test
(a phase II year and a phase III year), and Korea importing foreign units
through the clearinghouse under a restricted link.

Sources: reference/northeast-asia.md, "Korea" (E: lines of the English ASPI
report 001, C: lines and endnotes of the Chinese edition 000). [GK] marks an
assumption the sources do not state (docs/jurisdictions.md, "Korea: K-ETS").
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from adapters.base import RegistryConfig
from adapters.compliance import percent
from adapters.korea import k_ets
from adapters.korea.auction import Bid, clear
from adapters.korea.eite import is_eite
from adapters.korea.ndc import KOREA_NDC, import_limit, international_limit
from adapters.korea.registry import KoreaRegistry
from adapters.korea.stabilisation import MarketMonth, evaluate, fired
from clearinghouse.checks import Refused
from clearinghouse.system import EmbeddedSystem
from projections import invariants
from projections.adjustments import adjustments
from projections.log import read
from tests.coverage import covers

KR = "KR_ETS"
ACCOUNTS = ("POWERCO", "STEELCO", "AUCTION", "SURRENDER", "CANCELLATION", "RECOVERY")


def make_system(**options: Any) -> tuple[EmbeddedSystem, KoreaRegistry]:
    s = EmbeddedSystem()
    s.clearinghouse.register_party(
        {
            "code": "KR",
            "name": "Republic of Korea",
            "ndc": {"type": "bau_relative", "period": "single-year", "target_years": [2030]},
        }
    )
    registry = s.add_registry(k_ets(**options))
    assert isinstance(registry, KoreaRegistry)
    return s, registry


def register(r: KoreaRegistry, entity: str, base: int, **attributes: Any) -> None:
    r.register_entity(
        {
            "entity": entity,
            "name": entity.title(),
            "sector": attributes.pop("sector", "power"),
            "emissions": base,
            "attributes": {"base_emissions": base, **attributes},
            "business_date": "2015-01-05",
        }
    )


@pytest.fixture
def kr() -> tuple[EmbeddedSystem, KoreaRegistry]:
    """POWERCO: not EITE, base-period emissions 1,000,000 t a year. STEELCO: EITE
    (trade intensity 35%), base 500,000 t a year."""
    s, r = make_system()
    register(r, "POWERCO", 1_000_000, trade_intensity="2", cost_rate="3")
    register(r, "STEELCO", 500_000, sector="steel", trade_intensity="35", cost_rate="4")
    return s, r


def verify(r: KoreaRegistry, entity: str, year: int, tonnes: int) -> None:
    r.verify_emissions(
        {"entity": entity, "year": year, "tonnes": tonnes, "business_date": f"{year + 1}-03-31"}
    )


def allocate(s: EmbeddedSystem, entity: str, year: int) -> Any:
    data = {
        "transaction_id": f"A-{entity}-{year}",
        "entity": entity,
        "year": year,
        "business_date": f"{year}-01-15",
    }
    return s.do(KR, "allocate", data)


def comply(s: EmbeddedSystem, tid: str, entity: str, year: int, **units: Any) -> Any:
    data = {
        "transaction_id": tid,
        "entity": entity,
        "period": str(year),
        "business_date": f"{year + 1}-06-01",
        **units,
    }
    return s.do(KR, "comply", data)


def issue(s: EmbeddedSystem, tid: str, account: str, unit_type: str, vintage: int, qty: int) -> Any:
    data = {
        "transaction_id": tid,
        "account": account,
        "unit_type": unit_type,
        "vintage": vintage,
        "quantity": qty,
        "business_date": f"{vintage}-05-01",
    }
    receipt = s.do(KR, "issue", data)
    assert receipt.state == "completed", receipt
    return receipt


def held(r: KoreaRegistry, account: str, unit_type: str = "KAU", vintage: int | None = None) -> int:
    a = r.account(account)
    assert a is not None
    return a.available.quantity(unit_type, vintage)


def snapshot(r: KoreaRegistry) -> dict[str, dict[str, int]]:
    """Every account's holdings by unit type: equal before and after a refusal."""
    out: dict[str, dict[str, int]] = {}
    for name in ACCOUNTS:
        a = r.account(name)
        if a is not None:
            out[name] = {t: a.available.quantity(t) for t in ("KAU", "KOC", "KCU", "CEA")}
    return out


# -- coverage (C: endnote 80) ---------------------------------------------------------------


@covers("CMP-001")
def test_coverage_follows_the_tms_thresholds_of_endnote_80() -> None:
    # Endnote 80 (C:4759): businesses that emit more than 50,000 tCO2e,
    # facilities more than 15,000 tCO2e.
    _s, r = make_system()
    before = r.recorder.max_notification_id()
    with pytest.raises(Refused) as business:
        register(r, "SMALLBIZ", 50_000)
    with pytest.raises(Refused) as facility:
        register(r, "SMALLFAC", 15_000, level="facility")
    assert business.value.code == facility.value.code == "CMP-001"
    assert "50000 t" in business.value.reason and "15000 t" in facility.value.reason
    assert r.recorder.max_notification_id() == before  # nothing recorded
    register(r, "BIZ", 50_001)
    register(r, "FAC", 15_001, level="facility")
    assert r.entity("BIZ") is not None and r.entity("FAC") is not None
    # [GK] the K-ETS Act's own thresholds are selectable: 125,000 t per business
    _s2, r2 = make_system(coverage="kets")
    with pytest.raises(Refused):
        register(r2, "BIZ", 125_000)
    register(r2, "BIG", 125_001)


# -- allocation per phase (E:2105–2109, E:2160–2162) ----------------------------------------


def test_phase_one_is_all_free_by_grandfathering(kr: Any) -> None:
    # Phase I 2015–2017: "grandfathering-based allocation methods, 100 percent
    # free allocation" (E:2105–2106).
    s, r = kr
    for year in (2015, 2016, 2017):
        assert allocate(s, "POWERCO", year).quantity == 1_000_000
    assert r.auction_pool(2016) == 0
    assert held(r, "POWERCO") == 3_000_000


def test_phase_two_2018_free_then_3_percent_auctioned_from_2019(kr: Any) -> None:
    # "auctioning up to 3 percent, but auctioning of units will begin in 2019 and
    # allowances will continue to be allocated for free in 2018" (E:2160–2162).
    s, r = kr
    assert allocate(s, "POWERCO", 2018).quantity == 1_000_000
    assert r.auction_pool(2018) == 0
    assert allocate(s, "POWERCO", 2019).quantity == 970_000  # 1,000,000 × 97%
    assert r.auction_pool(2019) == 30_000


def test_phase_three_auctions_10_percent_or_a_chosen_higher_share(kr: Any) -> None:
    # "the third phase will auction 10 percent of the allowances" (E:2162); the
    # earlier "more than 10 percent" (E:2109) is selectable.
    s, r = kr
    assert allocate(s, "POWERCO", 2021).quantity == 900_000
    assert r.auction_pool(2021) == 100_000
    s2, r2 = make_system(phase3_auction="15")
    register(r2, "POWERCO", 1_000_000)
    assert allocate(s2, "POWERCO", 2021).quantity == 850_000


def test_eite_entities_stay_100_percent_free_in_phase_three(kr: Any) -> None:
    # "the KETS allows free allocation to energy-intensive and trade-exposed
    # (EITE) sectors throughout all phases" (E:2116–2118).
    s, r = kr
    assert allocate(s, "STEELCO", 2021).quantity == 500_000
    steel = r.entity("STEELCO")
    assert steel is not None and r.rules.auctioned(steel, 2021) == 0


def test_eite_criteria() -> None:
    # E:2118–2120 (endnote 83): (1) trade intensity ≥ 30%, (2) production cost
    # rate ≥ 30%, (3) trade intensity ≥ 10% with production cost rate ≥ 5%.
    assert is_eite(percent(30), percent(0))
    assert is_eite(percent(0), percent(30))
    assert is_eite(percent(10), percent(5))
    assert not is_eite(percent("29.9"), percent("4.9"))
    assert not is_eite(percent(10), percent("4.9"))
    assert not is_eite(percent("9.9"), percent(29))


# -- auction of the non-free share ---------------------------------------------------------


@covers("CMP-009")
def test_auction_sells_the_withheld_share_at_one_clearing_price(kr: Any) -> None:
    # 2019: 3% of POWERCO's 1,000,000 t is withheld (E:2160–2162): 30,000 t.
    # [GK] rule: highest bids first, uniform price = the lowest accepted bid.
    s, r = kr
    allocate(s, "POWERCO", 2019)
    bids = [
        {"account": "POWERCO", "quantity": 20_000, "price": "25000"},
        {"account": "STEELCO", "quantity": 15_000, "price": "24000"},
        {"account": "STEELCO", "quantity": 5_000, "price": "20000"},  # below the reserve
    ]
    auction = {"year": 2019, "reserve_price": "21000", "business_date": "2019-03-05"}
    sold = s.do(
        KR, "hold_auction", {"transaction_id": "AU-19", "offered": 30_000, "bids": bids, **auction}
    )
    assert (sold.state, sold.quantity) == ("completed", 30_000)
    assert held(r, "POWERCO", vintage=2019) == 970_000 + 20_000
    assert held(r, "STEELCO", vintage=2019) == 10_000  # the marginal bid, partly filled
    assert held(r, "AUCTION") == 0
    delivery = r.transaction("AU-19:award2", "internal")
    assert delivery is not None and delivery.details["price"] == "24000"
    book = r.auction_book(2019)
    assert book is not None and book.sold == 30_000
    assert book.auctions["AU-19"]["price"] == "24000"
    # The pool is sold out: another auction is refused, nothing changes.
    before = snapshot(r)
    more = s.do(
        KR, "hold_auction", {"transaction_id": "AU-19b", "offered": 1, "bids": bids, **auction}
    )
    assert more.code == "CMP-009" and "0 t left" in (more.reason or "")
    # 2018 is allocated entirely free: no auction.
    free = {**auction, "year": 2018, "business_date": "2018-03-05"}
    none = s.do(KR, "hold_auction", {"transaction_id": "AU-18", "offered": 1, "bids": bids, **free})
    assert none.code == "CMP-009"
    assert snapshot(r) == before
    assert r.conservation().balanced


@covers("CMP-002")
def test_only_covered_entities_bid(kr: Any) -> None:
    s, r = kr
    allocate(s, "POWERCO", 2019)
    before = snapshot(r)
    bid = [{"account": "NOBODY", "quantity": 10, "price": "1"}]
    data = {
        "transaction_id": "AU",
        "year": 2019,
        "offered": 10,
        "bids": bid,
        "business_date": "2019-03-05",
    }
    assert s.do(KR, "hold_auction", data).code == "CMP-002"
    assert snapshot(r) == before


def test_uniform_price_clearing_rule() -> None:
    bids = [Bid("A", 10, Decimal(30)), Bid("B", 10, Decimal(31)), Bid("C", 10, Decimal(30))]
    result = clear(25, bids)
    assert result.price == Decimal(30)
    assert [(a.account, a.quantity) for a in result.awards] == [("B", 10), ("A", 10), ("C", 5)]
    assert clear(5, bids, reserve=Decimal(32)).price is None


# -- offsets: KOC -> KCU, limits per phase ---------------------------------------------


@covers("CMP-003", "CMP-004")
def test_koc_converts_to_kcu_and_kcu_is_limited_to_10_percent_in_phase_two(kr: Any) -> None:
    # [GK] KOC (Korean offset credit) must be converted into KCU to count; offsets
    # up to 10% of the obligation in phases I–II (northeast-asia.md, Korea).
    s, r = kr
    issue(s, "KOC-1", "POWERCO", "KOC", 2019, 200_000)
    verify(r, "POWERCO", 2019, 1_000_000)
    before = snapshot(r)
    unconverted = comply(s, "S-koc", "POWERCO", 2019, quantity=1_000, unit_type="KOC")
    assert unconverted.code == "CMP-004" and snapshot(r) == before
    converted = s.do(
        KR,
        "convert_offsets",
        {
            "transaction_id": "CV-1",
            "account": "POWERCO",
            "quantity": 150_000,
            "business_date": "2019-09-01",
        },
    )
    assert converted.state == "completed"
    kcu = r.transaction("CV-1:KCU")
    assert kcu is not None and kcu.state == "completed" and kcu.kind == "issuance"
    assert held(r, "POWERCO", "KOC") == 50_000 and held(r, "POWERCO", "KCU") == 150_000
    # The central ledger: the KOC cancelled, the KCU active; never both active.
    koc_ledger = s.clearinghouse.ledger(KR, "KOC")
    kcu_ledger = s.clearinghouse.ledger(KR, "KCU")
    assert koc_ledger is not None and kcu_ledger is not None
    assert koc_ledger.holdings() == {(KR, "active"): 50_000, (KR, "cancelled"): 150_000}
    assert kcu_ledger.holdings() == {(KR, "active"): 150_000}
    # obligation 1,000,000 t → at most 100,000 t of offsets
    before = snapshot(r)
    over = comply(s, "S-over", "POWERCO", 2019, quantity=100_001, unit_type="KCU")
    assert over.code == "CMP-003" and "100000 t" in (over.reason or "")
    assert snapshot(r) == before
    ok = comply(s, "S-kcu", "POWERCO", 2019, quantity=100_000, unit_type="KCU")
    assert ok.state == "completed" and held(r, "SURRENDER", "KCU") == 100_000
    c = r.conservation()
    assert c.balanced and c.ended == 150_000 + 100_000  # KOC cancelled + KCU surrendered


def test_conversion_takes_only_koc(kr: Any) -> None:
    s, r = kr
    allocate(s, "POWERCO", 2019)
    before = snapshot(r)
    kau = [{"registry": KR, "unit_type": "KAU", "vintage": 2019, "first": 1, "last": 10}]
    data = {
        "transaction_id": "CV",
        "account": "POWERCO",
        "blocks": kau,
        "business_date": "2019-09-01",
    }
    assert s.do(KR, "convert_offsets", data).code == "CMP-009"
    assert snapshot(r) == before


# -- borrowing and banking [GK] -----------------------------------------------------------------


@covers("CMP-008")
def test_borrowing_within_the_phase_up_to_15_percent(kr: Any) -> None:
    # [GK] borrowing allowed (E:2112), from a later year of the same phase, up to
    # 15% of the obligation in phase II.
    s, r = kr
    verify(r, "POWERCO", 2019, 1_000_000)
    verify(r, "POWERCO", 2020, 1_000_000)
    for year in (2019, 2020, 2021):
        allocate(s, "POWERCO", year)
    ok = comply(s, "S-b1", "POWERCO", 2019, quantity=150_000, vintage=2020)
    assert ok.state == "completed"
    before = snapshot(r)
    over = comply(s, "S-b2", "POWERCO", 2019, quantity=1, vintage=2020)
    assert over.code == "CMP-008" and "150000 t" in (over.reason or "")
    # a phase III allowance cannot be borrowed into phase II
    across = comply(s, "S-b3", "POWERCO", 2020, quantity=1, vintage=2021)
    assert across.code == "CMP-008" and "phase II" in (across.reason or "")
    assert snapshot(r) == before


@covers("CMP-007")
def test_carry_over_limit_from_phase_two_is_net_sales_plus_250000(kr: Any) -> None:
    # [GK] banking allowed (E:2112) but restricted from 2017 (E:2144): carry-over
    # up to the year's net sales + 250,000 t.
    s, r = kr
    verify(r, "POWERCO", 2018, 400_000)
    allocate(s, "POWERCO", 2018)  # 1,000,000 free
    sale = {"account": "POWERCO", "to_account": "STEELCO", "quantity": 100_000, "price": "22000"}
    assert (
        s.do(KR, "transfer", {"transaction_id": "T1", "business_date": "2018-11-01", **sale}).state
        == "completed"
    )
    assert comply(s, "S18", "POWERCO", 2018, quantity=400_000).state == "completed"
    before = snapshot(r)
    early = comply(s, "S19-early", "POWERCO", 2019, quantity=1, vintage=2018)
    assert early.code == "CMP-007" and "closed" in (early.reason or "")
    assert snapshot(r) == before
    [result] = r.close_period(
        {"period": "2018", "business_date": "2019-07-01", "entities": ["POWERCO"]}
    )
    assert result["compliant"] and result["carry_over_limit"] == 350_000
    over = comply(s, "S19-over", "POWERCO", 2019, quantity=350_001, vintage=2018)
    assert over.code == "CMP-007" and snapshot(r) == before
    ok = comply(s, "S19", "POWERCO", 2019, quantity=350_000, vintage=2018)
    assert ok.state == "completed" and held(r, "POWERCO", vintage=2018) == 150_000


def test_phase_one_banking_is_unlimited(kr: Any) -> None:
    s, _r = kr
    allocate(s, "POWERCO", 2017)
    # 2017 is not closed: phase I sets no carry-over limit
    assert comply(s, "S18", "POWERCO", 2018, quantity=1_000_000, vintage=2017).state == "completed"


def test_penalty_is_three_times_the_price_capped_at_100000_krw(kr: Any) -> None:
    # [GK] K-ETS Act: up to 3 × the average market price, at most KRW 100,000/t.
    # Price: KRW 26,500, the Feb 2017 clearing price (E:2123–2124).
    s, r = kr
    verify(r, "POWERCO", 2017, 1_001_000)
    allocate(s, "POWERCO", 2017)
    comply(s, "S17", "POWERCO", 2017, quantity=1_000_000)
    [res] = r.close_period(
        {
            "period": "2017",
            "business_date": "2018-07-01",
            "reference_price": "26500",
            "entities": ["POWERCO"],
        }
    )
    assert (res["shortfall"], res["fine"], res["deduction"]) == (1_000, "79500000", 0)
    verify(r, "STEELCO", 2017, 500_001)
    [capped] = r.close_period(
        {
            "period": "2017",
            "business_date": "2018-07-01",
            "reference_price": "40000",
            "entities": ["STEELCO"],
        }
    )
    assert capped["fine"] == str(500_001 * 100_000)  # nothing surrendered, cap applies


# -- the Allocation Committee's triggers (C: endnote 82) ---------------------------------------


def months(
    two_years: str, recent: list[tuple[int, str, int]], volume: int = 100_000
) -> list[MarketMonth]:
    """2015–2016 at one price and volume each month; 2017 months as given."""
    out = [
        MarketMonth(y, m, Decimal(two_years), volume) for y in (2015, 2016) for m in range(1, 13)
    ]
    return out + [MarketMonth(2017, m, Decimal(p), v) for m, p, v in recent]


def test_price_surge_trigger() -> None:
    # 2015 average KRW 11,774 (E:2124–2125); Feb 2017 KRW 26,500 (E:2123): with the
    # two previous years at 11,774 the trigger is 3 × 11,774 = 35,322.
    calm = months("11774", [(m, "26500", 100_000) for m in range(1, 7)])
    [surge, *_] = evaluate(calm, 2017, 6)
    assert not surge.fired and surge.threshold == 35_322
    hot = months("11774", [(m, "35323", 100_000) for m in range(1, 7)])
    assert fired(evaluate(hot, 2017, 6)) == ["price_surge"]
    exactly = months("11774", [(m, "35322", 100_000) for m in range(1, 7)])
    assert "price_surge" not in fired(evaluate(exactly, 2017, 6))  # "more than"


def test_volume_surge_trigger() -> None:
    # last month's volume > 2 × the same month's average over the two previous years
    recent = [(m, "11774", 100_000) for m in range(1, 6)]
    assert fired(evaluate(months("11774", [*recent, (6, "11774", 200_000)]), 2017, 6)) == []
    assert fired(evaluate(months("11774", [*recent, (6, "11774", 200_001)]), 2017, 6)) == [
        "volume_surge"
    ]


def test_price_slump_trigger() -> None:
    # last month's average price < 60% of the two previous years' (11,774 → 7,064.4)
    recent = [(m, "11774", 100_000) for m in range(1, 6)]
    slump = evaluate(months("11774", [*recent, (6, "7064", 100_000)]), 2017, 6)
    assert fired(slump) == ["price_slump"] and slump[2].threshold == Fraction("7064.4")
    assert fired(evaluate(months("11774", [*recent, (6, "7065", 100_000)]), 2017, 6)) == []


@covers("CMP-006")
def test_the_committee_review_is_recorded_and_a_measure_needs_a_trigger(kr: Any) -> None:
    _s, r = kr

    def data(recent: list[tuple[int, str, int]], measure: str | None, rid: str) -> dict[str, Any]:
        return {
            "review_id": rid,
            "year": 2017,
            "month": 6,
            "months": [
                {
                    "year": m.year,
                    "month": m.month,
                    "average_price": str(m.average_price),
                    "volume": m.volume,
                }
                for m in months("11774", recent)
            ],
            "measure": measure,
            "business_date": "2017-07-05",
        }

    calm = [(m, "26500", 100_000) for m in range(1, 7)]
    before = r.recorder.max_notification_id()
    with pytest.raises(Refused) as refused:
        r.review_market(data(calm, "release reserve allowances", "R1"))
    assert refused.value.code == "CMP-009" and r.recorder.max_notification_id() == before
    hot = [(m, "36000", 100_000) for m in range(1, 7)]
    review = r.review_market(data(hot, "release reserve allowances", "R2"))
    assert review.fired == ["price_surge"] and review.measure == "release reserve allowances"
    assert r.review("R2") is not None and r.review("R1") is None
    with pytest.raises(Refused) as missing:
        r.review_market(data(hot[:5], None, "R3"))
    assert missing.value.code == "CMP-006" and "2017-06" in missing.value.reason


# -- NDC and the restricted import link ----------------------------------------------------


def test_ndc_international_share_gives_the_import_limit() -> None:
    # −37% vs BAU by 2030, 11.3 points via international mechanisms (E:2131,
    # E:2186); demo: 11.3% × 1,000,000 t = 113,000 t.
    assert KOREA_NDC.reduction_below_bau == percent(37)
    assert international_limit(1_000_000) == 113_000
    assert import_limit(1_000_000) == {
        "jurisdiction": "KR_ETS",
        "flow": "import",
        "percent": "11.3",
        "reference": 1_000_000,
    }


def linked(s: EmbeddedSystem) -> None:
    """China's registry and a restricted, Article 6.2-authorized link: CEA into
    Korea with the import limit tied to the 11.3 points (E:2249–2252), KAU the
    other way. Both directions are hypothetical scenarios: Chinese rules provide
    no CEA export (china-ets.md, L400) and Korea has not yet linked (E:2109)."""
    ch = s.clearinghouse
    ch.register_party(
        {
            "code": "CN",
            "name": "China",
            "ndc": {"type": "intensity", "period": "single-year", "target_years": [2030]},
        }
    )
    s.add_registry(RegistryConfig("CN_ETS", "China national ETS registry", "CN", ("CEA",)))
    ch.grant_authorization(
        {
            "code": "CN-A62-CEA",
            "party": "CN",
            "cooperative_approach": "CN_KR_LINK",
            "unit_types": ["CEA"],
            "vintages": [2019, 2030],
            "purposes": "ndc_and_oimp",
            "first_transfer": "first_international_transfer",
            "authorized_on": "2019-01-01",
        }
    )
    ch.grant_authorization(
        {
            "code": "KR-A62-KAU",
            "party": "KR",
            "cooperative_approach": "CN_KR_LINK",
            "unit_types": ["KAU"],
            "vintages": [2019, 2030],
            "purposes": "ndc_and_oimp",
            "first_transfer": "first_international_transfer",
            "authorized_on": "2019-01-01",
        }
    )
    ch.conclude_agreement(
        {
            "code": "CN_KR_RESTRICTED",
            "jurisdictions": ["CN_ETS", KR],
            "directions": [
                {"source": "CN_ETS", "destination": KR, "unit_types": ["CEA"]},
                {"source": KR, "destination": "CN_ETS", "unit_types": ["KAU"]},
            ],
            "limits": [import_limit(1_000_000)],
            "effective_from": "2019-01-01",
            "authorized": True,
            "cooperative_approach": "CN_KR_LINK",
        }
    )
    s.registry("CN_ETS").open_account({"account": "HUANENG", "holder": "Huaneng (test)"})


def test_korea_imports_cea_under_the_restricted_link_and_uses_them_within_limits(kr: Any) -> None:
    s, r = kr
    linked(s)
    cn = {"transaction_id": "CN-1", "account": "HUANENG", "unit_type": "CEA", "vintage": 2019}
    assert (
        s.do("CN_ETS", "issue", {**cn, "quantity": 200_000, "business_date": "2019-02-01"}).state
        == "completed"
    )
    move = {
        "account": "HUANENG",
        "to_registry": KR,
        "to_account": "POWERCO",
        "business_date": "2019-03-01",
    }
    before = snapshot(r)
    over = s.do("CN_ETS", "transfer_abroad", {"transaction_id": "X0", "quantity": 113_001, **move})
    assert over.code == "QTY-001" and snapshot(r) == before  # above 11.3% of 1,000,000
    ok = s.do("CN_ETS", "transfer_abroad", {"transaction_id": "X1", "quantity": 60_000, **move})
    assert ok.state == "completed" and held(r, "POWERCO", "CEA") == 60_000
    # Phase II: international units up to half of the 10% offset limit, so 5% of
    # the 1,000,000 t obligation = 50,000 t [GK].
    verify(r, "POWERCO", 2019, 1_000_000)
    before = snapshot(r)
    too_many = comply(s, "S-cea-over", "POWERCO", 2019, quantity=50_001, unit_type="CEA")
    assert too_many.code == "CMP-003" and "50000 t" in (too_many.reason or "")
    assert snapshot(r) == before
    used = comply(s, "S-cea", "POWERCO", 2019, quantity=50_000, unit_type="CEA")
    assert used.state == "completed"
    # Korea's use and China's first transfer are both recorded: no double claiming.
    table = adjustments(read(s.clearinghouse))
    assert table["CN"]["2019"]["first_transfer"] == 60_000
    assert table["KR"]["2020"]["use"] == 50_000  # the year of use: surrendered in 2020
    assert invariants.check(read(s.clearinghouse)) == []


def test_kau_leave_korea_under_the_link_and_the_registry_still_balances(kr: Any) -> None:
    s, r = kr
    linked(s)
    allocate(s, "POWERCO", 2019)
    move = {"account": "POWERCO", "to_registry": "CN_ETS", "to_account": "HUANENG"}
    sent = s.do(
        KR,
        "transfer_abroad",
        {"transaction_id": "K1", "quantity": 10_000, "business_date": "2019-04-01", **move},
    )
    assert sent.state == "completed" and held(r, "POWERCO") == 960_000
    huaneng = s.registry("CN_ETS").account("HUANENG")
    assert huaneng is not None and huaneng.available.quantity("KAU") == 10_000
    c = r.conservation()
    assert (c.issued, c.exported, c.holdings) == (970_000, 10_000, 960_000) and c.balanced
    assert adjustments(read(s.clearinghouse))["KR"]["2019"]["first_transfer"] == 10_000


# -- two compliance years whose rules differ ------------------------------------------------


def test_a_phase_two_year_and_a_phase_three_year_follow_their_own_rules(kr: Any) -> None:
    """2019 (phase II): 3% auctioned, offsets up to 10%. 2021 (phase III): 10%
    auctioned, offsets up to 5% (E:2160–2162; [GK] offset limits)."""
    s, r = kr
    issue(s, "KOC", "POWERCO", "KOC", 2019, 200_000)
    convert = {"account": "POWERCO", "quantity": 200_000, "business_date": "2019-09-01"}
    assert s.do(KR, "convert_offsets", {"transaction_id": "CV", **convert}).state == "completed"
    results = {}
    for year, free, pool, offset_limit in (
        (2019, 970_000, 30_000, 100_000),
        (2021, 900_000, 100_000, 50_000),
    ):
        verify(r, "POWERCO", year, 1_000_000)
        assert allocate(s, "POWERCO", year).quantity == free
        assert r.auction_pool(year) == pool
        bids = [{"account": "POWERCO", "quantity": pool, "price": "30000"}]
        auction = {"transaction_id": f"AU-{year}", "year": year, "offered": pool, "bids": bids}
        assert (
            s.do(KR, "hold_auction", {**auction, "business_date": f"{year}-03-01"}).quantity == pool
        )
        before = snapshot(r)
        over = comply(
            s, f"S-{year}-over", "POWERCO", year, quantity=offset_limit + 1, unit_type="KCU"
        )
        assert over.code == "CMP-003" and snapshot(r) == before
        assert (
            comply(
                s, f"S-{year}-kcu", "POWERCO", year, quantity=offset_limit, unit_type="KCU"
            ).state
            == "completed"
        )
        rest = 1_000_000 - offset_limit
        assert (
            comply(s, f"S-{year}-kau", "POWERCO", year, quantity=rest, vintage=year).state
            == "completed"
        )
        [results[year]] = r.close_period(
            {"period": str(year), "business_date": f"{year + 1}-07-01", "entities": ["POWERCO"]}
        )
    assert (results[2019]["offsets"], results[2021]["offsets"]) == (100_000, 50_000)
    assert results[2019]["compliant"] and results[2021]["compliant"]
    power = r.entity("POWERCO")
    assert power is not None
    assert power.allocations[2019][0]["basis"].startswith("phase II: 3% auctioned")
    assert power.allocations[2021][0]["basis"].startswith("phase III: 10% auctioned")
    assert r.conservation().balanced
    assert invariants.check(read(s.clearinghouse)) == []


def test_native_commands_repeated_have_one_effect(kr: Any) -> None:
    # at-least-once delivery of commands: a repeated id answers the first outcome
    s, r = kr
    allocate(s, "POWERCO", 2019)
    issue(s, "KOC", "POWERCO", "KOC", 2019, 1_000)
    bids = [{"account": "STEELCO", "quantity": 30_000, "price": "23000"}]
    auction = {
        "transaction_id": "AU",
        "year": 2019,
        "offered": 30_000,
        "bids": bids,
        "business_date": "2019-03-01",
    }
    convert = {
        "transaction_id": "CV",
        "account": "POWERCO",
        "quantity": 1_000,
        "business_date": "2019-09-01",
    }
    verify(r, "POWERCO", 2019, 1_000_000)
    surrender = {"quantity": 1_000, "unit_type": "KCU"}
    first = [
        s.do(KR, "hold_auction", auction),
        s.do(KR, "convert_offsets", convert),
        comply(s, "S", "POWERCO", 2019, **surrender),
    ]
    after = snapshot(r)
    again = [
        s.do(KR, "hold_auction", auction),
        s.do(KR, "convert_offsets", convert),
        comply(s, "S", "POWERCO", 2019, **surrender),
    ]
    assert again == first and all(x.state == "completed" for x in first)
    assert snapshot(r) == after and held(r, "STEELCO", vintage=2019) == 30_000
    assert r.conservation().balanced
