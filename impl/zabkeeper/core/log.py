"""The in-memory txn history of a peer: the tail of its txn log that the core needs.

It holds the txns after ``base_zxid`` (everything up to ``base_zxid`` lives only in the state
machine and its snapshot). A leader uses the window to DIFF-sync learners, a follower to deliver
its own txns once a leader has confirmed them. Zxids strictly increase along the history.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from zabkeeper.core.messages import Txn


class TxnHistory:
    """An ordered window of txns with strictly increasing zxids, after ``base_zxid``."""

    def __init__(self, base_zxid: int = 0, txns: tuple[Txn, ...] | list[Txn] = ()) -> None:
        self.base_zxid = base_zxid
        self._txns: list[Txn] = []
        self._zxids: list[int] = []
        for txn in txns:
            self.append(txn)

    def __len__(self) -> int:
        return len(self._txns)

    @property
    def last_zxid(self) -> int:
        return self._zxids[-1] if self._zxids else self.base_zxid

    @property
    def zxids(self) -> tuple[int, ...]:
        return tuple(self._zxids)

    def append(self, txn: Txn) -> None:
        assert txn.zxid > self.last_zxid, (txn, self.last_zxid)
        self._txns.append(txn)
        self._zxids.append(txn.zxid)

    def contains(self, zxid: int) -> bool:
        """Whether ``zxid`` is the zxid of a held txn, or the base itself."""
        if zxid == self.base_zxid:
            return True
        index = bisect_left(self._zxids, zxid)
        return index < len(self._zxids) and self._zxids[index] == zxid

    def get(self, zxid: int) -> Txn:
        index = bisect_left(self._zxids, zxid)
        assert index < len(self._zxids) and self._zxids[index] == zxid, zxid
        return self._txns[index]

    def after(self, zxid: int, upto: int | None = None) -> list[Txn]:
        """Held txns with ``zxid < txn.zxid <= upto`` (``upto`` defaults to the end)."""
        assert zxid >= self.base_zxid, (zxid, self.base_zxid)
        start = bisect_right(self._zxids, zxid)
        stop = len(self._zxids) if upto is None else bisect_right(self._zxids, upto)
        return self._txns[start:stop]

    def floor(self, zxid: int) -> int:
        """The largest held zxid (or the base) that is ``<= zxid``."""
        index = bisect_right(self._zxids, zxid)
        return self._zxids[index - 1] if index else self.base_zxid

    def truncate_after(self, zxid: int) -> list[Txn]:
        """Drop the txns after ``zxid``; returns what was dropped."""
        assert zxid >= self.base_zxid, (zxid, self.base_zxid)
        start = bisect_right(self._zxids, zxid)
        dropped = self._txns[start:]
        del self._txns[start:]
        del self._zxids[start:]
        return dropped

    def forget_through(self, zxid: int) -> None:
        """Forget txns up to ``zxid`` (they are in a snapshot); the base moves to ``zxid``."""
        assert self.base_zxid <= zxid <= self.last_zxid, (zxid, self.base_zxid, self.last_zxid)
        stop = bisect_right(self._zxids, zxid)
        del self._txns[:stop]
        del self._zxids[:stop]
        self.base_zxid = zxid

    def reset(self, base_zxid: int) -> None:
        """Drop everything; the history now starts after ``base_zxid`` (a SNAP)."""
        self._txns.clear()
        self._zxids.clear()
        self.base_zxid = base_zxid
