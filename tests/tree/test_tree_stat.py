"""Stat bookkeeping, checked against numbers observed on Debian's ZooKeeper 3.8.0 (kazoo and
zkCli on 127.0.0.1): the fresh tree, cversion/pzxid through creates and deletes, sequential
suffixes, and what clients see of container and TTL owners."""

from __future__ import annotations

from tree_harness import SESSION, TreeHarness

from zabkeeper.tree import records as r
from zabkeeper.tree.acl import OPEN_ACL_UNSAFE, READ_ACL_UNSAFE
from zabkeeper.tree.constants import CONTAINER_EPHEMERAL_OWNER, Code, OpCode, ttl_ephemeral_owner
from zabkeeper.tree.datatree import DataTree, int32


def test_fresh_tree_matches_zookeeper_3_8() -> None:
    tree = DataTree()
    assert sorted(tree.nodes) == ["/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"]
    root = tree.nodes["/"].stat()
    assert (root.cversion, root.num_children, root.czxid, root.pzxid) == (-1, 1, 0, 0)
    zookeeper = tree.nodes["/zookeeper"].stat()
    assert (zookeeper.cversion, zookeeper.num_children) == (-2, 2)
    config = tree.nodes["/zookeeper/config"]
    assert config.stat().aversion == -1
    assert config.acl == READ_ACL_UNSAFE
    assert tree.nodes["/zookeeper/quota"].stat() == r.Stat(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert tree.nodes["/"].acl == OPEN_ACL_UNSAFE
    assert tree.all_children_number("/") == 3


def test_create_sets_every_stat_field(harness: TreeHarness) -> None:
    result = harness.create("/p", b"xyz", op=OpCode.create2)
    zxid, time = harness.zxid, harness.time
    assert result.response == r.Create2Response("/p", r.Stat(zxid, zxid, time, time, 0, 0, 0, 0, 3, 0, zxid))
    assert harness.stat("/p") == r.Stat(zxid, zxid, time, time, 0, 0, 0, 0, 3, 0, zxid)


def test_cversion_and_pzxid_follow_child_creates_and_deletes(harness: TreeHarness) -> None:
    """Replays the observed sequence: (cversion, numChildren) after each step, suffixes 2, 3, 4, 6."""
    harness.create("/q")
    base = harness.zxid
    steps = [
        (lambda: harness.create("/q/a"), None, (1, 1)),
        (lambda: harness.create("/q/b"), None, (2, 2)),
        (lambda: harness.delete("/q/a"), None, (3, 1)),
        (lambda: harness.create("/q/s", flags=2), "/q/s0000000002", (4, 2)),
        (lambda: harness.delete("/q/b"), None, (5, 1)),
        (lambda: harness.create("/q/s", flags=2), "/q/s0000000003", (6, 2)),
        (lambda: harness.create("/q/", flags=2), "/q/0000000004", (7, 3)),
        (
            lambda: harness.multi(
                r.MultiOp(OpCode.create, r.CreateRequest("/q/m", b"", OPEN_ACL_UNSAFE, 0)),
                r.MultiOp(OpCode.delete, r.DeleteRequest("/q/m", -1)),
            ),
            None,
            (9, 3),
        ),
        (lambda: harness.create("/q/s", flags=2), "/q/s0000000006", (10, 4)),
    ]
    for offset, (step, created, (cversion, children)) in enumerate(steps, start=1):
        result = step()
        assert result.err == Code.OK
        if created is not None:
            assert result.response == r.CreateResponse(created)
        stat = harness.stat("/q")
        assert (stat.cversion, stat.num_children, stat.pzxid) == (cversion, children, base + offset)


def test_set_data_and_set_acl_bump_their_own_versions(harness: TreeHarness) -> None:
    harness.create("/p", b"x")
    created = harness.zxid
    result = harness.set_data("/p", b"yy", version=0)
    stat = harness.stat("/p")
    assert result.response == r.SetDataResponse(stat)
    assert (stat.version, stat.mzxid, stat.mtime, stat.data_length, stat.czxid) == (
        1,
        harness.zxid,
        harness.time,
        2,
        created,
    )
    assert (stat.aversion, stat.cversion, stat.pzxid) == (0, 0, created)
    modified = harness.zxid
    result = harness.set_acl("/p", READ_ACL_UNSAFE, version=0)
    stat = harness.stat("/p")
    assert result.response == r.SetACLResponse(stat)
    assert (stat.aversion, stat.version, stat.mzxid) == (1, 1, modified)
    assert harness.tree.nodes["/p"].acl == READ_ACL_UNSAFE


def test_null_and_empty_data_are_kept_apart(harness: TreeHarness) -> None:
    harness.create("/null", None)
    harness.create("/empty", b"")
    assert harness.tree.nodes["/null"].data is None
    assert harness.tree.nodes["/empty"].data == b""
    assert harness.stat("/null").data_length == 0


def test_owners_clients_see(harness: TreeHarness) -> None:
    harness.create("/eph", flags=1)
    harness.create("/c", op=OpCode.createContainer, flags=4)
    harness.create_ttl("/t", ttl=100_000)
    assert harness.stat("/eph").ephemeral_owner == SESSION
    assert harness.stat("/c").ephemeral_owner == 0
    assert harness.stat("/t").ephemeral_owner == 0
    assert harness.tree.nodes["/c"].ephemeral_owner == CONTAINER_EPHEMERAL_OWNER
    assert harness.tree.nodes["/t"].ephemeral_owner == ttl_ephemeral_owner(100_000)
    assert list(harness.tree.containers) == ["/c"]
    assert list(harness.tree.ttls) == ["/t"]
    assert harness.tree.get_ephemerals(SESSION) == ("/eph",)


def test_failed_sequential_creates_do_not_advance_the_suffix(harness: TreeHarness) -> None:
    harness.create("/s")
    assert harness.create("/s/n", flags=2).response == r.CreateResponse("/s/n0000000000")
    assert harness.create("/s/n0000000002").err == Code.OK
    # The next sequential name collides with an existing node: NodeExists, nothing changes.
    assert harness.create("/s/n", flags=2).err == Code.NODEEXISTS
    assert harness.create("/s/n", flags=2).err == Code.NODEEXISTS
    assert harness.create("/s/x", flags=2).response == r.CreateResponse("/s/x0000000002")
    assert harness.create("/s/n", flags=2).response == r.CreateResponse("/s/n0000000003")


def test_versions_wrap_like_java_ints_and_skip_minus_one(harness: TreeHarness) -> None:
    harness.create("/v")
    harness.tree.nodes["/v"].version = 2**31 - 1
    harness.set_data("/v", b"", version=2**31 - 1)
    assert harness.stat("/v").version == -(2**31)
    harness.tree.nodes["/v"].version = -2
    harness.set_data("/v", b"")
    assert harness.stat("/v").version == 0
    assert int32(2**31) == -(2**31)
    assert int32(-(2**31) - 1) == 2**31 - 1


def test_last_processed_zxid_advances_with_every_txn(harness: TreeHarness) -> None:
    harness.create("/a")
    harness.create("/a")  # fails, still a txn
    assert harness.tree.last_processed_zxid == harness.zxid == 2
