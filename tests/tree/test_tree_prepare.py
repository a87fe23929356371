"""prepare: ZooKeeper's error for every kind of bad write (the table was observed on Debian's
ZooKeeper 3.8.0 with raw kazoo requests), and preparing against not-yet-applied txns."""

from __future__ import annotations

import pytest
from tree_harness import OTHER_SESSION, SESSION, TreeHarness

from zabkeeper.tree import records as r
from zabkeeper.tree.acl import CREATOR_ALL_ACL, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, SUPER, digest_id
from zabkeeper.tree.constants import Code, OpCode, Perms
from zabkeeper.tree.prepare import ServerOptions, next_version
from zabkeeper.tree.records import ACL, Id

ALICE = Id("digest", digest_id("alice:pw"))


def acl(scheme: str, id_text: str) -> tuple[ACL, ...]:
    return (ACL(Perms.ALL, Id(scheme, id_text)),)


def create(path: str, flags: int = 0, acl_list: tuple[ACL, ...] = OPEN_ACL_UNSAFE) -> tuple[OpCode, object]:
    return OpCode.create, r.CreateRequest(path, b"", acl_list, flags)


OBSERVED_ERRORS = [
    ("create under missing parent", *create("/nope/x"), Code.NONODE),
    ("create existing", *create("/e"), Code.NODEEXISTS),
    ("create root", *create("/"), Code.NODEEXISTS),
    ("create trailing slash", *create("/e/"), Code.BADARGUMENTS),
    ("create double slash", *create("/e//x"), Code.NONODE),
    ("create relative", *create("e/x"), Code.NONODE),
    ("create no slash", *create("e"), Code.BADARGUMENTS),
    ("create dot", *create("/e/."), Code.BADARGUMENTS),
    ("create NUL", *create("/e/a\0"), Code.BADARGUMENTS),
    ("create bad flags", *create("/e/f", flags=9), Code.BADARGUMENTS),
    ("create empty acl", *create("/e/f", acl_list=()), Code.INVALIDACL),
    ("create auth acl unauthenticated", *create("/e/f", acl_list=CREATOR_ALL_ACL), Code.INVALIDACL),
    ("create world:foo", *create("/e/f", acl_list=acl("world", "foo")), Code.INVALIDACL),
    ("create bad digest", *create("/e/f", acl_list=acl("digest", "nocolon")), Code.INVALIDACL),
    ("create bad ip", *create("/e/f", acl_list=acl("ip", "1.2.3.4/33")), Code.INVALIDACL),
    ("create unknown scheme", *create("/e/f", acl_list=acl("foo", "bar")), Code.INVALIDACL),
    ("create under ephemeral", *create("/e/eph/x"), Code.NOCHILDRENFOREPHEMERALS),
    ("create sequential under ephemeral", *create("/e/eph/x", flags=2), Code.NOCHILDRENFOREPHEMERALS),
    ("create missing parent, bad acl", *create("/nope/x", acl_list=()), Code.INVALIDACL),
    ("create with TTL flag", *create("/e/t", flags=5), Code.BADARGUMENTS),
    ("delete not empty", OpCode.delete, r.DeleteRequest("/e", -1), Code.NOTEMPTY),
    ("delete bad version", OpCode.delete, r.DeleteRequest("/e/child", 7), Code.BADVERSION),
    ("delete missing", OpCode.delete, r.DeleteRequest("/e/none", -1), Code.NONODE),
    ("delete missing, bad version", OpCode.delete, r.DeleteRequest("/e/none", 7), Code.NONODE),
    ("delete root", OpCode.delete, r.DeleteRequest("/", -1), Code.BADARGUMENTS),
    ("delete /zookeeper", OpCode.delete, r.DeleteRequest("/zookeeper", -1), Code.BADARGUMENTS),
    ("delete quota", OpCode.delete, r.DeleteRequest("/zookeeper/quota", -1), Code.BADARGUMENTS),
    ("delete config", OpCode.delete, r.DeleteRequest("/zookeeper/config", -1), Code.BADARGUMENTS),
    ("delete trailing slash", OpCode.delete, r.DeleteRequest("/e/child/", -1), Code.NONODE),
    ("delete empty path", OpCode.delete, r.DeleteRequest("", -1), Code.BADARGUMENTS),
    ("setData bad path", OpCode.setData, r.SetDataRequest("/e/", b"", -1), Code.BADARGUMENTS),
    ("setData missing", OpCode.setData, r.SetDataRequest("/e/none", b"", -1), Code.NONODE),
    ("setData bad version", OpCode.setData, r.SetDataRequest("/e/child", b"", 3), Code.BADVERSION),
    ("setData config", OpCode.setData, r.SetDataRequest("/zookeeper/config", b"x", -1), Code.NOAUTH),
    ("setACL missing, empty acl", OpCode.setACL, r.SetACLRequest("/e/none", (), -1), Code.INVALIDACL),
    ("setACL missing", OpCode.setACL, r.SetACLRequest("/e/none", OPEN_ACL_UNSAFE, -1), Code.NONODE),
    ("setACL bad version", OpCode.setACL, r.SetACLRequest("/e/child", OPEN_ACL_UNSAFE, 5), Code.BADVERSION),
    ("setACL config", OpCode.setACL, r.SetACLRequest("/zookeeper/config", OPEN_ACL_UNSAFE, -1), Code.NOAUTH),
    ("check missing", OpCode.check, r.CheckVersionRequest("/e/none", -1), Code.NONODE),
    ("check bad version", OpCode.check, r.CheckVersionRequest("/e/child", 4), Code.BADVERSION),
    ("check bad path", OpCode.check, r.CheckVersionRequest("//", 4), Code.BADARGUMENTS),
    ("record does not fit opcode", OpCode.delete, r.SetDataRequest("/e", b"", -1), Code.MARSHALLINGERROR),
    ("reconfig disabled", OpCode.reconfig, r.ReconfigRequest(None, None, None, -1), Code.RECONFIGDISABLED),
]


