"""Typed reads of zoo.cfg entries, each failure naming the file, line and key.

``EntryReader`` wraps the entries of one properties file (the last entry of a key wins, as in
Java) and hands out typed values: integers in a range, ``true``/``false`` booleans, strings.
Some settings exist under two names: ZooKeeper turns an unknown zoo.cfg key ``k`` into the
Java system property ``zookeeper.k``, so ``snapCount`` in zoo.cfg and ``-Dzookeeper.snapCount``
mean the same; ``names`` lists every accepted spelling, and giving two of them is an error.
Keys nobody asked for end up in ``unread()``, ZooKeeper's pass-through to system properties.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from zabkeeper.config.errors import ConfigError
from zabkeeper.config.properties import Property

INT_MAX = (1 << 31) - 1
INT_MIN = -(1 << 31)
_DECIMAL = re.compile(r"[+-]?[0-9]+")
_JAVA_DECODE = re.compile(r"(?P<sign>[+-]?)(?:(?:0[xX]|#)(?P<hex>[0-9a-fA-F]+)|(?P<dec>[0-9]+))")


class EntryReader:
    """Typed, line-aware access to the entries of one configuration file."""

    def __init__(self, entries: Iterable[Property], source: str) -> None:
        self.source = source
        self._entries = {entry.key: entry for entry in entries}
        self._read: set[str] = set()

    def entry(self, *names: str) -> Property | None:
        """The entry under any one of ``names``; two spellings of one setting are an error."""
        assert names
        self._read.update(names)
        found = [self._entries[name] for name in names if name in self._entries]
        if len(found) > 1:
            raise ConfigError(self.source, found[1].line, f"{found[1].key}: {found[0].key} is also set")
        return found[0] if found else None

    def text(self, *names: str) -> str | None:
        entry = self.entry(*names)
        return None if entry is None else entry.value

    def integer(self, *names: str, default: int, low: int = INT_MIN, high: int = INT_MAX) -> int:
        value = self.optional_integer(*names, low=low, high=high)
        return default if value is None else value

    def optional_integer(self, *names: str, low: int = INT_MIN, high: int = INT_MAX) -> int | None:
        entry = self.entry(*names)
        if entry is None:
            return None
        if not _DECIMAL.fullmatch(entry.value):
            raise self.error(entry, f"'{entry.value}' is not a number")
        return self._in_range(entry, int(entry.value), low, high)

    def decoded_integer(self, *names: str, default: int, low: int, high: int) -> int:
        """Java's ``Integer.decode`` syntax (decimal, ``0x``/``#`` hex), used for system properties."""
        entry = self.entry(*names)
        if entry is None:
            return default
        match = _JAVA_DECODE.fullmatch(entry.value)
        if match is None:
            raise self.error(entry, f"'{entry.value}' is not a number")
        digits = match["hex"] or match["dec"]
        number = int(digits, 16 if match["hex"] else 10)
        return self._in_range(entry, -number if match["sign"] == "-" else number, low, high)

    def boolean(self, *names: str, default: bool) -> bool:
        entry = self.entry(*names)
        if entry is None:
            return default
        lowered = entry.value.lower()
        if lowered not in ("true", "false"):
            raise self.error(entry, f"'{entry.value}' is not true or false")
        return lowered == "true"

    def choice(self, *names: str, default: str, choices: tuple[str, ...]) -> str:
        """One of ``choices`` (compared case-insensitively, returned as spelled in ``choices``)."""
        entry = self.entry(*names)
        if entry is None:
            return default
        for choice in choices:
            if choice.lower() == entry.value.lower():
                return choice
        raise self.error(entry, f"'{entry.value}' is not one of {', '.join(choices)}")

    def unread(self) -> dict[str, str]:
        return {key: entry.value for key, entry in sorted(self._entries.items()) if key not in self._read}

    def line(self, *names: str) -> int | None:
        found = [self._entries[name].line for name in names if name in self._entries]
        return found[0] if found else None

    def error(self, entry: Property, message: str) -> ConfigError:
        return ConfigError(self.source, entry.line, f"{entry.key}: {message}")

    def error_at(self, names: tuple[str, ...], message: str) -> ConfigError:
        """An error about the setting ``names``, on its line when the file has one."""
        return ConfigError(self.source, self.line(*names), message)

    def _in_range(self, entry: Property, number: int, low: int, high: int) -> int:
        if not low <= number <= high:
            raise self.error(entry, f"{number} is out of range {low}..{high}")
        return number
