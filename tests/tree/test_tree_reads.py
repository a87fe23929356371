"""Reads: ZooKeeper's checks and answers for every op that makes no txn."""

from __future__ import annotations

from tree_harness import OTHER_SESSION, SESSION, TreeHarness

from zabkeeper.tree import records as r
from zabkeeper.tree.acl import OPEN_ACL_UNSAFE, SUPER, digest_id
from zabkeeper.tree.constants import Code, OpCode, Perms
from zabkeeper.tree.records import ACL, Id

ALICE = Id("digest", digest_id("alice:pw"))
LOCAL = Id("ip", "127.0.0.1")


def test_get_data_exists_children(harness: TreeHarness) -> None:
    harness.create("/n", b"data")
    harness.create("/n/a")
    harness.create("/n/b")
    stat = harness.stat("/n")
    assert harness.read(OpCode.getData, r.GetDataRequest("/n", False)).response == r.GetDataResponse(
        b"data", stat
    )
    assert harness.read(OpCode.exists, r.ExistsRequest("/n", False)).response == r.ExistsResponse(stat)
    assert harness.read(
        OpCode.getChildren, r.GetChildrenRequest("/n", False)
    ).response == r.GetChildrenResponse(("a", "b"))
    assert harness.read(
        OpCode.getChildren2, r.GetChildren2Request("/n", False)
    ).response == r.GetChildren2Response(("a", "b"), stat)
    assert harness.read(OpCode.getData, r.GetDataRequest("/n//", False)).err == Code.NONODE
    assert harness.read(OpCode.exists, r.ExistsRequest("n", False)).err == Code.NONODE
    assert harness.read(OpCode.exists, r.ExistsRequest("/n\0", False)).err == Code.BADARGUMENTS


def test_read_permissions(harness: TreeHarness) -> None:
    harness.create("/secret", b"s", acl=(ACL(Perms.WRITE, Id("world", "anyone")), ACL(Perms.READ, ALICE)))
    for op, record in [
        (OpCode.getData, r.GetDataRequest("/secret", False)),
        (OpCode.getChildren, r.GetChildrenRequest("/secret", False)),
        (OpCode.getChildren2, r.GetChildren2Request("/secret", False)),
        (OpCode.getAllChildrenNumber, r.GetAllChildrenNumberRequest("/secret")),
        (OpCode.getACL, r.GetACLRequest("/secret")),
    ]:
        assert harness.read(op, record).err == Code.NOAUTH, op
        assert harness.read(op, record, auth=(ALICE,)).err == Code.OK, op
        assert harness.read(op, record, auth=(SUPER,)).err == Code.OK, op
    # exists is never ACL-checked.
    assert harness.read(OpCode.exists, r.ExistsRequest("/secret", False)).err == Code.OK


def test_get_acl_masks_digests_without_admin(harness: TreeHarness) -> None:
    acl = (ACL(Perms.READ, Id("world", "anyone")), ACL(Perms.ALL, ALICE))
    harness.create("/n", acl=acl)
    masked = harness.read(OpCode.getACL, r.GetACLRequest("/n"))
    assert isinstance(masked.response, r.GetACLResponse)
    assert masked.response.acl == (acl[0], ACL(Perms.ALL, Id("digest", "alice:x")))
    full = harness.read(OpCode.getACL, r.GetACLRequest("/n"), auth=(ALICE,))
    assert full.response == r.GetACLResponse(acl, harness.stat("/n"))
    harness.create("/admin", acl=(ACL(Perms.ADMIN, Id("world", "anyone")),))
    assert harness.read(OpCode.getACL, r.GetACLRequest("/admin")).err == Code.OK


