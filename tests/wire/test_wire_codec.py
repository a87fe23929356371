"""Codec round trips for every record, multi and txn, and the decoder's behaviour on garbage."""

from __future__ import annotations

import contextlib
import dataclasses
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zabkeeper.tree import records as r
from zabkeeper.tree.constants import OpCode
from zabkeeper.wire import client
from zabkeeper.wire.codec import SCHEMAS, decode_record, encode_record
from zabkeeper.wire.framing import BadFrame, FrameDecoder, four_letter_word, frame
from zabkeeper.wire.jute import MalformedRecord
from zabkeeper.wire.txn import decode_txn, encode_txn

INT32 = st.integers(-(2**31), 2**31 - 1)
INT64 = st.integers(-(2**63), 2**63 - 1)
TEXT = st.text(max_size=12)


def strategy_for(kind: object) -> st.SearchStrategy[object]:
    if isinstance(kind, type):
        return record_strategy(kind)
    simple: dict[str, st.SearchStrategy[object]] = {
        "int": INT32,
        "long": INT64,
        "bool": st.booleans(),
        "ustring": TEXT,
        "ustring?": st.none() | TEXT.filter(bool),
        "buffer?": st.none() | st.binary(max_size=20),
        "bytes": st.binary(max_size=20),
        "vector<ustring>": st.lists(TEXT, max_size=4).map(tuple),
    }
    if kind in simple:
        return simple[str(kind)]
    element = {"vector<ACL>": r.ACL, "vector<ClientInfo>": r.ClientInfo}[str(kind)]
    return st.lists(record_strategy(element), max_size=3).map(tuple)


def record_strategy(cls: type) -> st.SearchStrategy[object]:
    return st.builds(cls, *[strategy_for(kind) for kind in SCHEMAS[cls]])


@pytest.mark.parametrize("cls", list(SCHEMAS), ids=lambda cls: cls.__name__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_record_round_trips(cls: type, data: st.DataObject) -> None:
    record = data.draw(record_strategy(cls))
    assert decode_record(cls, encode_record(record)) == record


def test_stat_is_68_bytes_and_null_string_reads_empty() -> None:
    assert len(encode_record(r.Stat(*range(11)))) == 68
    assert decode_record(r.GetDataRequest, struct.pack(">i?", -1, True)) == r.GetDataRequest("", True)


WRITE_OPS = st.one_of(
    record_strategy(r.CreateRequest).map(lambda rec: r.MultiOp(OpCode.create, rec)),  # type: ignore[arg-type]
    record_strategy(r.DeleteRequest).map(lambda rec: r.MultiOp(OpCode.delete, rec)),  # type: ignore[arg-type]
    record_strategy(r.SetDataRequest).map(lambda rec: r.MultiOp(OpCode.setData, rec)),  # type: ignore[arg-type]
    record_strategy(r.CheckVersionRequest).map(lambda rec: r.MultiOp(OpCode.check, rec)),  # type: ignore[arg-type]
)


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(WRITE_OPS, max_size=5), xid=INT32)
def test_multi_request_round_trips(ops: list[r.MultiOp], xid: int) -> None:
    frame_bytes = client.encode_request(xid, OpCode.multi, r.MultiRequest(tuple(ops)))
    assert client.decode_request(frame_bytes[4:]) == (xid, OpCode.multi, r.MultiRequest(tuple(ops)))


def test_multi_read_refuses_write_ops() -> None:
    bad = client.encode_request(
        1, OpCode.multi, r.MultiRequest((r.MultiOp(OpCode.delete, r.DeleteRequest("/a", -1)),))
    )
    payload = bytearray(bad[4:])
    struct.pack_into(">i", payload, 4, OpCode.multiRead)
    with pytest.raises(MalformedRecord):
        client.decode_request(bytes(payload))


def test_multi_response_round_trips() -> None:
    stat = r.Stat(*range(11))
    response = r.MultiResponse(
        (
            r.MultiResult(OpCode.create, 0, r.CreateResponse("/a")),
            r.MultiResult(OpCode.create2, 0, r.Create2Response("/b", stat)),
            r.MultiResult(OpCode.delete, 0, None),
            r.MultiResult(OpCode.setData, 0, r.SetDataResponse(stat)),
            r.MultiResult(OpCode.error, -101, r.ErrorResponse(-101)),
        )
    )
    reply = client.encode_reply(7, 9, 0, response)
    assert client.decode_reply(reply[4:], r.MultiResponse) == (r.ReplyHeader(7, 9, 0), response)


@pytest.mark.parametrize(
    "response",
    [
        r.GetDataResponse(b"x" * 100, r.Stat(*range(11))),
        r.GetDataResponse(None, r.Stat(*range(11))),
        r.SetDataResponse(r.Stat(*range(11))),
        r.ExistsResponse(r.Stat(*range(11))),
        r.GetChildren2Response(("a", "b"), r.Stat(*range(11))),
    ],
)
def test_reply_fast_paths_match_the_schema(response: object) -> None:
    reply = client.encode_reply(3, 5, 0, response)
    assert reply[4:] == encode_record(r.ReplyHeader(3, 5, 0)) + encode_record(response)
    assert struct.unpack_from(">i", reply)[0] == len(reply) - 4


def test_error_reply_has_no_body() -> None:
    reply = client.encode_reply(3, 5, -101, r.ExistsResponse(r.Stat(*range(11))))
    assert reply == struct.pack(">iiqi", 16, 3, 5, -101)


def test_notification_layout() -> None:
    note = client.encode_notification(r.WatcherEvent(3, 3, "/a/b"))
    assert note[4:] == encode_record(r.ReplyHeader(-1, -1, 0)) + encode_record(r.WatcherEvent(3, 3, "/a/b"))


