"""Watches: which event each op fires for which kind of watch, persistent and recursive
watches, removal, setWatches after a reconnect, and the 4lw reports."""

from __future__ import annotations

import pytest
from tree_harness import TreeHarness

from zabkeeper.tree import records as r
from zabkeeper.tree.acl import READ_ACL_UNSAFE
from zabkeeper.tree.constants import AddWatchMode, Code, EventType, OpCode, WatcherType
from zabkeeper.tree.datatree import WatchTrigger
from zabkeeper.tree.watches import WatchManager

CREATED, DELETED, CHANGED, CHILDREN = (
    EventType.NodeCreated,
    EventType.NodeDeleted,
    EventType.NodeDataChanged,
    EventType.NodeChildrenChanged,
)


def arm(harness: TreeHarness, kind: str, path: str, watcher: str = "w1") -> None:
    if kind == "data":
        result = harness.read(OpCode.getData, r.GetDataRequest(path, True), watcher)
        assert result.err == Code.OK
    elif kind == "exist":
        harness.read(OpCode.exists, r.ExistsRequest(path, True), watcher)
    elif kind == "child":
        assert harness.read(OpCode.getChildren, r.GetChildrenRequest(path, True), watcher).err == Code.OK
    elif kind == "persistent":
        harness.read(OpCode.addWatch, r.AddWatchRequest(path, AddWatchMode.persistent), watcher)
    else:
        assert kind == "recursive"
        harness.read(OpCode.addWatch, r.AddWatchRequest(path, AddWatchMode.persistentRecursive), watcher)


@pytest.mark.parametrize(
    ("kind", "watched", "action", "expected"),
    [
        ("exist", "/n/new", "create /n/new", [("/n/new", CREATED)]),
        ("child", "/n", "create /n/new", [("/n", CHILDREN)]),
        ("data", "/n", "create /n/new", []),
        ("data", "/n/c", "set /n/c", [("/n/c", CHANGED)]),
        ("child", "/n/c", "set /n/c", []),
        ("child", "/n", "set /n/c", []),
        ("data", "/n/c", "delete /n/c", [("/n/c", DELETED)]),
        ("child", "/n/c", "delete /n/c", [("/n/c", DELETED)]),
        ("child", "/n", "delete /n/c", [("/n", CHILDREN)]),
        ("data", "/n", "delete /n/c", []),
        ("data", "/n/c", "setacl /n/c", []),
        ("persistent", "/n", "create /n/new", [("/n", CHILDREN)]),
        ("persistent", "/n/c", "set /n/c", [("/n/c", CHANGED)]),
        ("persistent", "/n/c", "delete /n/c", [("/n/c", DELETED)]),
        ("persistent", "/n/new", "create /n/new", [("/n/new", CREATED)]),
        ("persistent", "/n", "set /n/c", []),
        ("recursive", "/n", "create /n/new", [("/n/new", CREATED)]),
        ("recursive", "/", "set /n/c", [("/n/c", CHANGED)]),
        ("recursive", "/n", "delete /n/c", [("/n/c", DELETED)]),
        ("recursive", "/n/c", "set /n", []),
        ("recursive", "/n", "set /n", [("/n", CHANGED)]),
    ],
)
def test_event_per_op_and_watch_kind(
    harness: TreeHarness, kind: str, watched: str, action: str, expected: list[tuple[str, EventType]]
) -> None:
    harness.create("/n")
    harness.create("/n/c")
    arm(harness, kind, watched)
    verb, path = action.split()
    if verb == "create":
        harness.create(path)
    elif verb == "set":
        harness.set_data(path, b"x")
    elif verb == "delete":
        harness.delete(path)
    else:
        harness.set_acl(path, READ_ACL_UNSAFE)
    assert harness.take_notifications() == [("w1", event, p) for p, event in expected]


