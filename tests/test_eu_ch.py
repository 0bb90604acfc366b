"""The EU ETS (with the EEA states) and the Swiss ETS, and the link between them.

Sources: reference/registries-and-reporting.md L42 — agreement in force 1 Jan
2020, registry link live 21 Sep 2020; EUAs, CHUs and aviation units valid for
surrender in both systems and distinguishable in balances; cross-link transfers
execute only on predefined dates (2020: 28.09, 05.10, 19.10, 02.11, 16.11,
30.11, 07.12, 16.12, 17.12, 21.12; from 2023 every Tuesday and Thursday except
holidays); the EU delays transfers to accounts not on the trusted list by 26
hours. reference/linkage-and-article6.md L9 and 002 L35: Norway, Iceland and
Liechtenstein in the EU ETS since 2007/2008.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from adapters.base import RegistryApplication
from adapters.europe import (
    EuropeanRegistry,
    ScheduledReceipt,
    eu_ch_authorizations,
    eu_ch_link,
    eu_ets,
    swiss_ets,
)
from adapters.europe.settlement import DATES_2020, calendar, due_at, easter
from clearinghouse.checks import Refused
from clearinghouse.system import EmbeddedSystem
from projections import invariants
from projections.adjustments import adjustment_events, adjustments
from projections.log import read
from tests.coverage import covers

NDC = {"type": "absolute", "period": "single-year", "target_years": [2030]}


def new_system(*, authorized: bool = True, **eu_options: Any) -> EmbeddedSystem:
    s = EmbeddedSystem()
    ch = s.clearinghouse
    ch.register_party({"code": "EU", "name": "European Union", "ndc": NDC})
    ch.register_party({"code": "CH", "name": "Switzerland", "ndc": NDC})
    s.add_registry(eu_ets(**eu_options))
    s.add_registry(swiss_ets())
    if authorized:
        for grant in eu_ch_authorizations():
            ch.grant_authorization(grant)
    ch.conclude_agreement(eu_ch_link(authorized=authorized))
    return s


@pytest.fixture
def system() -> EmbeddedSystem:
    return new_system()


def reg(s: EmbeddedSystem, code: str) -> EuropeanRegistry:
    r = s.registry(code)
    assert isinstance(r, EuropeanRegistry)
    return r


def register(
    s: EmbeddedSystem,
    code: str,
    entity: str,
    state: str,
    *,
    sector: str = "cement",
    allocation: dict[str, int] | None = None,
    on: str = "2019-01-10",
) -> None:
    reg(s, code).register_entity(
        {
            "entity": entity,
            "name": entity.title(),
            "sector": sector,
            "emissions": 100_000,
            "attributes": {"state": state, "allocation": allocation or {}},
            "business_date": on,
        }
    )


def allocate(s: EmbeddedSystem, code: str, tid: str, entity: str, year: int) -> Any:
    data = {"transaction_id": tid, "entity": entity, "year": year, "business_date": f"{year}-02-28"}
    receipt = s.do(code, "allocate", data)
    assert receipt.state == "completed", receipt
    return receipt


def held(s: EmbeddedSystem, code: str, account: str, unit_type: str | None = None) -> int:
    a = reg(s, code).account(account)
    assert a is not None
    return a.available.quantity(unit_type) if unit_type else a.available.total


def on_hold(s: EmbeddedSystem, code: str, account: str) -> int:
    a = reg(s, code).account(account)
    assert a is not None
    return sum(b.count for blocks in a.held.values() for b in blocks)


def send(s: EmbeddedSystem, tid: str, on: str, quantity: int, **extra: Any) -> Any:
    data = {
        "transaction_id": tid,
        "business_date": on,
        "account": "HOLCIM_DE",
        "to_registry": "CH_ETS",
        "to_account": "HOLCIM_CH",
        "quantity": quantity,
        "unit_type": "EUA",
        **extra,
    }
    return s.do("EU_ETS", "transfer_abroad", data)


def tick(s: EmbeddedSystem, code: str, on: str, time: str | None = None) -> list[Any]:
    receipts = reg(s, code).execute_due({"business_date": on, "time": time})
    s.settle()
    return receipts


@pytest.fixture
def linked(system: EmbeddedSystem) -> EmbeddedSystem:
    """A German cement plant with 2020 EUAs; a Swiss cement plant of the same group
    (trusted, so only the calendar applies)."""
    register(system, "EU_ETS", "HOLCIM_DE", "DE", allocation={"2020": 50_000, "2021": 40_000})
    register(system, "CH_ETS", "HOLCIM_CH", "CH")
    allocate(system, "EU_ETS", "A20", "HOLCIM_DE", 2020)
    reg(system, "EU_ETS").trust_account(
        {
            "account": "HOLCIM_DE",
            "trusted_account": "HOLCIM_CH",
            "trusted_registry": "CH_ETS",
            "business_date": "2020-09-21",
        }
    )
    return system


# -- the calendar, as data --------------------------------------------------------------


def test_a_transfer_initiated_on_29_september_2020_settles_on_5_october() -> None:
    # L42: the 2020 dates are 28.09, 05.10, ...: 29 Sep is after the first
    assert calendar().next_on_or_after(date(2020, 9, 29)) == date(2020, 10, 5)


def test_the_2020_dates_are_the_listed_ones_and_nothing_settles_before_the_link() -> None:
    cal = calendar()
    listed = ["28.09", "05.10", "19.10", "02.11", "16.11", "30.11", "07.12", "16.12", "17.12"]
    assert [d.strftime("%d.%m") for d in DATES_2020] == [*listed, "21.12"]  # L42
    assert cal.between(date(2020, 1, 1), date(2020, 12, 31)) == list(DATES_2020)
    # live 21 Sep 2020 (L42): the first date is 28 Sep
    assert cal.next_on_or_after(date(2020, 3, 1)) == date(2020, 9, 28)
    assert not cal.is_settlement_date(date(2020, 9, 29))


def test_from_2023_every_tuesday_and_thursday_except_holidays() -> None:
    cal = calendar()
    # a week in June 2023: Tue 6, Thu 8
    assert cal.between(date(2023, 6, 5), date(2023, 6, 11)) == [date(2023, 6, 6), date(2023, 6, 8)]
    # Ascension Day 2023 is Thursday 18 May [GK holiday]: the next date is Tuesday 23 May
    assert easter(2023) == date(2023, 4, 9)
    assert not cal.is_settlement_date(date(2023, 5, 18))
    assert cal.next_on_or_after(date(2023, 5, 17)) == date(2023, 5, 23)
    # Christmas 2025 is a Thursday: the next date is Tuesday 30 December
    assert cal.next_on_or_after(date(2025, 12, 24)) == date(2025, 12, 30)


def test_the_source_read_literally_leaves_2021_and_2022_without_dates() -> None:
    # L42 states the weekly rule "from 2023": with it, a transfer initiated after the
    # last 2020 date waits for the first Tuesday of 2023 unless dates are given
    literal = calendar(weekly_from=date(2023, 1, 1))
    assert literal.next_on_or_after(date(2020, 12, 22)) == date(2023, 1, 3)
    listed = calendar(weekly_from=date(2023, 1, 1), extra_dates=[date(2021, 1, 12)])
    assert listed.next_on_or_after(date(2020, 12, 22)) == date(2021, 1, 12)
    # the default applies the weekly rule from 2021 [assumption]
    assert calendar().next_on_or_after(date(2020, 12, 22)) == date(2021, 1, 5)


def test_the_26_hour_delay_and_the_calendar_combine() -> None:
    cal = calendar()
    monday = datetime(2023, 6, 5, 10, 0)
    assert due_at(monday, delay=None, cross_link=None) == monday
    from adapters.europe.settlement import UNTRUSTED_DELAY

    assert due_at(monday, delay=UNTRUSTED_DELAY, cross_link=None) == datetime(2023, 6, 6, 12, 0)
    # across the link: Tuesday 12:00 is on a settlement date, so it executes then
    assert due_at(monday, delay=UNTRUSTED_DELAY, cross_link=cal) == datetime(2023, 6, 6, 12, 0)
    # trusted, initiated on a Wednesday: the start of Thursday
    wednesday = datetime(2023, 6, 7, 16, 0)
    assert due_at(wednesday, delay=None, cross_link=cal) == datetime(2023, 6, 8, 0, 0)


# -- a transfer to Switzerland waits for the next settlement date -------------------------


def test_a_transfer_to_switzerland_waits_for_the_next_settlement_date(
    linked: EmbeddedSystem,
) -> None:
    s = linked
    receipt = send(s, "X1", "2020-09-29", 10_000)
    assert isinstance(receipt, ScheduledReceipt)
    assert receipt.state == "scheduled"
    assert receipt.execute_at == datetime(2020, 10, 5)
    # meanwhile: the units are on hold, the clearinghouse has seen nothing
    assert held(s, "EU_ETS", "HOLCIM_DE") == 40_000
    assert on_hold(s, "EU_ETS", "HOLCIM_DE") == 10_000
    assert s.clearinghouse.transaction("X1", "EU_ETS") is None
    assert tick(s, "EU_ETS", "2020-10-02") == []
    assert s.clearinghouse.transaction("X1", "EU_ETS") is None

    assert [r.state for r in tick(s, "EU_ETS", "2020-10-05")] == ["proposed"]
    txn = s.clearinghouse.transaction("X1", "EU_ETS")
    assert txn is not None and txn.state == "completed"
    assert txn.business_date == date(2020, 10, 5)
    assert held(s, "CH_ETS", "HOLCIM_CH", "EUA") == 10_000
    assert on_hold(s, "EU_ETS", "HOLCIM_DE") == 0
    # the command answers the same once executed (idempotent)
    assert send(s, "X1", "2020-09-29", 10_000).state == "completed"
    # an authorized link: the EU's first transfer adjusts the EU
    assert adjustments(read(s.clearinghouse)) == {
        "EU": {"2020": {"first_transfer": 10_000, "use": 0, "net": 10_000}}
    }


def test_a_late_tick_still_executes_on_the_settlement_date(linked: EmbeddedSystem) -> None:
    send(linked, "X1", "2020-09-29", 1_000)
    tick(linked, "EU_ETS", "2020-10-10")
    txn = linked.clearinghouse.transaction("X1", "EU_ETS")
    assert txn is not None and txn.business_date == date(2020, 10, 5)


@covers("CMP-504")
def test_a_held_transfer_can_be_cancelled_until_it_executes(linked: EmbeddedSystem) -> None:
    s = linked
    send(s, "X1", "2020-09-29", 10_000)
    r = reg(s, "EU_ETS")
    cancelled = r.cancel_transfer({"transaction_id": "X1", "business_date": "2020-10-01"})
    assert cancelled.state == "cancelled"
    assert held(s, "EU_ETS", "HOLCIM_DE") == 50_000
    assert tick(s, "EU_ETS", "2020-10-05") == []
    assert s.clearinghouse.transaction("X1", "EU_ETS") is None
    send(s, "X2", "2020-09-29", 10_000)
    tick(s, "EU_ETS", "2020-10-05")
    before = r.recorder.max_notification_id()
    with pytest.raises(Refused) as refused:
        r.cancel_transfer({"transaction_id": "X2", "business_date": "2020-10-06"})
    assert refused.value.code == "CMP-504"
    assert "executed" in refused.value.reason
    with pytest.raises(Refused):
        r.cancel_transfer({"transaction_id": "NOPE", "business_date": "2020-10-06"})
    assert r.recorder.max_notification_id() == before


@covers("TXN-001")
def test_a_held_transfer_id_cannot_be_reused_for_another_transfer(
    linked: EmbeddedSystem,
) -> None:
    send(linked, "X1", "2020-09-29", 10_000)
    again = send(linked, "X1", "2020-09-29", 10_000)
    assert again.state == "scheduled"
    other = send(linked, "X1", "2020-09-29", 5_000)
    assert other.code == "TXN-001"
    assert on_hold(linked, "EU_ETS", "HOLCIM_DE") == 10_000


@covers("CMP-501")
def test_nothing_is_initiated_across_the_link_before_it_is_live(system: EmbeddedSystem) -> None:
    register(system, "EU_ETS", "HOLCIM_DE", "DE", allocation={"2020": 50_000})
    register(system, "CH_ETS", "HOLCIM_CH", "CH")
    allocate(system, "EU_ETS", "A20", "HOLCIM_DE", 2020)
    # in force 1 Jan 2020, but the registry link went live on 21 Sep 2020 (L42)
    receipt = send(system, "EARLY", "2020-06-01", 1_000)
    assert receipt.state == "refused" and receipt.code == "CMP-501"
    assert "2020-09-21" in (receipt.reason or "")
    assert held(system, "EU_ETS", "HOLCIM_DE") == 50_000


@covers("CMP-501")
def test_units_credited_off_the_calendar_are_refused_and_returned(
    linked: EmbeddedSystem,
) -> None:
    s = linked
    eu = reg(s, "EU_ETS")
    # a registry that ignores the calendar proposes at once, on 29 Sep 2020
    RegistryApplication.transfer_abroad(
        eu,
        {
            "transaction_id": "RUSH",
            "business_date": "2020-09-29",
            "account": "HOLCIM_DE",
            "to_registry": "CH_ETS",
            "to_account": "HOLCIM_CH",
            "quantity": 1_000,
        },
    )
    s.settle()
    txn = eu.transaction("RUSH")
    assert txn is not None and txn.state == "returned"
    assert txn.verdict is not None and txn.verdict["code"] == "CMP-501"
    assert "2020-10-05" in txn.verdict["reason"]
    assert held(s, "EU_ETS", "HOLCIM_DE") == 50_000
    assert held(s, "CH_ETS", "HOLCIM_CH") == 0


def test_switzerland_sends_chus_to_the_eu_on_the_calendar_without_the_eu_delay(
    linked: EmbeddedSystem,
) -> None:
    s = linked
    ch = reg(s, "CH_ETS")
    ch.open_account({"account": "TRADER", "holder": "Swiss trader"})
    receipt = s.do(
        "CH_ETS",
        "issue",
        {
            "transaction_id": "AUC1",
            "business_date": "2020-10-01",
            "account": "TRADER",
            "unit_type": "CHU",
            "vintage": 2020,
            "quantity": 3_000,
        },
    )
    assert receipt.state == "completed"
    out = s.do(
        "CH_ETS",
        "transfer_abroad",
        {
            "transaction_id": "C1",
            "business_date": "2020-11-03",
            "account": "TRADER",
            "to_registry": "EU_ETS",
            "to_account": "HOLCIM_DE",
            "quantity": 3_000,
        },
    )
    # the Swiss registry has no trusted-list delay (L42 states it for the EU)
    assert isinstance(out, ScheduledReceipt) and out.execute_at == datetime(2020, 11, 16)
    assert len(out.waits_for) == 1
    tick(s, "CH_ETS", "2020-11-16")
    assert held(s, "EU_ETS", "HOLCIM_DE", "CHU") == 3_000


# -- mutual recognition ----------------------------------------------------------------


def test_a_swiss_operator_surrenders_euas(linked: EmbeddedSystem) -> None:
    s = linked
    send(s, "X1", "2020-09-29", 20_000)
    tick(s, "EU_ETS", "2020-10-05")
    ch = reg(s, "CH_ETS")
    ch.verify_emissions(
        {"entity": "HOLCIM_CH", "year": 2020, "tonnes": 20_000, "business_date": "2021-03-31"}
    )
    receipt = s.do(
        "CH_ETS",
        "comply",
        {
            "transaction_id": "S20",
            "entity": "HOLCIM_CH",
            "period": "2020",
            "quantity": 20_000,
            "unit_type": "EUA",
            "business_date": "2021-04-20",
        },
    )
    assert receipt.state == "completed", receipt
    (result,) = ch.close_period({"period": "2020", "business_date": "2021-05-01"})
    assert result["compliant"] and result["allowances"] == 20_000
    # EUAs stay EUAs in the Swiss balance (L42: distinguishable in balances)
    surrendered = ch.account("SURRENDER")
    assert surrendered is not None and surrendered.available.quantity("EUA") == 20_000
    # the EU adds at the first transfer, Switzerland subtracts at use: no double claim
    rows = {
        (a["party"], a["role"]): a["quantity"] for a in adjustment_events(read(s.clearinghouse))
    }
    assert rows == {("EU", "first_transfer"): 20_000, ("CH", "use"): 20_000}
    assert invariants.check(read(s.clearinghouse)) == []


def test_an_eu_operator_surrenders_chus(linked: EmbeddedSystem) -> None:
    s = linked
    ch = reg(s, "CH_ETS")
    ch.open_account({"account": "TRADER", "holder": "Swiss trader"})
    s.do(
        "CH_ETS",
        "issue",
        {
            "transaction_id": "AUC1",
            "business_date": "2020-10-01",
            "account": "TRADER",
            "unit_type": "CHU",
            "vintage": 2020,
            "quantity": 5_000,
        },
    )
    s.do(
        "CH_ETS",
        "transfer_abroad",
        {
            "transaction_id": "C1",
            "business_date": "2020-10-01",
            "account": "TRADER",
            "to_registry": "EU_ETS",
            "to_account": "HOLCIM_DE",
            "quantity": 5_000,
        },
    )
    tick(s, "CH_ETS", "2020-10-05")
    eu = reg(s, "EU_ETS")
    eu.verify_emissions(
        {"entity": "HOLCIM_DE", "year": 2020, "tonnes": 55_000, "business_date": "2021-03-31"}
    )
    receipt = s.do(
        "EU_ETS",
        "comply",
        {
            "transaction_id": "S20",
            "entity": "HOLCIM_DE",
            "period": "2020",
            "quantity": 55_000,
            "business_date": "2021-04-20",
        },
    )
    assert receipt.state == "completed", receipt
    surrendered = eu.account("SURRENDER")
    assert surrendered is not None
    assert surrendered.available.quantity("CHU") == 5_000
    assert surrendered.available.quantity("EUA") == 50_000


@covers("ACC-002")
def test_without_the_article_6_treatment_a_swiss_surrender_of_euas_is_double_claiming() -> None:
    s = new_system(authorized=False)
    register(s, "EU_ETS", "HOLCIM_DE", "DE", allocation={"2020": 50_000})
    register(s, "CH_ETS", "HOLCIM_CH", "CH")
    allocate(s, "EU_ETS", "A20", "HOLCIM_DE", 2020)
    reg(s, "EU_ETS").trust_account(
        {
            "account": "HOLCIM_DE",
            "trusted_account": "HOLCIM_CH",
            "trusted_registry": "CH_ETS",
            "business_date": "2020-09-21",
        }
    )
    send(s, "X1", "2020-09-29", 1_000)
    tick(s, "EU_ETS", "2020-10-05")
    assert held(s, "CH_ETS", "HOLCIM_CH", "EUA") == 1_000
    reg(s, "CH_ETS").verify_emissions(
        {"entity": "HOLCIM_CH", "year": 2020, "tonnes": 1_000, "business_date": "2021-03-31"}
    )
    receipt = s.do(
        "CH_ETS",
        "comply",
        {
            "transaction_id": "S20",
            "entity": "HOLCIM_CH",
            "period": "2020",
            "quantity": 1_000,
            "business_date": "2021-04-20",
        },
    )
    assert receipt.state == "rejected" and receipt.code == "ACC-002"
    assert held(s, "CH_ETS", "HOLCIM_CH", "EUA") == 1_000


@covers("CMP-502")
def test_aviation_allowances_count_for_aircraft_operators_only(linked: EmbeddedSystem) -> None:
    s = linked
    eu = reg(s, "EU_ETS")
    register(s, "EU_ETS", "LUFTHANSA", "DE", sector="aviation")
    for account in ("HOLCIM_DE", "LUFTHANSA"):
        s.do(
            "EU_ETS",
            "issue",
            {
                "transaction_id": f"AV-{account}",
                "business_date": "2020-03-01",
                "account": account,
                "unit_type": "EUAA",
                "vintage": 2020,
                "quantity": 500,
            },
        )
        eu.verify_emissions(
            {"entity": account, "year": 2020, "tonnes": 500, "business_date": "2021-03-31"}
        )
    before = eu.account("HOLCIM_DE")
    assert before is not None
    comply = {"period": "2020", "quantity": 500, "unit_type": "EUAA", "business_date": "2021-04-20"}
    plant = s.do("EU_ETS", "comply", {"transaction_id": "P", "entity": "HOLCIM_DE", **comply})
    assert plant.state == "refused" and plant.code == "CMP-502"
    assert held(s, "EU_ETS", "HOLCIM_DE", "EUAA") == 500
    airline = s.do("EU_ETS", "comply", {"transaction_id": "L", "entity": "LUFTHANSA", **comply})
    assert airline.state == "completed"


# -- the 26-hour delay ----------------------------------------------------------------


def test_an_eu_transfer_to_an_untrusted_account_waits_26_hours(linked: EmbeddedSystem) -> None:
    s = linked
    eu = reg(s, "EU_ETS")
    eu.open_account({"account": "BROKER", "holder": "A broker"})
    data = {
        "transaction_id": "T1",
        "business_date": "2023-06-05",
        "time": "10:00",
        "account": "HOLCIM_DE",
        "to_account": "BROKER",
        "quantity": 2_000,
    }
    receipt = s.do("EU_ETS", "transfer", data)
    assert isinstance(receipt, ScheduledReceipt)
    assert receipt.execute_at == datetime(2023, 6, 6, 12, 0)
    assert "not on HOLCIM_DE's trusted account list" in receipt.waits_for[0]
    assert tick(s, "EU_ETS", "2023-06-06", "11:59") == []
    assert held(s, "EU_ETS", "BROKER") == 0
    (done,) = tick(s, "EU_ETS", "2023-06-06", "12:00")
    assert done.state == "completed"
    assert held(s, "EU_ETS", "BROKER") == 2_000
    txn = eu.transaction("T1", "internal")
    assert txn is not None and txn.business_date == date(2023, 6, 6)


def test_trusted_and_same_holder_accounts_are_not_delayed(linked: EmbeddedSystem) -> None:
    s = linked
    eu = reg(s, "EU_ETS")
    eu.open_account({"account": "BROKER", "holder": "A broker"})
    eu.open_account({"account": "HOLCIM_DE_2", "holder": "Holcim_De"})  # same holder
    eu.trust_account(
        {"account": "HOLCIM_DE", "trusted_account": "BROKER", "business_date": "2023-01-01"}
    )
    base = {"business_date": "2023-06-05", "account": "HOLCIM_DE", "quantity": 100}
    to_broker = s.do("EU_ETS", "transfer", {"transaction_id": "T1", "to_account": "BROKER", **base})
    assert to_broker.state == "completed" and not isinstance(to_broker, ScheduledReceipt)
    own = s.do("EU_ETS", "transfer", {"transaction_id": "T2", "to_account": "HOLCIM_DE_2", **base})
    assert own.state == "completed"
    eu.distrust_account(
        {"account": "HOLCIM_DE", "trusted_account": "BROKER", "business_date": "2023-07-01"}
    )
    later = {**base, "business_date": "2023-07-03"}
    again = s.do("EU_ETS", "transfer", {"transaction_id": "T3", "to_account": "BROKER", **later})
    assert again.state == "scheduled"
    assert [t["account"] for t in eu.trusted("HOLCIM_DE")] == ["HOLCIM_CH"]


def test_an_untrusted_transfer_to_switzerland_waits_26_hours_then_for_the_calendar(
    linked: EmbeddedSystem,
) -> None:
    s = linked
    reg(s, "CH_ETS").open_account({"account": "ZUG_TRADER", "holder": "Zug trader"})
    receipt = send(s, "X9", "2023-06-07", 100, time="09:00", to_account="ZUG_TRADER")
    # Wednesday 09:00 + 26 h = Thursday 11:00, a settlement date
    assert isinstance(receipt, ScheduledReceipt)
    assert receipt.execute_at == datetime(2023, 6, 8, 11, 0)
    assert len(receipt.waits_for) == 2
    tick(s, "EU_ETS", "2023-06-08")
    assert held(s, "CH_ETS", "ZUG_TRADER", "EUA") == 100


# -- the EEA states ---------------------------------------------------------------------


@covers("CMP-503")
def test_the_eea_states_take_part_in_the_eu_ets_from_2008(system: EmbeddedSystem) -> None:
    eu = reg(system, "EU_ETS")
    before = eu.recorder.max_notification_id()
    with pytest.raises(Refused) as refused:
        register(
            system, "EU_ETS", "NORSK_HYDRO", "NO", sector="non_ferrous_metals", on="2007-06-01"
        )
    assert refused.value.code == "CMP-503"
    assert "from 2008-01-01" in refused.value.reason
    assert eu.recorder.max_notification_id() == before
    for state, entity in (("NO", "NORSK_HYDRO"), ("IS", "ALCOA_IS"), ("LI", "HILTI_LI")):
        register(system, "EU_ETS", entity, state, sector="non_ferrous_metals", on="2008-01-02")
    # the UK left after 2020 [GK]; Switzerland is not an EU ETS state
    with pytest.raises(Refused) as uk:
        register(system, "EU_ETS", "DRAX", "GB", sector="combustion", on="2021-02-01")
    assert uk.value.code == "CMP-001"  # combustion without its thermal input
    with pytest.raises(Refused) as uk:
        register(system, "EU_ETS", "DRAX", "GB", sector="cement", on="2021-02-01")
    assert uk.value.code == "CMP-503"
    assert eu.by_state()["NO"]["entities"] == 1


def test_002_read_literally_lets_the_eea_states_in_from_2007() -> None:
    # 002 L35: Norway, Iceland and Liechtenstein "joined the EU ETS in 2007"
    s = new_system(eea_since=date(2007, 1, 1))
    register(s, "EU_ETS", "NORSK_HYDRO", "NO", sector="non_ferrous_metals", on="2007-06-01")
    assert reg(s, "EU_ETS").entity("NORSK_HYDRO") is not None


def test_a_norwegian_installation_complies_in_the_union_registry(system: EmbeddedSystem) -> None:
    register(system, "EU_ETS", "NORSK_HYDRO", "NO", sector="non_ferrous_metals",
             allocation={"2015": 8_000}, on="2014-01-02")  # fmt: skip
    allocate(system, "EU_ETS", "N15", "NORSK_HYDRO", 2015)
    eu = reg(system, "EU_ETS")
    eu.verify_emissions(
        {"entity": "NORSK_HYDRO", "year": 2015, "tonnes": 8_000, "business_date": "2016-03-31"}
    )
    receipt = system.do(
        "EU_ETS",
        "comply",
        {
            "transaction_id": "S15",
            "entity": "NORSK_HYDRO",
            "period": "2015",
            "quantity": 8_000,
            "business_date": "2016-04-29",
        },
    )
    assert receipt.state == "completed"
    # inside one registry: nothing crosses a border, nothing is adjusted
    assert adjustments(read(system.clearinghouse)) == {}


# -- compliance: deadlines, phases, the penalty ------------------------------------------


@covers("CMP-008")
def test_borrowing_stays_inside_a_trading_phase(system: EmbeddedSystem) -> None:
    register(
        system,
        "EU_ETS",
        "PLANT",
        "FR",
        allocation={"2019": 1_000, "2020": 1_000, "2021": 1_000},
        on="2018-01-02",
    )
    for year in (2020, 2021):
        allocate(system, "EU_ETS", f"A{year}", "PLANT", year)
    allocate(system, "EU_ETS", "A2019", "PLANT", 2019)
    eu = reg(system, "EU_ETS")
    eu.verify_emissions(
        {"entity": "PLANT", "year": 2019, "tonnes": 2_000, "business_date": "2020-03-01"}
    )
    base = {"entity": "PLANT", "period": "2019", "quantity": 1_000, "business_date": "2020-04-20"}
    # 2020 allowances for 2019 emissions: same phase (2013–2020) [GK]
    same = system.do("EU_ETS", "comply", {"transaction_id": "B1", "vintage": 2020, **base})
    assert same.state == "completed"
    across = system.do("EU_ETS", "comply", {"transaction_id": "B2", "vintage": 2021, **base})
    assert across.state == "refused" and across.code == "CMP-008"


@covers("CMP-005")
def test_a_shortfall_costs_100_euros_a_tonne_and_stays_due(system: EmbeddedSystem) -> None:
    register(
        system, "EU_ETS", "PLANT", "IT", allocation={"2021": 900, "2022": 2_000}, on="2020-06-01"
    )
    allocate(system, "EU_ETS", "A21", "PLANT", 2021)
    eu = reg(system, "EU_ETS")
    eu.verify_emissions(
        {"entity": "PLANT", "year": 2021, "tonnes": 1_000, "business_date": "2022-03-01"}
    )
    system.do(
        "EU_ETS",
        "comply",
        {"transaction_id": "S21", "entity": "PLANT", "period": "2021", "quantity": 900,
         "business_date": "2022-04-29"},
    )  # fmt: skip
    late = system.do(
        "EU_ETS",
        "comply",
        {"transaction_id": "LATE", "entity": "PLANT", "period": "2021", "quantity": 1,
         "business_date": "2022-05-02"},
    )  # fmt: skip
    assert late.code == "CMP-005"  # after 30 April [GK]
    (result,) = eu.close_period({"period": "2021", "business_date": "2022-05-02"})
    assert result["shortfall"] == 100
    assert Decimal(result["fine"]) == Decimal(10_000) and result["currency"] == "EUR"
    eu.verify_emissions(
        {"entity": "PLANT", "year": 2022, "tonnes": 1_500, "business_date": "2023-03-01"}
    )
    entity = eu.entity("PLANT")
    assert entity is not None
    assert eu.rules.obligation(entity, eu.rules.period("2022")) == 1_600  # + the 100 still due
    # from 2024 emissions the EU deadline is 30 September [GK]
    assert eu.rules.period("2024").surrender_by == date(2025, 9, 30)
    assert reg(system, "CH_ETS").rules.period("2024").surrender_by == date(2025, 4, 30)


def test_the_conservation_check_holds_with_transfers_on_hold(linked: EmbeddedSystem) -> None:
    s = linked
    send(s, "X1", "2020-09-29", 10_000)
    assert reg(s, "EU_ETS").conservation().balanced
    tick(s, "EU_ETS", "2020-10-05")
    eu = reg(s, "EU_ETS").conservation()
    assert eu.balanced and eu.exported == 10_000
