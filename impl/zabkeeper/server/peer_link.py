"""One TCP connection to a peer, and the framing of peer streams.

``PeerLink`` is the asyncio protocol under both peer channels: it splits the stream into frames
(``PeerFrameDecoder``), hands each to its owner (the ``PeerTransport``), and batches what the
owner writes into one socket write per event-loop turn. A COMMIT written right after another
COMMIT replaces it (a COMMIT means every txn up to its zxid is committed, so the newer implies
the older), and so does a proposal's ACK after another ACK (ACKs are cumulative too). A peer whose unsent data passes ``SEND_BUFFER_MAX`` is dropped, and so is one that
announces a frame outside the bounds: jute.maxbuffer plus a packet header, except SNAP packets,
which may reach the snapshot limit.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Protocol

SNAP_TYPE = 15
SEND_BUFFER_MAX = 1 << 30
_LENGTH = struct.Struct(">i")


class LinkOwner(Protocol):
    def frame_received(self, link: PeerLink, frame: bytes) -> None: ...

    def link_failed(self, link: PeerLink, reason: str) -> None: ...

    def link_lost(self, link: PeerLink) -> None: ...


class BadPeerFrame(ValueError):
    """A peer announced a frame this member refuses; the connection is closed."""


class PeerFrameDecoder:
    """Splits a peer stream into frames, each at most ``frame_max`` bytes, except SNAP packets
    (type 15, read from the first 4 payload bytes), which may reach ``snap_max``."""

    def __init__(self, frame_max: int, snap_max: int = 0) -> None:
        assert frame_max > 0 and snap_max >= 0
        self.frame_max = frame_max
        self.snap_max = snap_max
        self.buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        frames: list[bytes] = []
        buffer = self.buffer
        offset = 0
        while len(buffer) - offset >= 4:
            (length,) = _LENGTH.unpack_from(buffer, offset)
            if length < 0 or length > self.frame_max:
                if length < 0 or length > self.snap_max or self.snap_max == 0:
                    raise BadPeerFrame(f"frame length {length} outside [0, {self.frame_max}]")
                if len(buffer) - offset < 8:
                    break
                if _LENGTH.unpack_from(buffer, offset + 4)[0] != SNAP_TYPE:
                    raise BadPeerFrame(f"frame length {length} above {self.frame_max} for a non-SNAP packet")
            end = offset + 4 + length
            if end > len(buffer):
                break
            frames.append(bytes(buffer[offset + 4 : end]))
            offset = end
        del buffer[:offset]
        return frames


def framed(payload: bytes) -> bytes:
    return _LENGTH.pack(len(payload)) + payload


class PeerLink(asyncio.Protocol):
    """One TCP connection to a peer; the owner decides what its frames mean."""

    def __init__(self, transport_owner: LinkOwner, kind: str, decoder: PeerFrameDecoder) -> None:
        self.owner = transport_owner
        self.kind = kind
        self.decoder = decoder
        self.transport: asyncio.Transport | None = None
        self.sid: int | None = None
        self.closed = False
        self.swallowed = False  # a partition ate a message: dead for good, closed at heal
        self.registered = False  # the quorum connection the core knows for ``sid``
        self.pending: list[bytes] = []
        self.last_cumulative = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.closed:
            transport.close()  # the core gave up on it while it was connecting
        elif self.pending:
            self.flush()

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        try:
            frames = self.decoder.feed(data)
        except BadPeerFrame as error:
            self.owner.link_failed(self, f"bad frame: {error}")
            return
        for frame in frames:
            if self.closed:
                return
            self.owner.frame_received(self, frame)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self.closed = True
            self.owner.link_lost(self)

    def write(self, frame: bytes, cumulative: bool = False) -> None:
        """Queue ``frame`` for the next flush. A ``cumulative`` frame (a COMMIT or a proposal's ACK:
        it covers every zxid up to its own) replaces a cumulative frame queued right before it,
        which it implies."""
        if self.closed or self.swallowed:
            return
        if cumulative and self.last_cumulative and self.pending:
            self.pending[-1] = frame
            return
        self.last_cumulative = cumulative
        self.pending.append(frame)
        if len(self.pending) == 1:
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        if self.transport is None or self.closed or not self.pending:
            return
        data, self.pending = b"".join(self.pending), []
        self.last_cumulative = False
        self.transport.write(data)
        if self.transport.get_write_buffer_size() > SEND_BUFFER_MAX:
            self.owner.link_failed(self, "peer does not read: send buffer full")

    def close(self) -> None:
        self.closed = True
        self.pending = []
        if self.transport is not None:
            self.transport.close()
