"""The shared progress bar: quiet on short runs, readable in logs, never on stdout."""

from __future__ import annotations

import io

from clearinghouse.progress import ProgressBar


def test_a_short_run_prints_nothing() -> None:
    stream = io.StringIO()
    with ProgressBar("importing", 10, stream=stream) as bar:
        for i in range(1, 11):
            bar.update(i)
    assert stream.getvalue() == ""


def test_in_a_log_it_prints_a_line_per_quarter_with_counts() -> None:
    stream = io.StringIO()
    with ProgressBar("simulating", 100, delay=0, stream=stream) as bar:
        for i in range(1, 101):
            bar.update(i, note=f"year {2020 + i // 10}")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4
    assert lines[-1].startswith("simulating [" + "#" * 30 + "] 100/100 year 2030")


def test_disabled_prints_nothing() -> None:
    stream = io.StringIO()
    bar = ProgressBar("x", 3, enabled=False, delay=0, stream=stream)
    bar.advance(3)
    bar.close()
    assert stream.getvalue() == ""
