"""``clearinghouse links``: the link rules from the command line, and a tick of business
time on a store (sources as in tests/test_eu_ch.py, test_wci.py, test_a64.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.europe import eu_ch_authorizations, eu_ch_link, eu_ets, swiss_ets
from clearinghouse.cli import main
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem

NDC = {"type": "absolute", "period": "single-year", "target_years": [2030]}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_calendar_answers_when_a_transfer_settles(capsys: pytest.CaptureFixture[str]) -> None:
    # registries-and-reporting.md L42: initiated 29 Sep 2020 → 5 Oct 2020
    code, out, _ = run(capsys, "links", "calendar", "--next", "2020-09-29")
    assert code == 0 and out.strip() == "2020-09-29 → 2020-10-05"
    code, out, _ = run(capsys, "links", "calendar", "--from", "2020-09-01", "--to", "2020-10-31",
                       "--json")  # fmt: skip
    assert json.loads(out)["dates"] == ["2020-09-28", "2020-10-05", "2020-10-19"]
    with pytest.raises(SystemExit):
        main(["links", "calendar", "--next", "29.09.2020"])
    assert "not a date" in capsys.readouterr().err


def test_holding_limit_reserve_price_and_split(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "links", "holding-limit", "--cap", "300000000", "--json")
    assert json.loads(out)["holding_limit"] == 9_375_000  # L46
    _, out, _ = run(capsys, "links", "reserve-price", "2014", "2021", "--json")
    assert json.loads(out) == {"2014": "11.34", "2021": "17.71"}  # L48
    _, out, _ = run(capsys, "links", "a64-split", "1000", "--json")
    split = json.loads(out)
    assert (split["pending"], split["share_of_proceeds"], split["omge"]) == (930, 50, 20)  # L21
    code, _, err = run(capsys, "links", "a64-split", "1000", "--omge", "1")
    assert code == 2 and "at least 2%" in err


def test_execute_due_runs_held_transfers_in_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = StoreConfig(kind="sqlite", path=tmp_path)
    with EmbeddedSystem(store) as s:
        for party in ("EU", "CH"):
            s.clearinghouse.register_party({"code": party, "name": party, "ndc": NDC})
        eu, swiss = s.add_registry(eu_ets()), s.add_registry(swiss_ets())
        for grant in eu_ch_authorizations():
            s.clearinghouse.grant_authorization(grant)
        s.clearinghouse.conclude_agreement(eu_ch_link())
        eu.open_account({"account": "T", "holder": "T"})
        swiss.open_account({"account": "B", "holder": "B"})
        s.do("EU_ETS", "issue", {"transaction_id": "i", "business_date": "2020-09-01",
                                 "account": "T", "unit_type": "EUA", "vintage": 2020,
                                 "quantity": 700})  # fmt: skip
        held = s.do("EU_ETS", "transfer_abroad", {"transaction_id": "x", "account": "T",
                    "business_date": "2020-09-29", "to_registry": "CH_ETS", "to_account": "B",
                    "quantity": 700})  # fmt: skip
        assert held.state == "scheduled"
    code, out, _ = run(capsys, "links", "execute-due", "--store", str(tmp_path), "--date",
                       "2020-10-02")  # fmt: skip
    assert code == 0 and out.startswith("nothing due")
    code, out, _ = run(capsys, "links", "execute-due", "--store", str(tmp_path), "--date",
                       "2020-10-05", "--json")  # fmt: skip
    (row,) = json.loads(out)
    assert (row["registry"], row["transaction"], row["state"]) == ("EU_ETS", "x", "completed")
    with EmbeddedSystem(store) as s:
        s.add_registry(swiss_ets(), connect=False)
        account = s.registry("CH_ETS").account("B")
        assert account is not None and account.available.total == 700
    code, _, err = run(
        capsys, "links", "execute-due", "--store", ":memory:", "--date", "2020-10-05"
    )
    assert code == 2 and "not connected" in err
