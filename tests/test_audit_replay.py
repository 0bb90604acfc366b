"""Point-in-time replay: as of a date or a position, equal to what a live run showed."""

from __future__ import annotations

import shutil
from contextlib import redirect_stderr, redirect_stdout
from datetime import date
from io import StringIO
from pathlib import Path

import pytest

from clearinghouse import cli
from clearinghouse.audit.logs import Logs
from clearinghouse.audit.replay import Replay, replay
from clearinghouse.checks import Refused
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem
from tests import audit_world as world
from tests.coverage import covers


def now(where: Path, **kwargs: object) -> Replay:
    with Logs.of(StoreConfig(kind="sqlite", path=where)) as logs:
        return replay(logs, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Replay]]:
    """A live run, with the projections captured as the business clock passed
    2025-03-31 (after the first border) and 2025-12-31 (after the second)."""
    where = tmp_path_factory.mktemp("audit-replay") / "store"
    captured = {}
    with EmbeddedSystem(StoreConfig(kind="sqlite", path=where)) as system:
        world.setup(system)
        world.issue(system)
        world.split(system)
        world.first_border(system)
        captured["2025-03-31"] = now(where, parties=["AA", "BB"])
        world.second_border(system)
        captured["2025-12-31"] = now(where, parties=["AA", "BB"])
        world.retire(system)
    return where, captured


def test_as_of_replay_equals_the_state_captured_during_the_live_run(
    live: tuple[Path, dict[str, Replay]],
) -> None:
    where, captured = live
    for day, then in captured.items():
        replayed = now(where, as_of=date.fromisoformat(day), parties=["AA", "BB"])
        assert replayed.positions == then.positions
        assert replayed.projections_bytes() == then.projections_bytes()
        assert replayed.backdated == {}
    # and the logs have moved on since: the retirement of 2026 is not in either
    latest = now(where).projections
    # 100 BU retired, each carrying the 2 t of the AU it replaced (400 AU -> 200 BU)
    assert latest["adjustments"]["CC"] == {"2026": {"first_transfer": 0, "use": 200, "net": -200}}
    assert "CC" not in captured["2025-12-31"].projections["adjustments"]


def test_what_the_holdings_and_adjustments_were_on_a_past_date(
    live: tuple[Path, dict[str, Replay]],
) -> None:
    where, _ = live
    p = now(where, as_of=date(2025, 3, 31)).projections
    # audit_world: 1,000 AU issued, 600 moved DEV -> TRADER, 400 AU sent to B_REG as 200 BU
    assert p["registry_holdings"]["A_REG"]["DEV"]["units"] == {"A_REG:AU": 400}
    assert p["registry_holdings"]["A_REG"]["TRADER"]["units"] == {"A_REG:AU": 200}
    assert p["registry_holdings"]["B_REG"]["BUYER"]["units"] == {"B_REG:BU": 200}
    assert p["registry_holdings"]["C_REG"]["UTILITY"]["units"] == {}
    assert p["adjustments"] == {"AA": {"2025": {"first_transfer": 400, "use": 0, "net": 400}}}
    assert p["central_ledger"]["B_REG"] == {"B_REG:BU": {"active": 200}}
    assert p["article6"]["double_counting"] == []
    before = now(where, as_of=date(2025, 1, 9)).projections  # the day before the issuance
    assert before["registry_holdings"]["A_REG"]["DEV"]["units"] == {}
    assert before["central_ledger"] == {} and before["adjustments"] == {}


def test_replay_by_position_cuts_the_other_logs_at_the_same_moment(
    live: tuple[Path, dict[str, Replay]],
) -> None:
    where, captured = live
    then = captured["2025-03-31"]
    at = then.positions["CLEARINGHOUSE"]
    replayed = now(where, position=at, parties=["AA", "BB"])
    central = ("central_ledger", "adjustments", "article6")
    assert {k: replayed.projections[k] for k in central} == {
        k: then.projections[k] for k in central
    }
    # The clearinghouse's last event then was the conversion's new issuance; A_REG
    # recorded its transfer's completion (its position 20) only after it, when
    # the clearinghouse's TransferCompleted arrived: the moment is before that.
    assert replayed.positions == {**then.positions, "REGISTRY_A_REG": 19}
    assert replayed.position == {"CLEARINGHOUSE": at}
    assert replayed.projections["registry_holdings"] == then.projections["registry_holdings"]


