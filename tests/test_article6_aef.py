"""AEF Tables 2 and 3: official headers, export -> import -> export without loss."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adapters import aef as files
from projections.article6 import accounting, aef, rules
from projections.article6.aef import ACTION_TYPES, TABLE2, TABLE3, AefRow, Tables
from tests.article6_world import A6World

TEXT = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x24F, exclude_characters='"'),
    max_size=12,
).map(str.strip)
NUMBER = st.none() | st.integers(min_value=0, max_value=10**15)
DAY = st.none() | st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))

ROWS = st.builds(
    AefRow,
    record_id=TEXT, approach=TEXT, first_id=TEXT, last_id=TEXT, block_start=NUMBER,
    block_last=NUMBER, metric=TEXT, quantity_in_metric=NUMBER, quantity=NUMBER,
    conversion_factor=TEXT, first_transferring_party=TEXT, vintage=NUMBER, sectors=TEXT,
    activity_types=TEXT, authorization_date=DAY, authorization_id=TEXT, purposes=TEXT,
    oimp_authorized=TEXT, first_transfer_definition=TEXT, action_date=DAY,
    action_type=st.sampled_from(ACTION_TYPES), transferring_party=TEXT, acquiring_party=TEXT,
    cancellation_purposes=TEXT, using_party=TEXT, first_transfer=st.sampled_from(["Yes", "No", ""]),
)  # fmt: skip


def test_headers_are_the_official_columns() -> None:
    # reference/registries-and-reporting.md L7: 26 columns in Table 2; L8: Table 3
    # without the action columns
    assert len(TABLE2) == 26 and TABLE2[0] == "Article 6 database record ID"
    assert TABLE2[-1] == "First transfer (yes/no)"
    assert TABLE2[:19] == TABLE3 and "Action type" not in TABLE3


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(ROWS, max_size=6))
@example(rows=[AefRow(using_party="=0", sectors="=SUM(A1)", action_type="Transfer")])  # no formulas
def test_any_rows_survive_csv_json_and_xlsx(tmp_path: Path, rows: list[AefRow]) -> None:
    assert files.read_csv(files.csv_text(rows)) == rows
    tables = Tables("XX", 2025, rows, [])
    party, year, from_json = files.read_json(json.loads(json.dumps(files.json_data(tables))))
    assert (party, year, from_json) == ("XX", 2025, rows)
    path = tmp_path / "t.xlsx"
    files.write_xlsx(path, tables)
    assert files.read(path) == ("XX", 2025, rows)


def world_tables() -> tuple[A6World, Tables]:
    w = A6World(first_transfer="first_international_transfer")
    w.issue(500, "2021-03-01", vintage=2021)
    w.transfer(300, "2022-05-01")
    w.use(100, "2022-09-01")
    evaluation = accounting.evaluate(w.view(), rules.load(None))
    return w, aef.tables(evaluation, "BUYER", 2022)


def test_actions_of_a_transfer_and_a_use() -> None:
    w, buyer = world_tables()
    assert [(r.action_type, r.quantity, r.first_transfer) for r in buyer.table2] == [
        ("Acquisition", 300, "Yes"),
        ("Use towards NDC", 100, ""),
    ]
    use = buyer.table2[1]
    assert use.using_party == "BUYER" and use.first_id == "HB-H_REG-HU-2021-1"
    assert [(r.quantity, r.block_start, r.block_last) for r in buyer.table3] == [(200, 101, 300)]
    host = aef.tables(accounting.evaluate(w.view(), rules.load(None)), "HOST", 2022)
    first = [r for r in host.table2 if r.action_type == "First transfer"]
    assert [(r.quantity, r.acquiring_party) for r in first] == [(300, "BUYER")]


def test_log_export_import_export_round_trips(tmp_path: Path) -> None:
    w, tables = world_tables()
    path = tmp_path / "buyer-2022.xlsx"
    files.write_xlsx(path, tables)
    party, year, rows = files.read(path)
    submissions = files.SubmissionsApplication(w.system.store)
    sid, new = submissions.submit(party or "", year or 0, rows, str(path))
    again, new_again = submissions.submit(party or "", year or 0, rows, str(path))
    assert new and not new_again and again == sid  # re-import: the same submission
    stored = submissions.get(sid)
    assert stored is not None and stored.table2() == tables.table2
    assert files.csv_text(stored.table2()) == files.csv_text(tables.table2)
    assert aef.differences(stored.table2(), tables.table2) == []


def test_a_submission_that_disagrees_with_the_log_is_listed() -> None:
    _, tables = world_tables()
    changed = [tables.table2[0].model_copy(update={"quantity": 299}), *tables.table2[1:]]
    extra = AefRow(action_type="Transfer", action_date=date(2022, 1, 1), first_id="X", last_id="Y")
    found = aef.differences([*changed, extra], tables.table2)
    assert sorted(d.kind for d in found) == ["different", "only_in_submission"]
    missing = aef.differences(tables.table2[1:], tables.table2)
    assert [d.kind for d in missing] == ["only_in_log"]
