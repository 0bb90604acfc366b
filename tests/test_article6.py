"""Article 6 accounting with worked numbers: Table 4 rows under each method and rule set.

Every number below names where it comes from. The world is tests/article6_world.py:
HOST authorizes its HU units (authorization dated 2021-01-01) and BUYER acquires
them over an authorized link.
"""

from __future__ import annotations

import pytest

from clearinghouse.checks import Refused
from projections.article6 import accounting, aef, compare, rules
from projections.article6.view import Article6Projection, Article6View, catch_up
from tests.article6_world import A6World, party_data

YEARS = (2021, 2022, 2023)


def test_averaging_applies_the_average_to_each_year_not_a_staircase() -> None:
    # issue #4, Acceptance: first transfers 100/200/300 in three inventory years
    # -> 200 in each year, not a 100/150/200 staircase.
    w = A6World(first_transfer="authorization")
    for year, quantity in zip(YEARS, (100, 200, 300), strict=True):
        w.issue(quantity, f"{year}-06-01", vintage=year)
    inventory = dict.fromkeys(YEARS, 10_000)
    s = w.summary(party_data(method="averaging", inventory=inventory))
    assert s.method == "averaging"
    assert {y: s.rows["7"][y] for y in YEARS} == {2021: 100, 2022: 200, 2023: 300}
    assert s.rows["11"] == {2021: 200, 2022: 200, 2023: 200}
    assert s.rows["12"] == {2021: 200, 2022: 200, 2023: 200}
    # row 14 = row 5 + row 12 (registries-and-reporting.md L27)
    assert s.rows["14"] == {2021: 10_200, 2022: 10_200, 2023: 10_200}
    # row 13 = cumulative of row 10 (L26)
    assert [s.rows["13"][y] for y in YEARS] == [100, 300, 600]


def test_trajectory_adjusts_by_vintage_on_both_sides() -> None:
    # Host issues 500 of vintage 2021 in 2021 (first transfer = first international
    # transfer), transfers 300 in 2022; the buyer uses 100 in 2023.
    w = A6World(first_transfer="first_international_transfer")
    w.issue(500, "2021-03-01", vintage=2021)
    w.transfer(300, "2022-05-01")
    w.use(100, "2023-02-01")
    inventory = dict.fromkeys(YEARS, 1_000)
    host = w.summary(party_data(inventory=inventory))
    # row 7 in the year of first transfer (L20), row 12 by vintage (L25)
    assert host.rows["7"][2022] == 300 and host.rows["7"][2021] == 0
    assert host.rows["12"][2021] == 300 and host.rows["12"][2022] == 0
    assert host.rows["14"] == {2021: 1_300, 2022: 1_000, 2023: 1_000}
    buyer = w.summary(party_data("BUYER", inventory=inventory))
    # the buyer subtracts what it used (L17): 100 of vintage 2021, used in 2023
    assert buyer.rows["9"][2023] == 100
    assert buyer.rows["10"][2023] == -100
    assert buyer.rows["12"][2021] == -100
    assert buyer.rows["14"][2021] == 900


def test_multi_year_budget() -> None:
    # A multi-year NDC 2021-2023 with a budget of 1,000 t a year (row 4); CAs by
    # vintage (method 7(b), linkage-and-article6.md L18).
    w = A6World(first_transfer="authorization")
    w.issue(50, "2021-04-01", vintage=2021)
    w.issue(30, "2022-04-01", vintage=2022)
    data = party_data(
        method="multi-year",
        ndc_type="multi-year",
        period=(2021, 2023),
        target_year=2023,
        inventory={2021: 900, 2022: 950, 2023: 1_000},
        trajectory=dict.fromkeys(YEARS, 1_000),
    )
    s = w.summary(data)
    assert s.rows["4"] == dict.fromkeys(YEARS, 1_000) and s.rows["3"] == {}
    assert s.rows["12"] == {2021: 50, 2022: 30, 2023: 0}
    assert s.rows["14"] == {2021: 950, 2022: 980, 2023: 1_000}
    # the emissions balance over the period against the budget: 2,930 of 3,000
    assert s.budget() == (2_930, 3_000)


def test_a_single_year_ndc_refuses_the_multi_year_method() -> None:
    w = A6World()
    with pytest.raises(Refused) as refused:
        w.summary(party_data(method="multi-year"))
    assert refused.value.code == "ART-001"
    # and a multi-year NDC refuses averaging (L18: it must use the multi-year method)
    with pytest.raises(Refused) as again:
        w.summary(
            party_data(
                method="averaging", ndc_type="multi-year", period=(2021, 2025), target_year=2025
            )
        )
    assert again.value.code == "ART-001"


