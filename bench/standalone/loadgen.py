"""A lean pipelined ZooKeeper load generator speaking raw frames (the same bytes to any server).

Each connection opens a session, then keeps ``depth`` requests outstanding: every reply read
triggers the next request, and all requests triggered by one read go out in one write. Request
frames are prebuilt templates with only the xid patched in, and replies are only split into
frames and checked for their xid and error code, so the generator spends far less CPU per
request than a server does. Latency is measured per request from the write that carried it to
the read that returned its reply (replies come back in order on each connection).

Loads: ``setData`` and ``getData`` on 100-byte values, ``mix`` (80% getData / 20% setData) and
``createDelete`` (create a sequential node, then delete the path the reply names).

Run: ``python loadgen.py --port P --load setData --connections 16 --depth 64 --seconds 10``;
prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import struct
import time
from collections import deque

VALUE = b"v" * 100
LATENCY_SAMPLE_MAX = 20_000  # latencies reported for merging across processes (evenly spaced ranks)
KEYS = 64
INT = struct.Struct(">i")
REPLY_HEAD = struct.Struct(">iiqi")  # length, xid, zxid, err
OPEN_ACL_UNSAFE = (
    struct.pack(">i", 1)
    + struct.pack(">i", 31)
    + struct.pack(">i5s", 5, b"world")
    + struct.pack(">i6s", 6, b"anyone")
)


def _string(value: str) -> bytes:
    raw = value.encode()
    return INT.pack(len(raw)) + raw


def _frame(xid: int, opcode: int, body: bytes) -> bytes:
    payload = struct.pack(">ii", xid, opcode) + body
    return INT.pack(len(payload)) + payload


def connect_request() -> bytes:
    body = struct.pack(">iqiq", 0, 0, 30000, 0) + INT.pack(16) + bytes(16) + b"\x00"
    return INT.pack(len(body)) + body


def set_data_body(path: str) -> bytes:
    return _string(path) + INT.pack(len(VALUE)) + VALUE + INT.pack(-1)


def get_data_body(path: str) -> bytes:
    return _string(path) + b"\x00"


def create_body(path: str, flags: int) -> bytes:
    return _string(path) + INT.pack(len(VALUE)) + VALUE + OPEN_ACL_UNSAFE + INT.pack(flags)


class Template:
    """A request frame whose xid (bytes 4..8) is patched per send."""

    __slots__ = ("data",)

    def __init__(self, opcode: int, body: bytes) -> None:
        self.data = bytearray(_frame(0, opcode, body))

    def render(self, xid: int) -> bytes:
        INT.pack_into(self.data, 4, xid)
        return bytes(self.data)


class LoadConnection(asyncio.Protocol):
    def __init__(self, index: int, load: str, depth: int, stats: Stats) -> None:
        self.index = index
        self.load = load
        self.depth = depth
        self.stats = stats
        self.buffer = b""
        self.handshaken = asyncio.get_running_loop().create_future()
        self.connected = False
        self.xid = 0
        self.sent_at: deque[float] = deque()
        self.sent_ops: deque[int] = deque()  # 0 = plain, 1 = create (reply carries a path)
        self.seq = 0
        path = f"/bench/k{index % KEYS}"
        self.set_t = Template(5, set_data_body(path))
        self.get_t = Template(4, get_data_body(path))
        self.create_t = Template(1, create_body(f"/bench/seq/c{index}-", 2))
        self.deletes: deque[bytes] = deque()
        self.running = True
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(connect_request())

    def next_request(self) -> bytes:
        self.xid += 1
        load = self.load
        if load == "setData":
            self.sent_ops.append(0)
            return self.set_t.render(self.xid)
        if load == "getData":
            self.sent_ops.append(0)
            return self.get_t.render(self.xid)
        if load == "mix":
            self.sent_ops.append(0)
            return (self.set_t if self.xid % 5 == 0 else self.get_t).render(self.xid)
        if self.deletes:
            self.sent_ops.append(0)
            path = self.deletes.popleft()
            return _frame(self.xid, 2, path + INT.pack(-1))
        self.sent_ops.append(1)
        return self.create_t.render(self.xid)

    def send(self, count: int) -> None:
        assert self.transport is not None
        now = time.perf_counter()
        frames = [self.next_request() for _ in range(count)]
        self.sent_at.extend([now] * count)
        self.transport.write(b"".join(frames))

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        offset = 0
        end = len(buffer)
        if not self.connected:
            if end < 4 or end < 4 + INT.unpack_from(buffer, 0)[0]:
                self.buffer = buffer
                return
            offset = 4 + INT.unpack_from(buffer, 0)[0]
            self.connected = True
            self.handshaken.set_result(None)
        replies = 0
        errors = 0
        now = time.perf_counter()
        latencies = self.stats.latencies if self.stats.recording else None
        sent_at = self.sent_at
        sent_ops = self.sent_ops
        while end - offset >= 20:
            length, xid, _zxid, err = REPLY_HEAD.unpack_from(buffer, offset)
            if end - offset - 4 < length:
                break
            if xid < 0:  # notification or ping reply: not ours
                offset += 4 + length
                continue
            started = sent_at.popleft()
            op = sent_ops.popleft()
            if err:
                errors += 1
            elif op == 1:
                # CreateResponse: a path; delete it next.
                (plen,) = INT.unpack_from(buffer, offset + 20)
                self.deletes.append(buffer[offset + 20 : offset + 24 + plen])
            if latencies is not None:
                latencies.append(now - started)
            offset += 4 + length
            replies += 1
        self.buffer = buffer[offset:] if offset < end else b""
        if replies:
            self.stats.replies += replies
            self.stats.errors += errors
            if self.running:
                self.send(replies)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.running:
            self.stats.lost += 1
        if not self.handshaken.done():
            self.handshaken.set_exception(ConnectionError("lost during handshake"))


class Stats:
    def __init__(self) -> None:
        self.replies = 0
        self.errors = 0
        self.lost = 0
        self.recording = False
        self.latencies: list[float] = []


async def setup(port: int) -> None:
    """Create /bench, /bench/seq and the 64 keys (ignoring NodeExists), one request at a time."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(connect_request())
    (length,) = INT.unpack(await reader.readexactly(4))
    await reader.readexactly(length)
    paths = ["/bench", "/bench/seq"] + [f"/bench/k{i}" for i in range(KEYS)]
    for xid, path in enumerate(paths, start=1):
        writer.write(_frame(xid, 1, create_body(path, 0)))
        (length,) = INT.unpack(await reader.readexactly(4))
        reply = await reader.readexactly(length)
        _, _, err = struct.unpack_from(">iqi", reply)
        if err not in (0, -110):
            raise RuntimeError(f"setup create {path} failed with {err}")
    writer.close()


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(fraction * len(sorted_values)))
    return sorted_values[index]


