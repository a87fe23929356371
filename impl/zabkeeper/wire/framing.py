"""Length-prefixed framing of the client connection, and four-letter-word detection.

Every message in both directions is a 4-byte big-endian length N followed by N payload bytes.
A server must refuse a frame whose length is negative or larger than ``jute.maxbuffer``: such
a length means a broken or hostile peer, and the only safe reaction is to close that one
connection (``BadFrame``). Before the handshake the first four bytes may instead spell a
four-letter word (``ruok``, ``srvr``, ...), which the connection answers as text.

``FrameDecoder`` is sans-IO: feed it whatever the socket delivered and it returns the
complete frame payloads, keeping a partial frame for the next feed. Handing back every complete
frame of one read at once is what lets the server batch many pipelined requests per read.
"""

from __future__ import annotations

import struct

# ZooKeeper's default jute.maxbuffer: 0xfffff bytes (1 MiB - 1).
JUTE_MAXBUFFER_DEFAULT = 0xFFFFF

FOUR_LETTER_WORDS = frozenset(
    {
        "ruok", "srvr", "stat", "mntr", "conf", "cons", "envi", "wchs", "wchc", "wchp", "dump", "isro",
        "crst", "srst", "dirs", "gtmk", "stmk", "hash",
    }
)  # fmt: skip

_LENGTH = struct.Struct(">i")


class BadFrame(ValueError):
    """The peer announced a frame length the server must not accept; close the connection."""


def four_letter_word(first4: bytes) -> str | None:
    """The four-letter word that ``first4`` spells, if these are the first bytes of a connection."""
    assert len(first4) == 4
    try:
        word = first4.decode("ascii")
    except UnicodeDecodeError:
        return None
    return word if word in FOUR_LETTER_WORDS else None


def frame(payload: bytes) -> bytes:
    """``payload`` with its length prefix."""
    return _LENGTH.pack(len(payload)) + payload


class FrameDecoder:
    """Splits a byte stream into frame payloads, refusing lengths outside [0, max_frame_bytes]."""

    __slots__ = ("buffer", "max_frame_bytes")

    def __init__(self, max_frame_bytes: int = JUTE_MAXBUFFER_DEFAULT) -> None:
        assert max_frame_bytes > 0
        self.max_frame_bytes = max_frame_bytes
        self.buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        """Every complete frame payload now available, in order. Raises ``BadFrame``."""
        buffer = self.buffer + data if self.buffer else data
        frames: list[bytes] = []
        offset = 0
        end = len(buffer)
        unpack = _LENGTH.unpack_from
        limit = self.max_frame_bytes
        while end - offset >= 4:
            (length,) = unpack(buffer, offset)
            if length < 0 or length > limit:
                self.buffer = b""
                raise BadFrame(f"frame length {length} outside [0, {limit}] (jute.maxbuffer)")
            start = offset + 4
            if end - start < length:
                break
            offset = start + length
            frames.append(buffer[start:offset])
        self.buffer = buffer[offset:] if offset < end else b""
        return frames

    def pending_bytes(self) -> int:
        return len(self.buffer)
