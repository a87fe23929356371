"""The simulator's state machine: the sequence of txns a server has applied.

It stands in for ZooKeeper's DataTree. Keeping the whole applied sequence lets the checkers compare
servers txn by txn; snapshots serialize that sequence.
"""

from __future__ import annotations

import struct

from zabkeeper.core.messages import Txn

_RECORD = struct.Struct(">qI")


class StateMachine:
    """Applied txns, in order."""

    def __init__(self, applied: tuple[Txn, ...] = ()) -> None:
        self.applied: list[Txn] = list(applied)

    @property
    def last_zxid(self) -> int:
        return self.applied[-1].zxid if self.applied else 0

    def apply(self, txn: Txn) -> None:
        assert txn.zxid > self.last_zxid, (txn, self.last_zxid)
        self.applied.append(txn)

    def encode(self) -> bytes:
        parts = []
        for txn in self.applied:
            parts.append(_RECORD.pack(txn.zxid, len(txn.data)))
            parts.append(txn.data)
        return b"".join(parts)

    @staticmethod
    def decode(data: bytes) -> tuple[Txn, ...]:
        txns = []
        offset = 0
        while offset < len(data):
            zxid, length = _RECORD.unpack_from(data, offset)
            offset += _RECORD.size
            txns.append(Txn(zxid, data[offset : offset + length]))
            offset += length
        assert offset == len(data), "truncated snapshot"
        return tuple(txns)
