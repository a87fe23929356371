"""Pending changes: the tree as it will be once every prepared-but-unapplied txn is applied.

ZooKeeper's leader prepares request N+1 before txn N is committed and applied, so prepare must
see N's effects: PrepRequestProcessor keeps ``outstandingChanges``, one ChangeRecord per path a
txn touches (the node's new state, or "deleted"), newest wins. This module owns that list:
lookups that fall back to the DataTree, dropping records once their txn is applied, and the
rollback a failed multi needs. A new leader starts with an empty one.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from zabkeeper.tree.datatree import DataNode, DataTree
from zabkeeper.tree.records import ACL

# A bound on records held at once; each prepared txn adds at most two per op, and the number of
# txns in flight is bounded by the leader's pending proposals.
PENDING_CHANGES_MAX = 1 << 22


class NodeState(NamedTuple):
    """A znode as prepare sees it once pending txns are applied: the stored stat (cversion counts
    creations), the number of children, the ACL and the data. A tuple: immutable, because a
    record may be shadowed and brought back (multi rollback), and cheap to build (every write
    builds at least one)."""

    data: bytes | None
    acl: tuple[ACL, ...]
    czxid: int
    mzxid: int
    ctime: int
    mtime: int
    version: int
    cversion: int
    aversion: int
    ephemeral_owner: int
    pzxid: int
    child_count: int


# What prepare reads of a node: its pending state, or the tree's node itself (never written).
NodeView = NodeState | DataNode


def with_data(node: NodeView, data: bytes | None, version: int, mtime: int, mzxid: int) -> NodeState:
    """``node`` after a setData."""
    return NodeState(
        data, node.acl, node.czxid, mzxid, node.ctime, mtime, version, node.cversion, node.aversion,
        node.ephemeral_owner, node.pzxid, node.child_count,
    )  # fmt: skip


def with_acl(node: NodeView, acl: tuple[ACL, ...], aversion: int) -> NodeState:
    """``node`` after a setACL."""
    return NodeState(
        node.data, acl, node.czxid, node.mzxid, node.ctime, node.mtime, node.version, node.cversion,
        aversion, node.ephemeral_owner, node.pzxid, node.child_count,
    )  # fmt: skip


def with_children(node: NodeView, child_delta: int, cversion: int, pzxid: int) -> NodeState:
    """``node`` after a child was created (``child_delta`` 1, a new ``cversion``) or deleted (-1)."""
    assert child_delta in (1, -1), child_delta
    return NodeState(
        node.data, node.acl, node.czxid, node.mzxid, node.ctime, node.mtime, node.version, cversion,
        node.aversion, node.ephemeral_owner, pzxid, node.child_count + child_delta,
    )  # fmt: skip


class ChangeRecord(NamedTuple):
    """What the txn with ``zxid`` leaves at ``path``: its new state, or None if it deletes it."""

    zxid: int
    path: str
    node: NodeState | None


class PendingChanges:
    """ZooKeeper's outstandingChanges / outstandingChangesForPath."""

    def __init__(self) -> None:
        self._changes: deque[ChangeRecord] = deque()
        self._by_path: dict[str, ChangeRecord] = {}

    def __len__(self) -> int:
        return len(self._changes)

    def records(self) -> tuple[ChangeRecord, ...]:
        return tuple(self._changes)

    def lookup(self, tree: DataTree, path: str) -> NodeView | None:
        """The newest state of ``path``: its pending record if any, else the tree's node."""
        record = self._by_path.get(path)
        if record is not None:
            return record.node
        return tree.nodes.get(path)

    def add(self, record: ChangeRecord) -> None:
        assert not self._changes or self._changes[-1].zxid <= record.zxid, (self._changes[-1], record)
        assert len(self._changes) < PENDING_CHANGES_MAX, len(self._changes)
        self._changes.append(record)
        self._by_path[record.path] = record

    def applied(self, zxid: int) -> None:
        """Txns up to ``zxid`` are in the tree now: their records are no longer needed."""
        while self._changes and self._changes[0].zxid <= zxid:
            record = self._changes.popleft()
            if self._by_path.get(record.path) is record:
                del self._by_path[record.path]

    def save(self, paths: list[str]) -> dict[str, ChangeRecord]:
        """The current records of ``paths`` (getPendingChanges), for ``rollback``."""
        return {path: self._by_path[path] for path in paths if path in self._by_path}

    def rollback(self, zxid: int, saved: dict[str, ChangeRecord]) -> None:
        """Forget the records of the failed txn ``zxid`` and bring back what they shadowed."""
        while self._changes and self._changes[-1].zxid == zxid:
            record = self._changes.pop()
            self._by_path.pop(record.path, None)
        if not self._changes:
            return
        first_zxid = self._changes[0].zxid
        for path, record in saved.items():
            # Records older than the oldest still pending have been applied meanwhile.
            if record.zxid >= first_zxid:
                self._by_path[path] = record

    def ephemerals_of(self, tree: DataTree, session_id: int) -> list[str]:
        """The ephemerals ``session_id`` will own once every pending txn is applied."""
        owned = dict.fromkeys(tree.get_ephemerals(session_id))
        for record in self._changes:
            if record.node is None:
                owned.pop(record.path, None)
            elif record.node.ephemeral_owner == session_id:
                owned[record.path] = None
        return sorted(owned)