@covers("AUD-040")
def test_same_inputs_same_bytes_and_points_outside_the_log_are_refused(
    live: tuple[Path, dict[str, Replay]], tmp_path: Path
) -> None:
    where, _ = live
    copy = tmp_path / "copy"
    shutil.copytree(where, copy)
    outputs = []
    for store in (where, where, copy):
        out = StringIO()
        with redirect_stdout(out), redirect_stderr(StringIO()):
            code = cli.main(["audit", "replay", "--store", str(store), "--as-of", "2025-06-30",
                             "--party", "AA", "--json"])  # fmt: skip
        assert code == 0
        outputs.append(out.getvalue().encode())
    assert outputs[0] == outputs[1] == outputs[2]
    assert b'"as_of":"2025-06-30"' in outputs[0]
    written = tmp_path / "replay.json"
    with redirect_stderr(StringIO()):
        cli.main(["audit", "replay", "--store", str(where), "--as-of", "2025-06-30",
                  "--party", "AA", "--out", str(written)])  # fmt: skip
    assert written.read_bytes() == outputs[0]
    with Logs.of(StoreConfig(kind="sqlite", path=where)) as logs, pytest.raises(Refused) as refused:
        replay(logs, position=10_000)
    assert refused.value.code == "AUD-040"
    err = StringIO()
    with redirect_stderr(err):
        assert cli.main(["audit", "replay", "--store", str(where), "--as-of", "31/03/2025"]) == 2
    assert "not a date" in err.getvalue()


def test_table_4_and_the_aef_tables_as_of_a_date(
    live: tuple[Path, dict[str, Replay]], tmp_path: Path
) -> None:
    """Table 4 as of a date is `article6 summary` of the log as it stood then: rows
    kept by the year of the action agree with today's for 2025, the 2026 use is not
    there yet, and the corresponding adjustment by vintage (row 12) is what it
    was before that use of vintage-2025 units."""
    import json

    where, _ = live
    cc = tmp_path / "cc.yaml"
    cc.write_text(  # illustrative inventory, as the example Party files are
        "party: CC\nndc: {type: single-year, target_year: 2030, period: [2021, 2030]}\n"
        "ca_method: trajectory\ninventory: {2025: 1000000, 2026: 1000000}\n"
    )

    def run(*argv: str) -> dict[str, object]:
        out = StringIO()
        with redirect_stdout(out), redirect_stderr(StringIO()):
            assert cli.main([*argv, "--store", str(where), "--json"]) == 0
        return json.loads(out.getvalue())  # type: ignore[no-any-return]

    replayed = run("audit", "replay", "--as-of", "2025-12-31", "--party", "AA", "--ndc", str(cc))
    article6 = replayed["projections"]["article6"]  # type: ignore[index]
    then = article6["table4"]["CC"]["rows"]
    today = run("article6", "summary", "--ndc", str(cc))["rows"]
    # CC used 100 BU in 2026: 200 t, the tonnes AA first transferred for them
    assert today["9"]["2026"] == 200  # type: ignore[index]
    assert then["9"]["2026"] == 0
    by_year = ("5", "7", "8", "9", "10")
    assert [then[r]["2025"] for r in by_year] == [today[r]["2025"] for r in by_year]  # type: ignore[index]
    assert (then["12"]["2025"], today["12"]["2025"]) == (0, -200)  # type: ignore[index]
    actions = [r["Action type"] for r in article6["aef"]["AA"]["2025"]["table2"]]
    assert actions == ["Authorization", "First transfer"]
