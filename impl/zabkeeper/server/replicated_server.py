"""``EnsembleZooKeeperServer``: the client-facing server of one ensemble member.

It is the standalone ``ZooKeeperServer`` (connections, sessions, reads, apply) with what
replication changes:

* It serves only while its member is up to date with an established leader (``start_serving``
  and ``stop_serving`` follow the member's role). Stopping closes every client connection, as
  ZooKeeper's shutdown of a follower's server does, so clients move to a server that serves.
* Read-only mode (``readonlymode.enabled``): a member cut off from a quorum for a while serves
  clients that accept read-only servers, with local sessions (no txn), reads from its tree, and
  NotReadOnly for writes; clients that did not ask for read-only are refused.
* ``sync`` goes through Zab (``ReplicatedPipeline.client_sync``) instead of being answered at once.
* A client reattaching a session this member has not heard of waits until the member has caught
  up with the leader (a sync): the session may have been created through another member moments
  ago. ZooKeeper asks its leader the same question with a REVALIDATE packet.
* Sessions: every member tracks every session (created and closed by txns); each records which
  sessions its clients touched, which a learner reports to the leader, whose tracker alone
  expires sessions. The session id carries the member's sid in its high byte, so ids handed out
  by different members never collide.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from zabkeeper.config import ServerConfig
from zabkeeper.server.connection import ClientConnection
from zabkeeper.server.replicated import ReplicatedPipeline
from zabkeeper.server.stats import ServerStats
from zabkeeper.server.zk_server import WRITE_OPS, ConnectionState, ZooKeeperServer, monotonic_ms
from zabkeeper.tree import records as r
from zabkeeper.tree.constants import Code, OpCode
from zabkeeper.tree.datatree import DataTree
from zabkeeper.tree.pending import PendingChanges
from zabkeeper.tree.sessions import SessionTracker, negotiate_timeout
from zabkeeper.wire.client import encode_reply

log = logging.getLogger(__name__)

READ_ONLY_SESSIONS_MAX = 100_000


class RecordingSessionTracker(SessionTracker):
    """A session tracker that remembers which sessions were touched since the last report."""

    def __init__(self, server_id: int, tick_ms: int, now_ms: int) -> None:
        super().__init__(server_id, tick_ms, now_ms)
        self.touched: set[int] = set()

    def touch(self, session_id: int, now_ms: int) -> bool:
        alive = super().touch(session_id, now_ms)
        if alive:
            self.touched.add(session_id)
        return alive

    def take_touched(self) -> list[int]:
        touched, self.touched = self.touched, set()
        return [session_id for session_id in touched if session_id in self]


class EnsembleZooKeeperServer(ZooKeeperServer):
    def __init__(
        self,
        config: ServerConfig,
        tree: DataTree,
        stats: ServerStats,
        jaas_users: dict[str, str],
        myid: int,
    ) -> None:
        super().__init__(config, tree, stats, jaas_users)
        self.myid = myid
        self.tracker: RecordingSessionTracker = self._new_tracker()
        self.serving = False
        self.read_only = False
        self.read_only_sessions: set[int] = set()
        self.refused_connections = 0
        self.replicated: ReplicatedPipeline | None = None

    def _new_tracker(self) -> RecordingSessionTracker:
        now = monotonic_ms()
        tracker = RecordingSessionTracker(self.myid, self.config.tick_time, now)
        tracker.restore(dict(self.tree.sessions), now)
        return tracker

    # --- role changes --------------------------------------------------------------------------

    def start_serving(self, leading: bool) -> None:
        """The member is up to date with an established leader: open for clients."""
        self._close_clients()
        self.read_only = False
        self.serving = True
        if leading:
            # The new leader expires sessions from now on: every session gets a full timeout, and
            # nothing prepared under an older leadership is pending any more.
            self.tracker = self._new_tracker()
            self.pending = PendingChanges()

    def stop_serving(self, reason: str) -> None:
        """The member lost its leader (or leadership): close every client connection. Until it
        serves again, new clients are refused (read-only ones too, unless read-only mode is on)."""
        if self.serving:
            log.info("no longer serving clients (%d connections closed): %s", len(self.connections), reason)
        self.serving = False
        self._close_clients()

    def enter_read_only(self) -> None:
        if not self.serving and not self.read_only:
            log.warning("no quorum for a while: serving read-only clients")
            self.read_only = True

    def _close_clients(self) -> None:
        for connection in list(self.connections):
            connection.close()
        for pending in self.connecting.values():
            pending.connection.close()
        self.connecting.clear()
        self.waiting.clear()
        self.waiting_later.clear()
        self.pending = PendingChanges()
        for session_id in self.read_only_sessions:
            self.tracker.remove(session_id)
        self.read_only_sessions.clear()
        if self.replicated is not None:
            self.replicated.reset()

    def install_tree(self, tree: DataTree) -> None:
        """SNAP sync replaced the state: track the sessions the new tree holds."""
        assert not self.serving
        self.tree = tree
        self.tracker = self._new_tracker()
        self.pending = PendingChanges()

    # --- connections ---------------------------------------------------------------------------

    def handle_connect(self, connection: ClientConnection, request: r.ConnectRequest) -> None:
        if self.serving and self._unknown_here(request) and self.replicated is not None:
            # ZooKeeper's REVALIDATE: a session this member has not heard of may have been created
            # through another member moments ago. Catch up with the leader, then decide.
            self.replicated.catch_up(
                lambda caught_up: self._connect_after_catch_up(connection, request, caught_up)
            )
        elif self.serving:
            super().handle_connect(connection, request)
        elif self.read_only and request.read_only:
            self._connect_read_only(connection, request)
        else:
            # Clients retry quickly while a member has no quorum: refuse quietly, count them.
            self.refused_connections += 1
            connection.close()

    def _unknown_here(self, request: r.ConnectRequest) -> bool:
        return request.session_id != 0 and request.session_id not in self.tracker

    def _connect_after_catch_up(
        self, connection: ClientConnection, request: r.ConnectRequest, caught_up: bool
    ) -> None:
        if connection.closing:
            return
        if not caught_up or not self.serving:
            connection.close()  # no leader to ask now: the client tries again
            return
        super().handle_connect(connection, request)
        connection.flush()

    def _connect_read_only(self, connection: ClientConnection, request: r.ConnectRequest) -> None:
        """A local session on a read-only server (ZooKeeper's ReadOnlyZooKeeperServer)."""
        if request.last_zxid_seen > self.tree.last_processed_zxid:
            connection.close(f"client has seen zxid {request.last_zxid_seen:#x}, beyond ours")
            return
        if len(self.read_only_sessions) >= READ_ONLY_SESSIONS_MAX:
            connection.close("too many read-only sessions")
            return
        timeout = negotiate_timeout(
            request.time_out, self.config.min_session_timeout, self.config.max_session_timeout
        )
        session_id = self.tracker.next_session_id()
        self.tracker.track(session_id, timeout, monotonic_ms())
        self.read_only_sessions.add(session_id)
        self._establish(connection, session_id, timeout, read_only=True)

    def connection_closed(self, connection: ClientConnection) -> None:
        state: ConnectionState | None = connection.state
        super().connection_closed(connection)
        if state is not None and state.session_id in self.read_only_sessions:
            self.read_only_sessions.discard(state.session_id)
            self.tracker.remove(state.session_id)

    def handle_request(self, connection: ClientConnection, xid: int, opcode: int, request: Any) -> None:
        state: ConnectionState = connection.state
        session_id = state.session_id
        if session_id is not None and session_id in self.read_only_sessions:
            if opcode in WRITE_OPS:
                zxid = self.tree.last_processed_zxid
                connection.reply_now(encode_reply(xid, zxid, Code.NOTREADONLY), opcode, time.perf_counter())
                return
            if opcode == OpCode.closeSession:
                connection.reply_now(
                    encode_reply(xid, self.tree.last_processed_zxid, 0), opcode, time.perf_counter()
                )
                connection.close_after_flush()
                return
        elif (
            opcode == OpCode.sync
            and session_id is not None
            and self.replicated is not None
            and self.tracker.touch(session_id, self.now_ms)
        ):
            connection.last_cxid = xid
            self.replicated.client_sync(connection, xid, request.path, time.perf_counter())
            return
        super().handle_request(connection, xid, opcode, request)
