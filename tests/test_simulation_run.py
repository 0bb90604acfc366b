"""A simulation run end to end: through the registries and the clearinghouse (issue #5,
items 3 and 4, and the acceptance list: "the event log after a run passes the
double-counting check and its Article 6 summary matches results.json")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.checks import Refused
from clearinghouse.cli import main
from clearinghouse.simulation import run
from clearinghouse.simulation.scenario import load, parse
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem
from projections.article6 import accounting, party, rules, table4
from projections.article6.view import catch_up
from projections.log import name_of, read
from tests.coverage import covers

ROOT = Path(__file__).parent.parent
TWO = ROOT / "scenarios" / "two-markets.yaml"


@pytest.fixture(scope="module")
def two_markets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("two") / "run"
    return out, run.simulate(load(TWO), out)


def test_the_minimal_scenario_clears_as_the_closed_form_says(
    two_markets: tuple[Path, dict[str, Any]],
) -> None:
    # A: cap 100, BAU 150, slope 2 → autarky 2 × 50 = 100; B: 1 × 20 = 20 (issue #5, item 1)
    _, data = two_markets
    assert data["prices"]["autarky"] == {"A": {"2030": 100.0}, "B": {"2030": 20.0}}
    # the 10 Mt limit binds: A abates 40 (price 80), B abates 30 (price 30)
    assert data["prices"]["linked"] == {"A": {"2030": 80.0}, "B": {"2030": 30.0}}
    assert data["flows"] == {"B->A": {"2030": 10.0}}
    assert data["payments"]["B->A"]["2030"] == pytest.approx(10e6 * 30)
    assert data["rents"]["B->A"]["2030"] == pytest.approx((80 - 30) * 10e6)
    # A: 2/2 × 50² → 2/2 × 40² + 10 Mt × 30; B: 1/2 × 20² → 1/2 × 30² − 10 Mt × 30 (×1e6)
    assert data["gains"] == {"A": pytest.approx(600e6), "B": pytest.approx(50e6)}
    assert data["abatement"] == {"A": {"2030": 40.0}, "B": {"2030": 30.0}}


def test_every_trade_went_through_the_registries_and_the_log_passes_the_check(
    two_markets: tuple[Path, dict[str, Any]],
) -> None:
    out, data = two_markets
    assert data["violations"] == [] and data["refusals"] == []
    assert data["allocation_differences"] == []
    assert data["conservation"] == {"A": True, "B": True}
    with EmbeddedSystem(StoreConfig(kind="sqlite", path=out / "store")) as system:
        system.reopen_registries()
        names = [name_of(e) for _, e in read(system.clearinghouse)]
        # 2 allocations, 1 cross-border transfer, 3 surrenders (A: its own units and B's)
        assert names.count("Transaction.Accepted") == 6
        assert names.count("Transaction.Completed") == 1  # the transfer, credited in A
        view = catch_up(system.clearinghouse)
        assert view.invariants.violations() == []
        # A's registry received B's units and surrendered them with its own
        a = system.registry("A")
        surrendered = a.account("SURRENDER")
        assert surrendered is not None
        held = {b.unit_type: 0 for b in surrendered.available}
        for b in surrendered.available:
            held[b.unit_type] += b.count
        assert held == {"A_ALW": 100_000_000, "B_ALW": 10_000_000}


def test_article6_summary_from_the_store_matches_results_json(
    two_markets: tuple[Path, dict[str, Any]],
) -> None:
    out, data = two_markets
    with EmbeddedSystem(StoreConfig(kind="sqlite", path=out / "store")) as system:
        view = catch_up(system.clearinghouse)
    for p in ("A", "B"):
        pf = party.load(out / "parties" / f"{p}.yaml")
        summary = table4.summarize(accounting.evaluate(view, rules.load("glasgow-2021"), pf), pf)
        assert summary.as_json() == data["accounting"]["glasgow-2021"][p]
        assert {"2030": summary.rows["12"][2030]} == data["adjustments"][p]
    # and both agree with the flows: B first transfers 10 Mt (+), A uses them (−)
    assert data["adjustments"] == {"A": {"2030": -10_000_000}, "B": {"2030": 10_000_000}}


def test_report_folder_holds_json_csv_charts_and_page(
    two_markets: tuple[Path, dict[str, Any]],
) -> None:
    out, _ = two_markets
    for name in ("results.json", "prices.csv", "markets.csv", "flows.csv", "article6.csv",
                 "compliance.csv", "report.html", "scenario.yaml", "parties/A.yaml"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    for chart in ("prices", "flows", "adjustments", "gains"):
        assert (out / "charts" / f"{chart}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "report.html").read_text()
    assert "charts/prices.png" in page and "no double counting found" in page
    flows = (out / "flows.csv").read_text().splitlines()
    assert flows[0] == "link,year,flow_mt,payment,rent"
    assert flows[1].startswith("B->A,2030,10.0,300000000.0")


def test_rerun_under_other_rules_does_not_touch_the_log(tmp_path: Path) -> None:
    out = tmp_path / "run"
    run.simulate(load(TWO), out)
    with EmbeddedSystem(StoreConfig(kind="sqlite", path=out / "store")) as system:
        before = system.clearinghouse.recorder.max_notification_id()
    data = run.reaccount(out, ["glasgow-2021", "public-workbook", "workbook-convention"])
    assert list(data["accounting"]) == ["glasgow-2021", "public-workbook", "workbook-convention"]
    assert json.loads((out / "results.json").read_text())["rules"] == data["rules"]
    with EmbeddedSystem(StoreConfig(kind="sqlite", path=out / "store")) as system:
        assert system.clearinghouse.recorder.max_notification_id() == before


SCENARIO = """\
name: three-years
years: {{from: 2030, to: 2032}}
jurisdictions:
  - {{id: A, party: PA, cap: 100, bau: 150, mac: {{type: linear, slope: 2.0}}}}
  - {{id: B, party: PB, cap: 200, bau: 220, mac: {{type: linear, slope: 1.0}}}}
