"""Four-letter words: the text answers to ``ruok``, ``srvr``, ``stat``, ``mntr``, ``conf``, ``cons``, ...

A client that sends one of these words as the first four bytes of a connection gets a text
answer and the connection closes. Only words in ``4lw.commands.whitelist`` run (ZooKeeper's
default: ``srvr`` alone, plus ``isro`` with read-only mode); others get ZooKeeper's refusal line.
The formats follow ZooKeeper 3.8 line for line, because monitoring tools parse them.

This module only formats: the server hands it a ``ServerFacts`` snapshot of what it knows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from zabkeeper.server.stats import ZOOKEEPER_VERSION, ServerStats

ALL_WORDS = frozenset(
    {"ruok", "srvr", "stat", "mntr", "conf", "cons", "envi", "wchs", "wchc", "wchp", "dump", "isro",
     "crst", "srst", "dirs", "gtmk", "stmk", "hash"}
)  # fmt: skip


@dataclass(frozen=True)
class ConnectionInfo:
    """One line of ``cons``/``stat``: a client connection and, once established, its session."""

    remote: str
    queued: int
    received: int
    sent: int
    session_id: int | None = None
    timeout_ms: int = 0
    last_cxid: int = 0
    last_zxid: int = 0
    last_op: str = "NA"
    established_ms: int = 0


@dataclass(frozen=True)
class ServerFacts:
    """Everything the words report, gathered by the server at the moment of the request."""

    mode: str
    last_zxid: int
    node_count: int
    outstanding: int
    stats: ServerStats
    connections: Sequence[ConnectionInfo]
    conf: str
    environment: Sequence[tuple[str, str]]
    watches_by_session: Mapping[int, Sequence[str]]
    ephemerals_by_session: Mapping[int, Sequence[str]]
    session_expiry_ms: Mapping[int, int]
    read_only: bool = False
    extra_metrics: Sequence[tuple[str, str]] = field(default_factory=tuple)
    data_dir_bytes: int = 0
    log_dir_bytes: int = 0
    uptime_ms: int = 0


def answer(word: str, facts: ServerFacts, whitelist: frozenset[str]) -> str:
    """The text the server writes for ``word`` before closing the connection."""
    if word not in whitelist:
        return f"{word} is not executed because it is not in the whitelist.\n"
    return _WORDS[word](facts)


def _srvr(facts: ServerFacts, with_clients: bool = False) -> str:
    stats = facts.stats
    lines = [f"Zookeeper version: {ZOOKEEPER_VERSION}"]
    if with_clients:
        lines.append("Clients:")
        lines += [_cons_line(info, brief=True) for info in facts.connections]
        lines.append("")
    latency = stats.latency
    lines += [
        f"Latency min/avg/max: {latency.min_ms:.0f}/{latency.avg_ms():.1f}/{latency.max_ms:.0f}",
        f"Received: {stats.packets_received}",
        f"Sent: {stats.packets_sent}",
        f"Connections: {len(facts.connections)}",
        f"Outstanding: {facts.outstanding}",
        f"Zxid: 0x{facts.last_zxid:x}",
        f"Mode: {facts.mode}",
        f"Node count: {facts.node_count}",
    ]
    return "\n".join(lines) + "\n"


def _cons_line(info: ConnectionInfo, brief: bool) -> str:
    head = f" /{info.remote}[1](queued={info.queued},recved={info.received},sent={info.sent}"
    if brief or info.session_id is None:
        return head + ")"
    return (
        f"{head},sid=0x{info.session_id:x},lop={info.last_op},est={info.established_ms},to={info.timeout_ms}"
        f",lcxid=0x{info.last_cxid:x},lzxid=0x{info.last_zxid:x})"
    )


def _cons(facts: ServerFacts) -> str:
    return "".join(_cons_line(info, brief=False) + "\n" for info in facts.connections) + "\n"


def _mntr(facts: ServerFacts) -> str:
    stats = facts.stats
    watches = sum(len(paths) for paths in facts.watches_by_session.values())
    values: list[tuple[str, object]] = [
        ("zk_version", ZOOKEEPER_VERSION),
        ("zk_server_state", facts.mode),
        ("zk_avg_latency", f"{stats.latency.avg_ms():.1f}"),
        ("zk_max_latency", f"{stats.latency.max_ms:.0f}"),
        ("zk_min_latency", f"{stats.latency.min_ms:.0f}"),
        ("zk_packets_received", stats.packets_received),
        ("zk_packets_sent", stats.packets_sent),
        ("zk_num_alive_connections", len(facts.connections)),
        ("zk_outstanding_requests", facts.outstanding),
        ("zk_znode_count", facts.node_count),
        ("zk_watch_count", watches),
        ("zk_ephemerals_count", sum(len(paths) for paths in facts.ephemerals_by_session.values())),
        ("zk_global_sessions", len(facts.session_expiry_ms)),
        ("zk_auth_failed_count", stats.auth_failed),
        ("zk_connection_rejected", stats.connections_rejected),
        ("zk_bytes_received_count", stats.bytes_received),
        ("zk_cnt_fsynctime", stats.fsync_count),
        ("zk_sum_sync_processor_batch_size", stats.fsync_batch_txns),
        ("zk_snap_count", stats.snapshot_count),
        ("zk_large_requests_rejected", stats.bad_frames),
        ("zk_uptime", facts.uptime_ms),
    ]
    seen = {key for key, _ in values}
    values += [(key, value) for key, value in facts.extra_metrics if key not in seen]
    return "".join(f"{key}\t{value}\n" for key, value in values)


def _conf(facts: ServerFacts) -> str:
    return facts.conf


def _envi(facts: ServerFacts) -> str:
    pairs = [("zookeeper.version", ZOOKEEPER_VERSION), *facts.environment]
    return "Environment:\n" + "".join(f"{key}={value}\n" for key, value in pairs)


def _wchs(facts: ServerFacts) -> str:
    paths = {path for watched in facts.watches_by_session.values() for path in watched}
    total = sum(len(watched) for watched in facts.watches_by_session.values())
    watching = sum(1 for watched in facts.watches_by_session.values() if watched)
    return f"{watching} connections watching {len(paths)} paths\nTotal watches:{total}\n"


def _wchc(facts: ServerFacts) -> str:
    out = []
    for session_id, paths in sorted(facts.watches_by_session.items()):
        if paths:
            out.append(f"0x{session_id:x}\n" + "".join(f"\t{path}\n" for path in sorted(paths)))
    return "".join(out) + "\n"


def _wchp(facts: ServerFacts) -> str:
    by_path: dict[str, list[int]] = {}
    for session_id, paths in facts.watches_by_session.items():
        for path in paths:
            by_path.setdefault(path, []).append(session_id)
    out = [
        f"{path}\n" + "".join(f"\t0x{sid:x}\n" for sid in sorted(sids))
        for path, sids in sorted(by_path.items())
    ]
    return "".join(out) + "\n"


def _dump(facts: ServerFacts) -> str:
    lines = ["SessionTracker dump:", f"Session Sets ({len(facts.session_expiry_ms)}):"]
    for session_id, expiry_ms in sorted(facts.session_expiry_ms.items()):
        when = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(expiry_ms / 1000))
        lines.append(f"0x{session_id:x} expire at {when}")
    owners = {sid: paths for sid, paths in facts.ephemerals_by_session.items() if paths}
    lines += ["ephemeral nodes dump:", f"Sessions with Ephemerals ({len(owners)}):"]
    for session_id, paths in sorted(owners.items()):
        lines.append(f"0x{session_id:x}:")
        lines += [f"\t{path}" for path in sorted(paths)]
    lines += ["Connections dump:", f"Connections Sets ({len(facts.connections)}):"]
    lines += [f"\tip: /{info.remote} sessionId: 0x{info.session_id or 0:x}" for info in facts.connections]
    return "\n".join(lines) + "\n"


def _dirs(facts: ServerFacts) -> str:
    return f"datadir_size: {facts.data_dir_bytes}\nlogdir_size: {facts.log_dir_bytes}\n"


_WORDS: dict[str, Callable[[ServerFacts], str]] = {
    "ruok": lambda facts: "imok",
    "isro": lambda facts: "ro" if facts.read_only else "rw",
    "srvr": _srvr,
    "stat": lambda facts: _srvr(facts, with_clients=True),
    "cons": _cons,
    "mntr": _mntr,
    "conf": _conf,
    "envi": _envi,
    "wchs": _wchs,
    "wchc": _wchc,
    "wchp": _wchp,
    "dump": _dump,
    "dirs": _dirs,
    "crst": lambda facts: "Connection stats reset.\n",
    "srst": lambda facts: "Server stats reset.\n",
    "gtmk": lambda facts: "0",
    "stmk": lambda facts: "0",
    "hash": lambda facts: "\n",
}
assert set(_WORDS) == ALL_WORDS