def test_a64_deductions_at_issuance_930_50_20() -> None:
    # reference/linkage-and-article6.md L21: issuance 1,000 -> holding 930, OMGE 20,
    # SOP 50 (rounding down); preset a64-deductions (5% SOP, 2% OMGE at issuance).
    w = A6World(first_transfer="issuance")
    w.issue(1_000, "2024-01-15", vintage=2024)
    deducting = rules.load("a64-deductions")
    s = w.summary(party_data(), deducting)
    assert s.rows["7"][2024] == 930
    assert s.rows["12"][2024] == 930
    evaluation = accounting.evaluate(w.view(), deducting)
    by_kind: dict[str, int] = {}
    for o in evaluation.outcomes:
        key = o.deduction.kind if o.deduction else "holding"
        by_kind[key] = by_kind.get(key, 0) + o.block.count
    assert by_kind == {"holding": 930, "share_of_proceeds": 50, "omge": 20}
    actions = aef.tables(evaluation, "HOST", 2024).table2
    quantities = {r.action_type: r.quantity for r in actions if r.action_type != "Authorization"}
    assert quantities == {
        "First transfer": 930,
        "Share of proceeds cancellation": 50,
        "OMGE cancellation": 20,
    }
    # without the rule set the same log gives 1,000: the log did not change
    assert w.summary(party_data()).rows["7"][2024] == 1_000


def test_omge_discount_at_transfer_reduces_what_the_buyer_can_use() -> None:
    # V14-V16 (L40): a binding 2% OMGE at transfer. The host first transfers 1,000;
    # 20 are cancelled for OMGE at the transfer; the buyer acquires 980.
    w = A6World(first_transfer="first_international_transfer")
    w.issue(1_000, "2022-01-10", vintage=2022)
    w.transfer(1_000, "2022-06-01")
    w.use(1_000, "2023-01-10")
    omge = rules.load("omge-2pct-at-transfer")
    inventory = dict.fromkeys(YEARS, 5_000)
    assert w.summary(party_data(inventory=inventory), omge).rows["7"][2022] == 1_000
    buyer = w.summary(party_data("BUYER", inventory=inventory), omge)
    assert buyer.rows["9"][2023] == 980
    assert buyer.rows["12"][2022] == -980


def test_authorization_timing_later_of_versus_workbook_convention() -> None:
    # issue #4 item 4: under "authorization" an outcome is first transferred at the
    # later of authorization (2021-01-01) and issuance (2023); the workbook
    # convention puts it in the authorization year.
    w = A6World(first_transfer="authorization")
    w.issue(400, "2023-03-01", vintage=2022)
    glasgow = w.summary(party_data())
    workbook = w.summary(party_data(), "workbook-convention")
    assert glasgow.rows["7"][2023] == 400 and glasgow.rows["7"][2021] == 0
    assert workbook.rows["7"][2021] == 400 and workbook.rows["7"][2023] == 0
    # both adjust by vintage 2022
    assert glasgow.rows["12"][2022] == workbook.rows["12"][2022] == 400


def test_first_international_transfer_counts_only_when_recorded() -> None:
    w = A6World(first_transfer="first_international_transfer")
    w.issue(250, "2022-01-01", vintage=2022)
    s = w.summary(party_data())
    assert sum(s.rows["7"].values()) == 0 and sum(s.rows["12"].values()) == 0
    # a retirement counts as the first transfer too (issue #4 item 4)
    w.use(50, "2023-05-01", registry="H_REG", purpose="oimp")
    s = w.summary(party_data())
    assert s.rows["7"][2023] == 50 and s.rows["12"][2022] == 50


def test_oimp_only_units_go_to_row_8() -> None:
    w = A6World(first_transfer="issuance", purposes="oimp")
    w.issue(70, "2022-02-02", vintage=2022)
    s = w.summary(party_data())
    assert s.rows["8"][2022] == 70 and s.rows["7"][2022] == 0


def test_rule_variants_change_rows_and_compare_marks_the_cells() -> None:
    w = A6World(first_transfer="first_international_transfer")
    w.issue(600, "2021-02-01", vintage=2021)
    w.transfer(600, "2022-03-01")
    w.use(600, "2024-03-01")
    view = w.view()
    events_before = view.events
    sets = [
        rules.load("glasgow-2021"),
        rules.RuleSet(name="no-banking", banking="none"),
        rules.RuleSet(name="limit-5pct", use_limit_percent=5),
        rules.RuleSet(name="issuance", first_transfer_definition="issuance"),
        rules.RuleSet(name="target", adjusted_object="target"),
    ]
    buyer = party_data(
        "BUYER", inventory={2021: 10_000, 2024: 10_000}, trajectory={2021: 9_000, 2024: 9_000}
    )
    from projections.article6 import party

    result = compare.compare(view, party.parse(buyer), sets)
    assert view.events == events_before  # one pass: the rule sets share the fold
    cells = {(c.row, c.year): c.values for c in result.cells}
    # V8 banking none: vintage 2021 used in 2024 does not count; V9 5% of 10,000 = 500
    assert cells[("9", 2024)] == (600, 0, 500, 600, 600)
    # V10 target: emissions stay, the trajectory moves by the adjustment (-600 -> +600)
    assert cells[("14", 2021)] == (9_400, 10_000, 9_500, 9_400, 10_000)
    assert cells[("3", 2021)] == (9_000, 9_000, 9_000, 9_000, 9_600)
    assert result.differing > 0
    host = compare.compare(view, party.parse(party_data()), sets)
    host_cells = {(c.row, c.year): c.values for c in host.cells}
    # "issuance": first transfer at issuance (2021) instead of the transfer (2022)
    assert host_cells[("7", 2021)] == (0, 0, 0, 600, 0)
    assert host_cells[("7", 2022)] == (600, 600, 600, 0, 600)
    assert "*" in host.text() and "differs" in host.csv()


