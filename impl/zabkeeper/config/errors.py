"""The one error a configuration can raise, and the line-local problem it is built from.

Every configuration problem reaches the operator as a ``ConfigError`` that names the file, the
line (when there is one) and what is wrong, e.g. ``zoo.cfg:7: server.2: election port 'x' is
not a number``. The server prints exactly this text when it refuses to start, and
``zabkeeper check-config`` prints the same text for the same file.
"""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration that the server refuses to run with."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        assert source, "a configuration error must name its file"
        assert line is None or line >= 1, line
        self.source = source
        self.line = line
        self.message = message
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: {message}")


class ValueProblem(Exception):
    """What is wrong with one value, before the caller adds the file, line and key."""