@pytest.fixture
def populated(harness: TreeHarness) -> TreeHarness:
    harness.create("/e")
    harness.create("/e/child")
    harness.create("/e/eph", flags=1)
    return harness


@pytest.mark.parametrize(
    ("name", "op", "request_record", "code"), OBSERVED_ERRORS, ids=[c[0] for c in OBSERVED_ERRORS]
)
def test_observed_error_codes(
    populated: TreeHarness, name: str, op: OpCode, request_record: object, code: Code
) -> None:
    before = populated.tree.digest()
    prepared = populated.prepare(op, request_record)
    assert prepared.err == code, name
    assert prepared.header.type == OpCode.error
    assert prepared.txn == r.ErrorTxn(code)
    assert len(populated.pending) == 0
    result = populated.commit(prepared)
    assert (result.err, result.response, result.triggers) == (code, None, ())
    assert populated.tree.digest() == before


def test_header_carries_the_context(harness: TreeHarness) -> None:
    prepared = harness.prepare(*create("/a"), session_id=OTHER_SESSION)
    assert prepared.header == r.TxnHeader(
        OTHER_SESSION, harness.zxid, harness.zxid, harness.time, OpCode.create
    )
    assert prepared.txn == r.CreateTxn("/a", b"", OPEN_ACL_UNSAFE, False, 1)
    assert prepared.err == Code.OK


def test_create_txn_kinds(harness: TreeHarness) -> None:
    def txn_of(op: OpCode, request: object) -> object:
        return harness.prepare(op, request).txn

    data = b"d"
    assert txn_of(OpCode.create2, r.CreateRequest("/e", data, OPEN_ACL_UNSAFE, 1)) == r.CreateTxn(
        "/e", data, OPEN_ACL_UNSAFE, True, 1
    )
    assert txn_of(
        OpCode.createContainer, r.CreateRequest("/c", data, OPEN_ACL_UNSAFE, 4)
    ) == r.CreateContainerTxn("/c", data, OPEN_ACL_UNSAFE, 2)
    assert txn_of(OpCode.createTTL, r.CreateTTLRequest("/t", data, OPEN_ACL_UNSAFE, 6, 5)) == r.CreateTTLTxn(
        "/t0000000002", data, OPEN_ACL_UNSAFE, 3, 5
    )


