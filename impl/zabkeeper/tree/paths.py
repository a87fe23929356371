"""Znode path rules: ZooKeeper's PathUtils.validatePath, parent/child splitting, special paths.

ZooKeeper validates paths on the write path (prepare) and answers a bad one with BadArguments;
reads only look the path up (a malformed path simply does not exist). Java checks UTF-16 code
units, so every character outside the Basic Multilingual Plane (a surrogate pair in Java) is
invalid here too.

``path_problem`` walks a path the way validatePath does and says what is wrong with it;
``is_valid_path``, on every create, answers the same question with one regular expression
(tests check the two agree). Every path in a DataTree is valid, so prepare only validates paths
it cannot find.
"""

from __future__ import annotations

import re

ROOT = "/"
ZOOKEEPER = "/zookeeper"
QUOTA = "/zookeeper/quota"
CONFIG = "/zookeeper/config"
# Paths a client may never delete (DataTree.isSpecialPath): the root and the system nodes.
SPECIAL_PATHS = frozenset({ROOT, ZOOKEEPER, QUOTA, CONFIG})


# Characters validatePath refuses (NUL is refused too, with its own message).
_INVALID_CHARACTERS = r"\x00-\x1f\x7f-\x9f\ud800-\uf8ff\ufff0-\U0010ffff"
# "/" alone, or "/"-separated names that are neither "." nor ".." and hold only valid characters.
_VALID_PATH = re.compile(rf"/|(?:/(?!\.\.?(?:/|\Z))[^/{_INVALID_CHARACTERS}]+)+")


def _invalid_character(code: int) -> bool:
    return (
        0x01 <= code <= 0x1F
        or 0x7F <= code <= 0x9F
        or 0xD800 <= code <= 0xF8FF
        or code >= 0xFFF0  # includes everything beyond the BMP (a surrogate pair in Java)
    )


def path_problem(path: str) -> str | None:
    """Why ``path`` is not a valid znode path, or None if it is (PathUtils.validatePath)."""
    if not path:
        return "path length must be > 0"
    if path[0] != "/":
        return "path must start with / character"
    if len(path) == 1:
        return None
    if path[-1] == "/":
        return "path must not end with / character"
    for segment in path[1:].split("/"):
        if segment == "":
            return "empty node name specified"
        if segment in (".", ".."):
            return "relative paths not allowed"
        for character in segment:
            code = ord(character)
            if code == 0:
                return "null character not allowed"
            if _invalid_character(code):
                return f"invalid character {code:#x}"
    return None


def is_valid_path(path: str) -> bool:
    """``path_problem(path) is None``, in one regular expression match."""
    return _VALID_PATH.fullmatch(path) is not None


def split_path(path: str) -> tuple[str, str] | None:
    """``(parent, child name)`` of a path as ZooKeeper splits it at the last "/", or None when the
    path has no "/" or contains NUL (BadArguments). The root's parent is "" (ZooKeeper's key for
    the root); callers turn "" into "/" where they look the parent up."""
    slash = path.rfind("/")
    if slash == -1 or "\0" in path:
        return None
    return path[:slash], path[slash + 1 :]


def parent_of(path: str) -> str:
    """The parent of a valid, non-root path ("/" for top-level nodes)."""
    assert path != ROOT and path.startswith("/"), path
    slash = path.rfind("/")
    return path[:slash] or ROOT


def child_path(parent: str, name: str) -> str:
    assert name and "/" not in name, name
    return f"/{name}" if parent == ROOT else f"{parent}/{name}"


def ancestors(path: str) -> list[str]:
    """Every proper ancestor of ``path``, nearest first, ending with "/"."""
    result: list[str] = []
    while path != ROOT:
        path = parent_of(path)
        result.append(path)
    return result
