"""Gather what the four-letter words report from a running ZooKeeperServer (see ``four_letter``)."""

from __future__ import annotations

import os
import platform
import socket
import sys
import time

from zabkeeper.config import ConfRuntime
from zabkeeper.server.four_letter import ConnectionInfo, ServerFacts
from zabkeeper.server.zk_server import ConnectionState, ZooKeeperServer
from zabkeeper.tree.constants import OpCode

# ZooKeeper's short names for the last operation of a connection (``cons`` lop=).
_OP_NAMES: dict[int, str] = {
    OpCode.create: "CREA", OpCode.create2: "CREA", OpCode.delete: "DELE", OpCode.exists: "EXIS",
    OpCode.getData: "GETD", OpCode.setData: "SETD", OpCode.getACL: "GETA", OpCode.setACL: "SETA",
    OpCode.getChildren: "GETC", OpCode.getChildren2: "GETC", OpCode.sync: "SYNC", OpCode.ping: "PING",
    OpCode.multi: "MULT", OpCode.closeSession: "CLOS", OpCode.auth: "AUTH", OpCode.sasl: "SASL",
}  # fmt: skip


def _environment() -> list[tuple[str, str]]:
    return [
        ("host.name", socket.gethostname()),
        ("python.version", sys.version.split()[0]),
        ("python.implementation", platform.python_implementation()),
        ("os.name", platform.system()),
        ("os.arch", platform.machine()),
        ("os.version", platform.release()),
        ("user.name", os.environ.get("USER", "")),
        ("user.dir", os.getcwd()),
    ]


def _timeout(zk: ZooKeeperServer, session_id: int | None) -> int:
    timeout = None if session_id is None else zk.tracker.timeout_of(session_id)
    return timeout or 0


def gather_facts(
    zk: ZooKeeperServer, outstanding: int, conf: str, runtime: ConfRuntime, uptime_ms: int
) -> ServerFacts:
    connections = []
    for connection in sorted(zk.connections, key=lambda c: c.remote):
        state: ConnectionState = connection.state
        connections.append(
            ConnectionInfo(
                remote=connection.remote,
                queued=connection.outstanding(),
                received=connection.received,
                sent=connection.sent,
                session_id=state.session_id,
                timeout_ms=zk.tracker.timeout_of(state.session_id) or 0
                if state.session_id is not None
                else 0,
                last_cxid=connection.last_cxid & 0xFFFFFFFF,
                last_zxid=connection.last_zxid,
                last_op=_OP_NAMES.get(connection.last_opcode, "NA"),
                established_ms=connection.established_ms,
            )
        )
    watches: dict[int, list[str]] = {}
    for watcher, paths in zk.watches.paths_by_watcher().items():
        owner = getattr(watcher, "state", None)
        if isinstance(owner, ConnectionState) and owner.session_id is not None:
            watches.setdefault(owner.session_id, []).extend(paths)
    wall_offset_ms = int(time.time() * 1000) - int(time.monotonic() * 1000)
    expiry = {
        session_id: (zk.tracker.expiry_of(session_id) or 0) + wall_offset_ms
        for session_id in zk.tree.sessions
    }
    ephemerals = {session_id: list(paths) for session_id, paths in zk.tree.ephemerals.items()}
    return ServerFacts(
        mode="standalone",
        last_zxid=zk.tree.last_processed_zxid,
        node_count=zk.tree.node_count(),
        outstanding=outstanding,
        stats=zk.stats,
        connections=connections,
        conf=conf,
        environment=_environment(),
        watches_by_session=watches,
        ephemerals_by_session=ephemerals,
        session_expiry_ms=expiry,
        data_dir_bytes=runtime.snap_dir_size,
        log_dir_bytes=runtime.log_dir_size,
        uptime_ms=uptime_ms,
    )
