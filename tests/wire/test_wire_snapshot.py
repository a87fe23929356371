"""Snapshot bodies: a tree written and read back is the same tree (digest), and damage is refused."""

from __future__ import annotations

import pytest

from zabkeeper.tree import records as r
from zabkeeper.tree.apply import apply
from zabkeeper.tree.constants import OpCode
from zabkeeper.tree.datatree import DataTree
from zabkeeper.tree.pending import PendingChanges
from zabkeeper.tree.prepare import RequestContext, prepare
from zabkeeper.tree.snapshot import CorruptSnapshot, restore, snapshot_nodes, snapshot_sessions
from zabkeeper.wire.jute import MalformedRecord
from zabkeeper.wire.snapshot import decode_snapshot_body, encode_snapshot_body

OPEN = (r.ACL(31, r.Id("world", "anyone")),)


def populated_tree() -> DataTree:
    tree, pending = DataTree(), PendingChanges()
    requests = [
        (OpCode.createSession, r.CreateSessionTxn(30000), 77),
        (OpCode.create, r.CreateRequest("/a", b"1", OPEN, 0), 77),
        (OpCode.create, r.CreateRequest("/a/seq-", None, OPEN, 2), 77),
        (OpCode.create, r.CreateRequest("/a/eph", b"e", OPEN, 1), 77),
        (OpCode.setData, r.SetDataRequest("/a", b"22", -1), 77),
        (OpCode.createContainer, r.CreateRequest("/c", b"", OPEN, 4), 77),
    ]
    for zxid, (op, request, session) in enumerate(requests, start=1):
        context = RequestContext(session, zxid, zxid, 1_700_000_000_000 + zxid, ())
        prepared = prepare(op, request, context, tree, pending)  # type: ignore[arg-type]
        apply(tree, prepared.header, prepared.txn)
        pending.applied(zxid)
    return tree


def test_snapshot_body_round_trips_the_whole_tree() -> None:
    tree = populated_tree()
    body = encode_snapshot_body(snapshot_sessions(tree), snapshot_nodes(tree))
    sessions, nodes = decode_snapshot_body(body)
    restored = restore(nodes, sessions, tree.last_processed_zxid)
    assert restored.digest() == tree.digest()
    assert restored.get_ephemerals(77) == ("/a/eph",)


def test_truncated_body_is_malformed() -> None:
    tree = populated_tree()
    body = encode_snapshot_body(snapshot_sessions(tree), snapshot_nodes(tree))
    with pytest.raises(MalformedRecord):
        decode_snapshot_body(body[:-3])


def test_nodes_out_of_order_are_refused_by_restore() -> None:
    tree = populated_tree()
    nodes = list(snapshot_nodes(tree))
    body = encode_snapshot_body(snapshot_sessions(tree), [nodes[0], *reversed(nodes[1:])])
    sessions, decoded = decode_snapshot_body(body)
    with pytest.raises(CorruptSnapshot):
        restore(decoded, sessions, tree.last_processed_zxid)
