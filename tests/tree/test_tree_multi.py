"""multi: atomic, ZooKeeper's per-op error reporting, and rollback of pending changes."""

from __future__ import annotations

from tree_harness import TreeHarness

from zabkeeper.tree import records as r
from zabkeeper.tree.acl import OPEN_ACL_UNSAFE
from zabkeeper.tree.constants import Code, EventType, OpCode


def create(path: str, flags: int = 0, op: OpCode = OpCode.create) -> r.MultiOp:
    return r.MultiOp(op, r.CreateRequest(path, b"", OPEN_ACL_UNSAFE, flags))


def delete(path: str, version: int = -1) -> r.MultiOp:
    return r.MultiOp(OpCode.delete, r.DeleteRequest(path, version))


def set_data(path: str, data: bytes, version: int = -1) -> r.MultiOp:
    return r.MultiOp(OpCode.setData, r.SetDataRequest(path, data, version))


def check(path: str, version: int) -> r.MultiOp:
    return r.MultiOp(OpCode.check, r.CheckVersionRequest(path, version))


def error(code: Code) -> r.MultiResult:
    return r.MultiResult(OpCode.error, code, r.ErrorResponse(code))


def test_successful_multi_reports_each_result_type(harness: TreeHarness) -> None:
    harness.create("/x", b"old")
    result = harness.multi(
        create("/a"),
        create("/b", op=OpCode.create2),
        create("/c", op=OpCode.createContainer, flags=4),
        r.MultiOp(OpCode.createTTL, r.CreateTTLRequest("/t", b"", OPEN_ACL_UNSAFE, 5, 100)),
        set_data("/x", b"new", 0),
        check("/x", 1),
        delete("/a"),
    )
    zxid = harness.zxid
    assert result.err == Code.OK
    assert isinstance(result.response, r.MultiResponse)
    results = result.response.results
    assert [(res.type, res.err) for res in results] == [
        (OpCode.create, 0),
        (OpCode.create2, 0),
        (OpCode.create2, 0),
        (OpCode.create2, 0),
        (OpCode.setData, 0),
        (OpCode.check, 0),
        (OpCode.delete, 0),
    ]
    assert results[0].response == r.CreateResponse("/a")
    assert results[1].response == r.Create2Response("/b", harness.stat("/b"))
    assert results[4].response == r.SetDataResponse(harness.stat("/x"))
    assert results[5].response is None and results[6].response is None
    # Every op carries the multi's zxid.
    assert {harness.stat(p).czxid for p in ("/b", "/c", "/t")} == {zxid}
    assert harness.stat("/x").mzxid == zxid
    assert harness.tree.get_node("/a") is None


def test_failed_multi_reports_rolled_back_failing_and_inconsistent(harness: TreeHarness) -> None:
    harness.create("/x")
    before = harness.tree.digest()
    result = harness.multi(create("/a"), set_data("/x", b"v"), check("/x", 5), create("/b"), delete("/x"))
    assert result.err == Code.OK  # the reply header says OK; the ops carry the failure
    assert isinstance(result.response, r.MultiResponse)
    assert result.response.results == (
        error(Code.OK),
        error(Code.OK),
        error(Code.BADVERSION),
        error(Code.RUNTIMEINCONSISTENCY),
        error(Code.RUNTIMEINCONSISTENCY),
    )
    assert result.triggers == ()
    assert harness.tree.digest() == before


def test_failed_multi_txn_shape(harness: TreeHarness) -> None:
    prepared = harness.prepare(OpCode.multi, r.MultiRequest((create("/a"), delete("/missing"), create("/b"))))
    assert prepared.header.type == OpCode.multi
    assert prepared.err == Code.OK
    assert prepared.txn == r.MultiTxn(
        (
            r.Txn(OpCode.create, r.CreateTxn("/a", b"", OPEN_ACL_UNSAFE, False, 1)),
            r.Txn(OpCode.error, r.ErrorTxn(Code.NONODE)),
            r.Txn(OpCode.error, r.ErrorTxn(Code.RUNTIMEINCONSISTENCY)),
        )
    )
    assert len(harness.pending) == 0


