"""Path validation follows ZooKeeper's PathUtils.validatePath, character by character."""

from __future__ import annotations

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
