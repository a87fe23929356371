"""Byte layouts of the files in dataDir/dataLogDir: txn log files and snapshot files.

Txn log file ``log.<first zxid hex>``::

    header:  magic "ZKLG" | version int (2) | generation long
    records: crc32 int | length int | zxid long | payload (length bytes) | end-of-record byte 'B'

``crc32`` covers length, zxid and payload, so a record torn by a crash (short, or with stale
bytes where the write stopped) fails its checksum and is recognisable as the log's end. The
payload is an opaque txn (TxnHeader + txn record, see ``wire.txn``); the storage layer only
needs its zxid, which is why the zxid also sits in the record frame.

Snapshot file ``snapshot.<zxid hex>``::

    header:  magic "ZKSN" | version int (2) | generation long | zxid long
    body:    the serialized tree and session table (see ``wire.snapshot``)
    trailer: crc32 int of header and body | '/'

``generation`` ties log files to the snapshot history they extend: installing a snapshot
received from a leader starts a new generation, and restore replays only log files of the
snapshot's generation, so stale records of an older history can never be replayed after it.
These layouts are ZooKeeper-like but not byte-compatible with ZooKeeper's own files.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

LOG_MAGIC = b"ZKLG"
SNAP_MAGIC = b"ZKSN"
FORMAT_VERSION = 2
END_OF_RECORD = 0x42  # 'B', as in ZooKeeper's txn log
SNAP_TRAILER_END = 0x2F  # '/'

LOG_HEADER = struct.Struct(">4siq")
SNAP_HEADER = struct.Struct(">4siqq")
RECORD_HEAD = struct.Struct(">Iiq")  # crc32, length, zxid
SNAP_TRAILER = struct.Struct(">IB")
RECORD_OVERHEAD = RECORD_HEAD.size + 1


class CorruptFile(ValueError):
    """A file's header or trailer is not what this format writes."""


@dataclass(frozen=True)
class LogRecord:
    zxid: int
    payload: bytes


def encode_log_header(generation: int) -> bytes:
    return LOG_HEADER.pack(LOG_MAGIC, FORMAT_VERSION, generation)


def decode_log_header(data: bytes) -> int:
    """The generation written in a log file header."""
    if len(data) < LOG_HEADER.size:
        raise CorruptFile("log file shorter than its header")
    magic, version, generation = LOG_HEADER.unpack_from(data, 0)
    if magic != LOG_MAGIC or version != FORMAT_VERSION:
        raise CorruptFile(f"not a txn log file (magic {magic!r}, version {version})")
    assert isinstance(generation, int)
    return generation


def encode_log_record(zxid: int, payload: bytes) -> bytes:
    head_rest = struct.pack(">iq", len(payload), zxid)
    crc = zlib.crc32(payload, zlib.crc32(head_rest))
    return struct.pack(">I", crc) + head_rest + payload + b"B"


def decode_log_record(data: bytes, offset: int) -> tuple[LogRecord, int] | None:
    """The record at ``offset`` and the offset after it, or None if it is torn or corrupt."""
    if len(data) - offset < RECORD_OVERHEAD:
        return None
    crc, length, zxid = RECORD_HEAD.unpack_from(data, offset)
    start = offset + RECORD_HEAD.size
    end = start + length
    if length < 0 or end + 1 > len(data) or data[end] != END_OF_RECORD:
        return None
    payload = data[start:end]
    if zlib.crc32(payload, zlib.crc32(data[offset + 4 : start])) != crc:
        return None
    return LogRecord(zxid, payload), end + 1


def encode_snapshot(generation: int, zxid: int, body: bytes) -> bytes:
    head = SNAP_HEADER.pack(SNAP_MAGIC, FORMAT_VERSION, generation, zxid)
    crc = zlib.crc32(body, zlib.crc32(head))
    return head + body + SNAP_TRAILER.pack(crc, SNAP_TRAILER_END)


def decode_snapshot_header(data: bytes) -> tuple[int, int]:
    """(generation, zxid) from a snapshot file's first bytes."""
    if len(data) < SNAP_HEADER.size:
        raise CorruptFile("snapshot shorter than its header")
    magic, version, generation, zxid = SNAP_HEADER.unpack_from(data, 0)
    if magic != SNAP_MAGIC or version != FORMAT_VERSION:
        raise CorruptFile(f"not a snapshot file (magic {magic!r}, version {version})")
    return generation, zxid


def decode_snapshot(data: bytes) -> tuple[int, int, bytes]:
    """(generation, zxid, body) of a complete snapshot file; raises CorruptFile if it is not intact."""
    generation, zxid = decode_snapshot_header(data)
    if len(data) < SNAP_HEADER.size + SNAP_TRAILER.size:
        raise CorruptFile("snapshot has no trailer")
    crc, end = SNAP_TRAILER.unpack_from(data, len(data) - SNAP_TRAILER.size)
    body_end = len(data) - SNAP_TRAILER.size
    if end != SNAP_TRAILER_END or zlib.crc32(data[:body_end]) != crc:
        raise CorruptFile("snapshot checksum mismatch (incomplete or corrupt file)")
    return generation, zxid, data[SNAP_HEADER.size : body_end]
