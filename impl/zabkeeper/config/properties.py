"""Java ``.properties`` syntax, read the way ZooKeeper reads zoo.cfg.

ZooKeeper loads zoo.cfg with ``java.util.Properties.load`` and then trims every key and value.
This module reproduces that reading so that any file ZooKeeper accepts means the same here:

* a natural line ends at ``\\n``, ``\\r`` or ``\\r\\n``; leading blanks (space, tab, form feed)
  are skipped; blank lines and lines whose first non-blank character is ``#`` or ``!`` are
  comments;
* a line ending in an odd number of backslashes continues on the next line, whose leading
  blanks are dropped (a comment line never continues);
* the key ends at the first unescaped ``=``, ``:`` or blank; blanks around one ``=`` or ``:``
  separator are skipped; the rest of the logical line is the value;
* escapes ``\\t \\n \\r \\f \\uXXXX`` decode, and any other escaped character stands for itself;
* ZooKeeper then trims characters ``<= ' '`` from both ends of keys and values, as here.

Each property keeps the number of the natural line it starts on, for error messages.
Duplicate keys are all returned in file order; as in Java, the last one wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from zabkeeper.config.errors import ConfigError

_BLANKS = " \t\f"
_SEPARATORS = "=:"
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_JAVA_TRIM = "".join(chr(code) for code in range(0x21))


@dataclass(frozen=True)
class Property:
    """One ``key=value`` entry and the line it starts on."""

    key: str
    value: str
    line: int


def parse_properties(text: str, source: str) -> tuple[Property, ...]:
    """All entries of a properties text, in file order."""
    natural = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    entries: list[Property] = []
    index = 0
    while index < len(natural):
        start = index
        line = natural[index].lstrip(_BLANKS)
        index += 1
        if not line or line[0] in "#!":
            continue
        logical = ""
        while _continues(line):
            logical += line[:-1]
            if index >= len(natural):
                line = ""
                break
            line = natural[index].lstrip(_BLANKS)
            index += 1
        logical += line
        key, value = _split(logical, source, start + 1)
        entries.append(Property(key=java_trim(key), value=java_trim(value), line=start + 1))
    return tuple(entries)


def java_trim(text: str) -> str:
    """``String.trim()``: drop characters up to and including the space from both ends."""
    return text.strip(_JAVA_TRIM)


def _continues(line: str) -> bool:
    trailing = len(line) - len(line.rstrip("\\"))
    return trailing % 2 == 1


def _split(logical: str, source: str, line: int) -> tuple[str, str]:
    position = 0
    escaped = False
    while position < len(logical):
        char = logical[position]
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _SEPARATORS or char in _BLANKS:
            break
        position += 1
    key_end = position
    while position < len(logical) and logical[position] in _BLANKS:
        position += 1
    if position < len(logical) and logical[position] in _SEPARATORS:
        position += 1
        while position < len(logical) and logical[position] in _BLANKS:
            position += 1
    return _unescape(logical[:key_end], source, line), _unescape(logical[position:], source, line)


def _unescape(raw: str, source: str, line: int) -> str:
    if "\\" not in raw:
        return raw
    out: list[str] = []
    position = 0
    while position < len(raw):
        char = raw[position]
        position += 1
        if char != "\\" or position >= len(raw):
            out.append(char)
            continue
        code = raw[position]
        position += 1
        if code == "u":
            digits = raw[position : position + 4]
            if len(digits) != 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise ConfigError(source, line, f"malformed \\uxxxx escape '\\u{digits}'")
            out.append(chr(int(digits, 16)))
            position += 4
        else:
            out.append(_ESCAPES.get(code, code))
    return "".join(out)
