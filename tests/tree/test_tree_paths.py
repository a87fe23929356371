"""Path validation follows ZooKeeper's PathUtils.validatePath, character by character."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from zabkeeper.tree.paths import ancestors, child_path, is_valid_path, parent_of, path_problem, split_path


@pytest.mark.parametrize(
    ("path", "valid"),
    [
        ("/", True),
        ("/a", True),
        ("/a/b/c", True),
        ("/a.b", True),
        ("/...", True),
        ("/a/..b", True),
        ("/zookeeper", True),
        ("/ünïcödé/日本", True),
        ("", False),
        ("a", False),
        ("a/b", False),
        ("/a/", False),
        ("//", False),
        ("/a//b", False),
        ("/.", False),
        ("/..", False),
        ("/a/./b", False),
        ("/a/../b", False),
        ("/a/.", False),
        ("/a\0b", False),
        ("/a\x01", False),
        ("/a\x1f", False),
        ("/a\x7f", False),
        ("/a\x9f", False),
        ("/a\ud800", False),
        ("/a\ue000", False),
        ("/a\uf8ff", False),
        ("/a\uf900", True),
        ("/a\ufff0", False),
        ("/a\uffff", False),
        ("/a\U0001f600", False),  # outside the BMP: a surrogate pair in Java
        ("/a\x20b", True),
        ("/a\xa0", True),
    ],
)
def test_validate_path_table(path: str, valid: bool) -> None:
    assert is_valid_path(path) is valid
    assert (path_problem(path) is None) is valid


def test_split_path_matches_zookeeper_last_slash_rule() -> None:
    assert split_path("/a/b") == ("/a", "b")
    assert split_path("/a") == ("", "a")
    assert split_path("/") == ("", "")
    assert split_path("/a/") == ("/a", "")
    assert split_path("a") is None
    assert split_path("/a\0") is None


def test_parent_child_and_ancestors() -> None:
    assert parent_of("/a") == "/"
    assert parent_of("/a/b") == "/a"
    assert child_path("/", "a") == "/a"
    assert child_path("/a", "b") == "/a/b"
    assert ancestors("/a/b/c") == ["/a/b", "/a", "/"]
    assert ancestors("/") == []


# Characters around every boundary validatePath draws, plus the separators that make names.
_ALPHABET = (
    "/", ".", "a", "ü", "\0", "\x01", "\x1f", " ", "\x7f", "\x9f", "\xa0", "\ud7ff", "\ud800",
    "\udfff", "\ue000", "\uf8ff", "\uf900", "\uffef", "\ufff0", "\uffff", "\U00010000", "\U0010ffff",
)  # fmt: skip


def _path_corpus(count: int = 20_000, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    corpus = ["", "/", "//", "/.", "/..", "/...", "/a/.", "/a/..", "/./a", "/../a"]
    for _ in range(count):
        length = rng.randint(1, 8)
        start = "/" if rng.random() < 0.9 else ""
        corpus.append(start + "".join(rng.choice(_ALPHABET) for _ in range(length)))
    return corpus


def _first_disagreement(validator: Callable[[str], bool]) -> str | None:
    """A path on which ``validator`` and the character-by-character walk disagree, if any."""
    for path in _path_corpus():
        if validator(path) is not (path_problem(path) is None):
            return path
    return None


def test_fast_validation_agrees_with_the_character_walk() -> None:
    assert _first_disagreement(is_valid_path) is None


@pytest.mark.parametrize(
    "broken",
    [
        # forgets the C1 control characters
        re.compile(r"/|(?:/(?!\.\.?(?:/|\Z))[^/\x00-\x1f\ud800-\uf8ff\ufff0-\U0010ffff]+)+"),
        # lets "." and ".." through as names
        re.compile(r"/|(?:/[^/\x00-\x1f\x7f-\x9f\ud800-\uf8ff\ufff0-\U0010ffff]+)+"),
        # refuses only the first plane's private use area, not everything beyond the BMP
        re.compile(r"/|(?:/(?!\.\.?(?:/|\Z))[^/\x00-\x1f\x7f-\x9f\ud800-\uf8ff\ufff0-\uffff]+)+"),
    ],
)
def test_agreement_check_catches_a_broken_validator(broken: re.Pattern[str]) -> None:
    assert _first_disagreement(lambda path: broken.fullmatch(path) is not None) is not None
