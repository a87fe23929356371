"""Watches: which event each op fires for which kind of watch, persistent and recursive
watches, removal, setWatches after a reconnect, and the 4lw reports."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tree_harness import TreeHarness

from zabkeeper.tree import records as r
from zabkeeper.tree.acl import READ_ACL_UNSAFE
from zabkeeper.tree.constants import AddWatchMode, Code, EventType, OpCode, WatcherType
from zabkeeper.tree.datatree import WatchTrigger
from zabkeeper.tree.watches import Watcher, WatchManager, WatchTable

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


def _watch_call(harness: TreeHarness, op: OpCode, watcher_type: int, watcher: str = "w1") -> Code:
    record = (r.CheckWatchesRequest if op == OpCode.checkWatches else r.RemoveWatchesRequest)(
        "/n", watcher_type
    )
    return harness.read(op, record, watcher).err


def test_check_and_remove_watches(harness: TreeHarness) -> None:
    harness.create("/n")
    arm(harness, "data", "/n")
    arm(harness, "child", "/n")
    check, remove = OpCode.checkWatches, OpCode.removeWatches
    assert _watch_call(harness, check, WatcherType.Data) == Code.OK
    assert _watch_call(harness, check, WatcherType.Children) == Code.OK
    assert _watch_call(harness, check, WatcherType.Any, "w2") == Code.NOWATCHER
    assert _watch_call(harness, remove, WatcherType.Data) == Code.OK
    assert _watch_call(harness, remove, WatcherType.Data) == Code.NOWATCHER
    assert _watch_call(harness, check, WatcherType.Any) == Code.OK
    assert _watch_call(harness, remove, WatcherType.Any) == Code.OK
    assert _watch_call(harness, check, WatcherType.Any) == Code.NOWATCHER


@pytest.mark.parametrize("watcher_type", [WatcherType.Persistent, WatcherType.PersistentRecursive, 0, 9])
@pytest.mark.parametrize("op", [OpCode.checkWatches, OpCode.removeWatches])
def test_watch_types_beyond_3_8_are_marshalling_errors(
    harness: TreeHarness, op: OpCode, watcher_type: int
) -> None:
    """3.9's Persistent (4) and PersistentRecursive (5) do not exist in 3.8 (checked against
    3.8.0: MarshallingError), whatever watches the path holds."""
    harness.create("/n")
    arm(harness, "persistent", "/n")
    assert _watch_call(harness, op, watcher_type) == Code.MARSHALLINGERROR
    assert _watch_call(harness, OpCode.checkWatches, WatcherType.Any) == Code.OK


# ZooKeeper 3.8's one mode per (path, watcher) and table, step by step. Each step is an action
# ("arm KIND", "remove TYPE", or a write on a path) with the events it must fire. Every case was
# run against Apache ZooKeeper 3.8.0 with the same steps (tests/server/test_server_differential.py
# runs such sequences at random).
MODE_CASES = {
    "children removal takes the child half of a persistent watch": [
        ("arm persistent", []), ("remove Children", Code.OK), ("set /n", [(CHANGED, "/n")]),
        ("create /n/c", []), ("remove Data", Code.OK), ("remove Any", Code.NOWATCHER),
    ],
    "children removal takes the child half of a recursive watch": [
        ("arm recursive", []), ("remove Children", Code.OK), ("create /n/c", [(CREATED, "/n/c")]),
        ("set /n", [(CHANGED, "/n")]), ("remove Data", Code.OK), ("remove Children", Code.NOWATCHER),
    ],
    "data removal leaves the child half of a recursive watch, which hears deletes": [
        ("arm recursive", []), ("remove Data", Code.OK), ("create /n/c", []),
        ("delete /n/c", [(DELETED, "/n/c")]), ("delete /n", [(DELETED, "/n")]),
    ],
    "an exists watch turns a recursive watch standard in the data table": [
        ("arm recursive", []), ("arm exist", []), ("create /n/c", []), ("set /n", [(CHANGED, "/n")]),
        ("set /n", []), ("delete /n/c", [(DELETED, "/n/c")]), ("remove Children", Code.OK),
        ("remove Any", Code.NOWATCHER),
    ],
    "a data watch turns a persistent watch standard in the data table": [
        ("arm persistent", []), ("arm data", []), ("set /n", [(CHANGED, "/n")]), ("set /n", []),
        ("create /n/c", [(CHILDREN, "/n")]), ("create /n/d", [(CHILDREN, "/n")]),
    ],
    "a persistent watch replaces a recursive one": [
        ("arm recursive", []), ("arm persistent", []), ("create /n/c", [(CHILDREN, "/n")]),
        ("set /n/c", []), ("set /n", [(CHANGED, "/n")]),
    ],
    "a recursive watch replaces a persistent one": [
        ("arm persistent", []), ("arm recursive", []), ("create /n/c", [(CREATED, "/n/c")]),
        ("set /n/c", [(CHANGED, "/n/c")]), ("set /n", [(CHANGED, "/n")]),
    ],
    "a recursive watch replaces a child watch": [
        ("arm child", []), ("arm recursive", []), ("create /n/c", [(CREATED, "/n/c")]),
        ("delete /n/c", [(DELETED, "/n/c")]),
    ],
    "a child watch turns a recursive watch standard in the child table": [
        ("arm recursive", []), ("arm child", []), ("create /n/c", [(CREATED, "/n/c"), (CHILDREN, "/n")]),
        ("create /n/d", [(CREATED, "/n/d")]), ("set /n", [(CHANGED, "/n")]),
    ],
}  # fmt: skip


def _mode_case_mismatch(harness: TreeHarness, case: str) -> str | None:
    """Play MODE_CASES[case] on a fresh /n; the first step whose outcome differs, if any."""
    harness.create("/n")
    for step, (action, expected) in enumerate(MODE_CASES[case]):
        verb, argument = action.split()
        if verb == "arm":
            arm(harness, argument, "/n")
        elif verb == "remove":
            code = _watch_call(harness, OpCode.removeWatches, WatcherType[argument])
            if code != expected:
                return f"step {step} {action}: {code!r}"
            continue
        elif verb == "create":
            harness.create(argument)
        elif verb == "set":
            harness.set_data(argument, b"x")
        else:
            assert verb == "delete", verb
            harness.delete(argument)
        fired = harness.take_notifications()
        if fired != [("w1", event, path) for event, path in expected]:
            return f"step {step} {action}: {fired!r}"
    return None


@pytest.mark.parametrize("case", sorted(MODE_CASES))
def test_one_mode_per_path_and_watcher_as_in_3_8(harness: TreeHarness, case: str) -> None:
    assert _mode_case_mismatch(harness, case) is None
    assert harness.watches.data.recursive_count >= 0 and harness.watches.child.recursive_count >= 0


class _NeverDowngraded(WatchTable):
    """Broken on purpose: a pair keeps the strongest mode it was given (a standard watch does
    not replace a persistent one)."""

    def add(self, path: str, watcher: Watcher, mode: int) -> None:
        super().add(path, watcher, max(mode, self.modes(path, watcher)))


class _RecursiveInDataOnly(WatchManager):
    """Broken on purpose: a recursive watch in the data table only (as this module once had it)."""

    def add_watch(self, path: str, watcher: Watcher, mode: AddWatchMode) -> None:
        super().add_watch(path, watcher, mode)
        if mode == AddWatchMode.persistentRecursive:
            self.child.remove(path, watcher)


def _never_downgraded() -> WatchManager:
    watches = WatchManager()
    watches.data, watches.child = _NeverDowngraded(), _NeverDowngraded()
    return watches


@pytest.mark.parametrize(
    ("broken", "caught"),
    [
        (_never_downgraded, {"an exists watch turns a recursive watch standard in the data table"}),
        (_RecursiveInDataOnly, {"children removal takes the child half of a recursive watch"}),
    ],
)
def test_mode_cases_catch_other_mode_rules(broken: Callable[[], WatchManager], caught: set[str]) -> None:
    mismatches = {
        case for case in MODE_CASES if _mode_case_mismatch(TreeHarness(watches=broken()), case) is not None
    }
    assert caught <= mismatches


def test_recursive_count_follows_mode_changes(harness: TreeHarness) -> None:
    harness.create("/n")
    arm(harness, "recursive", "/n")
    arm(harness, "recursive", "/n")
    assert (harness.watches.data.recursive_count, harness.watches.child.recursive_count) == (1, 1)
    arm(harness, "data", "/n")
    assert (harness.watches.data.recursive_count, harness.watches.child.recursive_count) == (0, 1)
    harness.watches.remove_watcher("w1")
    assert (harness.watches.data.recursive_count, harness.watches.child.recursive_count) == (0, 0)


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
