"""The client protocol's frames: handshake, request decoding, reply and notification encoding.

Server side: ``decode_connect_request``, ``decode_request`` (header + record by opcode, including
multi and multiRead), ``encode_connect_response``, ``encode_reply`` and ``encode_notification``,
each returning a complete frame (length prefix included) so a batch of replies is one join.
Client side (used by tests, differential runs and tools): ``encode_request``,
``decode_connect_response`` and ``decode_reply``.

Decoding is lenient where ZooKeeper is (trailing bytes after a request are ignored, a missing
readOnly byte in ConnectRequest reads as false) and strict where safety needs it: every length
is checked, and anything that does not decode raises ``MalformedRecord``; an opcode this
server does not know raises ``UnknownOpcode`` (the server answers Unimplemented and closes).
"""

from __future__ import annotations

import struct
from typing import Any

from zabkeeper.tree import records as r
from zabkeeper.tree.constants import OpCode
from zabkeeper.wire import fast
from zabkeeper.wire.codec import DECODERS, ENCODERS, read_record
from zabkeeper.wire.jute import INT, JuteReader, JuteWriter, MalformedRecord

NOTIFICATION_XID = -1
PING_XID = -2
AUTH_XID = -4
SET_WATCHES_XID = -8

# Requests whose body is one flat record.
REQUEST_RECORDS: dict[int, type] = {
    OpCode.create: r.CreateRequest,
    OpCode.create2: r.CreateRequest,
    OpCode.createContainer: r.CreateRequest,
    OpCode.createTTL: r.CreateTTLRequest,
    OpCode.delete: r.DeleteRequest,
    OpCode.deleteContainer: r.DeleteContainerRequest,
    OpCode.exists: r.ExistsRequest,
    OpCode.getData: r.GetDataRequest,
    OpCode.setData: r.SetDataRequest,
    OpCode.getACL: r.GetACLRequest,
    OpCode.setACL: r.SetACLRequest,
    OpCode.getChildren: r.GetChildrenRequest,
    OpCode.getChildren2: r.GetChildren2Request,
    OpCode.sync: r.SyncRequest,
    OpCode.check: r.CheckVersionRequest,
    OpCode.reconfig: r.ReconfigRequest,
    OpCode.checkWatches: r.CheckWatchesRequest,
    OpCode.removeWatches: r.RemoveWatchesRequest,
    OpCode.auth: r.AuthPacket,
    OpCode.setWatches: r.SetWatches,
    OpCode.sasl: r.GetSASLRequest,
    OpCode.getEphemerals: r.GetEphemeralsRequest,
    OpCode.getAllChildrenNumber: r.GetAllChildrenNumberRequest,
    OpCode.setWatches2: r.SetWatches2,
    OpCode.addWatch: r.AddWatchRequest,
}
BODYLESS_REQUESTS: dict[int, object | None] = {
    OpCode.ping: None,
    OpCode.whoAmI: r.WhoAmIRequest(),
    OpCode.closeSession: r.CloseSessionRequest(),
}
MULTI_WRITE_OPS = frozenset(
    {
        OpCode.create,
        OpCode.create2,
        OpCode.createContainer,
        OpCode.createTTL,
        OpCode.delete,
        OpCode.setData,
        OpCode.check,
    }
)
MULTI_READ_OPS = frozenset({OpCode.getData, OpCode.getChildren})
MULTI_OPS_MAX = 10_000  # bounded by jute.maxbuffer anyway; keeps a lying count cheap
_MULTI_READ_RECORDS: dict[int, type] = {
    OpCode.getData: r.GetDataRequest,
    OpCode.getChildren: r.GetChildrenRequest,
}
_MULTI_RESULT_RECORDS: dict[int, type | None] = {
    OpCode.create: r.CreateResponse,
    OpCode.create2: r.Create2Response,
    OpCode.delete: None,
    OpCode.check: None,
    OpCode.setData: r.SetDataResponse,
    OpCode.getData: r.GetDataResponse,
    OpCode.getChildren: r.GetChildrenResponse,
    OpCode.error: r.ErrorResponse,
}

