"""A small synchronous ZooKeeper client speaking raw frames through ``zabkeeper.wire``.

Tests use it where kazoo hides what they need to see: exact error codes and Stat fields, the
order of replies and notifications, pipelined requests, and hand-made (even broken) frames.
"""

from __future__ import annotations

import socket
import ssl
import struct
import time
from typing import Any

from zabkeeper.tree import records as r
from zabkeeper.tree.constants import OpCode
from zabkeeper.wire import client as wire

RESPONSES: dict[int, type | None] = {
    OpCode.create: r.CreateResponse,
    OpCode.create2: r.Create2Response,
    OpCode.createContainer: r.Create2Response,
    OpCode.createTTL: r.Create2Response,
    OpCode.delete: None,
    OpCode.exists: r.ExistsResponse,
    OpCode.getData: r.GetDataResponse,
    OpCode.setData: r.SetDataResponse,
    OpCode.getACL: r.GetACLResponse,
    OpCode.setACL: r.SetACLResponse,
    OpCode.getChildren: r.GetChildrenResponse,
    OpCode.getChildren2: r.GetChildren2Response,
    OpCode.sync: r.SyncResponse,
    OpCode.check: r.SetDataResponse,
    OpCode.multi: r.MultiResponse,
    OpCode.multiRead: r.MultiResponse,
    OpCode.getAllChildrenNumber: r.GetAllChildrenNumberResponse,
    OpCode.getEphemerals: r.GetEphemeralsResponse,
    OpCode.whoAmI: r.WhoAmIResponse,
    OpCode.addWatch: r.ErrorResponse,
    OpCode.checkWatches: None,
    OpCode.removeWatches: None,
    OpCode.closeSession: None,
    OpCode.sasl: r.SetSASLResponse,
}


class RawClient:
    def __init__(self, port: int, timeout_ms: int = 30000, session_id: int = 0, password: bytes = bytes(16),
                 last_zxid_seen: int = 0, io_timeout: float = 10.0, tls: ssl.SSLContext | None = None) -> None:  # fmt: skip
        sock = socket.create_connection(("127.0.0.1", port), timeout=io_timeout)
        self.sock = sock if tls is None else tls.wrap_socket(sock, server_hostname="127.0.0.1")
        self.buffer = b""
        self.xid = 0
        self.events: list[r.WatcherEvent] = []
        self.sock.sendall(
            wire.encode_connect_request(
                r.ConnectRequest(0, last_zxid_seen, timeout_ms, session_id, password, False)
            )
        )
        self.connect_response = wire.decode_connect_response(self.read_frame())
        self.session_id = self.connect_response.session_id
        self.password = self.connect_response.passwd

    def read_frame(self) -> bytes:
        while True:
            if len(self.buffer) >= 4:
                (length,) = struct.unpack_from(">i", self.buffer)
                if len(self.buffer) >= 4 + length:
                    frame, self.buffer = self.buffer[4 : 4 + length], self.buffer[4 + length :]
                    return frame
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buffer += chunk

    def send(self, opcode: int, request: Any, xid: int | None = None) -> int:
        if xid is None:
            self.xid += 1
            xid = self.xid
        self.sock.sendall(wire.encode_request(xid, opcode, request))
        return xid

    def receive(self, opcode: int) -> tuple[r.ReplyHeader, Any]:
        """The next reply (notifications that come first are collected in ``events``)."""
        while True:
            payload = self.read_frame()
            (xid,) = struct.unpack_from(">i", payload)
            if xid == wire.NOTIFICATION_XID:
                _, event = wire.decode_reply(payload, r.WatcherEvent)
                self.events.append(event)
                continue
            return wire.decode_reply(payload, RESPONSES.get(opcode))

    def call(self, opcode: int, request: Any) -> tuple[r.ReplyHeader, Any]:
        special = {OpCode.ping: wire.PING_XID, OpCode.auth: wire.AUTH_XID}.get(OpCode(opcode))
        xid = self.send(opcode, request, special)
        header, response = self.receive(opcode)
        assert header.xid == xid, (header.xid, xid)
        return header, response

    def wait_events(self, count: int, timeout: float = 5.0) -> list[r.WatcherEvent]:
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.05)
        try:
            while len(self.events) < count and time.monotonic() < deadline:
                try:
                    payload = self.read_frame()
                except TimeoutError:
                    continue
                _, event = wire.decode_reply(payload, r.WatcherEvent)
                self.events.append(event)
        finally:
            self.sock.settimeout(10.0)
        return self.events

    def close(self, send_close_session: bool = True) -> None:
        try:
            if send_close_session:
                self.call(OpCode.closeSession, r.CloseSessionRequest())
        except (OSError, ConnectionError):
            pass
        self.sock.close()


OPEN_ACL = (r.ACL(31, r.Id("world", "anyone")),)


def create(path: str, data: bytes | None = b"", flags: int = 0) -> r.CreateRequest:
    return r.CreateRequest(path, data, OPEN_ACL, flags)
