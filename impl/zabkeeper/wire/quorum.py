"""Byte layouts of the messages servers exchange: quorum packets, election notifications, and the
payloads the replicated server puts inside REQUEST packets.

Quorum channel. Every packet is ZooKeeper's jute ``QuorumPacket`` (``int type; long zxid; buffer
data; vector<Id> authinfo``) in one length-prefixed frame; ``type`` is ZooKeeper's code
(``core.messages.PACKET_TYPES``). What each packet puts in ``zxid`` and ``data`` follows Leader.java
and Learner.java:

| packet | zxid | data |
|---|---|---|
| FOLLOWERINFO 11 / OBSERVERINFO 16 | (acceptedEpoch, 0) | LearnerInfo: sid long, protocolVersion int, configVersion long |
| LEADERINFO 17 | (newEpoch, 0) | protocolVersion int |
| ACKEPOCH 18 | learner's last zxid | currentEpoch int (-1: epoch accepted before) |
| DIFF 13 / TRUNC 14 / SNAP 15 | the sync point | SNAP: the serialized tree (ZooKeeper streams it after the packet) |
| NEWLEADER 10 | (epoch, 0) | - |
| UPTODATE 12, PING 5 | 0 | - |
| PROPOSAL 2 / INFORM 8 | the txn's zxid | the txn (TxnHeader + record, as logged) |
| ACK 3 / COMMIT 4 | the zxid | - |
| REQUEST 1 | 0 | a forwarded request (below); of type sync it is a SyncRequest |
| SYNC 7 | 0 | the sync token, long |

``authinfo`` is always written empty; readers skip it. The learner's sid travels only in
LearnerInfo, which is how the leader's transport learns who opened a quorum connection.

Forwarded requests (REQUEST data): one or more of ``sessionId long, cxid int, type int, request
buffer, auth vector<Id>``, back to back (ZooKeeper sends one per packet, with the same first three
fields, the request bytes, and the auth ids in the packet's authinfo; a learner here sends every
write of one event-loop turn in one REQUEST). Session touches a learner reports for its clients use type ping and a
request of ``count int`` then that many session ids (long); a sync uses type sync, the token as
sessionId and no request.

Election channel. A connection starts with ``long -65536, long sid, int length, address bytes``
(QuorumCnxManager's protocol-version-1 hello); each notification is one frame of ``state int,
leader long, zxid long, electionEpoch long, peerEpoch long, version int (2), config buffer``
(FastLeaderElection.buildMsg; we send an empty config).

Every decoder raises ``MalformedRecord`` on bytes that do not fit; the transport then drops only
that connection.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from zabkeeper.core.messages import (
    PACKET_TYPES,
    Ack,
    AckEpoch,
    Commit,
    Diff,
    FollowerInfo,
    Inform,
    LeaderInfo,
    NewLeader,
    Notification,
    ObserverInfo,
    Ping,
    Proposal,
    QuorumPacket,
    Request,
    ServerState,
    Snap,
    Sync,
    SyncRequest,
    Trunc,
    Txn,
    UpToDate,
)
from zabkeeper.core.zxid import EPOCH_MAX, counter_of, epoch_of, make_zxid
from zabkeeper.tree.constants import OpCode
from zabkeeper.tree.records import Id
from zabkeeper.wire.jute import JuteReader, JuteWriter, MalformedRecord

# LearnerInfo.protocolVersion and LEADERINFO's data in ZooKeeper 3.4+ (Leader.java).
PROTOCOL_VERSION = 0x10000
# QuorumCnxManager's first protocol version with the address in the hello.
ELECTION_PROTOCOL_VERSION = -65536
# FastLeaderElection.Notification.CURRENTVERSION.
NOTIFICATION_VERSION = 2
# An address in the election hello longer than this is refused (QuorumCnxManager caps it too).
ADDRESS_BYTES_MAX = 1024
ZXID_MAX = (1 << 63) - 1

_STATE_CODES: dict[ServerState, int] = {
    ServerState.LOOKING: 0,
    ServerState.FOLLOWING: 1,
    ServerState.LEADING: 2,
    ServerState.OBSERVING: 3,
}
_STATES_BY_CODE = {code: state for state, code in _STATE_CODES.items()}
_NOTIFICATION = struct.Struct(">iqqqqi")
_HEAD = struct.Struct(">iq")
_FORWARD_HEAD = struct.Struct(">qii")
_NO_AUTH = b"\xff\xff\xff\xff"
_EMPTY_AUTH = b"\x00\x00\x00\x00"
_PLAIN = struct.Struct(">iqii")  # a packet without data: type, zxid, null data, null authinfo
_FRAMED_PLAIN = struct.Struct(">iiqii")
_HEAD_LEN = struct.Struct(">iqi")  # type, zxid, data length
_FRAMED_HEAD = struct.Struct(">iiqi")
_PLAIN_TYPES: dict[int, type[Ack | Commit | Diff | Trunc]] = {3: Ack, 4: Commit, 13: Diff, 14: Trunc}


@dataclass(frozen=True, slots=True)
class DecodedPacket:
    """A quorum packet and, for FOLLOWERINFO/OBSERVERINFO, the sid its LearnerInfo names."""

    message: QuorumPacket
    learner_sid: int | None = None


@dataclass(frozen=True, slots=True)
class ForwardedRequest:
    """A client write (or session touch, or sync) on its way from a learner to the leader."""

    session_id: int
    cxid: int
    opcode: int
    request: bytes
    auth: tuple[Id, ...] = ()


_Decoder = Callable[[int, bytes | None], DecodedPacket]


# --- quorum packets ---------------------------------------------------------------------------


def encode_frame(message: QuorumPacket, sender: int) -> bytes:
    """``encode_packet`` with its frame length in front; ACK, COMMIT and PROPOSAL (nearly every
    packet of a busy ensemble) take a short path."""
    kind = type(message)
    if kind is Ack or kind is Commit:
        zxid: int = message.zxid  # type: ignore[union-attr]
        assert 0 <= zxid <= ZXID_MAX, zxid
        return _FRAMED_PLAIN.pack(_PLAIN.size, PACKET_TYPES[kind], zxid, -1, -1)
    if kind is Proposal:
        txn: Txn = message.txn  # type: ignore[union-attr]
        assert 0 < txn.zxid <= ZXID_MAX, txn.zxid
        data = txn.data
        return _FRAMED_HEAD.pack(_HEAD_LEN.size + len(data) + 4, 2, txn.zxid, len(data)) + data + _NO_AUTH
    packet = encode_packet(message, sender)
    return len(packet).to_bytes(4, "big") + packet


def encode_packet(message: QuorumPacket, sender: int) -> bytes:
    """The QuorumPacket bytes (without the frame length) of ``message``, sent by ``sender``."""
    zxid, data = _zxid_and_data(message, sender)
    assert 0 <= zxid <= ZXID_MAX, zxid
    head = _HEAD.pack(PACKET_TYPES[type(message)], zxid)
    if data is None:
        return head + b"\xff\xff\xff\xff" + _NO_AUTH
    return b"".join((head, len(data).to_bytes(4, "big"), data, _NO_AUTH))


def _zxid_and_data(message: QuorumPacket, sender: int) -> tuple[int, bytes | None]:
    match message:
        case FollowerInfo(epoch) | ObserverInfo(epoch):
            return make_zxid(epoch, 0), struct.pack(">qiq", sender, PROTOCOL_VERSION, 0)
        case LeaderInfo(epoch):
            return make_zxid(epoch, 0), struct.pack(">i", PROTOCOL_VERSION)
        case AckEpoch(current_epoch, last_zxid):
            return last_zxid, struct.pack(">i", current_epoch)
        case Diff(zxid) | Trunc(zxid) | Ack(zxid) | Commit(zxid):
            return zxid, None
        case Snap(zxid, snapshot):
            return zxid, snapshot
        case NewLeader(epoch):
            return make_zxid(epoch, 0), None
        case UpToDate() | Ping():
            return 0, None
        case Proposal(txn) | Inform(txn):
            return txn.zxid, txn.data
        case Request(payload):
            assert _forwarded_opcode(payload) != OpCode.sync, "a sync travels as SyncRequest"
            return 0, payload
        case SyncRequest(token):
            return 0, encode_forwarded(ForwardedRequest(token, 0, OpCode.sync, b""))
        case Sync(token):
            return 0, struct.pack(">q", token)
    raise AssertionError(f"no layout for {message!r}")


def decode_packet(payload: bytes) -> DecodedPacket:
    """The packet in one frame payload; raises ``MalformedRecord``."""
    if len(payload) == _PLAIN.size:
        type_code, zxid, length, auth = _PLAIN.unpack(payload)
        build = _PLAIN_TYPES.get(type_code)
        if build is not None and length == -1 and auth in (-1, 0) and zxid >= 0:
            return DecodedPacket(build(zxid))
    elif len(payload) > _HEAD_LEN.size and payload[3] == 2 and payload[:3] == b"\x00\x00\x00":
        _, zxid, length = _HEAD_LEN.unpack_from(payload)
        end = _HEAD_LEN.size + length
        if zxid > 0 and length >= 0 and len(payload) == end + 4 and payload[end:] in (_NO_AUTH, _EMPTY_AUTH):
            return DecodedPacket(Proposal(Txn(zxid, payload[_HEAD_LEN.size : end])))
    reader = JuteReader(payload)
    type_code = reader.read_int()
    zxid = reader.read_long()
    data = reader.read_buffer()
    reader.read_vector(_read_id)
    reader.expect_end()
    if zxid < 0:
        raise MalformedRecord(f"negative zxid {zxid} in packet type {type_code}")
    decoder = _DECODERS.get(type_code)
    if decoder is None:
        raise MalformedRecord(f"unknown quorum packet type {type_code}")
    return decoder(zxid, data)


def _read_id(reader: JuteReader) -> Id:
    return Id(reader.read_str(), reader.read_str())


def _epoch_zxid(zxid: int, what: str) -> int:
    if counter_of(zxid) != 0 or epoch_of(zxid) > EPOCH_MAX:
        raise MalformedRecord(f"{what} zxid {zxid:#x} does not name an epoch")
    return epoch_of(zxid)


def _exact(data: bytes | None, size: int, what: str) -> bytes:
    if data is None or len(data) != size:
        raise MalformedRecord(f"{what} data must be {size} bytes")
    return data


def _learner_info(zxid: int, data: bytes | None, observer: bool) -> DecodedPacket:
    raw = data if data is not None and len(data) >= 12 else _exact(data, 20, "LearnerInfo")
    sid, _version = struct.unpack_from(">qi", raw)
    if sid < 0:
        raise MalformedRecord(f"LearnerInfo names sid {sid}")
    epoch = _epoch_zxid(zxid, "learner info")
    message: QuorumPacket = ObserverInfo(epoch) if observer else FollowerInfo(epoch)
    return DecodedPacket(message, sid)


def _ack_epoch(zxid: int, data: bytes | None) -> DecodedPacket:
    (current,) = struct.unpack(">i", _exact(data, 4, "ACKEPOCH"))
    if current < -1:
        raise MalformedRecord(f"ACKEPOCH carries epoch {current}")
    return DecodedPacket(AckEpoch(current, zxid))


def _request(data: bytes | None) -> DecodedPacket:
    if data is None:
        raise MalformedRecord("REQUEST without data")
    batch = decode_forwarded_batch(data)
    if batch[0].opcode == OpCode.sync:
        if len(batch) != 1:
            raise MalformedRecord("a sync REQUEST carries nothing else")
        return DecodedPacket(SyncRequest(batch[0].session_id))
    if any(forwarded.opcode == OpCode.sync for forwarded in batch):
        raise MalformedRecord("a sync inside a batch of requests")
    return DecodedPacket(Request(data))


def _sync(data: bytes | None) -> DecodedPacket:
    (token,) = struct.unpack(">q", _exact(data, 8, "SYNC"))
    return DecodedPacket(Sync(token))


def _no_data(data: bytes | None, what: str) -> None:
    if data:
        raise MalformedRecord(f"{what} carries unexpected data")


def _plain(build: type[Diff | Trunc | Ack | Commit], name: str) -> _Decoder:
    def decode(zxid: int, data: bytes | None) -> DecodedPacket:
        _no_data(data, name)
        return DecodedPacket(build(zxid))

    return decode


def _new_leader(zxid: int, data: bytes | None) -> DecodedPacket:
    return DecodedPacket(NewLeader(_epoch_zxid(zxid, "NEWLEADER")))


def _leader_info(zxid: int, data: bytes | None) -> DecodedPacket:
    _exact(data, 4, "LEADERINFO")
    return DecodedPacket(LeaderInfo(_epoch_zxid(zxid, "LEADERINFO")))


def _txn(build: type[Proposal | Inform]) -> _Decoder:
    def decode(zxid: int, data: bytes | None) -> DecodedPacket:
        if zxid == 0 or data is None:
            raise MalformedRecord(f"{build.__name__} without a txn")
        return DecodedPacket(build(Txn(zxid, data)))

    return decode


_DECODERS: dict[int, _Decoder] = {
    1: lambda zxid, data: _request(data),
    2: _txn(Proposal),
    3: _plain(Ack, "ACK"),
    4: _plain(Commit, "COMMIT"),
    5: lambda zxid, data: DecodedPacket(Ping()),
    7: lambda zxid, data: _sync(data),
    8: _txn(Inform),
    10: _new_leader,
    11: lambda zxid, data: _learner_info(zxid, data, observer=False),
    12: lambda zxid, data: DecodedPacket(UpToDate()),
    13: _plain(Diff, "DIFF"),
    14: _plain(Trunc, "TRUNC"),
    15: lambda zxid, data: DecodedPacket(Snap(zxid, data or b"")),
    16: lambda zxid, data: _learner_info(zxid, data, observer=True),
    17: _leader_info,
    18: _ack_epoch,
}


# --- forwarded requests -----------------------------------------------------------------------


def encode_forwarded(request: ForwardedRequest) -> bytes:
    writer = JuteWriter(bytearray(_FORWARD_HEAD.pack(request.session_id, request.cxid, request.opcode)))
    writer.write_buffer(request.request)
    writer.write_vector(list(request.auth), _write_id)
    return bytes(writer.out)


def _write_id(writer: JuteWriter, ident: Id) -> None:
    writer.write_ustring(ident.scheme)
    writer.write_ustring(ident.id)


def decode_forwarded(payload: bytes) -> ForwardedRequest:
    batch = decode_forwarded_batch(payload)
    if len(batch) != 1:
        raise MalformedRecord(f"{len(batch)} forwarded requests where one was expected")
    return batch[0]


def decode_forwarded_batch(payload: bytes) -> list[ForwardedRequest]:
    """The forwarded requests one REQUEST carries, back to back (at least one)."""
    reader = JuteReader(payload)
    batch = []
    while True:
        session_id = reader.read_long()
        cxid = reader.read_int()
        opcode = reader.read_int()
        request = reader.read_bytes()
        auth = tuple(reader.read_list(_read_id))
        batch.append(ForwardedRequest(session_id, cxid, opcode, request, auth))
        if reader.remaining() == 0:
            return batch


def _forwarded_opcode(payload: bytes) -> int:
    assert len(payload) >= _FORWARD_HEAD.size
    opcode: int = _FORWARD_HEAD.unpack_from(payload)[2]
    return opcode


def encode_session_touches(session_ids: list[int]) -> bytes:
    """A REQUEST payload reporting that these sessions' clients are alive on the sender."""
    body = struct.pack(f">i{len(session_ids)}q", len(session_ids), *session_ids)
    return encode_forwarded(ForwardedRequest(0, 0, OpCode.ping, body))


