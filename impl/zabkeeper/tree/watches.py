"""Watches: who is told what when a txn changes a path (ZooKeeper 3.8's WatchManager, per server).

Watches are local to the server a client is connected to and are never replicated, but the
logic is still pure: ``trigger`` takes the WatchTriggers apply returned and answers which
watcher (an opaque, hashable connection handle chosen by the server) gets which WatcherEvent.

Like ZooKeeper there are two tables. Data watches (getData, exists; an exists on a missing node
is the same entry) fire on NodeCreated, NodeDeleted and NodeDataChanged of their path; child
watches (getChildren) on NodeChildrenChanged of their path and NodeDeleted. A standard watch
fires once and is gone. addWatch puts a persistent or persistent recursive watch in both
tables; it stays after firing, and a recursive one also fires for every descendant, but never
with NodeChildrenChanged. A watcher gets at most one event per trigger, however many of its
watches match. The 4lw reports (wchs/wchc/wchp) cover the data table only, as ZooKeeper's do.

ZooKeeper 3.8 keeps one mode per (path, watcher) in each table (its WatcherModeManager), and
so does this module, with the consequences clients of 3.8 see: the last watch set wins (an
exists watch on a path with a persistent recursive watch turns it into a standard one in the
data table, while the child table keeps the recursive one), and removeWatches of type Children
or Data removes whatever that table holds for the path, the half of a persistent watch included.
ZooKeeper 3.9 keeps several modes per path (ZOOKEEPER-4466) and adds the removal types
Persistent and PersistentRecursive, which 3.8 refuses. One 3.8 behaviour is not copied:
its checkWatches answers yes when *any* connection watches the path; here only the asking
watcher's own watches count (3.9 checks the watcher too).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable
from typing import NamedTuple

from zabkeeper.tree.constants import AddWatchMode, EventType, KeeperState, WatcherType
from zabkeeper.tree.datatree import DataTree, WatchTrigger
from zabkeeper.tree.paths import ancestors
from zabkeeper.tree.records import SetWatches2, WatcherEvent

Watcher = Hashable

# WatcherMode: the one mode a (path, watcher) pair holds in a table.
STANDARD = 1
PERSISTENT = 2
PERSISTENT_RECURSIVE = 3
WATCHER_MODES = (STANDARD, PERSISTENT, PERSISTENT_RECURSIVE)


class WatchNotification(NamedTuple):
    """Send ``event`` to ``watcher`` (xid -1); ``zxid`` is the triggering txn's (-1 if none)."""

    watcher: Watcher
    event: WatcherEvent
    zxid: int


def _event(event_type: EventType, path: str) -> WatcherEvent:
    return WatcherEvent(event_type, KeeperState.SyncConnected, path)


