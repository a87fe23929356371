"""Container reaper and TTL expiry candidates, and their re-check in prepare."""

from __future__ import annotations

from tree_harness import TreeHarness

from zabkeeper.tree import records as r
from zabkeeper.tree.acl import OPEN_ACL_UNSAFE
from zabkeeper.tree.constants import Code, OpCode
from zabkeeper.tree.reaper import reap_candidates


def paths(harness: TreeHarness, now_ms: int, never_used_ms: int = 0) -> list[str]:
    return [request.path for request in reap_candidates(harness.tree, now_ms, never_used_ms)]


def test_containers_are_reaped_once_their_last_child_goes(harness: TreeHarness) -> None:
    harness.create("/c", op=OpCode.createContainer, flags=4)
    created = harness.time
    assert paths(harness, created + 10**9) == []  # never had a child
    assert paths(harness, created + 10, never_used_ms=5) == ["/c"]
    assert paths(harness, created + 5, never_used_ms=5) == []
    harness.create("/c/child")
    assert paths(harness, created + 10**9) == []
    harness.delete("/c/child")
    assert paths(harness, harness.time) == ["/c"]
    (request,) = reap_candidates(harness.tree, harness.time)
    assert harness.write(OpCode.deleteContainer, request).err == Code.OK
    assert harness.tree.get_node("/c") is None


def test_ttl_nodes_expire_after_ttl_since_last_modification(harness: TreeHarness) -> None:
    harness.create_ttl("/t", ttl=100)
    assert paths(harness, harness.time + 100) == []
    assert paths(harness, harness.time + 101) == ["/t"]
    harness.set_data("/t", b"touch")
    touched = harness.time
    assert paths(harness, touched + 100) == []
    harness.create("/t/child")
    assert paths(harness, touched + 10**6) == []


def test_a_child_created_meanwhile_saves_the_container(harness: TreeHarness) -> None:
    harness.create("/c", op=OpCode.createContainer, flags=4)
    harness.create("/c/x")
    harness.delete("/c/x")
    (request,) = reap_candidates(harness.tree, harness.time)
    harness.prepare(OpCode.create, r.CreateRequest("/c/y", b"", OPEN_ACL_UNSAFE, 0))
    assert harness.prepare(OpCode.deleteContainer, request).err == Code.NOTEMPTY


def test_candidates_come_in_path_order(harness: TreeHarness) -> None:
    for path in ("/z", "/a", "/m"):
        harness.create_ttl(path, ttl=1)
    assert paths(harness, harness.time + 2) == ["/a", "/m", "/z"]