links:
  - {{from: B, to: A, authorized: true, {extra}}}
"""


def test_delinking_stops_flows_from_its_year_through_the_clearinghouse(tmp_path: Path) -> None:
    loaded = parse(SCENARIO.format(extra="delink: 2032"), "three-years.yaml")
    data = run.simulate(loaded, tmp_path / "run", outputs=False)
    flows = data["flows"]["B->A"]
    # unlimited one-way link: p* = 70 / 1.5 until de-linked, then autarky again
    # A imports what it does not abate: 50 − p*/2
    assert flows["2030"] == pytest.approx(50 - 70 / 1.5 / 2) and flows["2031"] == flows["2030"]
    assert flows["2032"] == 0
    assert data["prices"]["linked"]["A"]["2032"] == 100.0
    assert data["adjustments"]["PA"]["2032"] == 0 and data["adjustments"]["PA"]["2031"] < 0
    with EmbeddedSystem(StoreConfig(kind="sqlite", path=tmp_path / "run" / "store")) as system:
        names = [name_of(e) for _, e in read(system.clearinghouse)]
    assert "LinkageAgreement.Delinked" in names


def test_exchange_rate_converts_units_in_the_registries(tmp_path: Path) -> None:
    # 1 B unit = 1/2 A unit: 0.5 × p_A = p_B → f = 20 Mt of B units, A receives 10 Mt
    loaded = parse(SCENARIO.format(extra='rate: "1/2"').replace("2032", "2030"), "rate.yaml")
    data = run.simulate(loaded, tmp_path / "run", outputs=False)
    assert data["flows"]["B->A"]["2030"] == pytest.approx(20.0)
    assert data["prices"]["linked"]["A"]["2030"] == pytest.approx(80.0)
    assert data["prices"]["linked"]["B"]["2030"] == pytest.approx(40.0)
    assert data["refusals"] == [] and data["violations"] == []
    with EmbeddedSystem(StoreConfig(kind="sqlite", path=tmp_path / "run" / "store")) as system:
        system.reopen_registries()
        a = system.registry("A")
        surrendered = a.account("SURRENDER")
        assert surrendered is not None
        assert sum(b.count for b in surrendered.available) == 110_000_000  # A emits 150 − 40
        # every unit A surrendered is A's own type: B's were converted at the border
        assert {b.unit_type for b in surrendered.available} == {"A_ALW"}


@covers("SIM-001")
def test_unreadable_scenario_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Refused, match="SIM-001") as missing:
        load(tmp_path / "nowhere.yaml")
    assert "nowhere.yaml" in missing.value.reason
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nyears: [2030\n")
    with pytest.raises(Refused, match="not YAML at line"):
        load(bad)


@covers("SIM-002")
def test_invalid_scenario_points_to_line_and_field() -> None:
    text = TWO.read_text().replace("slope: 1.0", "slope: -1.0")
    with pytest.raises(Refused) as error:
        parse(text, "two-markets.yaml")
    assert error.value.code == "SIM-002"
    line = 1 + text.splitlines().index(next(x for x in text.splitlines() if "slope: -1.0" in x))
    assert f"line {line}, jurisdictions[1].mac.slope: Input should be greater than 0" in (
        error.value.reason
    )


@covers("SIM-002")
def test_unknown_adapter_option_points_to_its_line() -> None:
    text = """name: x