_HEADER = struct.Struct(">ii")
_REPLY = struct.Struct(">iiqi")  # frame length, xid, zxid, err
_STAT = struct.Struct(">qqqqiiiqiiq")
_NOTIFICATION_HEAD = struct.Struct(">iiqiii")  # length, xid, zxid, err, type, state


FAST_DECODERS: dict[int, Any] = {
    OpCode.getData: fast.decode_get_data,
    OpCode.exists: fast.decode_exists,
    OpCode.setData: fast.decode_set_data,
    OpCode.delete: fast.decode_delete,
    OpCode.create: fast.decode_create,
    OpCode.create2: fast.decode_create,
}


class UnknownOpcode(ValueError):
    def __init__(self, opcode: int) -> None:
        super().__init__(f"unknown opcode {opcode}")
        self.opcode = opcode


Request = Any  # one of the request records, a MultiRequest / MultiReadRequest, or None (ping)


def decode_connect_request(payload: bytes) -> tuple[r.ConnectRequest, bool]:
    """The request, and whether the client sent the trailing readOnly byte (then the response
    carries one too)."""
    reader = JuteReader(payload)
    protocol_version = reader.read_int()
    last_zxid_seen = reader.read_long()
    time_out = reader.read_int()
    session_id = reader.read_long()
    passwd = reader.read_bytes()
    has_read_only = reader.remaining() > 0
    read_only = reader.read_bool() if has_read_only else False
    return r.ConnectRequest(
        protocol_version, last_zxid_seen, time_out, session_id, passwd, read_only
    ), has_read_only


def encode_connect_request(request: r.ConnectRequest) -> bytes:
    writer = JuteWriter()
    writer.write_int(request.protocol_version)
    writer.write_long(request.last_zxid_seen)
    writer.write_int(request.time_out)
    writer.write_long(request.session_id)
    writer.write_buffer(request.passwd)
    writer.write_bool(request.read_only)
    return _framed(writer.out)


def encode_connect_response(response: r.ConnectResponse, with_read_only: bool = True) -> bytes:
    writer = JuteWriter()
    writer.write_int(response.protocol_version)
    writer.write_int(response.time_out)
    writer.write_long(response.session_id)
    writer.write_buffer(response.passwd)
    if with_read_only:
        writer.write_bool(response.read_only)
    return _framed(writer.out)


def decode_connect_response(payload: bytes) -> r.ConnectResponse:
    reader = JuteReader(payload)
    protocol_version = reader.read_int()
    time_out = reader.read_int()
    session_id = reader.read_long()
    passwd = reader.read_bytes()
    read_only = reader.read_bool() if reader.remaining() > 0 else False
    return r.ConnectResponse(protocol_version, time_out, session_id, passwd, read_only)


def decode_request(payload: bytes) -> tuple[int, int, Request]:
    """(xid, opcode, request record) of one request frame payload."""
    if len(payload) < 8:
        raise MalformedRecord(f"request of {len(payload)} bytes has no header")
    xid, opcode = _HEADER.unpack_from(payload, 0)
    fast = FAST_DECODERS.get(opcode)
    if fast is not None:
        return xid, opcode, fast(payload, 8)
    record_cls = REQUEST_RECORDS.get(opcode)
    if record_cls is not None:
        return xid, opcode, DECODERS[record_cls](JuteReader(payload, 8))
    if opcode in BODYLESS_REQUESTS:
        return xid, opcode, BODYLESS_REQUESTS[opcode]
    if opcode == OpCode.multi:
        return xid, opcode, r.MultiRequest(tuple(_read_multi(JuteReader(payload, 8), MULTI_WRITE_OPS)))
    if opcode == OpCode.multiRead:
        return xid, opcode, r.MultiReadRequest(tuple(_read_multi(JuteReader(payload, 8), MULTI_READ_OPS)))
    raise UnknownOpcode(opcode)


