"""The DataTree: znodes, their Stat bookkeeping, and the indexes derived from them.

Owns the replicated state of a server: every znode (data, ACL, persisted stat, children), the
ephemeral/container/TTL indexes, and the session table (id -> timeout) that snapshots carry. Only
``tree.apply`` mutates it, txn by txn, so equal txn streams give equal trees on every server.

Two of ZooKeeper's storage quirks are kept because clients can see them:
* the stored ``cversion`` counts child *creations*; clients see ``cversion * 2 - numChildren``
  (every child gone was one create plus one delete), and the sequential suffix is the stored one;
* containers and TTL nodes keep their kind in ``ephemeralOwner`` (EphemeralType) but clients see 0.

The tree starts as a fresh ZooKeeper 3.8 does: "/", "/zookeeper", "/zookeeper/quota" and
"/zookeeper/config" with zeroed stats (so "/" shows cversion -1 and "/zookeeper" -2), the config
node readable by anyone and nothing else (aversion -1).
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple
from typing import NamedTuple

from zabkeeper.tree.acl import OPEN_ACL_UNSAFE, READ_ACL_UNSAFE
from zabkeeper.tree.constants import CONTAINER_EPHEMERAL_OWNER, Code, EventType, ttl_of_ephemeral_owner
from zabkeeper.tree.paths import CONFIG, QUOTA, ROOT, ZOOKEEPER, child_path, is_valid_path, parent_of
from zabkeeper.tree.records import ACL, Stat, StatPersisted

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def int32(value: int) -> int:
    """Java int arithmetic: wrap to a signed 32-bit value."""
    return (value - INT32_MIN) % (1 << 32) + INT32_MIN


def is_normal_ephemeral(ephemeral_owner: int) -> bool:
    """Owned by a session (EphemeralType.NORMAL), as opposed to persistent, container or TTL."""
    return (
        ephemeral_owner != 0
        and ephemeral_owner != CONTAINER_EPHEMERAL_OWNER
        and ttl_of_ephemeral_owner(ephemeral_owner) is None
    )


class WatchTrigger(NamedTuple):
    """What a txn did to a path, for the watch manager: ``event_type`` on ``path`` at ``zxid``.
    (A NamedTuple, like the other values built for every request: several times cheaper to
    build than a frozen dataclass, and as immutable.)"""

    path: str
    event_type: EventType
    zxid: int


class DataNode:
    """One znode. ``cversion`` is the stored one (child creations); see the module docstring."""

    __slots__ = (
        "acl",
        "aversion",
        "children",
        "ctime",
        "cversion",
        "czxid",
        "data",
        "ephemeral_owner",
        "mtime",
        "mzxid",
        "pzxid",
        "version",
    )

    def __init__(
        self,
        data: bytes | None,
        acl: tuple[ACL, ...],
        czxid: int,
        mzxid: int,
        ctime: int,
        mtime: int,
        version: int,
        cversion: int,
        aversion: int,
        ephemeral_owner: int,
        pzxid: int,
    ) -> None:
        self.data = data
        self.acl = acl
        self.czxid = czxid
        self.mzxid = mzxid
        self.ctime = ctime
        self.mtime = mtime
        self.version = version
        self.cversion = cversion
        self.aversion = aversion
        self.ephemeral_owner = ephemeral_owner
        self.pzxid = pzxid
        # Child names in creation order (a dict keeps iteration deterministic; sets do not).
        self.children: dict[str, None] = {}

    @classmethod
    def from_persisted(cls, data: bytes | None, acl: tuple[ACL, ...], stat: StatPersisted) -> DataNode:
        """A node as a snapshot stores it."""
        return cls(
            data, acl, stat.czxid, stat.mzxid, stat.ctime, stat.mtime, stat.version, stat.cversion,
            stat.aversion, stat.ephemeral_owner, stat.pzxid,
        )  # fmt: skip

    @property
    def child_count(self) -> int:
        return len(self.children)

    def stat(self) -> Stat:
        """The Stat a client sees (DataNode.copyStat)."""
        count = len(self.children)
        owner = self.ephemeral_owner
        if owner != 0 and not is_normal_ephemeral(owner):
            owner = 0  # containers and TTL nodes show no owner
        data = self.data
        return Stat(
            self.czxid, self.mzxid, self.ctime, self.mtime, self.version, int32(self.cversion * 2 - count),
            self.aversion, owner, len(data) if data else 0, count, self.pzxid,
        )  # fmt: skip

    def persisted_stat(self) -> StatPersisted:
        return StatPersisted(
            czxid=self.czxid,
            mzxid=self.mzxid,
            ctime=self.ctime,
            mtime=self.mtime,
            version=self.version,
            cversion=self.cversion,
            aversion=self.aversion,
            ephemeral_owner=self.ephemeral_owner,
            pzxid=self.pzxid,
        )


class DataTree:
    """All znodes by path, plus the indexes ZooKeeper derives from them."""

    def __init__(self) -> None:
        self.nodes: dict[str, DataNode] = {}
        self.ephemerals: dict[int, dict[str, None]] = {}
        self.containers: dict[str, None] = {}
        self.ttls: dict[str, None] = {}
        self.sessions: dict[int, int] = {}
        self.last_processed_zxid = 0
        self.nodes[ROOT] = DataNode(b"", OPEN_ACL_UNSAFE, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        for path in (ZOOKEEPER, QUOTA, CONFIG):
            self.nodes[path] = DataNode(b"", OPEN_ACL_UNSAFE, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            self.nodes[parent_of(path)].children[path.rsplit("/", 1)[1]] = None
        config = self.nodes[CONFIG]
        config.acl = READ_ACL_UNSAFE
        config.aversion = -1

    # --- queries -------------------------------------------------------------------------------

    def get_node(self, path: str) -> DataNode | None:
        return self.nodes.get(path)

    def node_count(self) -> int:
        return len(self.nodes)

    def get_ephemerals(self, session_id: int) -> tuple[str, ...]:
        return tuple(self.ephemerals.get(session_id, ()))

    def all_children_number(self, path: str) -> int:
        """Every descendant of ``path`` (getAllChildrenNumber)."""
        node = self.nodes[path]
        total = 0
        stack = [(path, node)]
        while stack:
            parent_path, parent = stack.pop()
            total += len(parent.children)
            for name in parent.children:
                child = child_path(parent_path, name)
                stack.append((child, self.nodes[child]))
        return total

    def check_invariants(self) -> None:
        """Assert that the derived indexes agree with the nodes (for tests and the simulator;
        O(nodes))."""
        assert self.nodes[ROOT].ephemeral_owner == 0
        child_count = 0
        for path, node in self.nodes.items():
            assert is_valid_path(path), path  # prepare skips validating the paths it finds
            for name in node.children:
                assert child_path(path, name) in self.nodes, (path, name)
            child_count += len(node.children)
            if path != ROOT:
                assert path.rsplit("/", 1)[1] in self.nodes[parent_of(path)].children, path
            if is_normal_ephemeral(node.ephemeral_owner):
                assert not node.children, path
                assert path in self.ephemerals.get(node.ephemeral_owner, {}), path
        assert child_count == len(self.nodes) - 1
        indexed = [path for owned in self.ephemerals.values() for path in owned]
        assert all(owned for owned in self.ephemerals.values())
        assert all(
            self.nodes[path].ephemeral_owner == owner
            for owner, owned in self.ephemerals.items()
            for path in owned
        )
        assert len(indexed) == sum(
            1 for node in self.nodes.values() if is_normal_ephemeral(node.ephemeral_owner)
        )
        assert all(self.nodes[path].ephemeral_owner == CONTAINER_EPHEMERAL_OWNER for path in self.containers)
        assert all(ttl_of_ephemeral_owner(self.nodes[path].ephemeral_owner) is not None for path in self.ttls)
        assert len(self.containers) + len(self.ttls) == sum(
            1
            for node in self.nodes.values()
            if node.ephemeral_owner != 0 and not is_normal_ephemeral(node.ephemeral_owner)
        )

    def digest(self) -> str:
        """A hash of everything replicated (nodes, stats, ACLs, sessions), for comparing trees."""
        hasher = hashlib.sha256()
        for path in sorted(self.nodes):
            node = self.nodes[path]
            # Plain ints and strings only: an ACL decoded from the wire (perms an int) and one
            # built from Perms flags are the same ACL and must hash the same.
            acl = tuple((int(entry.perms), entry.id.scheme, entry.id.id) for entry in node.acl)
            stat = tuple(int(value) for value in astuple(node.persisted_stat()))
            hasher.update(repr((path, node.data, acl, stat, tuple(node.children))).encode())
        hasher.update(repr(sorted((int(k), int(v)) for k, v in self.sessions.items())).encode())
        return hasher.hexdigest()

    # --- mutations (called by tree.apply) ------------------------------------------------------

    def set_config(self, data: bytes) -> None:
        """The server's own view of the ensemble config, shown at /zookeeper/config (not a txn:
        ZooKeeper writes it there whenever the quorum configuration changes)."""
        self.nodes[CONFIG].data = data

    def index_owner(self, path: str, owner: int) -> None:
        if owner == 0:
            return  # persistent: nothing to index
        if owner == CONTAINER_EPHEMERAL_OWNER:
            self.containers[path] = None
        elif ttl_of_ephemeral_owner(owner) is not None:
            self.ttls[path] = None
        else:
            self.ephemerals.setdefault(owner, {})[path] = None

    def _unindex_owner(self, path: str, owner: int) -> None:
        if owner == 0:
            return
        if owner == CONTAINER_EPHEMERAL_OWNER:
            self.containers.pop(path, None)
        elif ttl_of_ephemeral_owner(owner) is not None:
            self.ttls.pop(path, None)
        else:
            owned = self.ephemerals.get(owner)
            if owned is not None:
                owned.pop(path, None)
                if not owned:
                    del self.ephemerals[owner]

    def create_node(
        self,
        path: str,
        data: bytes | None,
        acl: tuple[ACL, ...],
        ephemeral_owner: int,
        parent_cversion: int,
        zxid: int,
        time: int,
        triggers: list[WatchTrigger],
    ) -> Code:
        """DataTree.createNode: add ``path`` under its (existing) parent."""
        slash = path.rfind("/")
        assert slash >= 0 and path != ROOT, path
        parent_path = path[:slash] or ROOT
        parent = self.nodes.get(parent_path)
        if parent is None:
            return Code.NONODE
        if path in self.nodes:
            return Code.NODEEXISTS
        if parent_cversion == -1:
            parent_cversion = parent.cversion + 1
        # Only move the parent forward: replaying an older create must not roll it back.
        if parent_cversion > parent.cversion:
            parent.cversion = parent_cversion
            parent.pzxid = zxid
        # DataTree.createStat: a fresh node's stat.
        node = DataNode(data, acl, zxid, zxid, time, time, 0, 0, 0, ephemeral_owner, zxid)
        parent.children[path[slash + 1 :]] = None
        self.nodes[path] = node
        self.index_owner(path, ephemeral_owner)
        triggers.append(WatchTrigger(path, EventType.NodeCreated, zxid))
        triggers.append(WatchTrigger(parent_path, EventType.NodeChildrenChanged, zxid))
        return Code.OK

    def delete_node(self, path: str, zxid: int, triggers: list[WatchTrigger]) -> Code:
        """DataTree.deleteNode: remove a childless ``path``."""
        node = self.nodes.get(path)
        if path == ROOT or node is None:
            return Code.NONODE
        if node.children:
            # ZooKeeper's apply would orphan the children; prepare never lets this through.
            return Code.NOTEMPTY
        slash = path.rfind("/")
        parent_path = path[:slash] or ROOT
        parent = self.nodes[parent_path]
        del parent.children[path[slash + 1 :]]
        if zxid > parent.pzxid:
            parent.pzxid = zxid
        del self.nodes[path]
        self._unindex_owner(path, node.ephemeral_owner)
        triggers.append(WatchTrigger(path, EventType.NodeDeleted, zxid))
        triggers.append(WatchTrigger(parent_path, EventType.NodeChildrenChanged, zxid))
        return Code.OK

    def set_data(
        self, path: str, data: bytes | None, version: int, zxid: int, time: int, triggers: list[WatchTrigger]
    ) -> Code:
        node = self.nodes.get(path)
        if node is None:
            return Code.NONODE
        node.data = data
        node.mtime = time
        node.mzxid = zxid
        node.version = version
        triggers.append(WatchTrigger(path, EventType.NodeDataChanged, zxid))
        return Code.OK

    def set_acl(self, path: str, acl: tuple[ACL, ...], version: int) -> Code:
        node = self.nodes.get(path)
        if node is None:
            return Code.NONODE
        node.acl = acl
        node.aversion = version
        return Code.OK

    def kill_session(
        self, session_id: int, zxid: int, paths: tuple[str, ...], triggers: list[WatchTrigger]
    ) -> None:
        """Close a session: delete the ephemerals the txn lists, then any others it still owns."""
        self.sessions.pop(session_id, None)
        for path in paths:
            self.delete_node(path, zxid, triggers)
        for path in self.get_ephemerals(session_id):
            self.delete_node(path, zxid, triggers)
        assert session_id not in self.ephemerals, session_id
