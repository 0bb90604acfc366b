"""``clearinghouse article6 ...`` end to end on a SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearinghouse.cli import main
from tests.test_article6_import import LISTING, listing_rows, small_listing

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path: Path) -> str:
    if not LISTING.exists():
        pytest.skip("shared listing not found")
    rows = [r for r in listing_rows() if r["country"] == "Tanzania"]
    listing = tmp_path / "tz.csv"
    listing.write_text(small_listing(rows))
    where = str(tmp_path / "store")
    assert main(["article6", "import-credits", "--store", where, "--quiet", str(listing)]) == 0
    return where


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_summary_json_shape(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    party_file = str(ROOT / "examples" / "parties" / "tanzania.yaml")
    code, out = run(capsys, "article6", "summary", "--store", store, "--ndc", party_file, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["party"] == "TZ" and data["method"] == "trajectory"
    assert sorted(data["rows"], key=int) == [str(r) for r in range(3, 15)]
    # shared/data/README.md: Tanzania 323,371 t, all first transferred (Authorisation)
    assert sum(data["rows"]["7"].values()) + sum(data["rows"]["8"].values()) == 323_371
    assert all(isinstance(k, str) and isinstance(v, int) for k, v in data["rows"]["12"].items())


def test_compare_check_aef_and_import_aef(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    party_file = str(ROOT / "examples" / "parties" / "tanzania.yaml")
    code, out = run(
        capsys, "article6", "compare", "--store", store, "--ndc", party_file,
        "--rules", "glasgow-2021", "--rules", "workbook-convention", "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["rule_sets"] == ["glasgow-2021", "workbook-convention"]
    code, out = run(capsys, "article6", "check", "--store", store, "--json")
    assert code == 0 and json.loads(out)["count"] == 0
    xlsx = tmp_path / "tz.xlsx"
    code, _ = run(capsys, "article6", "aef", "--store", store, "--party", "TZ", "--year", "2025",
                  "--xlsx", str(xlsx))  # fmt: skip
    assert code == 0 and xlsx.exists()
    code, out = run(capsys, "article6", "import-aef", "--store", store, str(xlsx), "--json")
    assert code == 0 and json.loads(out)["differences"] == []


def test_bad_party_file_is_refused_and_changes_nothing(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("party: TZ\nndc: {type: single-year, target_year: 2030, period: [2021, 2030]}\n"
                   "ca_method: multi-year\n")  # fmt: skip
    before = sorted((p.name, p.stat().st_size) for p in Path(store).iterdir())
    code = main(["article6", "summary", "--store", store, "--ndc", str(bad)])
    assert code == 2 and "ART-001" in capsys.readouterr().err
    assert sorted((p.name, p.stat().st_size) for p in Path(store).iterdir()) == before


def test_help_teaches_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["article6", "--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "import-credits" in out and "compare" in out