years: [2024]
jurisdictions:
  - id: KR
    party: KR
    adapter:
      code: KR_ETS
      options:
        phase3_auctions: "10"
    entities:
      count: 2
      sectors: [{name: steel, count: 2, emissions: 100000, mac: {full_cost: 100}}]
"""
    with pytest.raises(Refused) as error:
        parse(text, "x.yaml")
    assert "line 9, jurisdictions[0].adapter.options.phase3_auctions" in error.value.reason
    assert "takes no option 'phase3_auctions'" in error.value.reason


@covers("SIM-003")
def test_markets_that_cannot_clear_are_refused(tmp_path: Path) -> None:
    text = TWO.read_text().replace("slope: 2.0}", "slope: 2.0, potential: 10}")
    with pytest.raises(Refused) as error:
        run.simulate(parse(text, "x.yaml"), tmp_path / "run")
    assert error.value.code == "SIM-003"
    assert "A cannot meet its requirement" in error.value.reason


@covers("SIM-004")
def test_cli_refuses_to_overwrite_a_run_and_reaccounts_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main(["simulate", str(TWO), "--out", str(out), "--json", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["flows"] == {"B->A": 10.0} and summary["violations"] == 0
    assert main(["simulate", str(TWO), "--out", str(out), "--quiet"]) == 2
    assert "error SIM-004" in capsys.readouterr().err
    code = main(["simulate", str(TWO), "--out", str(out), "--rules", "public-workbook", "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["rules"] == ["public-workbook"]
    changed = tmp_path / "changed.yaml"
    changed.write_text(TWO.read_text().replace("import_limit: 10", "import_limit: 12"))
    assert main(["simulate", str(changed), "--out", str(out), "--rules", "glasgow-2021"]) == 2
    assert "not of" in capsys.readouterr().err


def test_check_only_validates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(TWO), "--check"]) == 0
    assert "scenario two-markets is valid" in capsys.readouterr().out


@covers("SIM-005")
def test_a_command_the_registry_refuses_is_recorded_not_hidden(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # K-ETS covers businesses above 50,000 t (endnote 80): a 20,000 t entity is refused
    text = """name: too-small
years: [2024]
jurisdictions:
  - id: KR
    party: KR
    adapter: {code: KR_ETS}
    entities:
      count: 1
      sectors:
        - {name: steel, count: 1, emissions: 20000, mac: {full_cost: 50000},
           attributes: {base_emissions: {from: base}}}
