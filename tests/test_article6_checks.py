"""Every check of the ART family (Article 6 accounting and reporting), triggered.

Registered with :func:`tests.test_checks.covers`, so the catalogue's completeness
test counts them; each test also shows the refusal changes nothing.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters import aef as aef_files
from adapters.crediting import import_listing, parse_row, read_listing
from clearinghouse.checks import Refused
from clearinghouse.system import EmbeddedSystem
from projections.article6 import party, rules
from tests.coverage import covers

GOOD = {
    "programme": "GS", "project_id": "11732", "volume": "100",
    "serial_number": "GS1-1-TZ-GS11732-16-2022-25700-1-100", "vintage": "2022",
    "country": "Tanzania", "first_transfer_definition": "Authorisation",
    "authorisation_year": "2025", "issuance_date": "2023-12-07", "issuance_year": "2023",
    "authorised_for_ndc": "No", "authorised_for_oimp": "Yes", "cooperative_approach": "CA0046",
    "carp_uploaded": "Yes", "link": "",
}  # fmt: skip
PARTY = {
    "party": "TZ",
    "ndc": {"type": "single-year", "target_year": 2030, "period": [2021, 2030]},
    "ca_method": "trajectory",
}


def code_of(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(Refused) as refused:
        call(*args, **kwargs)  # type: ignore[operator]
    return refused.value.code


def test_good_row_parses() -> None:
    listed = parse_row(2, GOOD)
    assert (listed.first, listed.last, listed.volume) == (
        25700 * 10**9 + 1,
        25700 * 10**9 + 100,
        100,
    )
    assert listed.registry == "GS_TZ" and listed.purposes == "oimp"


@covers("ART-001")
def test_art_001_single_year_ndc_with_multi_year_method() -> None:
    assert code_of(party.parse, {**PARTY, "ca_method": "multi-year"}) == "ART-001"


@covers("ART-002")
def test_art_002_unreadable_serial() -> None:
    assert code_of(parse_row, 7, {**GOOD, "serial_number": "garbage"}) == "ART-002"
    assert code_of(parse_row, 7, {**GOOD, "serial_number": "GS1-1-TZ-25700-100-1"}) == "ART-002"


@covers("ART-003")
def test_art_003_bad_volume() -> None:
    assert code_of(parse_row, 3, {**GOOD, "volume": "-5"}) == "ART-003"
    assert code_of(parse_row, 3, {**GOOD, "volume": "99"}) == "ART-003"  # width is 100
    assert code_of(parse_row, 3, {**GOOD, "volume": "lots"}) == "ART-003"


@covers("ART-004")
def test_art_004_unknown_definition() -> None:
    assert code_of(parse_row, 4, {**GOOD, "first_transfer_definition": "Soon"}) == "ART-004"


@covers("ART-005")
def test_art_005_bad_field_and_nothing_changes() -> None:
    assert code_of(parse_row, 5, {**GOOD, "country": "Atlantis"}) == "ART-005"
    assert code_of(parse_row, 5, {**GOOD, "authorised_for_ndc": "maybe"}) == "ART-005"
    assert code_of(parse_row, 5, {**GOOD, "issuance_date": "07/12/2023"}) == "ART-005"
    system = EmbeddedSystem()
    before = system.clearinghouse.recorder.max_notification_id()
    with pytest.raises(Refused) as refused:  # a file without the listing's columns
        list(read_listing(io.StringIO("a,b\n1,2\n")))
    assert refused.value.code == "ART-005"
    report = import_listing(system, [(2, {**GOOD, "country": "Atlantis"})])
    assert report.problems[0]["code"] == "ART-005"
    assert system.clearinghouse.recorder.max_notification_id() == before


@covers("ART-006")
def test_art_006_aef_file_with_wrong_headers(tmp_path: Path) -> None:
    path = tmp_path / "submission.csv"
    path.write_text("Party,Quantity\nXX,1\n")
    assert code_of(aef_files.read, path) == "ART-006"
    assert code_of(aef_files.read, tmp_path / "missing.xlsx") == "ART-006"


@covers("ART-007")
def test_art_007_aef_row_that_does_not_fit_and_nothing_is_recorded(tmp_path: Path) -> None:
    from projections.article6.aef import TABLE2

    row = dict.fromkeys(TABLE2, "")
    row["Action type"] = "Teleportation"  # not in the vocabulary
    path = tmp_path / "submission.csv"
    path.write_text(aef_files.csv_text([]) + ",".join(row[c] for c in TABLE2) + "\n")
    with pytest.raises(Refused) as refused:
        aef_files.read(path)
    assert refused.value.code == "ART-007" and "row 2" in refused.value.reason
    assert "Action type" in refused.value.reason


@covers("ART-008")
def test_art_008_party_file_invalid(tmp_path: Path) -> None:
    assert code_of(party.parse, {**PARTY, "ndc": {"type": "weekly"}}) == "ART-008"
    broken = tmp_path / "p.yaml"
    broken.write_text("party: [unclosed\n")
    assert code_of(party.load, broken) == "ART-008"
    assert code_of(party.load, tmp_path / "none.yaml") == "ART-008"


@covers("ART-009")
def test_art_009_rule_set_invalid(tmp_path: Path) -> None:
    assert code_of(rules.load, "no-such-preset") == "ART-009"
    bad = tmp_path / "r.yaml"
    bad.write_text("banking: sometimes\n")
    assert code_of(rules.load, bad) == "ART-009"
    capped = tmp_path / "c.yaml"
    capped.write_text("banking: capped\n")  # capped needs banking_years
    assert code_of(rules.load, capped) == "ART-009"


def test_every_preset_loads() -> None:
    assert {"glasgow-2021", "workbook-convention", "a64-deductions"} <= set(rules.presets())
    for name in rules.presets():
        assert rules.load(name).name == name