def test_ops_see_the_effects_of_earlier_ops(harness: TreeHarness) -> None:
    result = harness.multi(
        create("/p"),
        create("/p/s", flags=2),
        create("/p/s", flags=2),
        set_data("/p", b"1", 0),
        set_data("/p", b"2", 1),
    )
    assert isinstance(result.response, r.MultiResponse)
    assert [res.err for res in result.response.results] == [0] * 5
    assert sorted(harness.tree.nodes["/p"].children) == ["s0000000000", "s0000000001"]
    assert harness.stat("/p").version == 2


def test_rollback_restores_records_of_earlier_pending_txns(harness: TreeHarness) -> None:
    """ZOOKEEPER-1624: a failed multi must give back the parent record an unapplied txn left."""
    harness.create("/p")
    earlier = harness.prepare(OpCode.create, r.CreateRequest("/p/s", b"", OPEN_ACL_UNSAFE, 2))
    failed = harness.prepare(OpCode.multi, r.MultiRequest((create("/p/s", flags=2), delete("/missing"))))
    after = harness.prepare(OpCode.create, r.CreateRequest("/p/s", b"", OPEN_ACL_UNSAFE, 2))
    assert isinstance(earlier.txn, r.CreateTxn) and earlier.txn.path == "/p/s0000000000"
    assert isinstance(after.txn, r.CreateTxn) and after.txn.path == "/p/s0000000001"
    for prepared in (earlier, failed, after):
        harness.commit(prepared)
    assert sorted(harness.tree.nodes["/p"].children) == ["s0000000000", "s0000000001"]
    assert len(harness.pending) == 0


def test_rollback_when_nothing_else_is_pending(harness: TreeHarness) -> None:
    harness.create("/p")
    failed = harness.prepare(OpCode.multi, r.MultiRequest((create("/p/a"), create("/p/a"))))
    assert failed.txn == r.MultiTxn(
        (
            r.Txn(OpCode.create, r.CreateTxn("/p/a", b"", OPEN_ACL_UNSAFE, False, 1)),
            r.Txn(OpCode.error, r.ErrorTxn(Code.NODEEXISTS)),
        )
    )
    assert len(harness.pending) == 0
    assert harness.prepare(OpCode.create, r.CreateRequest("/p/a", b"", OPEN_ACL_UNSAFE, 0)).err == Code.OK


def test_malformed_multi_is_a_marshalling_error(harness: TreeHarness) -> None:
    read_op = r.MultiOp(OpCode.getData, r.GetDataRequest("/", False))
    mismatched = r.MultiOp(OpCode.delete, r.SetDataRequest("/", b"", -1))
    for bad in (read_op, mismatched):
        prepared = harness.prepare(OpCode.multi, r.MultiRequest((create("/a"), bad)))
        assert prepared.header.type == OpCode.error
        assert prepared.err == Code.MARSHALLINGERROR
    wrong_record = harness.prepare(OpCode.multi, r.CreateRequest("/a", b"", OPEN_ACL_UNSAFE, 0))
    assert wrong_record.err == Code.MARSHALLINGERROR
    assert len(harness.pending) == 0


def test_empty_multi(harness: TreeHarness) -> None:
    result = harness.multi()
    assert (result.err, result.response) == (Code.OK, r.MultiResponse(()))


def test_multi_fires_watches_for_every_applied_op(harness: TreeHarness) -> None:
    harness.create("/x")
    result = harness.multi(create("/x/a"), set_data("/x", b"v"))
    assert [(t.path, t.event_type) for t in result.triggers] == [
        ("/x/a", EventType.NodeCreated),
        ("/x", EventType.NodeChildrenChanged),
        ("/x", EventType.NodeDataChanged),
    ]