@pytest.mark.parametrize(
    ("extended", "flags", "ttl", "code"),
    [
        (False, 5, 1000, Code.UNIMPLEMENTED),
        (False, 6, 1000, Code.UNIMPLEMENTED),
        (True, 5, 0, Code.BADARGUMENTS),
        (True, 5, -1, Code.BADARGUMENTS),
        (True, 5, 1 << 40, Code.BADARGUMENTS),
        (True, 5, (1 << 40) - 1, Code.OK),
        (True, 0, 1000, Code.BADARGUMENTS),
        (True, 0, -1, Code.BADARGUMENTS),
        (False, 0, 1000, Code.BADARGUMENTS),
    ],
)
def test_ttl_rules(extended: bool, flags: int, ttl: int, code: Code) -> None:
    harness = TreeHarness(options=ServerOptions(extended_types_enabled=extended))
    result = harness.write(OpCode.createTTL, r.CreateTTLRequest("/t", b"", OPEN_ACL_UNSAFE, flags, ttl))
    assert result.err == code


def test_acl_checks_per_op(harness: TreeHarness) -> None:
    alice = (ALICE,)
    harness.create("/locked", acl=(ACL(Perms.READ, ALICE),))
    harness.create("/nocreate", acl=(ACL(Perms.ALL & ~Perms.CREATE, Id("world", "anyone")),))
    harness.create("/nocreate/child", auth=(SUPER,))
    assert harness.create("/nocreate/x").err == Code.NOAUTH
    assert harness.delete("/nocreate/child").err == Code.OK  # DELETE is checked on the parent
    harness.create("/nodelete", acl=(ACL(Perms.ALL & ~Perms.DELETE, Id("world", "anyone")),))
    harness.create("/nodelete/child")
    assert harness.delete("/nodelete/child").err == Code.NOAUTH
    assert harness.set_data("/locked", b"x").err == Code.NOAUTH
    assert harness.set_data("/locked", b"x", auth=alice).err == Code.NOAUTH
    assert harness.set_acl("/locked", OPEN_ACL_UNSAFE, auth=alice).err == Code.NOAUTH
    assert harness.set_acl("/locked", OPEN_ACL_UNSAFE, auth=(SUPER,)).err == Code.OK
    assert harness.write(OpCode.check, r.CheckVersionRequest("/nodelete", -1)).err == Code.OK


def test_check_needs_read(harness: TreeHarness) -> None:
    harness.create("/w", acl=(ACL(Perms.WRITE, Id("world", "anyone")),))
    assert harness.write(OpCode.check, r.CheckVersionRequest("/w", -1)).err == Code.NOAUTH


def test_creator_acl_expands_to_the_creators_digest(harness: TreeHarness) -> None:
    auth = (Id("ip", "127.0.0.1"), ALICE)
    assert harness.create("/mine", acl=CREATOR_ALL_ACL, auth=auth).err == Code.OK
    assert harness.tree.nodes["/mine"].acl == (ACL(Perms.ALL, ALICE),)


def test_skip_acl_option(harness: TreeHarness) -> None:
    skipping = TreeHarness(options=ServerOptions(skip_acl=True))
    assert skipping.set_data("/zookeeper/config", b"x").err == Code.OK


def test_next_version_rules() -> None:
    assert next_version(0, -1) == 1
    assert next_version(4, 4) == 5
    assert next_version(-2, -1) == 0
    assert next_version(2**31 - 1, -1) == -(2**31)


def test_pipelined_prepares_see_earlier_unapplied_txns(harness: TreeHarness) -> None:
    """A leader prepares N+1 before N is applied; each sees its predecessors' effects."""
    first = harness.prepare(*create("/p"))
    second = harness.prepare(*create("/p/c", flags=2))
    third = harness.prepare(*create("/p/c", flags=2))
    duplicate = harness.prepare(*create("/p"))
    not_empty = harness.prepare(OpCode.delete, r.DeleteRequest("/p", -1))
    set_data = harness.prepare(OpCode.setData, r.SetDataRequest("/p/c0000000000", b"v", 0))
    bad_version = harness.prepare(OpCode.setData, r.SetDataRequest("/p/c0000000000", b"v", 0))
    assert isinstance(second.txn, r.CreateTxn) and second.txn.path == "/p/c0000000000"
    assert isinstance(third.txn, r.CreateTxn) and third.txn.path == "/p/c0000000001"
    assert (duplicate.err, not_empty.err, set_data.err, bad_version.err) == (
        Code.NODEEXISTS,
        Code.NOTEMPTY,
        Code.OK,
        Code.BADVERSION,
    )
    assert harness.tree.get_node("/p") is None
    for prepared in (first, second, third, duplicate, not_empty, set_data, bad_version):
        harness.commit(prepared)
    assert len(harness.pending) == 0
    assert harness.tree.nodes["/p/c0000000000"].data == b"v"
    assert list(harness.tree.nodes["/p"].children) == ["c0000000000", "c0000000001"]


