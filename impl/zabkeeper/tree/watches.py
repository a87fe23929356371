"""Watches: who is told what when a txn changes a path (ZooKeeper's WatchManager, per server).

Watches are local to the server a client is connected to and are never replicated, but the
logic is still pure: ``trigger`` takes the WatchTriggers apply returned and answers which
watcher (an opaque, hashable connection handle chosen by the server) gets which WatcherEvent.

Like ZooKeeper there are two tables. Data watches (getData, exists; an exists on a missing node
is the same entry) fire on NodeCreated, NodeDeleted and NodeDataChanged of their path; child
watches (getChildren) on NodeChildrenChanged of their path and NodeDeleted. A standard watch
fires once and is gone. addWatch's persistent watch sits in both tables and stays; a persistent
recursive watch sits in the data table only and also fires for every descendant (so never with
NodeChildrenChanged). A watcher gets at most one event per trigger, however many of its watches
match. The 4lw reports (wchs/wchc/wchp) cover the data table only, as ZooKeeper's do.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable
from typing import NamedTuple

from zabkeeper.tree.constants import AddWatchMode, EventType, KeeperState, WatcherType
from zabkeeper.tree.datatree import DataTree, WatchTrigger
from zabkeeper.tree.paths import ancestors
from zabkeeper.tree.records import SetWatches2, WatcherEvent

Watcher = Hashable

# WatcherMode bits: one (path, watcher) pair can hold several modes at once.
STANDARD = 1
PERSISTENT = 2
PERSISTENT_RECURSIVE = 4
ANY_MODE = STANDARD | PERSISTENT | PERSISTENT_RECURSIVE


class WatchNotification(NamedTuple):
    """Send ``event`` to ``watcher`` (xid -1); ``zxid`` is the triggering txn's (-1 if none)."""

    watcher: Watcher
    event: WatcherEvent
    zxid: int


def _event(event_type: EventType, path: str) -> WatcherEvent:
    return WatcherEvent(event_type, KeeperState.SyncConnected, path)


class WatchTable:
    """Path -> watcher -> mode bits, and the reverse index for dropping a watcher."""

    def __init__(self) -> None:
        self.by_path: dict[str, dict[Watcher, int]] = {}
        self.by_watcher: dict[Watcher, dict[str, int]] = {}
        self.recursive_count = 0

    def add(self, path: str, watcher: Watcher, mode: int) -> None:
        assert mode in (STANDARD, PERSISTENT, PERSISTENT_RECURSIVE), mode
        old = self.by_path.get(path, {}).get(watcher, 0)
        if mode == PERSISTENT_RECURSIVE and not old & PERSISTENT_RECURSIVE:
            self.recursive_count += 1
        self._store(path, watcher, old | mode)

    def _store(self, path: str, watcher: Watcher, modes: int) -> None:
        if modes:
            self.by_path.setdefault(path, {})[watcher] = modes
            self.by_watcher.setdefault(watcher, {})[path] = modes
            return
        watchers = self.by_path.get(path)
        if watchers is not None:
            watchers.pop(watcher, None)
            if not watchers:
                del self.by_path[path]
        paths = self.by_watcher.get(watcher)
        if paths is not None:
            paths.pop(path, None)
            if not paths:
                del self.by_watcher[watcher]

    def modes(self, path: str, watcher: Watcher) -> int:
        return self.by_path.get(path, {}).get(watcher, 0)

    def remove(self, path: str, watcher: Watcher, mode: int) -> bool:
        """Drop the ``mode`` bits of ``watcher`` on ``path``; True if it had any of them."""
        old = self.modes(path, watcher)
        if not old & mode:
            return False
        if old & mode & PERSISTENT_RECURSIVE:
            self.recursive_count -= 1
        self._store(path, watcher, old & ~mode)
        return True

    def remove_watcher(self, watcher: Watcher) -> None:
        for path in list(self.by_watcher.get(watcher, {})):
            self.remove(path, watcher, ANY_MODE)
        assert watcher not in self.by_watcher

    def trigger(self, path: str, suppress: Collection[Watcher] = ()) -> list[Watcher]:
        """The watchers to tell about a change of ``path``; standard watches on it are used up."""
        watchers = self.by_path.get(path)
        if watchers is None and not self.recursive_count:
            return []  # the common case: nobody watches this path
        fired: dict[Watcher, None] = {}
        if watchers is not None:
            for watcher, modes in list(watchers.items()):
                fired[watcher] = None
                if modes & STANDARD:
                    self._store(path, watcher, modes & ~STANDARD)
        if self.recursive_count:
            for ancestor in ancestors(path):
                for watcher, modes in self.by_path.get(ancestor, {}).items():
                    if modes & PERSISTENT_RECURSIVE:
                        fired[watcher] = None
        return [watcher for watcher in fired if watcher not in suppress]


