"""Which check codes have a test: every test module marks its tests with :func:`covers`.

``tests/test_checks.py`` ends with the guard that imports every test module and
fails if a code in :data:`clearinghouse.checks.CATALOGUE` has no test anywhere.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from clearinghouse.checks import CATALOGUE

F = TypeVar("F", bound=Callable[..., Any])

#: check codes with at least one test (filled by @covers at import)
COVERED: set[str] = set()


def covers(*codes: str) -> Callable[[F], F]:
    """Mark a test as triggering ``codes``; unknown codes fail at import."""
    for code in codes:
        assert code in CATALOGUE, f"{code} is not in the catalogue"

    def mark(test: F) -> F:
        COVERED.update(codes)
        return test

    return mark


def covered_everywhere() -> set[str]:
    """Import every test module (so running one file still checks them all)."""
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        importlib.import_module(f"tests.{path.stem}")
    return COVERED
