"""Market clearing against closed forms (issue #5, item 2 and its acceptance list).

Two linear MACs (price = slope × abatement in Mt) with requirements R_A, R_B:

* autarky: p_j = slope_j × R_j;
* linked without limits: one price p* with p*/s_A + p*/s_B = R_A + R_B (total
  abatement = total required abatement);
* one-way B→A with a binding import limit L: A abates R_A − L, B abates R_B + L,
  the prices differ and the limit's rent is (p_A − p_B) × L.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.simulation.mac import entities, linear
from clearinghouse.simulation.market import Arc, ClearingError, Market, clear

Y = 2030


def two(
    slope_a: float, req_a: float, slope_b: float, req_b: float, *arcs: Arc, **kw: float
) -> tuple[float, float, float]:
    a = Market("A", Y, req_a, linear(slope_a, 1_000), **kw)
    b = Market("B", Y, req_b, linear(slope_b, 1_000))
    s = clear([a, b], {Y: list(arcs)})
    flow = sum(s.flows.get((arc.name, Y), 0.0) for arc in arcs)
    return s.price("A", Y), s.price("B", Y), flow


# the issue's minimal scenario: A cap 100 / BAU 150 / slope 2; B cap 200 / BAU 220 / slope 1
CASES = [
    (2.0, 50.0, 1.0, 20.0),
    (1.0, 10.0, 4.0, 40.0),
    (0.5, 300.0, 3.0, 5.0),
    (7.0, 1.0, 7.0, 9.0),
]


@pytest.mark.parametrize(("sa", "ra", "sb", "rb"), CASES)
def test_autarky_price_is_the_mac_at_the_requirement(
    sa: float, ra: float, sb: float, rb: float
) -> None:
    pa, pb, flow = two(sa, ra, sb, rb)
    assert pa == pytest.approx(sa * ra) and pb == pytest.approx(sb * rb)
    assert flow == 0


@pytest.mark.parametrize(("sa", "ra", "sb", "rb"), CASES)
def test_two_way_link_without_limits_meets_where_total_abatement_is_total_required(
    sa: float, ra: float, sb: float, rb: float
) -> None:
    p_star = (ra + rb) / (1 / sa + 1 / sb)
    pa, pb, _ = two(sa, ra, sb, rb, Arc("L", "B", "A"), Arc("L", "A", "B"))
    assert pa == pytest.approx(p_star, rel=1e-9)
    assert pb == pytest.approx(p_star, rel=1e-9)
    assert pa / sa + pb / sb == pytest.approx(ra + rb, rel=1e-9)


LIMITED = [(2.0, 50.0, 1.0, 20.0, 10.0), (1.0, 80.0, 2.0, 10.0, 5.0), (3.0, 20.0, 0.5, 0.0, 12.5)]


@pytest.mark.parametrize(("sa", "ra", "sb", "rb", "limit"), LIMITED)
def test_binding_import_limit_separates_prices_and_its_rent_is_gap_times_limit(
    sa: float, ra: float, sb: float, rb: float, limit: float
) -> None:
    pa, pb, flow = two(sa, ra, sb, rb, Arc("L", "B", "A", limit=limit))
    assert flow == pytest.approx(limit)
    assert pa == pytest.approx(sa * (ra - limit)) and pb == pytest.approx(sb * (rb + limit))
    assert pa > pb
    rent = (pa - pb) * limit
    assert rent == pytest.approx((sa * (ra - limit) - sb * (rb + limit)) * limit)


def test_the_issues_minimal_scenario() -> None:
    """two-markets: A abates 50 Mt at slope 2, B 20 Mt at slope 1; B→A limited to 10."""
    pa, pb, flow = two(2.0, 50.0, 1.0, 20.0, Arc("L", "B", "A", limit=10))
    assert (pa, pb, flow) == (pytest.approx(80.0), pytest.approx(30.0), pytest.approx(10.0))
    assert (pa - pb) * flow == pytest.approx(500.0)


def test_a_slack_limit_changes_nothing() -> None:
    unlimited = two(2.0, 50.0, 1.0, 20.0, Arc("L", "B", "A"))
    slack = two(2.0, 50.0, 1.0, 20.0, Arc("L", "B", "A", limit=1_000))
    assert slack == pytest.approx(unlimited)


def test_three_markets_meet_at_one_price_when_fully_linked() -> None:
    # slopes 2, 1, 3; requirements 50, 20, 30 → p* = 100 / (1/2 + 1 + 1/3)
    markets = [
        Market("A", Y, 50, linear(2.0, 500)),
        Market("B", Y, 20, linear(1.0, 500)),
        Market("C", Y, 30, linear(3.0, 500)),
    ]
    pairs = [("A", "B"), ("B", "C"), ("A", "C")]
    arcs = [Arc(f"{s}{d}", x, y) for s, d in pairs for x, y in ((s, d), (d, s))]
    s = clear(markets, {Y: arcs})
    p_star = 100 / (1 / 2 + 1 + 1 / 3)
    for j in "ABC":
        assert s.price(j, Y) == pytest.approx(p_star, rel=1e-9)
    # least total volume: no flow goes round the triangle
    assert sum(s.flows.values()) == pytest.approx(
        sum(
            max(0.0, m.required - p_star / slope)
            for m, slope in zip(markets, (2, 1, 3), strict=True)
        )
    )


def test_three_markets_in_a_chain_with_a_limit_on_one_link() -> None:
    """C→B unlimited, B→A limited to 5: B and C share a price, A pays more."""
    markets = [
        Market("A", Y, 40, linear(2.0, 500)),
        Market("B", Y, 10, linear(1.0, 500)),
        Market("C", Y, 10, linear(1.0, 500)),
    ]
    s = clear(markets, {Y: [Arc("BA", "B", "A", limit=5), Arc("CB", "C", "B")]})
    assert s.price("A", Y) == pytest.approx(2.0 * 35)
    # B and C together abate 20 + 5 at slope 1 each: p = 25 / 2
    assert s.price("B", Y) == pytest.approx(12.5) and s.price("C", Y) == pytest.approx(12.5)
    assert s.flows[("C->B", Y)] == pytest.approx(2.5)


def test_one_way_link_never_flows_backwards() -> None:
    # A is the cheap market here: a one-way B→A link cannot carry A's units to B
    pa, pb, flow = two(1.0, 10.0, 5.0, 40.0, Arc("L", "B", "A"))
    assert flow == 0
    assert (pa, pb) == (pytest.approx(10.0), pytest.approx(200.0))


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.2, 10), st.floats(-20, 200), st.floats(0.2, 10), st.floats(-20, 200),
    st.one_of(st.none(), st.floats(0, 100)),
)  # fmt: skip
def test_one_way_flows_go_only_downhill_and_never_negative(
    sa: float, ra: float, sb: float, rb: float, limit: float | None
) -> None:
    pa, pb, flow = two(sa, ra, sb, rb, Arc("L", "B", "A", limit=limit))
    autarky_a, autarky_b = sa * max(ra, 0), sb * max(rb, 0)
    assert flow >= 0
    if autarky_a <= autarky_b:
        assert flow == pytest.approx(0, abs=1e-9)
    else:
        assert pb <= pa + 1e-6 * (1 + pa)  # linking never reverses the price order
        if limit is None or flow < limit - 1e-6:
            assert pa == pytest.approx(pb, rel=1e-6, abs=1e-6)


def test_exchange_rate_converts_units() -> None:
    """1 B unit counts as 0.5 A units: equilibrium 0.5 × p_A = p_B."""
    pa, pb, flow = two(2.0, 50.0, 1.0, 20.0, Arc("L", "B", "A", rate=0.5))
    # x_A = 50 − 0.5 f, x_B = 20 + f, 0.5 × 2 (50 − 0.5 f) = 20 + f → f = 20
    assert flow == pytest.approx(20.0)
    assert pa == pytest.approx(80.0) and pb == pytest.approx(40.0)
    assert 0.5 * pa == pytest.approx(pb)


def test_currencies_convert_prices_before_they_are_compared() -> None:
    """A prices in a currency worth 1/10 of the reporting one: p_A/10 = p_B."""
    a = Market("A", Y, 50, linear(20.0, 1_000), fx=10.0)
    b = Market("B", Y, 20, linear(1.0, 1_000))
    s = clear([a, b], {Y: [Arc("L", "B", "A")]})
    assert s.price("A", Y) / 10 == pytest.approx(s.price("B", Y))
    assert s.price("B", Y) == pytest.approx(70 / 1.5)


def test_delinking_stops_flows_from_its_year() -> None:
    years = [2030, 2031, 2032]
    markets = [Market(j, y, r, linear(s, 1_000)) for y in years
               for j, r, s in (("A", 50, 2.0), ("B", 20, 1.0))]  # fmt: skip
    arc = Arc("L", "B", "A")
    s = clear(markets, {2030: [arc], 2031: [arc]})  # de-linked from 2032
    assert s.flows[("B->A", 2030)] > 0 and s.flows[("B->A", 2031)] > 0
    assert ("B->A", 2032) not in s.flows
    assert s.price("A", 2032) == pytest.approx(100.0) and s.price("B", 2032) == pytest.approx(20.0)


def test_price_floor_and_ceiling() -> None:
    # the ceiling caps A's price and supplies the rest; the floor holds B's up
    a = Market("A", Y, 50, linear(2.0, 1_000), ceiling=60.0)
    pos = clear([a]).positions[("A", Y)]
    assert pos.price == 60.0 and pos.abatement == pytest.approx(30) and pos.reserve == 20
    b = Market("B", Y, 20, linear(1.0, 1_000), floor=35.0)
    pos = clear([b]).positions[("B", Y)]
    assert pos.price == 35.0 and pos.abatement == pytest.approx(35) and pos.surplus == 15
    # linked: the common price lies where A's ceiling and B's floor allow
    s = clear([a, b], {Y: [Arc("L", "B", "A"), Arc("L", "A", "B")]})
    assert 35.0 - 1e-6 <= s.price("A", Y) <= 60.0 + 1e-6
    assert s.price("A", Y) == pytest.approx(s.price("B", Y))


def test_banking_equalises_discounted_prices() -> None:
    """Hotelling: with banking at 10% a year, p_2031 = 1.1 × p_2030 while units are banked."""
    markets = [Market("A", 2030, 10, linear(1.0, 500)), Market("A", 2031, 60, linear(1.0, 500))]
    s = clear(markets, banking=["A"], discount_rate=0.10)
    p0, p1 = s.price("A", 2030), s.price("A", 2031)
    assert p1 == pytest.approx(1.1 * p0, rel=1e-7)
    # abatement 2030 + 2031 = 70 with a1 = 1.1 a0 → a0 = 70 / 2.1
    assert s.positions[("A", 2030)].abatement == pytest.approx(70 / 2.1, rel=1e-7)
    assert s.banked[("A", 2030)] == pytest.approx(70 / 2.1 - 10, rel=1e-7)


def test_entity_aggregate_is_the_sum_of_entities() -> None:
    # two entities: 1 Mt reaching 100/t at full abatement, 3 Mt reaching 30/t
    curve = entities([1.0, 3.0], [100.0, 30.0])
    assert curve.abatement(30.0) == pytest.approx(0.3 + 3.0)
    assert curve.abatement(10.0) == pytest.approx(0.1 + 1.0)
    assert curve.price(1.1) == pytest.approx(10.0)
    assert curve.price(3.3) == pytest.approx(30.0)
    assert curve.cost(1.1) == pytest.approx(0.5 * 0.1 * 10 + 0.5 * 1.0 * 10)
    assert curve.potential == 4.0 and math.isinf(curve.price(4.5))


def test_requirement_beyond_potential_without_a_ceiling_is_refused() -> None:
    a = Market("A", Y, 50, linear(2.0, 20))
    b = Market("B", Y, 10, linear(1.0, 20))
    with pytest.raises(ClearingError, match="abatement potential"):
        clear([a, b], {Y: [Arc("L", "B", "A")]})