def test_standard_watches_fire_once_persistent_ones_stay(harness: TreeHarness) -> None:
    harness.create("/n")
    arm(harness, "data", "/n", "once")
    arm(harness, "persistent", "/n", "always")
    harness.set_data("/n", b"1")
    harness.set_data("/n", b"2")
    assert harness.take_notifications() == [
        ("once", CHANGED, "/n"),
        ("always", CHANGED, "/n"),
        ("always", CHANGED, "/n"),
    ]


def test_one_event_per_watcher_per_trigger(harness: TreeHarness) -> None:
    harness.create("/n")
    harness.create("/n/c")
    for kind in ("data", "child", "persistent"):
        arm(harness, kind, "/n/c")
    arm(harness, "recursive", "/")
    arm(harness, "recursive", "/n")
    harness.delete("/n/c")
    assert harness.take_notifications() == [("w1", DELETED, "/n/c")]


def test_notifications_carry_the_txn_zxid_and_sync_connected() -> None:
    watches = WatchManager()
    watches.add_data_watch("/a", "w")
    (notification,) = watches.trigger(WatchTrigger("/a", CHANGED, 42))
    assert notification.zxid == 42
    assert notification.event == r.WatcherEvent(CHANGED, 3, "/a")


def test_exists_on_missing_node_arms_getdata_on_missing_does_not(harness: TreeHarness) -> None:
    assert harness.read(OpCode.exists, r.ExistsRequest("/a", True), "exists").err == Code.NONODE
    assert harness.read(OpCode.getData, r.GetDataRequest("/b", True), "get").err == Code.NONODE
    assert harness.read(OpCode.getChildren, r.GetChildrenRequest("/b", True), "kids").err == Code.NONODE
    harness.create("/a")
    harness.create("/b")
    assert harness.take_notifications() == [("exists", CREATED, "/a")]


def test_check_and_remove_watches(harness: TreeHarness) -> None:
    harness.create("/n")
    arm(harness, "data", "/n")
    arm(harness, "child", "/n")

    def call(op: OpCode, watcher_type: int, watcher: str = "w1") -> Code:
        record = (r.CheckWatchesRequest if op == OpCode.checkWatches else r.RemoveWatchesRequest)(
            "/n", watcher_type
        )
        return harness.read(op, record, watcher).err

    assert call(OpCode.checkWatches, WatcherType.Data) == Code.OK
    assert call(OpCode.checkWatches, WatcherType.Children) == Code.OK
    assert call(OpCode.checkWatches, WatcherType.Any, "w2") == Code.NOWATCHER
    assert call(OpCode.checkWatches, WatcherType.Persistent) == Code.NOWATCHER
    assert call(OpCode.removeWatches, WatcherType.Data) == Code.OK
    assert call(OpCode.removeWatches, WatcherType.Data) == Code.NOWATCHER
    assert call(OpCode.checkWatches, WatcherType.Any) == Code.OK
    assert call(OpCode.removeWatches, WatcherType.Any) == Code.OK
    assert call(OpCode.checkWatches, WatcherType.Any) == Code.NOWATCHER
    assert call(OpCode.checkWatches, 9) == Code.MARSHALLINGERROR
    arm(harness, "persistent", "/n")
    arm(harness, "recursive", "/n")
    arm(harness, "data", "/n")
    assert call(OpCode.removeWatches, WatcherType.Persistent) == Code.OK
    assert call(OpCode.checkWatches, WatcherType.PersistentRecursive) == Code.OK
    assert call(OpCode.checkWatches, WatcherType.Data) == Code.OK
    assert call(OpCode.removeWatches, WatcherType.PersistentRecursive) == Code.OK
    harness.set_data("/n", b"")
    assert harness.take_notifications() == [("w1", CHANGED, "/n")]
    assert harness.watches.data.recursive_count == 0


def test_add_watch_replies_error_response_zero_and_rejects_unknown_modes(harness: TreeHarness) -> None:
    assert harness.read(OpCode.addWatch, r.AddWatchRequest("/x", 0)).response == r.ErrorResponse(0)
    assert harness.read(OpCode.addWatch, r.AddWatchRequest("/x", 2)).err == Code.MARSHALLINGERROR


