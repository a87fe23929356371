"""PeerTransport on 127.0.0.1: delivery, connection semantics, refusals of bad peers, partitions."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable

import pytest

from zabkeeper.config import Address, LearnerType, QuorumServer
from zabkeeper.core.inputs import Disconnected, Input, Receive
from zabkeeper.core.messages import (
    Ack,
    FollowerInfo,
    LeaderInfo,
    Notification,
    ServerState,
    Snap,
)
from zabkeeper.server.peer_link import BadPeerFrame, PeerFrameDecoder
from zabkeeper.server.transport import PeerTransport
from zabkeeper.wire.quorum import encode_packet


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def servers(count: int) -> dict[int, QuorumServer]:
    return {
        sid: QuorumServer(
            sid,
            Address("127.0.0.1", free_port()),
            Address("127.0.0.1", free_port()),
            LearnerType.PARTICIPANT,
            None,
        )
        for sid in range(1, count + 1)
    }


VOTE = Notification(leader=2, zxid=5, election_epoch=1, state=ServerState.LOOKING, sid=1, peer_epoch=0)


class Node:
    def __init__(self, sid: int, members: dict[int, QuorumServer]) -> None:
        self.inbox: list[Input] = []
        self.transport = PeerTransport(sid, members, self.inbox.append, 0xFFFFF, 1 << 24)

    async def wait_for(self, count: int, timeout_s: float = 5.0) -> list[Input]:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(self.inbox) < count:
            assert asyncio.get_running_loop().time() < deadline, f"only {self.inbox} arrived"
            await asyncio.sleep(0.01)
        return self.inbox


def run(count: int, scenario: Callable[[dict[int, Node], dict[int, QuorumServer]], Awaitable[None]]) -> None:
    async def main() -> None:
        members = servers(count)
        nodes = {sid: Node(sid, members) for sid in members}
        for node in nodes.values():
            await node.transport.start()
        try:
            await asyncio.wait_for(scenario(nodes, members), 20)
        finally:
            for node in nodes.values():
                await node.transport.close()

    asyncio.run(main())


def test_notifications_arrive_named_by_their_sender() -> None:
    async def scenario(nodes: dict[int, Node], members: dict[int, QuorumServer]) -> None:
        nodes[1].transport.send(2, VOTE)
        nodes[1].transport.send(2, VOTE)
        assert await nodes[2].wait_for(2) == [Receive(1, VOTE), Receive(1, VOTE)]

    run(2, scenario)


def test_a_learner_opens_the_quorum_connection_and_both_sides_use_it() -> None:
    async def scenario(nodes: dict[int, Node], members: dict[int, QuorumServer]) -> None:
        nodes[1].transport.send(2, Ack(7))  # no connection yet: dropped, as in the simulator
        nodes[1].transport.send(2, FollowerInfo(3))
        assert await nodes[2].wait_for(1) == [Receive(1, FollowerInfo(3))]
        nodes[2].transport.send(1, LeaderInfo(4))
        assert await nodes[1].wait_for(1) == [Receive(2, LeaderInfo(4))]
        nodes[2].transport.disconnect(1)
        assert await nodes[1].wait_for(2) == [Receive(2, LeaderInfo(4)), Disconnected(2)]
        await asyncio.sleep(0.1)
        assert nodes[2].inbox == [Receive(1, FollowerInfo(3))], "the closer hears nothing back"

    run(2, scenario)


def test_a_refused_connect_is_reported() -> None:
    async def scenario(nodes: dict[int, Node], members: dict[int, QuorumServer]) -> None:
        await nodes[2].transport.close()
        nodes[1].transport.send(2, FollowerInfo(1))
        assert await nodes[1].wait_for(1) == [Disconnected(2)]

    run(2, scenario)


def test_a_reconnecting_learner_is_reported_broken_before_its_new_connection() -> None:
    async def scenario(nodes: dict[int, Node], members: dict[int, QuorumServer]) -> None:
        nodes[1].transport.send(2, FollowerInfo(1))
        await nodes[2].wait_for(1)
        port = members[2].quorum_address.port
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        frame = encode_packet(FollowerInfo(2), sender=1)
        writer.write(struct.pack(">i", len(frame)) + frame)
        await writer.drain()
        inbox = await nodes[2].wait_for(3)
        assert inbox == [Receive(1, FollowerInfo(1)), Disconnected(1), Receive(1, FollowerInfo(2))]
        writer.close()

    run(2, scenario)


@pytest.mark.parametrize(
    "garbage",
    [
        struct.pack(">i", 12) + b"not a packet",  # malformed packet
        struct.pack(">i", 1 << 30) + b"x" * 16,  # frame far above jute.maxbuffer
        struct.pack(">i", -3),  # negative length
    ],
)
def test_a_bad_peer_loses_only_its_own_connection(garbage: bytes) -> None:
    async def scenario(nodes: dict[int, Node], members: dict[int, QuorumServer]) -> None:
        nodes[1].transport.send(2, FollowerInfo(1))
        await nodes[2].wait_for(1)
        reader, writer = await asyncio.open_connection("127.0.0.1", members[2].quorum_address.port)
        writer.write(garbage)
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 5) == b"", "the bad connection is closed"
        nodes[2].transport.send(1, LeaderInfo(2))
        assert await nodes[1].wait_for(1) == [Receive(2, LeaderInfo(2))], "the good one still works"
        assert nodes[2].inbox == [Receive(1, FollowerInfo(1))]
        writer.close()

    run(2, scenario)


def test_a_partition_swallows_traffic_silently_and_healing_reports_the_dead_connection() -> None:
    async def scenario(nodes: dict[int, Node], members: dict[int, QuorumServer]) -> None:
        nodes[1].transport.send(2, FollowerInfo(1))
        await nodes[2].wait_for(1)
        nodes[1].transport.block(frozenset({2}))
        nodes[2].transport.block(frozenset({1}))
        nodes[1].transport.send(2, Ack(5))
        nodes[1].transport.send(2, VOTE)
        nodes[2].transport.send(1, LeaderInfo(2))
        await asyncio.sleep(0.3)
        assert nodes[1].inbox == [] and nodes[2].inbox == [Receive(1, FollowerInfo(1))]
        nodes[1].transport.unblock()
        nodes[2].transport.unblock()
        assert Disconnected(2) in await nodes[1].wait_for(1)
        inbox = await nodes[2].wait_for(3)
        assert Disconnected(1) in inbox and Receive(1, VOTE) in inbox, "the held vote goes out on healing"
        assert Receive(1, Ack(5)) not in inbox, "a packet swallowed by the partition never arrives"

    run(2, scenario)


def test_frame_decoder_allows_only_snap_above_the_packet_limit() -> None:
    decoder = PeerFrameDecoder(frame_max=64, snap_max=1024)
    snap = encode_packet(Snap(9, b"s" * 200), sender=1)
    frames = decoder.feed(struct.pack(">i", len(snap)) + snap)
    assert frames == [snap]
    big_ack = struct.pack(">i", 200) + struct.pack(">i", 3) + b"\x00" * 196
    with pytest.raises(BadPeerFrame):
        PeerFrameDecoder(frame_max=64, snap_max=1024).feed(big_ack)
    with pytest.raises(BadPeerFrame):
        PeerFrameDecoder(frame_max=64, snap_max=1024).feed(struct.pack(">ii", 4096, 15))
    # A frame split across reads is kept until complete.
    split = PeerFrameDecoder(frame_max=64)
    assert split.feed(b"\x00\x00") == [] and split.feed(b"\x00\x02ab") == [b"ab"]
