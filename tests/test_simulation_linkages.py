"""The bundled scenarios of the links that operate (issue #8, item 4): ``eu-ch``, ``wci``
(with the 2018 Ontario episode) and ``a64-crediting``, run through the real adapters
and the clearinghouse — each on a smaller variant of the bundled file (fewer cohorts,
fewer years), so the suite stays fast.

Sources: reference/registries-and-reporting.md L42 (the EU–Swiss link and its
settlement calendar), L45–49 (WCI: Ontario 1 Jan 2018 to mid-2018, the holding limit,
joint auctions), L52 (the A6.4 pending account); reference/linkage-and-article6.md L21
(issuance 1,000 → 930 / 50 / 20; the CA after the share of proceeds).
"""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from adapters.europe.settlement import UNTRUSTED_DELAY, calendar, due_at
from adapters.wci import hold_joint_auction
from adapters.wci.market import holding_limit
from clearinghouse.checks import Refused
from clearinghouse.simulation import run
from clearinghouse.simulation.scenario import parse
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem
from projections.article6 import accounting, party, rules, table4
from projections.article6.view import catch_up
from projections.log import name_of, read
from tests.coverage import covers

ROOT = Path(__file__).parent.parent


def _bundled(name: str, *replacements: tuple[str, str]) -> str:
    text = (ROOT / "scenarios" / name).read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _store(out: Path) -> EmbeddedSystem:
    return EmbeddedSystem(StoreConfig(kind="sqlite", path=out / "store"))


def _matches_the_projection(out: Path, data: dict[str, Any]) -> None:
    """results.json's Article 6 summary is the projection's over the run's store."""
    with _store(out) as system:
        view = catch_up(system.clearinghouse)
    for p in data["adjustments"]:
        pf = party.load(out / "parties" / f"{p}.yaml")
        summary = table4.summarize(accounting.evaluate(view, rules.load("glasgow-2021"), pf), pf)
        assert summary.as_json() == data["accounting"]["glasgow-2021"][p]


# -- EU–Switzerland ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eu_ch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    text = _bundled(
        "eu-ch.yaml",
        ("years: {from: 2020, to: 2025}", "years: {from: 2020, to: 2021}"),
        # two states (Germany and the EEA state Norway) and fewer cohorts
        ("DE: 26, PL: 16, IT: 10, ES: 9, FR: 8, NL: 7, CZ: 6, RO: 5, BE: 5, AT: 4, ", "DE: 26, "),
        ("cohorts: 60\n", "cohorts: 10\n"),
        ("cohorts: 8\n", "cohorts: 4\n"),
    )
    out = tmp_path_factory.mktemp("eu-ch") / "run"
    return out, run.simulate(parse(text, "eu-ch.yaml"), out)


def test_eu_ch_swiss_operators_surrender_euas_bought_across_the_link(
    eu_ch: tuple[Path, dict[str, Any]],
) -> None:
    out, data = eu_ch
    assert data["refusals"] == [] and data["violations"] == []
    assert data["allocation_differences"] == []
    # Switzerland is short at its own costs: EUAs cross to it, never CHUs the other way
    for y in ("2020", "2021"):
        assert data["flows"]["EU->CH"][y] > 0 and data["flows"]["CH->EU"][y] == 0
        tonnes = round(data["flows"]["EU->CH"][y] * 1e6)
        assert data["adjustments"]["EU"][y] == tonnes and data["adjustments"]["CH"][y] == -tonnes
        assert data["prices_reporting"]["linked"]["CH"][y] == pytest.approx(
            data["prices_reporting"]["linked"]["EU"][y], rel=1e-6
        )
        assert data["prices"]["autarky"]["CH"][y] > data["prices"]["linked"]["CH"][y]
    for periods in data["compliance"].values():
        assert all(p["shortfall"] == 0 for p in periods.values())
    with _store(out) as system:
        system.reopen_registries()
        surrendered = system.registry("CH_ETS").account("SURRENDER")
        assert surrendered is not None
        types = {b.unit_type for b in surrendered.available}
        assert types == {"CHU", "EUA"}  # mutual recognition (L42)
        # the EEA state Norway takes part in the EU ETS through the Union Registry
        states = {
            e.attributes["state"]
            for _, e in read(system.registry("EU_ETS"))
            if name_of(e) == "CoveredEntity.Registered"
        }
        assert states == {"DE", "NO"}


