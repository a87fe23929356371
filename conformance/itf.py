"""ITF (Informal Trace Format) decoding: the JSON that ``quint run --out-itf`` writes.

ITF spells Quint values in JSON: ``{"#bigint": "12"}`` for integers, ``{"#tup": [...]}`` for tuples,
``{"#set": [...]}`` for sets, ``{"#map": [[k, v], ...]}`` for maps, ``{"tag": T, "value": V}`` for
sum-type variants and plain objects for records. ``decode`` turns them into plain Python: ints,
tuples, frozensets (or sorted tuples when the elements are not hashable), dicts, and ``Variant``s.
Files may be gzip-compressed (the committed corpus is), recognized by the ``.gz`` suffix.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Variant:
    """A value of a Quint sum type: its tag and payload (``()`` for a nullary variant)."""

    tag: str
    value: Any


class ItfError(ValueError):
    """The file is not an ITF trace this decoder understands."""


def decode(value: Any) -> Any:
    """Turn one ITF expression into a Python value."""
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, list):
        return tuple(decode(item) for item in value)
    if not isinstance(value, dict):
        raise ItfError(f"unexpected ITF value {value!r}")
    if "#bigint" in value:
        return int(value["#bigint"])
    if "#tup" in value:
        return tuple(decode(item) for item in value["#tup"])
    if "#set" in value:
        items = [decode(item) for item in value["#set"]]
        try:
            return frozenset(items)
        except TypeError:
            return tuple(sorted(items, key=repr))
    if "#map" in value:
        return {_hashable(decode(key)): decode(item) for key, item in value["#map"]}
    if "#unserializable" in value:
        raise ItfError(f"unserializable value in trace: {value['#unserializable']}")
    if set(value) == {"tag", "value"}:
        return Variant(str(value["tag"]), decode(value["value"]))
    return {key: decode(item) for key, item in value.items()}


def _hashable(key: Any) -> Any:
    if isinstance(key, dict):
        return tuple(sorted(key.items()))
    return key


def read_json(path: Path) -> dict[str, Any]:
    """Read an ITF file (plain or ``.gz``) as raw JSON."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, json.JSONDecodeError, EOFError) as exc:
        raise ItfError(f"{path}: not a readable ITF file ({exc})") from exc
    if not isinstance(data, dict) or "states" not in data or not isinstance(data["states"], list):
        raise ItfError(f"{path}: no 'states' list; not an ITF trace")
    return data


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write an ITF file, gzip-compressed when the name ends in ``.gz`` (deterministic bytes)."""
    text = json.dumps(data, separators=(",", ":"), sort_keys=False)
    if path.suffix == ".gz":
        with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as handle:
            handle.write(text.encode("utf-8"))
    else:
        path.write_text(text, encoding="utf-8")
