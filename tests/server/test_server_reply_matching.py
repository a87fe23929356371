"""Replies are matched to the request that caused them even when a reconnected client reuses an xid
of a write its old connection still has in the pipeline (kazoo restarts xids per connection).

Runs a ZooKeeperServer in-process over fake transports, with a txn log whose first fsync is held,
so the old write is still pending when the new connection sends the same xid."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from zabkeeper.config import parse_server_config
from zabkeeper.server.connection import ClientConnection
from zabkeeper.server.pipeline import StandalonePipeline
from zabkeeper.server.stats import ServerStats
from zabkeeper.server.zk_server import ZooKeeperServer
from zabkeeper.tree import records as r
from zabkeeper.tree.constants import OpCode
from zabkeeper.tree.datatree import DataTree
from zabkeeper.wire import client as wire

OPEN = (r.ACL(31, r.Id("world", "anyone")),)


class HeldStorage:
    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()

    def append(self, records: list[tuple[int, bytes]]) -> None:
        assert self.gate.wait(10)


class FakeTransport(asyncio.Transport):
    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port
        self.written = b""
        self.closed = False

    def write(self, data: Any) -> None:
        self.written += bytes(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", self.port) if name == "peername" else default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def replies(transport: FakeTransport) -> list[tuple[int, int, object]]:
    """(xid, err, response) of every reply after the ConnectResponse."""
    data, out = transport.written, []
    (length,) = wire.INT.unpack_from(data, 0)
    offset = 4 + length
    while offset < len(data):
        (length,) = wire.INT.unpack_from(data, offset)
        header, body = wire.decode_reply(data[offset + 4 : offset + 4 + length], r.CreateResponse)
        out.append((header.xid, header.err, body))
        offset += 4 + length
    return out


async def scenario() -> tuple[list[Any], list[Any]]:
    config = parse_server_config("tickTime=2000\ndataDir=/nonexistent\nclientPort=2181\n", "test.cfg")
    zk = ZooKeeperServer(config, DataTree(), ServerStats(), {})
    storage = HeldStorage()
    pipeline = StandalonePipeline(storage, zk.prepare, zk, 0, ServerStats(), inline_append_txns_max=0)  # type: ignore[arg-type]
    zk.pipeline = pipeline

    def connect(
        port: int, session_id: int = 0, password: bytes = bytes(16)
    ) -> tuple[ClientConnection, FakeTransport]:
        connection, transport = ClientConnection(zk), FakeTransport(port)
        connection.connection_made(transport)
        connection.data_received(
            wire.encode_connect_request(r.ConnectRequest(0, 0, 30000, session_id, password, False))
        )
        return connection, transport

    old, old_transport = connect(1)
    await pipeline.drain()
    handshake = wire.decode_connect_response(old_transport.written[4:])
    storage.gate.clear()  # the next fsync hangs: old's write stays in the pipeline
    old.data_received(wire.encode_request(1, OpCode.create, r.CreateRequest("/old", b"", OPEN, 0)))
    new, new_transport = connect(2, handshake.session_id, handshake.passwd)
    await asyncio.sleep(0)
    assert old_transport.closed, "the reattach closes the old connection"
    new.data_received(wire.encode_request(1, OpCode.create, r.CreateRequest("/new", b"", OPEN, 0)))
    storage.gate.set()
    await pipeline.drain()
    pipeline.close()
    return replies(old_transport), replies(new_transport)


def test_a_reused_xid_gets_the_reply_of_its_own_request() -> None:
    old, new = asyncio.run(scenario())
    assert old == []  # its connection was closed before the write committed
    assert new == [(1, 0, r.CreateResponse("/new"))]
