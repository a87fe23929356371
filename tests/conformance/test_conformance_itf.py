"""ITF decoding and trace loading."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from conformance.itf import ItfError, Variant, decode, read_json, write_json
from conformance.trace import load_trace


def test_decode_every_itf_form() -> None:
    raw = {
        "n": {"#bigint": "-12"},
        "t": {"#tup": [1, {"#bigint": "2"}]},
        "s": {"#set": [{"#bigint": "3"}, {"#bigint": "1"}]},
        "m": {"#map": [[{"#tup": [1, 2]}, "x"]]},
        "v": {"tag": "ACK", "value": {"#bigint": "5"}},
        "u": {"tag": "UPTODATE", "value": {"#tup": []}},
        "l": [True, "s"],
    }
    assert decode(raw) == {
        "n": -12,
        "t": (1, 2),
        "s": frozenset({1, 3}),
        "m": {(1, 2): "x"},
        "v": Variant("ACK", 5),
        "u": Variant("UPTODATE", ()),
        "l": (True, "s"),
    }


def test_sets_of_records_decode_to_sorted_tuples() -> None:
    raw = {"#set": [{"zxid": {"#bigint": "2"}}, {"zxid": {"#bigint": "1"}}]}
    assert decode(raw) == ({"zxid": 1}, {"zxid": 2})


def test_unserializable_values_are_refused() -> None:
    with pytest.raises(ItfError):
        decode({"#unserializable": "Int"})


def test_gzip_round_trip_is_byte_stable(tmp_path: Path) -> None:
    data = {"states": [{"x": {"#bigint": "1"}}]}
    a, b = tmp_path / "a.itf.json.gz", tmp_path / "b.itf.json.gz"
    write_json(a, data)
    write_json(b, data)
    assert a.read_bytes() == b.read_bytes()
    assert read_json(a) == data


def test_a_file_without_states_is_not_a_trace(tmp_path: Path) -> None:
    path = tmp_path / "bad.itf.json"
    path.write_text(json.dumps({"vars": []}))
    with pytest.raises(ItfError, match="no 'states'"):
        read_json(path)
    garbage = tmp_path / "garbage.itf.json.gz"
    garbage.write_bytes(gzip.compress(b"{not json"))
    with pytest.raises(ItfError, match="not a readable ITF file"):
        read_json(garbage)


def test_traces_need_the_mbt_variables(tmp_path: Path) -> None:
    path = tmp_path / "plain.itf.json"
    path.write_text(json.dumps({"states": [{"#meta": {"index": 0}, "x": 1}]}))
    with pytest.raises(ItfError, match="--mbt"):
        load_trace(path)


def test_corpus_traces_carry_provenance(corpus_slice: list[Path]) -> None:
    trace = load_trace(corpus_slice[0])
    assert {"spec_revision", "instance", "seed", "command"} <= set(trace.provenance)
    assert trace.steps[0].action == "init"
    assert all(step.action for step in trace.steps)