def test_remove_watcher_forgets_everything(harness: TreeHarness) -> None:
    harness.create("/n")
    for kind in ("data", "child", "persistent", "recursive"):
        arm(harness, kind, "/n", "gone")
    arm(harness, "data", "/n", "stays")
    harness.watches.remove_watcher("gone")
    harness.set_data("/n", b"")
    assert harness.take_notifications() == [("stays", CHANGED, "/n")]
    assert "gone" not in harness.watches.data.by_watcher and "gone" not in harness.watches.child.by_watcher


@pytest.mark.parametrize(
    ("field", "path", "relative", "expected"),
    [
        ("data_watches", "/gone", 0, [(DELETED, "/gone")]),
        ("data_watches", "/n", "before_set", [(CHANGED, "/n")]),
        ("data_watches", "/n", "now", []),
        ("exist_watches", "/n", 0, [(CREATED, "/n")]),
        ("exist_watches", "/gone", 0, []),
        ("child_watches", "/gone", 0, [(DELETED, "/gone")]),
        ("child_watches", "/n", "before_child", [(CHILDREN, "/n")]),
        ("child_watches", "/n", "now", []),
    ],
)
def test_set_watches_relative_zxid(
    harness: TreeHarness, field: str, path: str, relative: object, expected: list[tuple[EventType, str]]
) -> None:
    harness.create("/n")
    before_child = harness.zxid
    harness.create("/n/c")
    before_set = harness.zxid
    harness.set_data("/n", b"changed")
    zxids = {"before_child": before_child, "before_set": before_set, "now": harness.zxid}
    relative_zxid = zxids.get(relative, relative) if isinstance(relative, str) else relative
    lists: dict[str, tuple[str, ...]] = {f: () for f in ("data_watches", "exist_watches", "child_watches")}
    lists[field] = (path,)
    request = r.SetWatches(
        relative_zxid, lists["data_watches"], lists["exist_watches"], lists["child_watches"]
    )
    result = harness.read(OpCode.setWatches, request, "re")
    assert result.err == Code.OK and result.response is None
    assert [(n.event.type, n.event.path) for n in result.notifications] == expected
    assert all(n.zxid == -1 and n.watcher == "re" for n in result.notifications)
    if not expected:  # re-armed: the next change fires it
        if path == "/gone":
            harness.create("/gone")
            assert harness.take_notifications() == [("re", CREATED, "/gone")]
        elif field == "child_watches":
            harness.create("/n/d")
            assert harness.take_notifications() == [("re", CHILDREN, "/n")]
        else:
            harness.set_data("/n", b"again")
            assert harness.take_notifications() == [("re", CHANGED, "/n")]


def test_set_watches2_rearms_persistent_watches(harness: TreeHarness) -> None:
    harness.create("/n")
    request = r.SetWatches2(harness.zxid, (), (), (), ("/n",), ("/",))
    assert harness.read(OpCode.setWatches2, request, "re").notifications == ()
    harness.create("/n/c")
    assert harness.take_notifications() == [("re", CREATED, "/n/c"), ("re", CHILDREN, "/n")]


def test_reports_cover_data_watches_only(harness: TreeHarness) -> None:
    harness.create("/w")
    harness.create("/w/x")
    arm(harness, "child", "/w", "a")
    assert harness.watches.summary() == (0, 0, 0)
    arm(harness, "data", "/w/x", "a")
    arm(harness, "exist", "/w/none", "a")
    arm(harness, "data", "/w/x", "b")
    assert harness.watches.summary() == (2, 2, 3)
    assert harness.watches.paths_by_watcher() == {"a": ["/w/x", "/w/none"], "b": ["/w/x"]}
    assert harness.watches.watchers_by_path() == {"/w/x": ["a", "b"], "/w/none": ["a"]}
