"""Helpers for the zabkeeper.tree tests: a harness that plays a standalone server's write
and read paths (prepare, apply, pending changes, watches) with a counting zxid and clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from zabkeeper.tree import records as r
from zabkeeper.tree.acl import OPEN_ACL_UNSAFE
from zabkeeper.tree.apply import ApplyResult, apply
from zabkeeper.tree.constants import OpCode
from zabkeeper.tree.datatree import DataTree
from zabkeeper.tree.pending import PendingChanges
from zabkeeper.tree.prepare import PreparedTxn, RequestContext, ServerOptions, WriteRequest, prepare
from zabkeeper.tree.reads import ReadContext, ReadRequest, ReadResult, read
from zabkeeper.tree.snapshot import restore, snapshot_nodes, snapshot_sessions
from zabkeeper.tree.watches import WatchManager, WatchNotification

SESSION = 0x0100_0000_0000_0001
OTHER_SESSION = 0x0100_0000_0000_0002


@dataclass
class TreeHarness:
    options: ServerOptions = field(default_factory=lambda: ServerOptions(extended_types_enabled=True))
    tree: DataTree = field(default_factory=DataTree)
    pending: PendingChanges = field(default_factory=PendingChanges)
    watches: WatchManager = field(default_factory=WatchManager)
    zxid: int = 0
    time: int = 1_000_000
    notifications: list[WatchNotification] = field(default_factory=list)

    def context(self, session_id: int = SESSION, auth: tuple[r.Id, ...] = ()) -> RequestContext:
        self.zxid += 1
        self.time += 1
        return RequestContext(session_id, self.zxid, self.zxid, self.time, auth, self.options)

    def prepare(
        self, op: OpCode, request: WriteRequest, session_id: int = SESSION, auth: tuple[r.Id, ...] = ()
    ) -> PreparedTxn:
        return prepare(op, request, self.context(session_id, auth), self.tree, self.pending)

    def commit(self, prepared: PreparedTxn) -> ApplyResult:
        result = apply(self.tree, prepared.header, prepared.txn)
        self.tree.check_invariants()
        self.pending.applied(prepared.header.zxid)
        self.notifications.extend(self.watches.trigger_all(result.triggers))
        return result

    def write(
        self, op: OpCode, request: WriteRequest, session_id: int = SESSION, auth: tuple[r.Id, ...] = ()
    ) -> ApplyResult:
        return self.commit(self.prepare(op, request, session_id, auth))

    def create(
        self,
        path: str,
        data: bytes | None = b"",
        flags: int = 0,
        acl: tuple[r.ACL, ...] = OPEN_ACL_UNSAFE,
        op: OpCode = OpCode.create,
        session_id: int = SESSION,
        auth: tuple[r.Id, ...] = (),
    ) -> ApplyResult:
        return self.write(op, r.CreateRequest(path, data, acl, flags), session_id, auth)

    def create_ttl(self, path: str, ttl: int, flags: int = 5) -> ApplyResult:
        return self.write(OpCode.createTTL, r.CreateTTLRequest(path, b"", OPEN_ACL_UNSAFE, flags, ttl))

    def delete(self, path: str, version: int = -1, auth: tuple[r.Id, ...] = ()) -> ApplyResult:
        return self.write(OpCode.delete, r.DeleteRequest(path, version), auth=auth)

    def set_data(
        self, path: str, data: bytes | None, version: int = -1, auth: tuple[r.Id, ...] = ()
    ) -> ApplyResult:
        return self.write(OpCode.setData, r.SetDataRequest(path, data, version), auth=auth)

    def set_acl(
        self, path: str, acl: tuple[r.ACL, ...], version: int = -1, auth: tuple[r.Id, ...] = ()
    ) -> ApplyResult:
        return self.write(OpCode.setACL, r.SetACLRequest(path, acl, version), auth=auth)

    def multi(self, *ops: r.MultiOp) -> ApplyResult:
        return self.write(OpCode.multi, r.MultiRequest(tuple(ops)))

    def open_session(self, session_id: int, timeout: int = 30_000) -> ApplyResult:
        return self.write(OpCode.createSession, r.CreateSessionTxn(timeout), session_id)

    def close_session(self, session_id: int) -> ApplyResult:
        return self.write(OpCode.closeSession, r.CloseSessionRequest(), session_id)

    def read(
        self,
        op: OpCode,
        request: ReadRequest,
        watcher: object = "w1",
        session_id: int = SESSION,
        auth: tuple[r.Id, ...] = (),
    ) -> ReadResult:
        return read(op, request, ReadContext(session_id, auth), self.tree, self.watches, watcher)

    def stat(self, path: str) -> r.Stat:
        node = self.tree.get_node(path)
        assert node is not None, path
        return node.stat()

    def take_notifications(self) -> list[tuple[object, int, str]]:
        taken = [(n.watcher, n.event.type, n.event.path) for n in self.notifications]
        self.notifications.clear()
        return taken


def assert_trees_equal(left: DataTree, right: DataTree) -> None:
    """Everything replicated and everything derived from it, including child order."""
    left.check_invariants()
    right.check_invariants()
    assert left.digest() == right.digest()
    assert sorted(left.nodes) == sorted(right.nodes)
    for path, node in left.nodes.items():
        other = right.nodes[path]
        assert list(node.children) == list(other.children), path
        assert node.stat() == other.stat(), path
    assert {k: sorted(v) for k, v in left.ephemerals.items()} == {
        k: sorted(v) for k, v in right.ephemerals.items()
    }
    assert sorted(left.containers) == sorted(right.containers)
    assert sorted(left.ttls) == sorted(right.ttls)
    assert left.sessions == right.sessions
    assert left.last_processed_zxid == right.last_processed_zxid


def round_trip(tree: DataTree) -> DataTree:
    return restore(list(snapshot_nodes(tree)), snapshot_sessions(tree), tree.last_processed_zxid)
