"""ZooKeeperServer: sessions, requests and commits of one server, between connections and tree.

The connection layer hands it decoded requests; it answers reads from the tree at once (in
order behind the connection's pending writes), sends writes and session changes through the
``RequestPipeline``, and applies what the pipeline commits: ``tree.apply`` each txn in zxid
order, fire the watches it triggered (notifications go out before the reply), answer the local
client that asked (matched by session id and cxid), then flush every touched connection once.

Sessions follow ZooKeeperServer.processConnectRequest: a client that has seen a zxid beyond ours
is refused; a new session is a createSession txn and is answered once committed; a reattach
with the right password closes the session's old connection and renegotiates the timeout; an
unknown, closing or expired session gets timeOut 0 and the connection closes. Authentication
(``ip`` at connect, ``x509`` for verified TLS clients, ``digest``/``ip`` auth packets, SASL
DIGEST-MD5) belongs to the connection, as in ZooKeeper, and is re-sent by clients on reconnect.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zabkeeper.config import ServerConfig
from zabkeeper.server.connection import ClientConnection
from zabkeeper.server.pipeline import ClientWrite, CommittedTxn, RequestPipeline
from zabkeeper.server.sasl import DigestMd5Server, SaslFailure
from zabkeeper.server.stats import ServerStats
from zabkeeper.server.tls import x509_subject_dn
from zabkeeper.tree import acl as acls
from zabkeeper.tree import records as r
from zabkeeper.tree.apply import apply
from zabkeeper.tree.constants import Code, OpCode
from zabkeeper.tree.datatree import DataTree
from zabkeeper.tree.pending import PendingChanges
from zabkeeper.tree.prepare import PreparedTxn, RequestContext, ServerOptions, prepare
from zabkeeper.tree.reads import ReadContext, read
from zabkeeper.tree.sessions import SessionTracker, check_password, negotiate_timeout, session_password
from zabkeeper.tree.watches import WatchManager, WatchNotification
from zabkeeper.wire.client import (
    AUTH_XID,
    PING_XID,
    encode_connect_response,
    encode_notification,
    encode_reply,
)

log = logging.getLogger(__name__)

# ZooKeeper's fixed session secret (SessionTrackerImpl seeds passwords with 0xB3415C00).
SESSION_SECRET = (0xB3415C00).to_bytes(8, "big")
WRITE_OPS = frozenset(
    {
        OpCode.create, OpCode.create2, OpCode.createContainer, OpCode.createTTL, OpCode.delete,
        OpCode.deleteContainer, OpCode.setData, OpCode.setACL, OpCode.check, OpCode.multi, OpCode.reconfig,
    }
)  # fmt: skip
EXPIRED_PASSWORD = bytes(16)
OPCODES = {int(opcode): opcode for opcode in OpCode}  # a dict lookup is cheaper than OpCode(n)
EARLY_REQUESTS_MAX = 1000


@dataclass
class ConnectionState:
    """What the server keeps per connection: its session, identity, SASL exchange, early requests."""

    session_id: int | None = None
    auth_ids: tuple[r.Id, ...] = ()
    read_context: ReadContext | None = None
    session_alive: bool = True
    sasl: DigestMd5Server | None = None
    early: list[tuple[int, int, Any]] = field(default_factory=list)


@dataclass
class PendingConnect:
    connection: ClientConnection
    timeout_ms: int


def monotonic_ms() -> int:
    return int(time.monotonic() * 1000)


class ZooKeeperServer:
    def __init__(
        self, config: ServerConfig, tree: DataTree, stats: ServerStats, jaas_users: dict[str, str]
    ) -> None:
        self.config = config
        self.tree = tree
        self.stats = stats
        self.jute_max_buffer = config.jute_max_buffer
        self.pending = PendingChanges()
        self.watches = WatchManager()
        self.tracker = SessionTracker(0, config.tick_time, monotonic_ms())
        self.tracker.restore(dict(tree.sessions), monotonic_ms())
        self.options = ServerOptions(
            extended_types_enabled=config.extended_types_enabled,
            reconfig_enabled=config.reconfig_enabled,
            skip_acl=config.extra.get("zookeeper.skipACL", "no").lower() == "yes",
        )
        self.jaas_users = jaas_users
        self.sasl_super_user = config.extra.get("zookeeper.superUser")
        self.pipeline: RequestPipeline | None = None
        self.connections: set[ClientConnection] = set()
        self.connections_per_ip: Counter[str] = Counter()
        self.session_connection: dict[int, ClientConnection] = {}
        self.waiting: dict[tuple[int, int], tuple[ClientConnection, Any]] = {}
        self.waiting_later: dict[tuple[int, int], deque[tuple[ClientConnection, Any]]] = {}
        self.connecting: dict[int, PendingConnect] = {}
        self.started_ms = monotonic_ms()
        self.now_ms = self.started_ms
        self.four_letter_answer: Callable[[str], str] = lambda word: ""

    # --- ConnectionOwner -----------------------------------------------------------------------

    def connection_opened(self, connection: ClientConnection) -> bool:
        ip = connection.remote.rsplit(":", 1)[0]
        limit = self.config.max_client_cnxns
        if limit and self.connections_per_ip[ip] >= limit:
            self.stats.connections_rejected += 1
            return False
        self.connections_per_ip[ip] += 1
        self.connections.add(connection)
        auth_ids = [r.Id("ip", ip)]
        subject = x509_subject_dn(connection.peer_certificate)
        if subject is not None:
            auth_ids.append(r.Id("x509", subject))
        connection.state = ConnectionState(auth_ids=tuple(auth_ids))
        return True

    def connection_closed(self, connection: ClientConnection) -> None:
        if connection not in self.connections:
            return
        self.connections.discard(connection)
        ip = connection.remote.rsplit(":", 1)[0]
        self.connections_per_ip[ip] -= 1
        if self.connections_per_ip[ip] <= 0:
            del self.connections_per_ip[ip]
        self.watches.remove_watcher(connection)
        state: ConnectionState = connection.state
        if state.session_id is not None and self.session_connection.get(state.session_id) is connection:
            del self.session_connection[state.session_id]

    def batch_received(self, connection: ClientConnection, packets: int, data_bytes: int) -> None:
        """Once per socket read, before its frames: one clock read, one session touch per batch."""
        self.now_ms = monotonic_ms()
        self.stats.packets_received += packets
        self.stats.bytes_received += data_bytes
        state: ConnectionState = connection.state
        if state.session_id is not None:
            state.session_alive = self.tracker.touch(state.session_id, self.now_ms)

    def count_sent(self, packets: int, replies: int, latency_total_ms: float, latency_max_ms: float) -> None:
        self.stats.packets_sent += packets
        if replies:
            self.stats.latency.add_many(replies, latency_total_ms, latency_max_ms)

    def four_letter(self, word: str) -> str:
        return self.four_letter_answer(word)

    def last_zxid(self) -> int:
        return self.tree.last_processed_zxid

    # --- handshake -----------------------------------------------------------------------------

    def handle_connect(self, connection: ClientConnection, request: r.ConnectRequest) -> None:
        if request.last_zxid_seen > self.tree.last_processed_zxid:
            connection.close(
                f"client has seen zxid {request.last_zxid_seen:#x}, ours is {self.tree.last_processed_zxid:#x}"
            )
            return
        timeout = negotiate_timeout(
            request.time_out, self.config.min_session_timeout, self.config.max_session_timeout
        )
        if request.session_id == 0:
            session_id = self.tracker.next_session_id()
            self.connecting[session_id] = PendingConnect(connection, timeout)
            self._submit(ClientWrite(session_id, 0, OpCode.createSession, r.CreateSessionTxn(timeout), ()))
            return
        session_id = request.session_id
        valid = (
            session_id in self.tracker
            and not self.tracker.is_closing(session_id)
            and check_password(session_id, request.passwd, SESSION_SECRET)
        )
        if not valid:
            connection.out.append(
                encode_connect_response(
                    r.ConnectResponse(0, 0, 0, EXPIRED_PASSWORD), connection.send_read_only_byte
                )
            )
            connection.close_after_flush()
            return
        old = self.session_connection.get(session_id)
        if old is not None and old is not connection:
            old.close(f"session {session_id:#x} reattached from {connection.remote}")
        self.tracker.track(session_id, timeout, monotonic_ms())
        self._establish(connection, session_id, timeout)

    def _establish(
        self, connection: ClientConnection, session_id: int, timeout: int, read_only: bool = False
    ) -> None:
        state: ConnectionState = connection.state
        state.session_id = session_id
        state.read_context = ReadContext(session_id, state.auth_ids, self.options.skip_acl)
        self.session_connection[session_id] = connection
        password = session_password(session_id, SESSION_SECRET)
        response = r.ConnectResponse(0, timeout, session_id, password, read_only)
        connection.out.append(encode_connect_response(response, connection.send_read_only_byte))
        early, state.early = state.early, []
        for xid, opcode, request in early:
            self.handle_request(connection, xid, opcode, request)
        connection.flush()

    # --- requests ------------------------------------------------------------------------------

    def handle_request(self, connection: ClientConnection, xid: int, opcode: int, request: Any) -> None:
        state: ConnectionState = connection.state
        session_id = state.session_id
        if session_id is None:
            if len(state.early) >= EARLY_REQUESTS_MAX:
                connection.close("too many requests before the session was established")
                return
            state.early.append((xid, opcode, request))
            return
        if not state.session_alive:
            connection.reply_now(encode_reply(xid, self.tree.last_processed_zxid, Code.SESSIONEXPIRED))
            return
        connection.last_cxid = xid
        if opcode in WRITE_OPS or opcode == OpCode.closeSession:
            if opcode == OpCode.closeSession:
                self.tracker.set_closing(session_id)
                state.session_alive = False
            key, waiter = (session_id, xid), (connection, connection.reserve())
            if key in self.waiting:
                # A client that reconnected restarts its xids (kazoo does) while a write of its
                # old connection may still be in the pipeline: answer in submission order.
                self.waiting_later.setdefault(key, deque()).append(waiter)
            else:
                self.waiting[key] = waiter
            self._submit(ClientWrite(session_id, xid, opcode, request, state.auth_ids))
        elif opcode == OpCode.ping:
            connection.reply_now(encode_reply(PING_XID, self.tree.last_processed_zxid, 0))
        elif opcode == OpCode.auth:
            self._auth(connection, request)
        elif opcode == OpCode.sasl:
            self._sasl(connection, xid, request)
        elif connection.slots:
            connection.defer_read(lambda: self._read(connection, xid, opcode, request))
        else:
            connection.reply_now(self._read(connection, xid, opcode, request))

    def _read(self, connection: ClientConnection, xid: int, opcode: int, request: Any) -> bytes:
        state: ConnectionState = connection.state
        assert state.read_context is not None
        result = read(OPCODES[opcode], request, state.read_context, self.tree, self.watches, connection)
        if result.notifications:
            self._notify(result.notifications)
        return encode_reply(xid, self.tree.last_processed_zxid, result.err, result.response)

    def _auth(self, connection: ClientConnection, packet: r.AuthPacket) -> None:
        ip = connection.remote.rsplit(":", 1)[0]
        added = acls.authenticate(packet.scheme, packet.auth, ip, self.config.super_digest)
        if not added:
            self.stats.auth_failed += 1
            log.warning("%s: authentication with scheme %r failed", connection.remote, packet.scheme)
            connection.reply_now(encode_reply(AUTH_XID, 0, Code.AUTHFAILED))
            connection.close_after_flush()
            return
        self._add_auth_ids(connection, added)
        connection.reply_now(encode_reply(AUTH_XID, 0, 0))

    def _add_auth_ids(self, connection: ClientConnection, added: tuple[r.Id, ...]) -> None:
        state: ConnectionState = connection.state
        state.auth_ids = tuple(dict.fromkeys(state.auth_ids + added))
        assert state.session_id is not None
        state.read_context = ReadContext(state.session_id, state.auth_ids, self.options.skip_acl)

    def _sasl(self, connection: ClientConnection, xid: int, request: r.GetSASLRequest) -> None:
        state: ConnectionState = connection.state
        if not self.jaas_users:
            log.warning("%s: SASL request but no JAAS Server section is configured", connection.remote)
            connection.reply_now(encode_reply(xid, 0, Code.AUTHFAILED))
            connection.close_after_flush()
            return
        if state.sasl is None:
            state.sasl = DigestMd5Server(self.jaas_users)
        try:
            token = state.sasl.evaluate(request.token)
        except SaslFailure as failure:
            self.stats.auth_failed += 1
            log.warning("%s: SASL authentication failed: %s", connection.remote, failure)
            connection.reply_now(encode_reply(xid, 0, Code.AUTHFAILED))
            connection.close_after_flush()
            return
        user = state.sasl.authorized_id
        if user is not None and not any(i.scheme == "sasl" and i.id == user for i in state.auth_ids):
            added = (r.Id("sasl", user),) + ((acls.SUPER,) if user == self.sasl_super_user else ())
            self._add_auth_ids(connection, added)
        zxid = self.tree.last_processed_zxid
        connection.reply_now(encode_reply(xid, zxid, 0, r.SetSASLResponse(token)))

    # --- the write path ------------------------------------------------------------------------

    def _submit(self, write: ClientWrite) -> None:
        assert self.pipeline is not None
        self.pipeline.submit(write)

    def prepare(self, write: ClientWrite, zxid: int, time_ms: int) -> tuple[r.TxnHeader, r.TxnRecord]:
        """The pipeline's prepare step (PrepRequestProcessor) for a write of this server."""
        context = RequestContext(write.session_id, write.cxid, zxid, time_ms, write.auth, self.options)
        prepared: PreparedTxn = prepare(OpCode(write.opcode), write.request, context, self.tree, self.pending)
        return prepared.header, prepared.txn

    def apply_committed(self, txns: list[CommittedTxn]) -> None:
        if not txns:
            return
        dirty: set[ClientConnection] = set()
        tree, watches, waiting = self.tree, self.watches, self.waiting
        for committed in txns:
            header = committed.header
            result = apply(tree, header, committed.txn)
            for trigger in result.triggers:
                notifications = watches.trigger(trigger)
                if notifications:
                    dirty.update(self._notify(notifications))
            kind = header.type
            if kind == OpCode.createSession:
                self._session_created(header.client_id, dirty)
                continue
            if kind == OpCode.closeSession:
                self._session_closed(header.client_id)
            key = (header.client_id, header.cxid)
            waiter = waiting.pop(key, None)
            if key in self.waiting_later:
                self._promote_later_waiter(key)
            if waiter is None:
                continue
            connection, slot = waiter
            connection.last_zxid = header.zxid
            connection.complete(slot, encode_reply(header.cxid, header.zxid, result.err, result.response))
            dirty.add(connection)
            if kind == OpCode.closeSession:
                connection.close_after_flush()
        # Nothing prepares while a batch is applied, so the pending changes it made can go at once.
        self.pending.applied(txns[-1].header.zxid)
        for connection in dirty:
            connection.flush()

    def _promote_later_waiter(self, key: tuple[int, int]) -> None:
        later = self.waiting_later[key]
        self.waiting[key] = later.popleft()
        if not later:
            del self.waiting_later[key]

    def _notify(self, notifications: list[WatchNotification] | tuple[WatchNotification, ...]) -> list[Any]:
        touched = []
        for notification in notifications:
            connection = notification.watcher
            assert isinstance(connection, ClientConnection)
            connection.send_notification(encode_notification(notification.event))
            touched.append(connection)
        return touched

    def _session_created(self, session_id: int, dirty: set[ClientConnection]) -> None:
        timeout = self.tree.sessions[session_id]
        self.tracker.track(session_id, timeout, monotonic_ms())
        pending = self.connecting.pop(session_id, None)
        if pending is None or pending.connection.closing:
            return  # the client went away meanwhile; the session expires on its own
        self._establish(pending.connection, session_id, pending.timeout_ms)
        dirty.add(pending.connection)

    def _session_closed(self, session_id: int) -> None:
        self.tracker.remove(session_id)
        connection = self.session_connection.pop(session_id, None)
        if connection is not None and (session_id, connection.last_cxid) not in self.waiting:
            connection.close_after_flush()

    # --- timers --------------------------------------------------------------------------------

    def expire_sessions(self) -> None:
        """Submit a closeSession for every session whose deadline passed (SessionTracker)."""
        for session_id in self.tracker.expire(monotonic_ms()):
            log.info("session %#x expired", session_id)
            connection = self.session_connection.pop(session_id, None)
            if connection is not None:
                connection.close(f"session {session_id:#x} expired")
            self._submit(ClientWrite(session_id, 0, OpCode.closeSession, r.CloseSessionRequest(), ()))

    def reap_containers(self, now_ms: int) -> None:
        from zabkeeper.tree.reaper import reap_candidates

        for request in reap_candidates(self.tree, now_ms):
            self._submit(ClientWrite(0, 0, OpCode.deleteContainer, request, ()))

    def close_all_connections(self) -> None:
        for connection in list(self.connections):
            connection.close()
