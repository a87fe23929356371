"""Jute's binary archive: the primitive types every ZooKeeper record is built from.

ZooKeeper serializes records with Apache Jute's binary archive: big-endian ints and longs,
one-byte booleans, length-prefixed buffers and UTF-8 strings (length -1 = null) and
count-prefixed vectors. Records are their fields back to back, with no tags or padding.

This module owns those primitives and nothing else: ``JuteReader`` walks a frame payload and
raises ``MalformedRecord`` on anything that does not fit (short input, negative or oversized
lengths, invalid UTF-8); ``JuteWriter`` appends to a ``bytearray``. Record layouts live in the
modules that use them (client protocol, txns, snapshots).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

INT = struct.Struct(">i")
LONG = struct.Struct(">q")
INT_INT = struct.Struct(">ii")
INT_LONG_INT = struct.Struct(">iqi")

# A vector may not announce more elements than this: every element takes at least one byte, so a
# count beyond the remaining bytes is malformed anyway; the cap keeps a lying count from
# allocating before that is noticed.
VECTOR_COUNT_MAX = 1 << 20


class MalformedRecord(ValueError):
    """The bytes do not decode as the expected record (ZooKeeper's MarshallingError)."""


class JuteReader:
    """Reads jute primitives from ``data`` starting at ``offset``; the offset advances as it goes."""

    __slots__ = ("data", "end", "offset")

    def __init__(self, data: bytes, offset: int = 0, end: int | None = None) -> None:
        self.data = data
        self.offset = offset
        self.end = len(data) if end is None else end
        assert 0 <= offset <= self.end <= len(data)

    def remaining(self) -> int:
        return self.end - self.offset

    def _need(self, count: int) -> int:
        start = self.offset
        if count < 0 or start + count > self.end:
            raise MalformedRecord(f"record needs {count} bytes at offset {start}, {self.end - start} left")
        self.offset = start + count
        return start

    def read_int(self) -> int:
        value: int = INT.unpack_from(self.data, self._need(4))[0]
        return value

    def read_long(self) -> int:
        value: int = LONG.unpack_from(self.data, self._need(8))[0]
        return value

    def read_bool(self) -> bool:
        byte = self.data[self._need(1)]
        return byte != 0

    def read_buffer(self) -> bytes | None:
        length = self.read_int()
        if length == -1:
            return None
        if length < 0:
            raise MalformedRecord(f"negative buffer length {length}")
        start = self._need(length)
        return self.data[start : start + length]

    def read_ustring(self) -> str | None:
        raw = self.read_buffer()
        if raw is None:
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise MalformedRecord(f"string is not UTF-8: {error}") from None

    def read_str(self) -> str:
        """A ustring where null means the empty string (kazoo writes "" as null)."""
        value = self.read_ustring()
        return "" if value is None else value

    def read_bytes(self) -> bytes:
        """A buffer where null means empty."""
        value = self.read_buffer()
        return b"" if value is None else value

    def read_vector(self, read_item: Callable[[JuteReader], T]) -> list[T] | None:
        count = self.read_int()
        if count == -1:
            return None
        if count < 0 or count > VECTOR_COUNT_MAX or count > self.remaining():
            raise MalformedRecord(f"bad vector count {count}")
        return [read_item(self) for _ in range(count)]

    def read_list(self, read_item: Callable[[JuteReader], T]) -> list[T]:
        """A vector where null means empty."""
        value = self.read_vector(read_item)
        return [] if value is None else value

    def expect_end(self) -> None:
        if self.offset != self.end:
            raise MalformedRecord(f"{self.end - self.offset} trailing bytes after record")


class JuteWriter:
    """Appends jute primitives to ``out``."""

    __slots__ = ("out",)

    def __init__(self, out: bytearray | None = None) -> None:
        self.out = bytearray() if out is None else out

    def write_int(self, value: int) -> None:
        self.out += INT.pack(value)

    def write_long(self, value: int) -> None:
        self.out += LONG.pack(value)

    def write_bool(self, value: bool) -> None:
        self.out.append(1 if value else 0)

    def write_buffer(self, value: bytes | None) -> None:
        if value is None:
            self.out += b"\xff\xff\xff\xff"
            return
        self.out += INT.pack(len(value))
        self.out += value

    def write_ustring(self, value: str | None) -> None:
        self.write_buffer(None if value is None else value.encode("utf-8"))

    def write_vector(self, items: list[T] | None, write_item: Callable[[JuteWriter, T], None]) -> None:
        if items is None:
            self.out += b"\xff\xff\xff\xff"
            return
        self.out += INT.pack(len(items))
        for item in items:
            write_item(self, item)

    def getvalue(self) -> bytes:
        return bytes(self.out)