"""
    path = tmp_path / "too-small.yaml"
    path.write_text(text)
    assert main(["simulate", str(path), "--out", str(tmp_path / "run"), "--quiet"]) == 1
    data = json.loads((tmp_path / "run" / "results.json").read_text())
    first = data["refusals"][0]
    assert first["check"] == "SIM-005" and first["code"] == "CMP-001"
    assert first["command"] == "register_entity"
    assert "refused register_entity" in first["message"]


def _smaller(name: str, **counts: tuple[int, int]) -> str:
    """A bundled scenario with fewer entities and cohorts (same rules, faster)."""
    text = (ROOT / "scenarios" / name).read_text()
    for (big, cohorts), (small, fewer) in counts.values():
        text = text.replace(f"count: {big}\n", f"count: {small}\n", 1)
        text = text.replace(f"cohorts: {cohorts}\n", f"cohorts: {fewer}\n", 1)
    return text


def test_kr_cn_restricted_runs_on_the_real_adapters(tmp_path: Path) -> None:
    """CN_ETS (allow_export) → KR_ETS under an authorized link limited to 11.3% of a
    reference (the bundled file: 538.9 Mt, endnote 85; here 60 Mt for a smaller Korea):
    the limit binds, its rent is the price gap × the limit, China adds and Korea
    subtracts exactly what crossed."""
    text = _smaller("kr-cn-restricted.yaml", cn=((2096, 40), (300, 8)), kr=((700, 20), (120, 6)))
    text = text.replace("reference: 538.9}", "reference: 60}")
    data = run.simulate(parse(text, "kr-cn-restricted.yaml"), tmp_path / "run", outputs=False)
    assert data["refusals"] == [] and data["violations"] == []
    assert data["allocation_differences"] == []
    limit = 6_780_000  # ⌊11.3% × 60,000,000 t⌋ (agreements.Limit)
    pr = data["prices_reporting"]["linked"]
    assert any(round(v * 1e6) == limit for v in data["flows"]["CN->KR"].values())
    for y in ("2023", "2024"):
        flow = data["flows"]["CN->KR"][y] * 1e6
        if round(flow) == limit:  # binding: Korea's price stays above China's
            assert pr["KR"][y] > pr["CN"][y]
            gap = pr["KR"][y] - pr["CN"][y]
            assert data["rents"]["CN->KR"][y] == pytest.approx(gap * limit, rel=1e-4)
        else:
            assert pr["KR"][y] == pytest.approx(pr["CN"][y], rel=1e-5)
        assert data["adjustments"]["CN"][y] == round(flow)
        assert data["adjustments"]["KR"][y] == -round(flow)
    periods = data["compliance"]["KR"]
    assert all(p["shortfall"] == 0 for p in periods.values())
    assert data["conservation"] == {"CN": True, "KR": True}


def test_tokyo_saitama_credits_cross_both_ways_without_adjustments(tmp_path: Path) -> None:
    """Tokyo and Saitama (both Japan, E:891-908): credits for reductions below each
    facility's cap, traded across the two-way link; no corresponding adjustment;
    banked credits make the price rise at the discount rate while they are held."""
    text = _smaller(
        "tokyo-saitama.yaml", tokyo=((1300, 24), (160, 6)), saitama=((600, 15), (80, 4))
    )
    data = run.simulate(parse(text, "tokyo-saitama.yaml"), tmp_path / "run", outputs=False)
    assert data["refusals"] == [] and data["violations"] == []
    assert data["adjustments"] == {"JP": {str(y): 0 for y in range(2010, 2020)}}
    assert sum(sum(v.values()) for v in data["flows"].values()) > 0
    prices = data["prices"]["linked"]["TOKYO"]
    assert prices["2010"] > prices["2012"] > 0  # the first period's shortage fades
    banked = data["banked"]["TOKYO"]
    for y in range(2010, 2019):
        if banked[str(y)] > 0.001 and prices[str(y + 1)] > 0:  # Hotelling while banking
            assert prices[str(y + 1)] == pytest.approx(1.03 * prices[str(y)], rel=1e-4)
    for periods in data["compliance"].values():
        assert set(periods) == {"FY2010-2014", "FY2015-2019"}
        assert all(p["shortfall"] == 0 for p in periods.values())


def test_jcm_credits_are_decided_transferred_and_used_with_both_adjustments(
    tmp_path: Path,
) -> None:
    """JCM (E:994-1003): Joint Committee decisions issue Japan's 50% share, the
    credits cross the authorized channel, Japan retires them for its NDC: the host
    adds and Japan subtracts the same tonnes (Table 4 row 12)."""
    text = (ROOT / "scenarios" / "jcm-bilateral.yaml").read_text()
    text = text.replace("from: 2021, to: 2030", "from: 2021, to: 2023")
    data = run.simulate(parse(text, "jcm.yaml"), tmp_path / "run", outputs=False)
    assert data["refusals"] == [] and data["violations"] == []
    crossed = sum(data["flows"]["MN->JP"].values()) * 1e6
    assert crossed > 0
    assert sum(data["adjustments"]["MN"].values()) == round(crossed)
    assert sum(data["adjustments"]["JP"].values()) == -round(crossed)
    # Japan's price falls from its domestic alternative (JPY 5,000) towards the credits'
    assert data["prices"]["autarky"]["JP"]["2021"] == pytest.approx(5000)
    mn, jp = data["prices_reporting"]["linked"]["MN"], data["prices_reporting"]["linked"]["JP"]
    assert mn["2021"] == pytest.approx(jp["2021"], rel=1e-6) and jp["2021"] < 5000 / 110
    with EmbeddedSystem(StoreConfig(kind="sqlite", path=tmp_path / "run" / "store")) as system:
        system.reopen_registries()
        names = [name_of(e) for _, e in read(system.registry("JCM_MN"))]
    assert names.count("CreditingProject.CreditsDecided") >= 30  # each project, each year


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_bundled_scenario_is_valid_and_documented(path: Path) -> None:
    loaded = load(path)
    s = loaded.scenario
    assert s.name == path.stem
    assert s.sources or s.name == "two-markets", "a bundled scenario names its sources"
    if s.name != "two-markets":
        assert any("[assumption]" in a or "[GK]" in a for a in s.assumptions)
        assert any("abatement cost" in a for a in s.assumptions), "MAC numbers are assumptions"
    assert f"scenarios/{path.name}" in (ROOT / "README.md").read_text(), "README runs it"


def test_ne_asia_trilateral_smaller_runs_every_adapter_together(tmp_path: Path) -> None:
    """The trilateral scenario with a tenth of its entities over three years: every
    adapter at once (CN_ETS with industry benchmarks, KR_ETS, TOKYO, SAITAMA, JCM_MN,
    JP_JCM), no refusal, no double counting, and every tonne first transferred
    between Parties is used by another: the adjustments sum to zero."""
    sizes = {
        "cn": ((3600, 50), (360, 10)),
        "kr": ((700, 20), (70, 5)),
        "tokyo": ((1300, 12), (130, 4)),
        "saitama": ((600, 8), (60, 3)),
    }
    text = _smaller("ne-asia-trilateral.yaml", **sizes).replace("to: 2035}", "to: 2028}")
    data = run.simulate(parse(text, "ne-asia-trilateral.yaml"), tmp_path / "run", outputs=False)
    assert data["refusals"] == [] and data["violations"] == []
    assert data["allocation_differences"] == []
    assert set(data["adjustments"]) == {"CN", "KR", "JP", "MN"}
    total = sum(v for party in data["adjustments"].values() for v in party.values())
    assert total == 0
    crossed = sum(v for arc, by in data["flows"].items() for v in by.values()
                  if arc not in ("TOKYO->SAITAMA", "SAITAMA->TOKYO"))  # fmt: skip
    added = sum(v for p in ("CN", "MN") for v in data["adjustments"][p].values())
    assert added > 0 and crossed > 0
    assert data["run"]["entities"]["CN"] == 360
    # a tenth of Korea cannot use the 60.9 Mt the link allows: its entities may meet at
    # most 11.3% of their obligations with foreign units (the scenario's K-ETS phases),
    # and the market knows it — imports stop there and the prices part
    for y in ("2026", "2027", "2028"):
        imports = sum(by[y] for arc, by in data["flows"].items() if arc.endswith("->KR"))
        assert imports <= 0.113 * data["emissions"]["KR"][y] + 1e-6
    binding = "2028"
    imports = sum(by[binding] for arc, by in data["flows"].items() if arc.endswith("->KR"))
    assert imports == pytest.approx(0.113 * data["emissions"]["KR"][binding], rel=1e-3)
    linked = data["prices_reporting"]["linked"]
    assert linked["KR"][binding] > linked["CN"][binding]


def test_price_controls_offsets_and_banking_run_through_the_registry(tmp_path: Path) -> None:
    """A ceiling sells reserve allowances, a floor withdraws them, offsets are issued
    and surrendered within their limit — all as registry commands; compliance
    complete. (tests/simulation_controls.yaml; the numbers are illustrative.)"""
    loaded = load(Path(__file__).parent / "simulation_controls.yaml")
    data = run.simulate(loaded, tmp_path / "run", outputs=False)
    assert data["refusals"] == [] and data["violations"] == []
    # A: ceiling 60 → abates 30 Mt, imports 10, offsets 4% of its 100 Mt, the rest reserve
    assert data["prices"]["linked"]["A"]["2030"] == 60.0
    assert data["offsets"]["A"]["2030"] == pytest.approx(4.0)
    assert data["reserve"]["A"]["2030"] == pytest.approx(50 - 30 - 10 - 4)
    # B: floor 15 → abates 15 Mt though it is long by 10: 15 withdrawn, 10 sold to A
    assert data["prices"]["linked"]["B"]["2030"] == 15.0
    assert data["withdrawn"]["B"]["2030"] == pytest.approx(15.0)
    # the reserve's allowances cost A the ceiling; imports at B's floor save the gap
    assert data["gains"]["A"] == pytest.approx(3 * 10e6 * (60 - 15))
    for periods in data["compliance"].values():
        assert all(p["shortfall"] == 0 for p in periods.values())
    with EmbeddedSystem(StoreConfig(kind="sqlite", path=tmp_path / "run" / "store")) as system:
        system.reopen_registries()
        surrendered = system.registry("A").account("SURRENDER")
        withdrawn = system.registry("B").account("RESERVE")
        assert surrendered is not None and withdrawn is not None
        types = {b.unit_type for b in surrendered.available}
        assert {"A_ALW", "A_OFS", "B_ALW"} <= types
        assert sum(b.count for b in withdrawn.available) == 3 * 15_000_000


@covers("SIM-002")
def test_a_link_between_parties_must_be_authorized() -> None:
    text = TWO.read_text().replace("authorized: true", "authorized: false")
    with pytest.raises(Refused) as error:
        parse(text, "two-markets.yaml")
    assert "joins two Parties (A and B)" in error.value.reason
    assert "ACC-002" in error.value.reason


@pytest.mark.postgres
def test_a_run_on_postgresql_reads_back_the_same(tmp_path: Path, postgres_url: str) -> None:
    """The same run with its logs in PostgreSQL (a fresh schema): same results, and
    --rules re-accounts it there."""
    out = tmp_path / "run"
    args = ["simulate", str(TWO), "--out", str(out), "--database-url", postgres_url, "--quiet"]
    assert main(args) == 0
    data = json.loads((out / "results.json").read_text())
    assert data["adjustments"] == {"A": {"2030": -10_000_000}, "B": {"2030": 10_000_000}}
    assert data["run"]["store"].startswith("PostgreSQL")
    assert not (out / "store").exists()
    assert main([*args, "--rules", "public-workbook"]) == 0
    again = json.loads((out / "results.json").read_text())
    assert again["rules"] == ["public-workbook"]
    assert again["adjustments"] == data["adjustments"]


def test_suspension_stops_flows_for_its_years_and_the_link_resumes(tmp_path: Path) -> None:
    loaded = parse(SCENARIO.format(extra="suspend: [2031]"), "three-years.yaml")
    data = run.simulate(loaded, tmp_path / "run", outputs=False)
    flows = data["flows"]["B->A"]
    assert flows["2030"] > 0 and flows["2031"] == 0 and flows["2032"] == flows["2030"]
    assert data["refusals"] == []
    with EmbeddedSystem(StoreConfig(kind="sqlite", path=tmp_path / "run" / "store")) as system:
        names = [name_of(e) for _, e in read(system.clearinghouse)]
    assert names.count("LinkageAgreement.Suspended") == 1
    assert names.count("LinkageAgreement.Resumed") == 1
