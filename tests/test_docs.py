"""The documentation that is generated from code stays equal to it."""

from __future__ import annotations

from pathlib import Path

from clearinghouse import checks

ROOT = Path(__file__).resolve().parent.parent


def test_docs_checks_md_is_the_catalogue() -> None:
    # regenerate with: clearinghouse checks --markdown > docs/checks.md
    page = (ROOT / "docs" / "checks.md").read_text()
    assert page.strip() == checks.markdown().strip()


def test_every_check_has_a_source_and_a_message_a_person_can_read() -> None:
    for check in checks.CATALOGUE.values():
        assert check.code.startswith(check.family + "-")
        assert check.family in checks.FAMILIES
        assert check.source, check.code
        assert check.template.endswith((".", "}")), check.code
