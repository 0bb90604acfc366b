"""One progress bar for every long job (imports, simulations, audits, benchmarks).

It writes to stderr only, so ``--json`` output on stdout stays parseable. On a
terminal the bar is redrawn in place; elsewhere (CI logs, pipes) it prints a line
every 25 %. Nothing is shown until the work has run ``delay`` seconds: short runs
stay quiet.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class ProgressBar:
    def __init__(
        self,
        label: str,
        total: int,
        enabled: bool = True,
        delay: float = 1.0,
        stream: TextIO | None = None,
    ) -> None:
        self.label = label
        self.total = max(total, 1)
        self.enabled = enabled
        self.delay = delay
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self.done = 0
        self.shown = -1 if self.tty else 0  # bar width drawn (tty) or quarter printed (log)
        self.note = ""

    def update(self, done: int, note: str = "") -> None:
        """Record that ``done`` of ``total`` steps are finished (``note``: e.g. the year)."""
        self.done = min(done, self.total)
        self.note = note or self.note
        if not self.enabled or time.monotonic() - self.started < self.delay:
            return
        if self.tty:
            filled = self.done * WIDTH // self.total
            if filled != self.shown or self.done == self.total:
                self.shown = filled
                self._write("\r" + self._line(filled), end="")
        else:
            quarter = self.done * 4 // self.total
            if quarter > self.shown:
                self.shown = quarter
                self._write(self._line(self.done * WIDTH // self.total), end="\n")

    def advance(self, steps: int = 1, note: str = "") -> None:
        self.update(self.done + steps, note)

    def close(self) -> None:
        """End the bar's line (if one was drawn on a terminal)."""
        if self.enabled and self.tty and self.shown >= 0:
            self._write("", end="\n")

    def _line(self, filled: int) -> str:
        bar = "#" * filled + "." * (WIDTH - filled)
        elapsed = time.monotonic() - self.started
        note = f" {self.note}" if self.note else ""
        return f"{self.label} [{bar}] {self.done:,}/{self.total:,}{note} {elapsed:.0f}s"

    def _write(self, text: str, end: str) -> None:
        print(text, end=end, file=self.stream, flush=True)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