def test_all_children_number_counts_descendants(harness: TreeHarness) -> None:
    harness.create("/a")
    harness.create("/a/b")
    harness.create("/a/b/c")
    harness.create("/a/d")

    def count(path: str) -> object:
        return harness.read(OpCode.getAllChildrenNumber, r.GetAllChildrenNumberRequest(path)).response

    assert count("/a") == r.GetAllChildrenNumberResponse(3)
    assert count("/a/b/c") == r.GetAllChildrenNumberResponse(0)
    assert count("/") == r.GetAllChildrenNumberResponse(7)  # includes the three /zookeeper nodes
    assert harness.read(OpCode.getAllChildrenNumber, r.GetAllChildrenNumberRequest("/x")).err == Code.NONODE


def test_get_ephemerals_by_session_and_prefix(harness: TreeHarness) -> None:
    harness.create("/app")
    harness.create("/app/e1", flags=1)
    harness.create("/app/e2", flags=3)
    harness.create("/apple", flags=1)
    harness.create("/other", flags=1, session_id=OTHER_SESSION)

    def ephemerals(prefix: str, session_id: int = SESSION) -> object:
        result = harness.read(OpCode.getEphemerals, r.GetEphemeralsRequest(prefix), session_id=session_id)
        assert isinstance(result.response, r.GetEphemeralsResponse)
        return sorted(result.response.ephemerals)

    every = ["/app/e1", "/app/e20000000001", "/apple"]
    assert ephemerals("") == every
    assert ephemerals("/") == every
    assert ephemerals(" / ") == every
    assert ephemerals("/app") == every
    assert ephemerals("/app/") == ["/app/e1", "/app/e20000000001"]
    assert ephemerals("/nothing") == []
    assert ephemerals("", OTHER_SESSION) == ["/other"]


def test_who_am_i_sync_and_unknown_ops(harness: TreeHarness) -> None:
    result = harness.read(OpCode.whoAmI, r.WhoAmIRequest(), auth=(LOCAL, ALICE))
    assert result.response == r.WhoAmIResponse(
        (r.ClientInfo("ip", "127.0.0.1"), r.ClientInfo("digest", "alice"))
    )
    assert harness.read(OpCode.sync, r.SyncRequest("any//thing")).response == r.SyncResponse("any//thing")
    assert harness.read(OpCode.getData, r.SyncRequest("/")).err == Code.MARSHALLINGERROR


def test_multi_read_is_not_atomic(harness: TreeHarness) -> None:
    harness.create("/a", b"1")
    harness.create("/a/b")
    harness.create("/locked", acl=(ACL(Perms.WRITE, Id("world", "anyone")),))
    request = r.MultiReadRequest(
        (
            r.MultiReadOp(OpCode.getData, r.GetDataRequest("/a", True)),
            r.MultiReadOp(OpCode.getChildren, r.GetChildrenRequest("/missing", False)),
            r.MultiReadOp(OpCode.getData, r.GetDataRequest("/locked", False)),
            r.MultiReadOp(OpCode.getChildren, r.GetChildrenRequest("/a", False)),
        )
    )
    result = harness.read(OpCode.multiRead, request)
    assert result.err == Code.OK
    assert result.response == r.MultiResponse(
        (
            r.MultiResult(OpCode.getData, Code.OK, r.GetDataResponse(b"1", harness.stat("/a"))),
            r.MultiResult(OpCode.error, Code.NONODE, r.ErrorResponse(Code.NONODE)),
            r.MultiResult(OpCode.error, Code.NOAUTH, r.ErrorResponse(Code.NOAUTH)),
            r.MultiResult(OpCode.getChildren, Code.OK, r.GetChildrenResponse(("b",))),
        )
    )
    harness.set_data("/a", b"2")
    assert harness.take_notifications() == [("w1", 3, "/a")]  # the watch flag is honoured
    mixed = r.MultiReadRequest((r.MultiReadOp(OpCode.exists, r.GetDataRequest("/a", False)),))
    assert harness.read(OpCode.multiRead, mixed).err == Code.MARSHALLINGERROR


def test_reads_see_applied_state_only(harness: TreeHarness) -> None:
    harness.prepare(OpCode.create, r.CreateRequest("/pending", b"", OPEN_ACL_UNSAFE, 0))
    assert harness.read(OpCode.exists, r.ExistsRequest("/pending", False)).err == Code.NONODE