def test_connect_request_tolerates_missing_read_only_byte() -> None:
    request = r.ConnectRequest(0, 5, 30000, 0, bytes(16), True)
    encoded = client.encode_connect_request(request)[4:]
    assert client.decode_connect_request(encoded) == (request, True)
    assert client.decode_connect_request(encoded[:-1]) == (
        dataclasses.replace(request, read_only=False),
        False,
    )


@pytest.mark.parametrize(
    "txn",
    [
        r.CreateTxn("/a", b"x", (r.ACL(31, r.Id("world", "anyone")),), True, 3),
        r.SetDataTxn("/a", None, 2),
        r.CreateSessionTxn(30000),
        r.CloseSessionTxn(("/e1", "/e2")),
        r.MultiTxn((r.Txn(OpCode.delete, r.DeleteTxn("/a")), r.Txn(OpCode.error, r.ErrorTxn(-101)))),
    ],
)
def test_txn_round_trips(txn: r.TxnRecord) -> None:
    opcode = {
        r.CreateTxn: OpCode.create,
        r.SetDataTxn: OpCode.setData,
        r.CreateSessionTxn: OpCode.createSession,
        r.CloseSessionTxn: OpCode.closeSession,
        r.MultiTxn: OpCode.multi,
    }[type(txn)]
    header = r.TxnHeader(0x1234, 7, 0x100000001, 1700000000000, opcode)
    assert decode_txn(encode_txn(header, txn)) == (header, txn)


@settings(max_examples=500, deadline=None)
@given(payload=st.binary(max_size=80))
def test_garbage_requests_raise_only_protocol_errors(payload: bytes) -> None:
    with contextlib.suppress(MalformedRecord, client.UnknownOpcode):
        client.decode_request(payload)


@settings(max_examples=300, deadline=None)
@given(opcode=st.sampled_from([*sorted(client.REQUEST_RECORDS), OpCode.multi]), body=st.binary(max_size=60))
def test_garbage_bodies_for_known_opcodes_raise_only_malformed(opcode: int, body: bytes) -> None:
    with contextlib.suppress(MalformedRecord):
        client.decode_request(struct.pack(">ii", 1, opcode) + body)


def test_frame_decoder_splits_and_buffers() -> None:
    decoder = FrameDecoder(100)
    stream = frame(b"abc") + frame(b"") + frame(b"x" * 10)
    assert decoder.feed(stream[:5]) == []
    assert decoder.feed(stream[5:12]) == [b"abc", b""]
    assert decoder.feed(stream[12:]) == [b"x" * 10]
    assert decoder.pending_bytes() == 0


@pytest.mark.parametrize("length", [-1, -(2**31), 101])
def test_frame_decoder_refuses_bad_lengths(length: int) -> None:
    with pytest.raises(BadFrame):
        FrameDecoder(100).feed(struct.pack(">i", length) + b"zz")


def test_four_letter_words_are_recognised() -> None:
    assert four_letter_word(b"ruok") == "ruok"
    assert four_letter_word(b"\x00\x00\x00\x2c") is None


FAST_CASES = [
    (OpCode.getData, r.GetDataRequest),
    (OpCode.exists, r.ExistsRequest),
    (OpCode.setData, r.SetDataRequest),
    (OpCode.delete, r.DeleteRequest),
    (OpCode.create, r.CreateRequest),
]


def generic_decode(cls: type, body: bytes) -> object:
    from zabkeeper.wire.codec import DECODERS
    from zabkeeper.wire.jute import JuteReader

    return DECODERS[cls](JuteReader(body))


def fast_matches_schema(opcode: int, cls: type, body: bytes) -> bool:
    """The fast decoder and the schema decoder agree on ``body`` (same record or both refuse)."""
    try:
        expected: object = generic_decode(cls, body)
    except MalformedRecord:
        expected = MalformedRecord
    try:
        got: object = client.decode_request(struct.pack(">ii", 9, opcode) + body)[2]
    except MalformedRecord:
        got = MalformedRecord
    return got == expected


@pytest.mark.parametrize(("opcode", "cls"), FAST_CASES, ids=lambda case: getattr(case, "__name__", str(case)))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_fast_decoders_agree_with_the_schema(opcode: int, cls: type, data: st.DataObject) -> None:
    record = data.draw(record_strategy(cls))
    body = encode_record(record)
    cut = data.draw(st.integers(0, len(body)))
    mutated = body[:cut] + data.draw(st.binary(max_size=6))
    assert fast_matches_schema(opcode, cls, body)
    assert fast_matches_schema(opcode, cls, mutated)


def test_the_agreement_check_catches_a_broken_fast_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    def drops_the_watch_flag(data: bytes, offset: int) -> r.GetDataRequest:
        return r.GetDataRequest(client.fast.decode_get_data(data, offset).path, False)

    body = encode_record(r.GetDataRequest("/a", True))
    assert fast_matches_schema(OpCode.getData, r.GetDataRequest, body)
    monkeypatch.setitem(client.FAST_DECODERS, OpCode.getData, drops_the_watch_flag)
    assert not fast_matches_schema(OpCode.getData, r.GetDataRequest, body)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_fast_txn_encoder_agrees_with_the_schema(data: st.DataObject) -> None:
    from zabkeeper.wire.fast import encode_txn_fast

    txn = data.draw(
        st.one_of(record_strategy(r.SetDataTxn), record_strategy(r.DeleteTxn), record_strategy(r.CreateTxn))
    )
    header = data.draw(record_strategy(r.TxnHeader))
    assert encode_txn_fast(header, txn) == encode_record(header) + encode_record(txn)  # type: ignore[arg-type]
