"""x509 ACL ids: tree.x500 against the JDK's own X500Principal on generated names.

ZooKeeper decides whether an x509 id is valid by constructing a javax.security.auth.x500
X500Principal from it; X500Check.java (next to this file) does exactly that for a list of
names. The names are well-formed distinguished names with random escapes, quoting, hex values
and object identifiers, many of them then mutated by a character or two, so both answers occur
often. Broken variants of the parser must disagree with the JDK somewhere on the same names.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from zabkeeper.tree import x500

pytestmark = pytest.mark.network  # starts a JVM

CHECKER = Path(__file__).with_name("X500Check.java")
KEYWORDS = [
    "CN", "cn", " OU ", "O", "C", "L", "ST", "DC", "UID", "EMAILADDRESS", "SERIALNUMBER", "T",
    "OID.1.2.3.4", "oid.2.5.4.3", "2.5.4.10", "1.3.6.1.4.1.311.60.2.1.3", "2.40",
]  # fmt: skip
BAD_KEYWORDS = ["XX", "1.40", "3.1", "1..2", "", "C N"]
PLAIN = [
    *"abcxyz ABC019-_.@é日", "\\,", "\\+", "\\;", '\\"', "\\\\", "\\<", "\\>", "\\#", "\\=", "\\ ",
    "\\c3\\a9", "\\41", "#", "=",
]  # fmt: skip
BAD_PLAIN = ["\\4", "\\zz", "<", '"', "\n"]
HEX = ["04026162", "130161", "0c03616263", "3000", "0400", "0402616", "1f00", "8101", "0481026162", "zz", ""]
MUTATIONS = ',;+="\\#<> a1\n'  # fmt: skip


def _keyword(rng: random.Random) -> str:
    return rng.choice(BAD_KEYWORDS if rng.random() < 0.03 else KEYWORDS)


def _value(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return "#" + rng.choice(HEX)
    if roll < 0.25:
        inner = [*PLAIN[:20], ",", "+", ";", "=", "<", ">", "#", *PLAIN[20:26]]
        return (
            '"'
            + "".join(rng.choice(inner) for _ in range(rng.randint(0, 6)))
            + '"'
            + rng.choice(["", "", " ", "x"])
        )
    return "".join(rng.choice(BAD_PLAIN if rng.random() < 0.03 else PLAIN) for _ in range(rng.randint(0, 8)))


def _name(rng: random.Random) -> str:
    rdns = (
        "+".join(f"{_keyword(rng)}={_value(rng)}" for _ in range(rng.randint(1, 2)))
        for _ in range(rng.randint(1, 4))
    )
    name = rng.choice([",", ", ", ";"]).join(rdns)
    for _ in range(rng.choice([0, 0, 1, 2])):
        at = rng.randrange(len(name) + 1)
        character = rng.choice(MUTATIONS)
        name = rng.choice([name[:at] + character + name[at:], name[:at] + name[at + 1 :]])
    return name


NAMES = [_name(random.Random(seed)) for seed in range(6000)]


@pytest.fixture(scope="module")
def jdk_answers() -> list[bool]:
    java = shutil.which("java")
    if java is None:
        pytest.fail("no java on PATH: run scripts/install-system-deps (it installs a JDK)")
    lines = "".join(name.encode("utf-8").hex() + "\n" for name in NAMES)
    completed = subprocess.run(
        [java, str(CHECKER)], input=lines, capture_output=True, text=True, timeout=120, check=True
    )
    answers = completed.stdout.split()
    assert len(answers) == len(NAMES), completed.stderr
    return [answer == "1" for answer in answers]


def _disagreements(validator: Callable[[str], bool], answers: list[bool]) -> list[str]:
    return [name for name, valid in zip(NAMES, answers, strict=True) if validator(name) is not valid]


def test_the_names_exercise_both_answers(jdk_answers: list[bool]) -> None:
    assert 0.2 < sum(jdk_answers) / len(jdk_answers) < 0.8


def test_same_answers_as_the_jdk(jdk_answers: list[bool]) -> None:
    assert _disagreements(x500.is_distinguished_name, jdk_answers) == []


@pytest.mark.parametrize(
    ("attribute", "broken"),
    [
        ("KEYWORDS", x500.KEYWORDS | {"XX"}),  # an unknown keyword let through
        ("_PLAIN_FORBIDDEN", "<>"),  # a bare quote inside a plain value let through
        ("_PLAIN_ESCAPES", x500._QUOTED_ESCAPES),  # an escaped space refused
        ("OID_ENCODED_BYTES_MAX", 1),  # long object identifiers refused
    ],
)
def test_the_comparison_catches_a_broken_parser(
    jdk_answers: list[bool], monkeypatch: pytest.MonkeyPatch, attribute: str, broken: object
) -> None:
    monkeypatch.setattr(x500, attribute, broken)
    assert _disagreements(x500.is_distinguished_name, jdk_answers) != []
