"""The documentation stays true: generated pages equal the code, examples run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


def test_the_readme_python_examples_run_and_print_what_they_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's Python blocks, run in order as one session (in an empty
    directory: the first one opens ./clearinghouse-store)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLEARINGHOUSE_STORE", raising=False)
    monkeypatch.delenv("CLEARINGHOUSE_DATABASE_URL", raising=False)
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert len(blocks) >= 2
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out.split("\n")
    assert printed[0] == "completed"
    assert printed[1] == "10000 150000 20000"
    namespace["system"].close()  # type: ignore[attr-defined]
