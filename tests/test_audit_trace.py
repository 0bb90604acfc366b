"""Provenance: a unit that crossed two borders, traced serial by serial."""

from __future__ import annotations

from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path

import pytest

from clearinghouse import cli
from clearinghouse.audit.logs import Logs
from clearinghouse.audit.trace import Query, trace
from clearinghouse.checks import Refused
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem
from tests.audit_world import cross_two_borders
from tests.coverage import covers


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("audit-trace") / "store"
    with EmbeddedSystem(StoreConfig(kind="sqlite", path=where)) as system:
        cross_two_borders(system)
    return where


def traced(store: Path, query: Query):  # type: ignore[no-untyped-def]
    with Logs.of(StoreConfig(kind="sqlite", path=store)) as logs:
        return trace(logs, query)


def test_a_unit_that_crossed_two_borders_lists_every_step(store: Path) -> None:
    result = traced(store, Query("A_REG", 1))
    key = [(str(s.business_date), s.application, s.step) for s in result.steps if s.key]
    assert key == [
        ("2025-01-10", "CLEARINGHOUSE", "issuance"),
        ("2025-01-10", "REGISTRY_A_REG", "credited"),  # to DEV
        ("2025-02-01", "REGISTRY_A_REG", "credited"),  # to TRADER: a split
        ("2025-02-01", "REGISTRY_A_REG", "internal transfer"),
        ("2025-03-01", "CLEARINGHOUSE", "authorization"),  # bound to AA-AUTH at the border
        ("2025-03-01", "REGISTRY_B_REG", "credited"),
        ("2025-03-01", "CLEARINGHOUSE", "corresponding adjustment"),  # AA adds
        ("2025-03-01", "CLEARINGHOUSE", "transfer, converted"),
        ("2025-03-01", "CLEARINGHOUSE", "first transfer"),
        ("2025-03-01", "CLEARINGHOUSE", "issued by conversion"),
        ("2025-06-01", "REGISTRY_C_REG", "credited"),
        ("2025-06-01", "CLEARINGHOUSE", "transfer"),  # the second border
        ("2026-03-01", "CLEARINGHOUSE", "corresponding adjustment"),  # CC subtracts
        ("2026-03-01", "CLEARINGHOUSE", "retired"),
        ("2026-03-01", "REGISTRY_C_REG", "credited"),  # into RETIREMENT
    ]
    details = [s.detail for s in result.steps if s.key]
    assert "split: 600 of the 1,000 in A_REG:AU:2025:1-1000" in details[2]
    assert details[4].startswith("became an ITMO under AA-AUTH (ABC")
    assert details[6] == "AA adds 400 t (first transfer; year 2025, vintage 2025, AA-AUTH)"
    assert "converted (400 -> 200 BU): the serial is now B_REG:BU:1" in details[7]
    # 100 BU of a batch of 200 BU that carries AA's 400 t: 200 t
    assert details[12].startswith("CC subtracts 200 t (use towards its NDC; year 2026")
    # every step names its log position and business date
    assert all(s.position > 0 and s.business_date is not None for s in result.steps)
    positions = [s.position for s in result.steps if s.application == "CLEARINGHOUSE"]
    assert positions == sorted(positions)
    assert result.followed == ["A_REG:AU:1", "B_REG:BU:1"]
    (now,) = result.now
    assert (now.block, now.holder, now.status, now.account) == (
        "B_REG:BU:2025:1-100", "C_REG", "retired", "RETIREMENT",
    )  # fmt: skip
    assert now.authorization == "AA-AUTH" and now.first_transferred


def test_a_conversion_at_one_half_follows_the_serial_in_serial_order(store: Path) -> None:
    # AU serials 3 and 4 became BU serial 2 (two AU for one BU)
    assert traced(store, Query("A_REG", 3)).followed == ["A_REG:AU:3", "B_REG:BU:2"]
    assert traced(store, Query("A_REG", 4, "AU")).followed == ["A_REG:AU:4", "B_REG:BU:2"]


def test_a_unit_that_stayed_home_ends_in_its_account(store: Path) -> None:
    result = traced(store, Query.parse("A_REG:AU:2025:450-460"))  # a block: its first serial
    assert result.serial == 450
    assert [s.step for s in result.steps if s.key] == [
        "issuance", "credited", "credited", "internal transfer",
    ]  # fmt: skip
    (now,) = result.now
    assert (now.status, now.holder, now.account) == ("active", "A_REG", "TRADER")


@covers("AUD-041")
def test_a_serial_never_issued_is_refused_with_its_code(store: Path) -> None:
    with pytest.raises(Refused) as refused:
        traced(store, Query("A_REG", 5_000))
    assert refused.value.code == "AUD-041"
    err = StringIO()
    with redirect_stderr(err), redirect_stdout(StringIO()):
        code = cli.main(["audit", "trace", "5000", "--registry", "A_REG", "--store", str(store)])
    assert code == 2 and "AUD-041" in err.getvalue()


def test_serial_forms_and_the_command_line(store: Path) -> None:
    assert Query.parse("B_REG:BU:7") == Query("B_REG", 7, "BU")
    assert Query.parse("ABC-A_REG-AU-2025-1-400") == Query("A_REG", 1, "AU")
    with pytest.raises(ValueError, match="needs its originating registry"):
        Query.parse("17")
    out = StringIO()
    with redirect_stdout(out):
        code = cli.main(["audit", "trace", "1", "--registry", "A_REG", "--store", str(store)])
    text = out.getvalue()
    assert code == 0
    assert "serial 1 of A_REG:AU, followed as B_REG:BU:1" in text
    assert "2026-03-01    CLEARINGHOUSE" in text
    assert "now: B_REG:BU:2025:1-100 is retired, held by account RETIREMENT of C_REG" in text
    out = StringIO()
    with redirect_stdout(out):
        cli.main(["audit", "trace", "1", "--registry", "A_REG", "--all", "--store", str(store)])
    assert "UnitLedger" not in text and out.getvalue().count("\n") > text.count("\n")