def test_eu_ch_transfers_across_the_link_wait_for_the_settlement_calendar(
    eu_ch: tuple[Path, dict[str, Any]],
) -> None:
    """A transfer to Switzerland is held in the EU registry and executes on the next
    settlement date (after the 26 hours for an account not on the trusted list);
    the calendar from 2021 is Tuesdays and Thursdays except holidays (L42)."""
    _, data = eu_ch
    cal = calendar()
    across = [h for h in data["held_transfers"] if h["direction"] == "out"]
    assert len(across) >= 2 and all(h["state"] == "completed" for h in across)
    for h in across:
        initiated = datetime.combine(date.fromisoformat(h["initiated"]), datetime.min.time())
        untrusted = any("trusted" in w for w in h["waits_for"])
        due = due_at(initiated, delay=UNTRUSTED_DELAY if untrusted else None, cross_link=cal)
        executed = date.fromisoformat(h["executed"])
        assert executed == due.date() and cal.is_settlement_date(executed)
        assert executed.weekday() in (1, 3)  # Tuesday or Thursday
        assert executed > date.fromisoformat(h["initiated"])
    # the 2020 trades (initiated Monday 15 March 2021, 26 hours) settle on Tuesday 16 March
    first = next(h for h in across if h["initiated"] == "2021-03-15")
    assert first["executed"] == "2021-03-16"
    # internal EU transfers to accounts not on the trusted list wait 26 hours too (L42)
    inside = [h for h in data["held_transfers"] if h["direction"] == "internal"]
    assert inside and all(h["registry"] == "EU_ETS" for h in inside)
    assert all(h["execute_at"].endswith("02:00:00") for h in inside)  # 00:00 + 26 h
    table = (eu_ch[0] / "held_transfers.csv").read_text().splitlines()
    assert table[0] == "registry,transaction,direction,quantity,initiated,execute_at,executed,state"
    assert len(table) == 1 + len(data["held_transfers"])
    assert "held back until they could execute" in (eu_ch[0] / "report.html").read_text()


def test_eu_ch_commands_run_before_the_30_april_deadline(
    eu_ch: tuple[Path, dict[str, Any]],
) -> None:
    """Both systems' surrender deadline is 30 April [GK]: a compliance year's commands
    run 15 days before it (surrenders on 15 April), not on the default calendar."""
    out, _ = eu_ch
    with _store(out) as system:
        system.reopen_registries()
        dates = {
            e.business_date
            for _, e in read(system.registry("CH_ETS"))
            if name_of(e) == "RegistryTransaction.Requested" and e.kind == "surrender"
        }
    assert dates == {date(2021, 4, 15), date(2022, 4, 15)}


# -- WCI, with Ontario in 2018 ---------------------------------------------------------------