def test_pending_delete_hides_the_node_and_frees_the_parent(harness: TreeHarness) -> None:
    harness.create("/p")
    harness.create("/p/c")
    delete = harness.prepare(OpCode.delete, r.DeleteRequest("/p/c", -1))
    assert harness.prepare(OpCode.setData, r.SetDataRequest("/p/c", b"", -1)).err == Code.NONODE
    delete_parent = harness.prepare(OpCode.delete, r.DeleteRequest("/p", -1))
    assert delete_parent.err == Code.OK
    harness.commit(delete)
    harness.commit(delete_parent)
    assert harness.tree.get_node("/p") is None


def test_pending_set_acl_applies_to_later_requests(harness: TreeHarness) -> None:
    """A revoked permission is enforced before the setACL is applied (no check against stale ACLs)."""
    harness.create("/p")
    revoke = harness.prepare(OpCode.setACL, r.SetACLRequest("/p", READ_ACL_UNSAFE, -1))
    assert revoke.err == Code.OK
    assert harness.prepare(OpCode.setData, r.SetDataRequest("/p", b"", -1)).err == Code.NOAUTH
    stale = harness.prepare(OpCode.setACL, r.SetACLRequest("/p", OPEN_ACL_UNSAFE, 0), auth=(SUPER,))
    assert stale.err == Code.BADVERSION


def test_applied_drops_only_records_up_to_the_zxid(harness: TreeHarness) -> None:
    first = harness.prepare(*create("/a"))
    second = harness.prepare(*create("/a/b"))
    assert len(harness.pending) == 4
    harness.commit(first)
    assert [record.path for record in harness.pending.records()] == ["/a", "/a/b"]
    # /a's newest record (from the second txn) still shadows the tree.
    state = harness.pending.lookup(harness.tree, "/a")
    assert state is not None and state.child_count == 1
    harness.commit(second)
    assert len(harness.pending) == 0


def test_close_session_lists_pending_and_applied_ephemerals(harness: TreeHarness) -> None:
    harness.open_session(SESSION)
    harness.create("/e1", flags=1)
    harness.create("/e2", flags=1)
    harness.create("/other", flags=1, session_id=OTHER_SESSION)
    pending_create = harness.prepare(*create("/e3", flags=1))
    pending_delete = harness.prepare(OpCode.delete, r.DeleteRequest("/e1", -1))
    close = harness.prepare(OpCode.closeSession, r.CloseSessionRequest())
    assert close.txn == r.CloseSessionTxn(("/e2", "/e3"))
    # After the close is prepared, the session's nodes are gone for later requests.
    assert harness.prepare(OpCode.setData, r.SetDataRequest("/e3", b"", -1)).err == Code.NONODE
    for prepared in (pending_create, pending_delete, close):
        harness.commit(prepared)
    assert sorted(harness.tree.nodes) == [
        "/",
        "/other",
        "/zookeeper",
        "/zookeeper/config",
        "/zookeeper/quota",
    ]
    assert SESSION not in harness.tree.sessions
    assert harness.tree.get_ephemerals(SESSION) == ()


def test_create_session_is_a_txn(harness: TreeHarness) -> None:
    prepared = harness.prepare(OpCode.createSession, r.CreateSessionTxn(12_000), session_id=OTHER_SESSION)
    assert prepared.txn == r.CreateSessionTxn(12_000)
    harness.commit(prepared)
    assert harness.tree.sessions == {OTHER_SESSION: 12_000}


def test_delete_container_only_removes_empty_containers_and_ttl_nodes(harness: TreeHarness) -> None:
    harness.create("/c", op=OpCode.createContainer, flags=4)
    harness.create("/c/x")
    harness.create("/plain")
    harness.create("/eph", flags=1)
    harness.create_ttl("/t", 10)

    def reap(path: str) -> Code:
        return harness.write(OpCode.deleteContainer, r.DeleteContainerRequest(path)).err

    assert reap("/c") == Code.NOTEMPTY
    assert reap("/plain") == Code.BADVERSION
    assert reap("/eph") == Code.BADVERSION
    assert reap("/missing") == Code.NONODE
    assert reap("/zookeeper") == Code.BADARGUMENTS
    assert reap("/t") == Code.OK
    harness.delete("/c/x")
    assert reap("/c") == Code.OK
    assert harness.tree.containers == {} and harness.tree.ttls == {}
