"""Tree snapshots as plain records: iterate a DataTree into them, restore one exactly.

The byte layout of a snapshot file belongs to ``wire``; this module gives it what to write and
takes back what it read. A snapshot is every znode as a SnapshotNode (path, data, ACL, persisted
stat), parents before children and siblings in the tree's own order, plus the session table.
Restoring rebuilds children, ephemeral owners, containers and TTL nodes from those records, so
the restored tree equals the original (same digest, same child order) and the derived indexes
never need to be stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from zabkeeper.tree.datatree import DataNode, DataTree
from zabkeeper.tree.paths import ROOT, child_path, is_valid_path, parent_of
from zabkeeper.tree.records import ACL, StatPersisted


class CorruptSnapshot(ValueError):
    """The records do not describe a tree (missing root or parent, duplicate or bad path)."""


@dataclass(frozen=True, slots=True)
class SnapshotNode:
    path: str
    data: bytes | None
    acl: tuple[ACL, ...]
    stat: StatPersisted


def snapshot_nodes(tree: DataTree) -> Iterator[SnapshotNode]:
    """Every znode, depth first from "/", children in the tree's order."""
    stack = [ROOT]
    while stack:
        path = stack.pop()
        node = tree.nodes[path]
        yield SnapshotNode(path, node.data, node.acl, node.persisted_stat())
        stack.extend(child_path(path, name) for name in reversed(node.children))


def snapshot_sessions(tree: DataTree) -> list[tuple[int, int]]:
    """(session id, timeout ms) of every open session, by id."""
    return sorted(tree.sessions.items())


def restore(
    nodes: Iterable[SnapshotNode], sessions: Iterable[tuple[int, int]], last_processed_zxid: int
) -> DataTree:
    """The DataTree the records describe; raises CorruptSnapshot if they describe none."""
    tree = DataTree()
    tree.nodes.clear()
    for record in nodes:
        if record.path in tree.nodes:
            raise CorruptSnapshot(f"duplicate node {record.path!r}")
        if not is_valid_path(record.path):
            raise CorruptSnapshot(f"invalid path {record.path!r}")
        node = DataNode.from_persisted(record.data, record.acl, record.stat)
        if record.path == ROOT:
            tree.nodes[ROOT] = node
            continue
        parent = tree.nodes.get(parent_of(record.path))
        if parent is None:
            raise CorruptSnapshot(f"node {record.path!r} comes before its parent")
        parent.children[record.path.rsplit("/", 1)[1]] = None
        tree.nodes[record.path] = node
        tree.index_owner(record.path, record.stat.ephemeral_owner)
    if ROOT not in tree.nodes:
        raise CorruptSnapshot("no root node")
    for session_id, timeout in sessions:
        if session_id in tree.sessions or timeout <= 0:
            raise CorruptSnapshot(f"bad session entry {session_id:#x} -> {timeout}")
        tree.sessions[session_id] = timeout
    tree.last_processed_zxid = last_processed_zxid
    return tree