@pytest.fixture(scope="module")
def wci(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    text = _bundled(
        "wci.yaml",
        # all the cohorts: fewer would each bid for more than a bidder's purchase limit
        ("years: {from: 2017, to: 2020}", "years: {from: 2017, to: 2018}"),
    )
    out = tmp_path_factory.mktemp("wci") / "run"
    return out, run.simulate(parse(text, "wci.yaml"), out)


def test_wci_ontario_trades_only_before_its_exit(wci: tuple[Path, dict[str, Any]]) -> None:
    """Ontario joined on 1 Jan 2018 and left mid-2018 (L45; 3 July 2018 [GK]): the joint
    auction of 15 May 2018 (vintage 2017) has Ontario in it and its allowances cross;
    after the exit nothing crosses to or from Ontario."""
    _, data = wci
    assert data["refusals"] == [] and data["violations"] == []
    ontario = {arc: by for arc, by in data["flows"].items() if "ONT" in arc}
    assert sum(by["2017"] for by in ontario.values()) > 0
    assert all(by["2018"] == 0 for by in ontario.values())
    assert data["flows"]["CAL->QUE"]["2018"] > 0  # California and Québec trade on
    auctions = {a["year"]: a for a in data["auctions"]}
    assert auctions[2017]["business_date"] == "2018-05-15"
    assert set(auctions[2017]["registries"]) == {"CALIFORNIA", "QUEBEC", "ONTARIO"}
    assert set(auctions[2018]["registries"]) == {"CALIFORNIA", "QUEBEC"}
    events = [(e["link"], e["action"], e["on"]) for e in data["link_events"]]
    for link in ("WCI_ON_CA", "WCI_ON_QC"):
        assert (link, "concluded", "2018-01-01") in events
        assert (link, "delink", "2018-07-03") in events
    # the revoked programme: no price on Ontario's emissions after the exit
    assert data["prices"]["linked"]["ONT"]["2018"] == 0


def test_wci_joint_auctions_clear_above_the_reserve_and_sell_what_is_offered(
    wci: tuple[Path, dict[str, Any]],
) -> None:
    _, data = wci
    reserve = {2017: "13.57", 2018: "14.53"}  # $10 in 2012 + 5% + inflation (L48) [GK]
    for a in data["auctions"]:
        assert a["reserve_price"] == reserve[a["year"]]
        assert float(a["settlement_price"]) > float(a["reserve_price"])
        assert a["sold"] == a["offered"] and a["cut"] == [] and a["offered"] % 1_000 == 0
        linked = data["prices_reporting"]["linked"]["CAL"][str(a["year"])]
        assert float(a["settlement_price"]) == pytest.approx(linked, abs=0.01)
    out = wci[0]
    assert (out / "auctions.csv").read_text().startswith("auction_id,year,business_date,offered")
    page = (out / "report.html").read_text()
    assert "WCI_ON_CA de-linked from 2018-07-03" in page and "Joint auctions" in page


def test_wci_holding_limit_is_respected_and_shrinks_when_ontario_leaves(
    wci: tuple[Path, dict[str, Any]],
) -> None:
    """HL = 0.1 × 25,000,000 + 0.025 × (C − 25,000,000) on the combined cap of the
    jurisdictions linked on the day (L46): with Ontario on 15 May 2018, without it on
    15 May 2019 (caps [GK], adapters/wci/market.py)."""
    _, data = wci
    assert not any(r["code"] == "CMP-601" for r in data["refusals"])
    with_ontario = 358_300_000 + 59_000_000 + 138_100_000  # 2018 caps
    without = 346_300_000 + 56_900_000  # 2019 caps
    assert holding_limit(300_000_000) == 9_375_000  # the source's example
    for facts in data["holding_limits"].values():
        assert facts["2017"]["combined_cap"] == with_ontario
        assert facts["2017"]["holding_limit"] == holding_limit(with_ontario) == 15_760_000
        assert facts["2018"]["combined_cap"] == without
        assert facts["2018"]["holding_limit"] == holding_limit(without) == 11_955_000
        for y in ("2017", "2018"):
            assert facts[y]["largest_holding"] <= facts[y]["holding_limit"]


@covers("AGR-004", "MKT-602")
def test_wci_ontario_units_cannot_cross_after_the_exit(wci: tuple[Path, dict[str, Any]]) -> None:
    """On the run's store: the clearinghouse holds both Ontario links de-linked from
    3 July 2018 (AGR-004 for any transfer after) and the auction administrator
    refuses Ontario in a joint auction after its exit (MKT-602)."""
    out, _ = wci
    with _store(out) as system:
        system.reopen_registries(native=True)
        for code in ("WCI_ON_CA", "WCI_ON_QC"):
            agreement = system.clearinghouse.agreement(code)
            assert agreement is not None and agreement.delinked_on == date(2018, 7, 3)
            agreement.check_in_force(date(2018, 7, 2))  # the day before: still linked
            with pytest.raises(Refused) as refused:
                agreement.check_in_force(date(2018, 7, 3))
            assert refused.value.code == "AGR-004"
        regs: Any = {c: system.registry(c) for c in ("CALIFORNIA", "QUEBEC", "ONTARIO")}
        bidder = next(e.entity for e in regs["CALIFORNIA"].entities())
        with pytest.raises(Refused) as refused:
            hold_joint_auction(regs, {
                "auction_id": "LATE", "year": 2018, "business_date": "2018-08-15",
                "offers": {"CALIFORNIA": 10_000, "ONTARIO": 10_000},
                "bids": [{"registry": "CALIFORNIA", "account": bidder, "quantity": 1_000,
                          "price": "16"}],
            })  # fmt: skip
        assert refused.value.code == "MKT-602"


def test_wci_results_match_the_projection(wci: tuple[Path, dict[str, Any]]) -> None:
    out, data = wci
    _matches_the_projection(out, data)
    # the US first transfers what crosses to Canada and the reverse (WCI link authorized);
    # Ontario to Québec is inside Canada: no adjustment
    crossed_to_ca = round(data["flows"]["CAL->QUE"]["2018"] * 1e6)
    assert data["adjustments"]["US"]["2018"] == crossed_to_ca
    assert data["adjustments"]["CA"]["2018"] == -crossed_to_ca
    ontario_to_us = round(data["flows"]["ONT->CAL"]["2017"] * 1e6)
    from_us = round(
        data["flows"]["CAL->QUE"]["2017"] * 1e6 + data["flows"]["CAL->ONT"]["2017"] * 1e6
    )
    assert data["adjustments"]["CA"]["2017"] == ontario_to_us - from_us


# -- Article 6.4 -----------------------------------------------------------------------------

#: one authorized activity that sells 930 credits — its MAC (5 × a / 940) meets
#: Switzerland's (545.4033 × (10,000 − a) / 10⁶) at a = 930 — and one unauthorized
#: (mitigation contribution) activity outside the market
A64_SMALL = """\
name: a64-small
years: [2025]
currency: USD
jurisdictions:
  - id: GH
    party: GH
    adapter: {code: A64_GH}
    crediting: {methodology: A64_AM_001}
    entities:
      count: 2
      seed: 1
      sectors:
        - {name: reference, count: 1, emissions: 9400, mac: {full_cost: 5, max_share: 0.1}}
        - {name: solar_mc, count: 1, emissions: 40000, mac: {full_cost: 30, max_share: 0.5},
           attributes: {authorized: false}}
  - id: CH
    party: CH
    national: true
    bau: 0.01
    cap: 0
    mac: {type: linear, slope: 545.4033}
links:
  - {id: A64_GH_TO_CH, from: GH, to: CH, authorized: true, cooperative_approach: A64}
"""


@pytest.fixture(scope="module")
def a64_small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("a64") / "run"
    return out, run.simulate(parse(A64_SMALL, "a64-small.yaml"), out)


def test_a64_the_1000_issuance_adds_950_for_the_host_and_930_for_the_buyer(
    a64_small: tuple[Path, dict[str, Any]],
) -> None:
    """L21: issuance 1,000 → 930 pending, 50 share of proceeds, 20 OMGE; the host's CA
    applies after the SOP (1,000 − 50 = 950), the buyer uses the 930 forwarded."""
    out, data = a64_small
    assert data["refusals"] == [] and data["violations"] == []
    issued = {r["sector"]: r for r in data["issuances"]}
    assert issued["reference"]["reductions"] == 1_000 and issued["reference"]["credited"] == 930
    assert data["flows"]["GH->CH"]["2025"] == pytest.approx(930 / 1e6)
    assert data["adjustments"] == {"CH": {"2025": -930}, "GH": {"2025": 950}}
    _matches_the_projection(out, data)
    with _store(out) as system:
        system.reopen_registries()
        a64 = system.registry("A64_GH")
        fund, omge = a64.account("ADAPTATION_FUND"), a64.account("OMGE_CANCELLATION")
        assert fund is not None and omge is not None
        assert fund.available.quantity("A64ER") == 50
        assert omge.available.quantity("A64ER") == 20
        ch = system.registry("CH")
        retired = [e for _, e in read(ch) if name_of(e) == "RegistryTransaction.Requested"
                   and e.kind == "retirement"]  # fmt: skip
        assert sum(b.count for e in retired for b in e.blocks) == 930


def test_a64_mitigation_contribution_units_are_issued_and_never_adjusted(
    a64_small: tuple[Path, dict[str, Any]],
) -> None:
    out, data = a64_small
    issued = {r["sector"]: r for r in data["issuances"]}
    mc = issued["solar_mc"]
    assert not mc["tradable"] and mc["reductions"] == 20_000  # its whole potential
    assert mc["credited"] == 20_000 - 1_000 - 400  # less 5% SOP and 2% OMGE
    assert "SOLAR_MC-0002" in (out / "issuances.csv").read_text()
    with _store(out) as system:
        system.reopen_registries()
        holder = system.registry("A64_GH").account("SOLAR_MC-0002")
        assert holder is not None and holder.available.quantity("A64MCU") == 18_600
    # no adjustment for them anywhere: the host's 950 is the reference activity's alone
    assert sum(data["adjustments"]["GH"].values()) == 950


def test_a64_bundled_scenario_accounts_every_forwarded_unit(tmp_path: Path) -> None:
    """The bundled file over two years: the cookstove programmes, the CDM hydro plants
    and the reference activity sell to Switzerland; the buyer subtracts what crossed,
    the host adds it plus the OMGE of its authorized issuances; the reference activity
    issues 1,000 a year."""
    text = _bundled("a64-crediting.yaml", ("years: {from: 2025, to: 2030}", "years: [2025, 2026]"))
    data = run.simulate(parse(text, "a64-crediting.yaml"), tmp_path / "run")
    assert data["refusals"] == [] and data["violations"] == []
    by_sector: dict[str, list[dict[str, Any]]] = {}
    for r in data["issuances"]:
        by_sector.setdefault(r["sector"], []).append(r)
    assert [r["reductions"] for r in by_sector["reference"]] == [1_000, 1_000]
    assert all(r["state"] == "completed" for r in data["issuances"])
    assert len(by_sector["hydro_cdm"]) == 6 and len(by_sector["solar_mc"]) == 8
    # a year's forwarding takes an activity's oldest pending units first (a few left
    # over from the year before): row 12 is by vintage, so compare over the run
    crossed = round(sum(data["flows"]["GH->CH"].values()) * 1e6)
    omge = sum(int(Fraction(2, 100) * r["reductions"]) for r in data["issuances"] if r["tradable"])
    assert sum(data["adjustments"]["CH"].values()) == -crossed
    assert sum(data["adjustments"]["GH"].values()) == crossed + omge
    _matches_the_projection(tmp_path / "run", data)


# -- what the simulator refuses -----------------------------------------------------------------


def _one_adapter(code: str, allocation: str, extra: str = "") -> str:
    return f"""\
name: table
years: [2021]
jurisdictions:
  - id: J
    party: J
    adapter: {{code: {code}}}
    cap: 1
    allocation: {allocation}
    entities:
      count: 2
      sectors:
        - {{name: cement, count: 2, emissions: 500000, mac: {{full_cost: 100, max_share: 0.2}},
           attributes: {{state: DE, base_emissions: {{from: base}}}}}}
{extra}"""


@covers("SIM-002")
def test_an_allocation_table_only_for_an_adapter_that_takes_one() -> None:
    from clearinghouse.simulation import model

    # the EU ETS allocates from the national allocation table: the scenario's rule is it
    table = parse(_one_adapter("EU_ETS", "{type: cap}"), "table.yaml").scenario
    eu = model.build(table)["J"]
    assert eu.plan == {("CEMENT-0001", 2021): 500_000, ("CEMENT-0002", 2021): 500_000}
    registered = eu.registration(eu.cohorts[0])["attributes"]
    assert registered["allocation"] == {"2021": 500_000}  # what the registry is given
    # K-ETS allocates by its own rules (grandfathering, benchmarks): refused
    with pytest.raises(Refused) as own:
        model.build(parse(_one_adapter("KR_ETS", "{type: cap}"), "table.yaml").scenario)
    assert own.value.code == "SIM-002" and "allocates by its own rules" in own.value.reason
    # only a registry that holds joint auctions sells an auctioned share
    with pytest.raises(Refused) as auction:
        model.build(parse(_one_adapter("EU_ETS", "{type: cap, auctioned: 0.5}"), "t.yaml").scenario)
    assert "holds no joint auctions" in auction.value.reason


@covers("SIM-002")
def test_delink_on_and_national_registries_are_checked_where_they_are_written(
    tmp_path: Path,
) -> None:
    two = (ROOT / "scenarios" / "two-markets.yaml").read_text()
    years = two.replace("years: [2030]", "years: [2030, 2031, 2032]")
    wrong_year = years.replace(
        "authorized: true}", "authorized: true, delink: 2031, delink_on: 2030-07-01}"
    )
    with pytest.raises(Refused) as early:
        parse(wrong_year, "two.yaml")
    assert "delink_on 2030-07-01 must fall in 2031 or 2032" in early.value.reason
    before_trading = years.replace(
        "authorized: true}", "authorized: true, delink: 2031, delink_on: 2031-03-01}"
    )
    with pytest.raises(Refused) as trading:  # 2030's units trade on 15 May 2031
        run.simulate(parse(before_trading, "two.yaml"), tmp_path / "run", outputs=False)
    assert "comes before the trading of compliance year 2030 (2031-05-15)" in (trading.value.reason)
    national = two.replace(
        "    party: A\n", "    party: A\n    national: true\n    banking: true\n"
    )
    with pytest.raises(Refused) as bank:
        parse(national, "two.yaml")
    assert "a national registry retires what it acquires" in bank.value.reason


def test_business_dates_move_before_an_early_surrender_deadline() -> None:
    from clearinghouse.simulation.execute import year_dates

    default = year_dates(2030)
    assert (default.verify, default.trade, default.surrender) == (
        date(2031, 4, 20), date(2031, 5, 15), date(2031, 6, 15),
    )  # fmt: skip
    assert year_dates(2030, date(2031, 6, 30)) == default  # K-ETS, the pilots: unchanged
    eu = year_dates(2030, date(2031, 4, 30))  # EU ETS, Swiss ETS [GK]
    assert eu.surrender == date(2031, 4, 15) and eu.trade == date(2031, 3, 15)
    assert eu.verify == date(2031, 2, 18) and eu.allocate == date(2031, 2, 23)