def decode_session_touches(request: bytes) -> list[int]:
    reader = JuteReader(request)
    count = reader.read_int()
    if count < 0 or count * 8 != reader.remaining():
        raise MalformedRecord(f"bad session touch count {count}")
    return list(struct.unpack_from(f">{count}q", request, 4))


# --- election channel -------------------------------------------------------------------------


def encode_election_hello(sid: int, address: str) -> bytes:
    raw = address.encode("utf-8")
    assert len(raw) <= ADDRESS_BYTES_MAX
    return struct.pack(">qqi", ELECTION_PROTOCOL_VERSION, sid, len(raw)) + raw


def decode_election_hello(payload: bytes) -> int:
    """The sid an election connection's first frame announces."""
    reader = JuteReader(payload)
    version = reader.read_long()
    if version != ELECTION_PROTOCOL_VERSION:
        raise MalformedRecord(f"election protocol version {version}")
    sid = reader.read_long()
    address = reader.read_bytes()
    reader.expect_end()
    if sid < 0 or len(address) > ADDRESS_BYTES_MAX:
        raise MalformedRecord(f"bad election hello from sid {sid}")
    return sid


def encode_notification(n: Notification) -> bytes:
    body = _NOTIFICATION.pack(
        _STATE_CODES[n.state], n.leader, n.zxid, n.election_epoch, n.peer_epoch, NOTIFICATION_VERSION
    )
    return body + b"\x00\x00\x00\x00"


def decode_notification(payload: bytes, sid: int) -> Notification:
    """A notification from server ``sid`` (the election connection says who sent it)."""
    if len(payload) < _NOTIFICATION.size:
        raise MalformedRecord(f"notification of {len(payload)} bytes")
    state_code, leader, zxid, election_epoch, peer_epoch, _version = _NOTIFICATION.unpack_from(payload)
    reader = JuteReader(payload, _NOTIFICATION.size)
    reader.read_buffer()
    reader.expect_end()
    state = _STATES_BY_CODE.get(state_code)
    if state is None:
        raise MalformedRecord(f"unknown server state {state_code}")
    if election_epoch < 0 or leader < -1 or zxid < -1 or peer_epoch < -1:
        raise MalformedRecord("negative vote fields")
    return Notification(leader, zxid, election_epoch, state, sid, peer_epoch)
