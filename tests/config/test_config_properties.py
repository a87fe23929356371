"""Java properties syntax as ZooKeeper reads zoo.cfg: a table of texts and what they mean."""

from __future__ import annotations

import pytest

from zabkeeper.config import ConfigError, parse_properties

CASES = [
    ("plain", "a=1", [("a", "1", 1)]),
    ("spaces around =", "  a  =  1  ", [("a", "1", 1)]),
    ("colon separator", "a: 1", [("a", "1", 1)]),
    ("blank separator", "a 1", [("a", "1", 1)]),
    ("value keeps later separators", "server.1=h:2888:3888", [("server.1", "h:2888:3888", 1)]),
    ("hash comment", "# a=1\nb=2", [("b", "2", 2)]),
    ("bang comment", "  ! a=1\nb=2", [("b", "2", 2)]),
    ("hash inside value", "a=1 # not a comment", [("a", "1 # not a comment", 1)]),
    ("blank lines", "\n\n  \na=1\n", [("a", "1", 4)]),
    ("continuation", "a=1,\\\n   2\nb=3", [("a", "1,2", 1), ("b", "3", 3)]),
    ("escaped backslash is no continuation", "a=x\\\\\nb=2", [("a", "x\\", 1), ("b", "2", 2)]),
    ("comment never continues", "# x \\\nb=2", [("b", "2", 2)]),
    ("escaped separator in key", "a\\=b=c", [("a=b", "c", 1)]),
    ("unicode escape", "a=\\u0041b", [("a", "Ab", 1)]),
    ("tab escape trimmed at end", "a=x\\t", [("a", "x", 1)]),
    ("CRLF and CR line ends", "a=1\r\nb=2\rc=3", [("a", "1", 1), ("b", "2", 2), ("c", "3", 3)]),
    ("empty value", "a=", [("a", "", 1)]),
    ("duplicates kept in order", "a=1\na=2", [("a", "1", 1), ("a", "2", 2)]),
]


@pytest.mark.parametrize(("text", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_properties_table(text: str, expected: list[tuple[str, str, int]]) -> None:
    entries = parse_properties(text, "zoo.cfg")
    assert [(entry.key, entry.value, entry.line) for entry in entries] == expected


def test_malformed_unicode_escape_names_file_and_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_properties("a=1\nb=\\u12zz", "zoo.cfg")
    assert str(caught.value) == "zoo.cfg:2: malformed \\uxxxx escape '\\u12zz'"