def test_v11_transfer_timing_subtracts_on_acquisition() -> None:
    w = A6World(first_transfer="first_international_transfer")
    w.issue(100, "2021-02-01", vintage=2021)
    w.transfer(100, "2022-03-01")
    s = w.summary(party_data("BUYER"), rules.RuleSet(name="t", ca_timing="transfer"))
    assert s.rows["9"][2022] == 100 and s.rows["12"][2021] == -100
    glasgow = w.summary(party_data("BUYER"))
    assert glasgow.rows["9"][2022] == 0  # not used yet


def test_v5_v6_outside_coverage() -> None:
    w = A6World(first_transfer="issuance")
    w.issue(100, "2022-01-01", vintage=2022)
    data = party_data(outside_coverage=["H_REG"])
    assert w.summary(data).rows["12"][2022] == 100
    no_adjust = rules.RuleSet(name="v6", outside_coverage_adjustment="host_does_not_adjust")
    s = w.summary(data, no_adjust)
    assert s.rows["7"][2022] == 100 and s.rows["12"][2022] == 0
    inside_only = rules.RuleSet(name="v5", itmo_origin="inside_coverage_only")
    assert w.summary(data, inside_only).rows["7"][2022] == 0


def test_v7_metric_and_v13_a64_units() -> None:
    w = A6World(first_transfer="issuance")
    w.issue(100, "2022-01-01", vintage=2022)
    mwh = {"HU": {"metric": "MWh", "factor": "0.5"}}
    assert w.summary(party_data(), rules.RuleSet(non_ghg_units=mwh)).rows["7"][2022] == 50
    strict = rules.RuleSet(non_ghg_units=mwh, metric="tco2e_only")
    assert w.summary(party_data(), strict).rows["7"][2022] == 0
    separate = rules.RuleSet(a64_unit_types=["HU"], a64_to_itmo="separate")
    assert w.summary(party_data(), separate).rows["7"][2022] == 0


def test_v12_vintage_and_cumulative_methods() -> None:
    w = A6World(first_transfer="issuance")
    w.issue(100, "2029-01-01", vintage=2029)
    w.issue(40, "2030-01-01", vintage=2030)
    inventory = {2029: 1_000, 2030: 1_000}
    vintage = w.summary(
        party_data(inventory=inventory), rules.RuleSet(single_year_method="vintage")
    )
    assert vintage.rows["12"] == {2030: 40}
    cumulative = w.summary(
        party_data(inventory=inventory), rules.RuleSet(single_year_method="cumulative")
    )
    assert cumulative.rows["12"] == {2030: 140}


def test_view_is_incremental_and_equal_to_a_rebuild() -> None:
    w = A6World(first_transfer="first_international_transfer")
    w.issue(500, "2021-03-01", vintage=2021)
    projection = Article6Projection(Article6View())
    catch_up(w.ch, projection)
    first_position = projection.view.position
    w.transfer(200, "2022-05-01")
    w.use(50, "2023-02-01")
    catch_up(w.ch, projection)  # only the new notifications
    assert projection.view.position > first_position
    rebuilt = catch_up(w.ch)
    assert list(projection.view.lots()) == list(rebuilt.lots())
    assert projection.view.events == rebuilt.events
    # tracking refuses to apply a notification twice
    from eventsourcing.persistence import IntegrityError, Tracking

    with pytest.raises(IntegrityError):
        projection.process_event(None, Tracking(w.ch.name, first_position))


def test_invariants_through_the_view_find_nothing_in_a_clean_log() -> None:
    w = A6World(first_transfer="first_international_transfer")
    w.issue(500, "2021-03-01", vintage=2021)
    w.transfer(200, "2022-05-01")
    w.use(200, "2023-02-01")
    assert w.view().invariants.violations() == []


def test_holdings_and_limit_usage_projections() -> None:
    from projections.article6.holdings import holdings
    from projections.article6.limits import limit_usage

    w = A6World(first_transfer="first_international_transfer")
    w.issue(500, "2021-03-01", vintage=2021)
    w.transfer(200, "2022-05-01")
    w.use(50, "2023-02-01")
    view = w.view()
    h = holdings(view)
    assert h["HOST"]["H_REG"]["H_REG:HU"]["active"] == 300
    assert h["BUYER"]["B_REG"]["H_REG:HU"] == {
        "active": 150,
        "retired": 50,
        "itmo:active": 150,
        "itmo:retired": 50,
    }
    assert limit_usage(view) == {"HB_LINK": []}  # the link has no limits
