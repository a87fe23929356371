"""Round trips and refusals of the quorum-packet and notification layouts (wire/quorum.py)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
from zabkeeper.core.zxid import make_zxid
from zabkeeper.tree.constants import OpCode
from zabkeeper.tree.records import Id
from zabkeeper.wire.jute import MalformedRecord
from zabkeeper.wire.quorum import (
    ForwardedRequest,
    decode_election_hello,
    decode_forwarded,
    decode_forwarded_batch,
    decode_notification,
    decode_packet,
    decode_session_touches,
    encode_election_hello,
    encode_forwarded,
    encode_frame,
    encode_notification,
    encode_packet,
    encode_session_touches,
)

# A zxid travels as a jute long (signed), so epochs stop at 2**31 - 1, as in ZooKeeper.
epochs = st.integers(0, 0x7FFFFFFF)
zxids = st.integers(0, (1 << 63) - 1)
positive_zxids = st.integers(1, (1 << 63) - 1)
tokens = st.integers(-(1 << 63), (1 << 63) - 1)
forwarded = st.builds(
    ForwardedRequest,
    session_id=tokens,
    cxid=st.integers(-(1 << 31), (1 << 31) - 1),
    opcode=st.sampled_from([OpCode.create, OpCode.setData, OpCode.closeSession, OpCode.multi]),
    request=st.binary(max_size=64),
    auth=st.lists(st.builds(Id, st.sampled_from(["ip", "digest"]), st.text(max_size=8)), max_size=3).map(
        tuple
    ),
)
packets: st.SearchStrategy[QuorumPacket] = st.one_of(
    st.builds(FollowerInfo, epochs),
    st.builds(ObserverInfo, epochs),
    st.builds(LeaderInfo, epochs),
    st.builds(AckEpoch, st.integers(-1, 0x7FFFFFFF), zxids),
    st.builds(Diff, zxids),
    st.builds(Trunc, zxids),
    st.builds(Snap, zxids, st.binary(max_size=64)),
    st.builds(NewLeader, epochs),
    st.just(UpToDate()),
    st.just(Ping()),
    st.builds(Proposal, st.builds(Txn, positive_zxids, st.binary(max_size=64))),
    st.builds(Inform, st.builds(Txn, positive_zxids, st.binary(max_size=64))),
    st.builds(Ack, zxids),
    st.builds(Commit, zxids),
    forwarded.map(lambda request: Request(encode_forwarded(request))),
    st.builds(SyncRequest, tokens),
    st.builds(Sync, tokens),
)


@given(packets, st.integers(0, 255))
def test_every_packet_round_trips(packet: QuorumPacket, sender: int) -> None:
    data = encode_packet(packet, sender)
    assert struct.unpack_from(">i", data)[0] == PACKET_TYPES[type(packet)]
    decoded = decode_packet(data)
    assert decoded.message == packet
    expected_sid = sender if isinstance(packet, FollowerInfo | ObserverInfo) else None
    assert decoded.learner_sid == expected_sid


@given(forwarded)
def test_forwarded_requests_round_trip(request: ForwardedRequest) -> None:
    assert decode_forwarded(encode_forwarded(request)) == request


@given(st.lists(tokens, max_size=50))
def test_session_touches_round_trip(session_ids: list[int]) -> None:
    request = decode_forwarded(encode_session_touches(session_ids))
    assert request.opcode == OpCode.ping
    assert decode_session_touches(request.request) == session_ids


@given(
    st.builds(
        Notification,
        leader=st.integers(-1, 1000),
        zxid=st.integers(-1, (1 << 63) - 1),
        election_epoch=st.integers(0, 1 << 40),
        state=st.sampled_from(list(ServerState)),
        sid=st.integers(0, 1000),
        peer_epoch=st.integers(-1, 0xFFFFFFFF),
    )
)
def test_notifications_round_trip(n: Notification) -> None:
    assert decode_notification(encode_notification(n), n.sid) == n


def test_election_hello_names_the_sender() -> None:
    assert decode_election_hello(encode_election_hello(7, "127.0.0.1:3888")) == 7


def test_layouts_follow_zookeeper() -> None:
    """FOLLOWERINFO carries (acceptedEpoch, 0) and LearnerInfo; PROPOSAL the txn as data."""
    info = encode_packet(FollowerInfo(5), sender=3)
    type_code, zxid, length = struct.unpack_from(">iqi", info)
    assert (type_code, zxid, length) == (11, make_zxid(5, 0), 20)
    assert struct.unpack_from(">qiq", info, 16) == (3, 0x10000, 0)
    proposal = encode_packet(Proposal(Txn(make_zxid(2, 9), b"txn")), sender=1)
    assert proposal == struct.pack(">iqi", 2, make_zxid(2, 9), 3) + b"txn" + b"\xff\xff\xff\xff"


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x00\x00\x00\x63" + bytes(8) + b"\xff\xff\xff\xff\xff\xff\xff\xff",  # unknown type 99
        struct.pack(">iqi", 3, -5, -1) + b"\xff\xff\xff\xff",  # negative zxid
        struct.pack(">iqi", 11, make_zxid(1, 0), 3) + b"abc" + b"\xff\xff\xff\xff",  # short LearnerInfo
        struct.pack(">iqi", 11, make_zxid(1, 4), -1) + b"\xff\xff\xff\xff",  # not an epoch zxid
        struct.pack(">iqi", 18, 1, 2) + b"ab" + b"\xff\xff\xff\xff",  # ACKEPOCH data too short
        struct.pack(">iqi", 2, 0, -1) + b"\xff\xff\xff\xff",  # PROPOSAL without a txn
        struct.pack(">iqi", 3, 1, 1000) + b"x",  # buffer longer than the frame
        struct.pack(">iqi", 3, 1, -1) + b"\xff\xff\xff\xff" + b"junk",  # trailing bytes
        struct.pack(">iqi", 1, 0, 2) + b"ab" + b"\xff\xff\xff\xff",  # REQUEST data not a request
    ],
)
def test_malformed_packets_are_refused(payload: bytes) -> None:
    with pytest.raises(MalformedRecord):
        decode_packet(payload)


@pytest.mark.parametrize(
    "payload",
    [
        b"\x00" * 10,
        struct.pack(">iqqqqi", 9, 1, 1, 1, 1, 2) + b"\x00\x00\x00\x00",  # unknown state
        struct.pack(">iqqqqi", 0, 1, 1, -4, 1, 2) + b"\x00\x00\x00\x00",  # negative round
        struct.pack(">iqqqqi", 0, 1, 1, 1, 1, 2) + b"\x00\x00\x00\x09",  # config longer than frame
    ],
)
def test_malformed_notifications_are_refused(payload: bytes) -> None:
    with pytest.raises(MalformedRecord):
        decode_notification(payload, 1)


def test_bad_election_hello_is_refused() -> None:
    with pytest.raises(MalformedRecord):
        decode_election_hello(struct.pack(">qqi", 12, 1, 0))


@given(st.lists(forwarded, min_size=1, max_size=5))
def test_a_request_carries_a_batch_of_forwarded_requests(batch: list[ForwardedRequest]) -> None:
    payload = b"".join(encode_forwarded(request) for request in batch)
    assert decode_forwarded_batch(payload) == batch
    assert decode_packet(encode_packet(Request(payload), sender=2)).message == Request(payload)


def test_a_sync_never_hides_inside_a_batch() -> None:
    sync = encode_forwarded(ForwardedRequest(5, 0, OpCode.sync, b""))
    write = encode_forwarded(ForwardedRequest(5, 1, OpCode.setData, b"x"))
    with pytest.raises(MalformedRecord):
        decode_packet(struct.pack(">iqi", 1, 0, len(write + sync)) + write + sync + b"\xff\xff\xff\xff")


@given(packets, st.integers(0, 255))
def test_frames_carry_the_packet_layout_with_its_length(packet: QuorumPacket, sender: int) -> None:
    """The short paths for ACK/COMMIT/PROPOSAL write exactly the general layout."""
    frame = encode_frame(packet, sender)
    assert frame == struct.pack(">i", len(frame) - 4) + encode_packet(packet, sender)
    assert decode_packet(frame[4:]).message == packet


def test_the_short_decoding_paths_refuse_what_the_general_one_refuses() -> None:
    with pytest.raises(MalformedRecord):
        decode_packet(struct.pack(">iqii", 3, -7, -1, -1))  # ACK with a negative zxid
    with pytest.raises(MalformedRecord):
        decode_packet(struct.pack(">iqi", 2, 5, 3) + b"txn" + b"\x00\x00\x00\x01")  # bad authinfo
    assert decode_packet(struct.pack(">iqi", 2, 5, 3) + b"txn" + b"\x00\x00\x00\x00").message == Proposal(
        Txn(5, b"txn")
    )
