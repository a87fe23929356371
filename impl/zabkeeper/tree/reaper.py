"""The container reaper and TTL expiry (ZooKeeper's ContainerManager.getCandidates).

A container that has had children and is now empty, and a TTL node left unmodified and childless
for longer than its ttl, are removed by the server itself: it calls ``reap_candidates``
periodically with the current time and submits each returned request through ``prepare``
(opcode deleteContainer), which re-checks it against pending changes, so a child created in the
meantime saves the node (NotEmpty) and nothing but containers and TTL nodes is ever reaped.
"""

from __future__ import annotations

from zabkeeper.tree.constants import CONTAINER_EPHEMERAL_OWNER, ttl_of_ephemeral_owner
from zabkeeper.tree.datatree import DataTree
from zabkeeper.tree.records import DeleteContainerRequest


def reap_candidates(
    tree: DataTree, now_ms: int, max_never_used_interval_ms: int = 0
) -> list[DeleteContainerRequest]:
    """deleteContainer requests for every node due for removal at ``now_ms``, in path order.

    A container never given a child (stored cversion 0) is kept, unless
    ``max_never_used_interval_ms`` (znode.container.maxNeverUsedIntervalMs, 0 = never) has passed
    since its last modification; that keeps a fresh container alive until its first child.
    """
    assert max_never_used_interval_ms >= 0, max_never_used_interval_ms
    due: list[str] = []
    for path in tree.containers:
        node = tree.nodes[path]
        assert node.ephemeral_owner == CONTAINER_EPHEMERAL_OWNER, path
        if node.children:
            continue
        idle_ms = now_ms - node.mtime
        if node.cversion > 0 or (max_never_used_interval_ms != 0 and idle_ms > max_never_used_interval_ms):
            due.append(path)
    for path in tree.ttls:
        node = tree.nodes[path]
        ttl = ttl_of_ephemeral_owner(node.ephemeral_owner)
        assert ttl is not None, path
        if not node.children and ttl != 0 and now_ms - node.mtime > ttl:
            due.append(path)
    return [DeleteContainerRequest(path) for path in sorted(due)]
