"""The body of a snapshot file: the session table and every znode, parents before children.

Layout (inside the header/trailer of ``wire.storage_format``)::

    session count int, then per session: id long | timeout int
    node count int, then per node: path ustring | data buffer | acl vector<ACL> | StatPersisted

Nodes come in the order ``tree.snapshot.snapshot_nodes`` yields them (parents first), and
``tree.snapshot.restore`` rebuilds the tree from them and checks that they form one.
"""

from __future__ import annotations

from collections.abc import Iterable

from zabkeeper.tree import records as r
from zabkeeper.tree.snapshot import SnapshotNode
from zabkeeper.wire.codec import DECODERS, ENCODERS
from zabkeeper.wire.jute import JuteReader, JuteWriter, MalformedRecord


def encode_snapshot_body(sessions: Iterable[tuple[int, int]], nodes: Iterable[SnapshotNode]) -> bytes:
    writer = JuteWriter()
    session_list = list(sessions)
    writer.write_int(len(session_list))
    for session_id, timeout in session_list:
        writer.write_long(session_id)
        writer.write_int(timeout)
    count_at = len(writer.out)
    writer.write_int(0)
    count = 0
    write_acl = ENCODERS[r.ACL]
    write_stat = ENCODERS[r.StatPersisted]
    for node in nodes:
        writer.write_ustring(node.path)
        writer.write_buffer(node.data)
        writer.write_vector(list(node.acl), write_acl)
        write_stat(writer, node.stat)
        count += 1
    writer.out[count_at : count_at + 4] = count.to_bytes(4, "big", signed=True)
    return bytes(writer.out)


def decode_snapshot_body(body: bytes) -> tuple[list[tuple[int, int]], list[SnapshotNode]]:
    reader = JuteReader(body)
    session_count = reader.read_int()
    if session_count < 0 or session_count * 12 > reader.remaining():
        raise MalformedRecord(f"bad session count {session_count}")
    sessions = [(reader.read_long(), reader.read_int()) for _ in range(session_count)]
    node_count = reader.read_int()
    if node_count < 1 or node_count > reader.remaining():
        raise MalformedRecord(f"bad node count {node_count}")
    read_acl = DECODERS[r.ACL]
    read_stat = DECODERS[r.StatPersisted]
    nodes = []
    for _ in range(node_count):
        path = reader.read_str()
        data = reader.read_buffer()
        acl = tuple(reader.read_list(read_acl))
        nodes.append(SnapshotNode(path, data, acl, read_stat(reader)))
    reader.expect_end()
    return sessions, nodes
