"""A minimal progress bar on stderr for long-running subcommands (no dependency, no TTY needed)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Redraws one line on a terminal; prints a line every ``every_s`` seconds otherwise."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None, every_s: float = 5.0) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.every_s = every_s
        self.done = 0
        self.started = time.monotonic()
        self._last_print = 0.0
        self._tty = self.stream.isatty()

    def advance(self, note: str = "") -> None:
        self.done += 1
        now = time.monotonic()
        if self._tty:
            width = 30
            filled = width * self.done // self.total
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {note}".ljust(100)[:100])
            self.stream.flush()
        elif now - self._last_print >= self.every_s or self.done == self.total:
            self._last_print = now
            self.stream.write(f"{self.label}: {self.done}/{self.total} ({now - self.started:.0f}s) {note}\n")
            self.stream.flush()

    def finish(self) -> None:
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()