def _read_multi(reader: JuteReader, allowed: frozenset[OpCode]) -> list[Any]:
    ops: list[Any] = []
    while True:
        header = read_record(r.MultiHeader, reader)
        if header.done:
            return ops
        if header.type not in allowed:
            raise MalformedRecord(f"op type {header.type} not allowed in this multi")
        if len(ops) >= MULTI_OPS_MAX:
            raise MalformedRecord("too many ops in multi")
        op_code = OpCode(header.type)
        if allowed is MULTI_READ_OPS:
            ops.append(r.MultiReadOp(op_code, DECODERS[_MULTI_READ_RECORDS[op_code]](reader)))
        else:
            ops.append(r.MultiOp(op_code, DECODERS[REQUEST_RECORDS[op_code]](reader)))


def encode_request(xid: int, opcode: int, request: Request) -> bytes:
    writer = JuteWriter()
    writer.out += _HEADER.pack(xid, opcode)
    if isinstance(request, r.MultiRequest | r.MultiReadRequest):
        for op in request.ops:
            ENCODERS[r.MultiHeader](writer, r.MultiHeader(op.type, False, -1))
            ENCODERS[type(op.request)](writer, op.request)
        ENCODERS[r.MultiHeader](writer, r.MultiHeader(-1, True, -1))
    elif request is not None:
        ENCODERS[type(request)](writer, request)
    return _framed(writer.out)


def _write_stat(out: bytearray, stat: r.Stat) -> None:
    out += _STAT.pack(
        stat.czxid, stat.mzxid, stat.ctime, stat.mtime, stat.version, stat.cversion, stat.aversion,
        stat.ephemeral_owner, stat.data_length, stat.num_children, stat.pzxid,
    )  # fmt: skip


def _write_multi_response(writer: JuteWriter, response: r.MultiResponse) -> None:
    for result in response.results:
        ENCODERS[r.MultiHeader](writer, r.MultiHeader(result.type, False, result.err))
        if result.response is not None:
            ENCODERS[type(result.response)](writer, result.response)
    ENCODERS[r.MultiHeader](writer, r.MultiHeader(-1, True, -1))


def encode_reply(xid: int, zxid: int, err: int, response: object | None = None) -> bytes:
    """A reply frame; the body is written only when err == 0 (clients never parse it otherwise)."""
    if response is None or err != 0:
        return _REPLY.pack(16, xid, zxid, err)
    out = bytearray(_REPLY.pack(0, xid, zxid, 0))
    if isinstance(response, r.GetDataResponse):
        data = response.data
        if data is None:
            out += b"\xff\xff\xff\xff"
        else:
            out += INT.pack(len(data))
            out += data
        _write_stat(out, response.stat)
    elif isinstance(response, r.SetDataResponse | r.ExistsResponse):
        _write_stat(out, response.stat)
    elif isinstance(response, r.MultiResponse):
        _write_multi_response(JuteWriter(out), response)
    else:
        ENCODERS[type(response)](JuteWriter(out), response)
    INT.pack_into(out, 0, len(out) - 4)
    return bytes(out)


def encode_notification(event: r.WatcherEvent, zxid: int = -1) -> bytes:
    path = event.path.encode("utf-8")
    head = _NOTIFICATION_HEAD.pack(28 + len(path), NOTIFICATION_XID, zxid, 0, event.type, event.state)
    return head + INT.pack(len(path)) + path


def decode_reply(payload: bytes, response_cls: type | None) -> tuple[r.ReplyHeader, Any]:
    """(header, response record or None) of a reply; the body is read only when err == 0."""
    reader = JuteReader(payload)
    header = read_record(r.ReplyHeader, reader)
    if header.err != 0 or response_cls is None or reader.remaining() == 0:
        return header, None
    if response_cls is r.MultiResponse:
        return header, _read_multi_response(reader)
    return header, DECODERS[response_cls](reader)


def _read_multi_response(reader: JuteReader) -> r.MultiResponse:
    results: list[r.MultiResult] = []
    while True:
        header = read_record(r.MultiHeader, reader)
        if header.done:
            return r.MultiResponse(tuple(results))
        record_cls = _MULTI_RESULT_RECORDS.get(header.type)
        if header.type not in _MULTI_RESULT_RECORDS:
            raise MalformedRecord(f"unknown multi result type {header.type}")
        body = None if record_cls is None else DECODERS[record_cls](reader)
        results.append(r.MultiResult(header.type, header.err, body))


def _framed(body: bytearray) -> bytes:
    return INT.pack(len(body)) + bytes(body)
