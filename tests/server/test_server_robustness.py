"""Bad input from the network closes that connection only: oversized, negative and malformed frames,
unknown opcodes, random bytes (fuzzed). The server keeps serving and no data changes."""

from __future__ import annotations

import socket
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rawclient import RawClient, create

from zabkeeper.tree import records as r
from zabkeeper.tree.constants import Code, OpCode
from zabkeeper.wire import client as wire

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def canary(zab_server):  # type: ignore[no-untyped-def]
    """A long-lived session holding a node; every test checks both survive the abuse."""
    client = RawClient(zab_server.port)
    client.call(OpCode.create, create("/canary", b"alive"))
    yield client
    client.close()


def assert_unharmed(canary: RawClient) -> None:
    header, data = canary.call(OpCode.getData, r.GetDataRequest("/canary", False))
    assert header.err == 0 and data.data == b"alive" and data.stat.version == 0


def closed_after(port: int, payload: bytes, handshake: bool = True) -> bytes:
    """Send ``payload`` (after a handshake if asked) and return what came back until close."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    received = b""
    try:
        if handshake:
            sock.sendall(wire.encode_connect_request(r.ConnectRequest(0, 0, 10000, 0, bytes(16), False)))
            while len(received) < 4 or len(received) < 4 + struct.unpack_from(">i", received)[0]:
                received += sock.recv(65536)
        sock.sendall(payload)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk
    except ConnectionResetError:
        return received  # the server closed while we were still sending: that is the point
    finally:
        sock.close()


def test_frame_above_jute_maxbuffer_closes_only_that_connection(zab_server, canary) -> None:  # type: ignore[no-untyped-def]
    big = wire.encode_request(1, OpCode.create, create("/big", b"x" * (2 * 1024 * 1024)))
    closed_after(zab_server.port, big)
    assert_unharmed(canary)
    assert canary.call(OpCode.exists, r.ExistsRequest("/big", False))[0].err == Code.NONODE


@pytest.mark.parametrize("length", [-1, -(2**31), 0x7FFFFFFF])
def test_bad_lengths_close_the_connection(zab_server, canary, length: int) -> None:  # type: ignore[no-untyped-def]
    closed_after(zab_server.port, struct.pack(">i", length) + b"junk")
    closed_after(zab_server.port, struct.pack(">i", length), handshake=False)
    assert_unharmed(canary)


def test_malformed_record_closes_the_connection(zab_server, canary) -> None:  # type: ignore[no-untyped-def]
    body = struct.pack(">ii", 1, OpCode.setData) + struct.pack(">i", 1000) + b"/canary"
    closed_after(
        zab_server.port, wire.frame(body) if hasattr(wire, "frame") else struct.pack(">i", len(body)) + body
    )
    assert_unharmed(canary)


def test_unknown_opcode_gets_unimplemented_then_close(zab_server, canary) -> None:  # type: ignore[no-untyped-def]
    body = struct.pack(">ii", 7, 999)
    received = closed_after(zab_server.port, struct.pack(">i", len(body)) + body)
    # The ConnectResponse frame, then a reply header (xid 7, zxid -1, err Unimplemented).
    (first,) = struct.unpack_from(">i", received)
    reply = received[4 + first :]
    assert struct.unpack(">iiqi", reply) == (16, 7, -1, Code.UNIMPLEMENTED)
    assert_unharmed(canary)


def test_a_standalone_check_is_answered_not_fatal(zab_server, canary) -> None:  # type: ignore[no-untyped-def]
    # Debian's ZooKeeper 3.8.0 died on this request; we answer it.
    header, response = canary.call(OpCode.check, r.CheckVersionRequest("/canary", 0))
    assert header.err == Code.OK and response.stat.version == 0
    assert canary.call(OpCode.check, r.CheckVersionRequest("/canary", 3))[0].err == Code.BADVERSION
    assert_unharmed(canary)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    opcode=st.sampled_from(
        [1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 21, 22, 100, 101, 102, 103, 105, 106]
    ),
    body=st.binary(max_size=64),
    handshake=st.booleans(),
)
def test_fuzzed_frames_never_harm_the_server(
    zab_server, canary, opcode: int, body: bytes, handshake: bool
) -> None:  # type: ignore[no-untyped-def]
    payload = struct.pack(">ii", 5, opcode) + body
    sock = socket.create_connection(("127.0.0.1", zab_server.port), timeout=5)
    try:
        if handshake:
            sock.sendall(wire.encode_connect_request(r.ConnectRequest(0, 0, 10000, 0, bytes(16), False)))
        sock.sendall(struct.pack(">i", len(payload)) + payload)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
    except OSError:
        pass
    finally:
        sock.close()
    assert_unharmed(canary)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=st.binary(min_size=1, max_size=200))
def test_random_byte_streams_never_harm_the_server(zab_server, canary, stream: bytes) -> None:  # type: ignore[no-untyped-def]
    sock = socket.create_connection(("127.0.0.1", zab_server.port), timeout=5)
    try:
        sock.sendall(stream)
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(1.0)
        while sock.recv(65536):
            pass
    except OSError:
        pass
    finally:
        sock.close()
    assert_unharmed(canary)