async def run(
    ports: list[int], load: str, connections: int, depth: int, seconds: float, warmup: float, first: int = 0
) -> dict[str, object]:
    """Drive the load; connections are dealt round-robin over ``ports`` (one server, or every
    member of an ensemble)."""
    await setup(ports[0])
    if len(ports) > 1:
        await asyncio.sleep(0.5)  # let the setup txns reach every server
    loop = asyncio.get_running_loop()
    stats = Stats()
    protocols = []
    for index in range(first, first + connections):
        port = ports[index % len(ports)]
        _, protocol = await loop.create_connection(
            lambda index=index: LoadConnection(index, load, depth, stats), "127.0.0.1", port
        )
        protocols.append(protocol)
    await asyncio.gather(*(protocol.handshaken for protocol in protocols))
    for protocol in protocols:
        protocol.send(depth)
    await asyncio.sleep(warmup)
    stats.recording = True
    start_replies, start = stats.replies, time.perf_counter()
    await asyncio.sleep(seconds)
    elapsed = time.perf_counter() - start
    done = stats.replies - start_replies
    stats.recording = False
    for protocol in protocols:
        protocol.running = False
    await asyncio.sleep(0.2)
    for protocol in protocols:
        if protocol.transport is not None:
            protocol.transport.close()
    latencies = sorted(stats.latencies)
    step = max(1, len(latencies) // LATENCY_SAMPLE_MAX)
    return {
        "load": load,
        "connections": connections,
        "depth": depth,
        "seconds": round(elapsed, 3),
        "ops": done,
        "ops_per_s": round(done / elapsed, 1),
        "p50_us": round(percentile(latencies, 0.50) * 1e6, 1),
        "p99_us": round(percentile(latencies, 0.99) * 1e6, 1),
        "latency_sample_us": [round(value * 1e6, 1) for value in latencies[::step]],
        "errors": stats.errors,
        "connections_lost": stats.lost,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--load", choices=["setData", "getData", "mix", "createDelete"], required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--depth", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument(
        "--first-connection", type=int, default=0, help="index of this process's first connection"
    )
    args = parser.parse_args()
    result = asyncio.run(
        run(
            [args.port],
            args.load,
            args.connections,
            args.depth,
            args.seconds,
            args.warmup,
            args.first_connection,
        )
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