class WatchTable:
    """Path -> watcher -> mode, the reverse index for dropping a watcher, and the number of
    recursive watches (while there are none, a trigger looks at its own path only)."""

    def __init__(self) -> None:
        self.by_path: dict[str, dict[Watcher, int]] = {}
        self.by_watcher: dict[Watcher, dict[str, int]] = {}
        self.recursive_count = 0

    def add(self, path: str, watcher: Watcher, mode: int) -> None:
        """Watch ``path`` in ``mode``, replacing whatever mode the pair held."""
        assert mode in WATCHER_MODES, mode
        old = self.modes(path, watcher)
        self.recursive_count += (mode == PERSISTENT_RECURSIVE) - (old == PERSISTENT_RECURSIVE)
        self.by_path.setdefault(path, {})[watcher] = mode
        self.by_watcher.setdefault(watcher, {})[path] = mode
        assert self.recursive_count >= 0, self.recursive_count

    def modes(self, path: str, watcher: Watcher) -> int:
        """The mode ``watcher`` holds on ``path``, 0 if none."""
        return self.by_path.get(path, {}).get(watcher, 0)

    def remove(self, path: str, watcher: Watcher) -> bool:
        """Drop the watch of ``watcher`` on ``path``, whatever its mode; True if there was one."""
        watchers = self.by_path.get(path)
        if watchers is None or watcher not in watchers:
            return False
        if watchers.pop(watcher) == PERSISTENT_RECURSIVE:
            self.recursive_count -= 1
        if not watchers:
            del self.by_path[path]
        paths = self.by_watcher[watcher]
        del paths[path]
        if not paths:
            del self.by_watcher[watcher]
        return True

    def remove_watcher(self, watcher: Watcher) -> None:
        for path in list(self.by_watcher.get(watcher, {})):
            self.remove(path, watcher)
        assert watcher not in self.by_watcher

    def trigger(self, path: str, event_type: EventType, suppress: Collection[Watcher] = ()) -> list[Watcher]:
        """The watchers to tell about ``event_type`` on ``path`` (WatchManager.triggerWatch);
        standard watches on the path are used up."""
        watchers = self.by_path.get(path)
        if watchers is None and not self.recursive_count:
            return []  # the common case: nobody watches this path
        children_changed = event_type == EventType.NodeChildrenChanged
        fired: dict[Watcher, None] = {}
        if watchers is not None:
            for watcher, mode in list(watchers.items()):
                if mode != PERSISTENT_RECURSIVE:
                    fired[watcher] = None
                    if mode == STANDARD:
                        self.remove(path, watcher)
                elif not children_changed:
                    fired[watcher] = None
        if self.recursive_count and not children_changed:
            for ancestor in ancestors(path):
                for watcher, mode in self.by_path.get(ancestor, {}).items():
                    if mode == PERSISTENT_RECURSIVE:
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
        """addWatch: a persistent (mode 0) or persistent recursive (mode 1) watch, in both tables."""
        watcher_mode = PERSISTENT_RECURSIVE if mode == AddWatchMode.persistentRecursive else PERSISTENT
        self.data.add(path, watcher, watcher_mode)
        self.child.add(path, watcher, watcher_mode)

    def trigger(self, trigger: WatchTrigger) -> list[WatchNotification]:
        """Who hears about ``trigger``, in ZooKeeper's order (data table, then child table)."""
        event_type = trigger.event_type
        if event_type == EventType.NodeChildrenChanged:
            watchers = self.child.trigger(trigger.path, event_type)
        else:
            watchers = self.data.trigger(trigger.path, event_type)
            if event_type == EventType.NodeDeleted:
                watchers += self.child.trigger(trigger.path, event_type, set(watchers) if watchers else ())
        if not watchers:
            return []
        event = _event(event_type, trigger.path)
        return [WatchNotification(watcher, event, trigger.zxid) for watcher in watchers]

    def trigger_all(self, triggers: Iterable[WatchTrigger]) -> list[WatchNotification]:
        return [notification for trigger in triggers for notification in self.trigger(trigger)]

    def contains(self, path: str, watcher_type: WatcherType, watcher: Watcher) -> bool:
        """checkWatches: does ``watcher`` hold a watch (of any mode) on ``path`` in the table
        ``watcher_type`` names (Children, Data, or Any for either)?"""
        assert watcher_type in (WatcherType.Children, WatcherType.Data, WatcherType.Any), watcher_type
        in_child = watcher_type != WatcherType.Data and self.child.modes(path, watcher) != 0
        in_data = watcher_type != WatcherType.Children and self.data.modes(path, watcher) != 0
        return in_child or in_data

    def remove(self, path: str, watcher_type: WatcherType, watcher: Watcher) -> bool:
        """removeWatches: drop what the named table(s) hold for ``watcher`` on ``path``, whatever
        the mode (so Children or Data removes one half of a persistent watch); False means
        NoWatcher."""
        assert watcher_type in (WatcherType.Children, WatcherType.Data, WatcherType.Any), watcher_type
        removed_child = watcher_type != WatcherType.Data and self.child.remove(path, watcher)
        removed_data = watcher_type != WatcherType.Children and self.data.remove(path, watcher)
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