class WatchManager:
    """All watches of one server."""

    def __init__(self) -> None:
        self.data = WatchTable()
        self.child = WatchTable()

    def add_data_watch(self, path: str, watcher: Watcher) -> None:
        """getData(watch=true), or exists(watch=true) whether the node exists or not."""
        self.data.add(path, watcher, STANDARD)

    def add_child_watch(self, path: str, watcher: Watcher) -> None:
        self.child.add(path, watcher, STANDARD)

    def add_watch(self, path: str, watcher: Watcher, mode: AddWatchMode) -> None:
        """addWatch: a persistent (mode 0) or persistent recursive (mode 1) watch."""
        if mode == AddWatchMode.persistentRecursive:
            self.data.add(path, watcher, PERSISTENT_RECURSIVE)
        else:
            self.data.add(path, watcher, PERSISTENT)
            self.child.add(path, watcher, PERSISTENT)

    def trigger(self, trigger: WatchTrigger) -> list[WatchNotification]:
        """Who hears about ``trigger``, in ZooKeeper's order (data table, then child table)."""
        event_type = trigger.event_type
        if event_type == EventType.NodeChildrenChanged:
            watchers = self.child.trigger(trigger.path)
        else:
            watchers = self.data.trigger(trigger.path)
            if event_type == EventType.NodeDeleted:
                watchers += self.child.trigger(trigger.path, set(watchers) if watchers else ())
        if not watchers:
            return []
        event = _event(event_type, trigger.path)
        return [WatchNotification(watcher, event, trigger.zxid) for watcher in watchers]

    def trigger_all(self, triggers: Iterable[WatchTrigger]) -> list[WatchNotification]:
        return [notification for trigger in triggers for notification in self.trigger(trigger)]

    def contains(self, path: str, watcher_type: WatcherType, watcher: Watcher) -> bool:
        """checkWatches: does ``watcher`` hold a watch of that type on ``path``?"""
        if watcher_type == WatcherType.Children:
            return bool(self.child.modes(path, watcher) & STANDARD)
        if watcher_type == WatcherType.Data:
            return bool(self.data.modes(path, watcher) & STANDARD)
        if watcher_type == WatcherType.Persistent:
            return bool(self.data.modes(path, watcher) & PERSISTENT)
        if watcher_type == WatcherType.PersistentRecursive:
            return bool(self.data.modes(path, watcher) & PERSISTENT_RECURSIVE)
        return bool(self.child.modes(path, watcher) or self.data.modes(path, watcher))

    def remove(self, path: str, watcher_type: WatcherType, watcher: Watcher) -> bool:
        """removeWatches: drop the watches of that type; False means NoWatcher."""
        if watcher_type == WatcherType.Children:
            return self.child.remove(path, watcher, STANDARD)
        if watcher_type == WatcherType.Data:
            return self.data.remove(path, watcher, STANDARD)
        if watcher_type == WatcherType.PersistentRecursive:
            return self.data.remove(path, watcher, PERSISTENT_RECURSIVE)
        mode = PERSISTENT if watcher_type == WatcherType.Persistent else ANY_MODE
        removed_child = self.child.remove(path, watcher, mode)
        removed_data = self.data.remove(path, watcher, mode)
        return removed_child or removed_data

    def remove_watcher(self, watcher: Watcher) -> None:
        """The connection is gone: forget every watch it held."""
        self.data.remove_watcher(watcher)
        self.child.remove_watcher(watcher)

    def set_watches(self, watcher: Watcher, request: SetWatches2, tree: DataTree) -> list[WatchNotification]:
        """setWatches / setWatches2 after a reconnect: re-arm each watch, or fire at once what the
        client missed since ``relative_zxid`` (the last zxid it saw)."""
        relative_zxid = request.relative_zxid
        missed: list[WatcherEvent] = []
        for path in request.data_watches:
            node = tree.get_node(path)
            if node is None:
                missed.append(_event(EventType.NodeDeleted, path))
            elif node.mzxid > relative_zxid:
                missed.append(_event(EventType.NodeDataChanged, path))
            else:
                self.data.add(path, watcher, STANDARD)
        for path in request.exist_watches:
            if tree.get_node(path) is not None:
                missed.append(_event(EventType.NodeCreated, path))
            else:
                self.data.add(path, watcher, STANDARD)
        for path in request.child_watches:
            node = tree.get_node(path)
            if node is None:
                missed.append(_event(EventType.NodeDeleted, path))
            elif node.pzxid > relative_zxid:
                missed.append(_event(EventType.NodeChildrenChanged, path))
            else:
                self.child.add(path, watcher, STANDARD)
        for path in request.persistent_watches:
            self.add_watch(path, watcher, AddWatchMode.persistent)
        for path in request.persistent_recursive_watches:
            self.add_watch(path, watcher, AddWatchMode.persistentRecursive)
        return [WatchNotification(watcher, event, -1) for event in missed]

    # --- 4lw reports (data watches only, as in ZooKeeper) -------------------------------------

    def summary(self) -> tuple[int, int, int]:
        """wchs: (connections, paths, total watches)."""
        total = sum(len(paths) for paths in self.data.by_watcher.values())
        return len(self.data.by_watcher), len(self.data.by_path), total

    def paths_by_watcher(self) -> dict[Watcher, list[str]]:
        """wchc: each watcher's watched paths."""
        return {watcher: list(paths) for watcher, paths in self.data.by_watcher.items()}

    def watchers_by_path(self) -> dict[str, list[Watcher]]:
        """wchp: each watched path's watchers."""
        return {path: list(watchers) for path, watchers in self.data.by_path.items()}
