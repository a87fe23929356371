"""``QuorumPeer``: one ensemble member, wired together (ZooKeeper's QuorumPeerMain).

It owns the sans-IO ``Peer`` and feeds it every input on the event loop: ``Tick``s from a timer
(the core's tick is finer than zoo.cfg's tickTime, so failover is not bound to whole tickTimes),
messages and ``Disconnected`` from the ``PeerTransport``, and client work from the
``ReplicatedPipeline``. Each ``Ready`` goes to the ``Runner``, which makes its writes durable
(group commit) and then calls ``effects``: install a SNAP's tree, apply committed txns, start or
stop serving clients on role changes, send messages (filling a SNAP from the tree, which then
stands exactly at the snapshot's zxid), close connections, and hand syncs, forwarded and refused
requests to the pipeline.

Timers: the core's tick; every half tickTime the session duties (a learner reports its clients'
sessions to the leader, the leader expires sessions, a member without quorum turns read-only
when allowed); the container reaper and autopurge on their intervals. Snapshots are taken every
~snapCount applied txns (ZooKeeper's randomised threshold) on the writer thread, after which the
core may forget old txns (``SnapshotTaken``).

Every core event is logged as one ``key=value`` line under ``zabkeeper.zab``: role changes,
elections and syncs at INFO, the rest at DEBUG.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time
from pathlib import Path

from zabkeeper.config import ServerConfig
from zabkeeper.core.inputs import Input, SnapshotTaken, Tick
from zabkeeper.core.messages import ServerState, Snap
from zabkeeper.core.peer import Peer
from zabkeeper.core.ready import Event, InstallSnapshot, Ready
from zabkeeper.server.control import ControlServer
from zabkeeper.server.listeners import open_client_listeners
from zabkeeper.server.metrics import MetricsServer
from zabkeeper.server.peer_storage import PeerStorage, tree_from_snapshot
from zabkeeper.server.quorum_facts import QuorumCounters, four_letter, metric_values, status
from zabkeeper.server.quorum_options import peer_options
from zabkeeper.server.replicated import ReplicatedPipeline
from zabkeeper.server.replicated_server import EnsembleZooKeeperServer
from zabkeeper.server.runner import Runner
from zabkeeper.server.sasl import JaasError, read_jaas_users
from zabkeeper.server.standalone import StartupError, run_until_signalled, snapshot_body
from zabkeeper.server.stats import ServerStats
from zabkeeper.server.storage.txn_snap_log import FileTxnSnapLog
from zabkeeper.server.tls import TlsConfigError, build_server_context
from zabkeeper.server.transport import PeerTransport

log = logging.getLogger(__name__)
zab_log = logging.getLogger("zabkeeper.zab")

SNAPSHOT_BYTES_MAX = 1 << 30
READ_ONLY_DELAY_MS_MIN = 2000  # ZooKeeper waits max(2000, tickTime) before going read-only
CONTAINER_CHECK_INTERVAL_MS_DEFAULT = 60_000
HOUR_S = 3600
ROLE_EVENTS = frozenset({"ServerStateChange", "LeaderEstablished", "FollowerProcessUPTODATE"})
INFO_EVENTS = frozenset(
    {
        "ServerStateChange", "LeaderEstablished", "FLEWaitNewNotmsg", "LeaderSyncFollower",
        "FollowerProcessSyncMessage", "FollowerProcessNEWLEADER", "FollowerProcessUPTODATE",
        "LeaderLostLearner", "LeaderProcessFOLLOWERINFO", "FollowerProcessLEADERINFO",
    }
)  # fmt: skip


class QuorumPeer:
    def __init__(self, config: ServerConfig, control_socket: Path | None = None) -> None:
        assert config.is_distributed and config.myid is not None
        self.config = config
        self.myid = config.myid
        options, self.tick_ms = peer_options(config)
        self.stats = ServerStats()
        self.storage = FileTxnSnapLog(Path(config.data_dir), Path(config.data_log_dir))
        self.peer_storage = PeerStorage(self.storage)
        loaded = self.peer_storage.load()
        self.peer = Peer(options, loaded.durable)
        self.zk = EnsembleZooKeeperServer(config, loaded.tree, self.stats, self._jaas_users(), self.myid)
        self.pipeline = ReplicatedPipeline(self.zk, self)
        self.zk.pipeline = self.pipeline
        self.zk.replicated = self.pipeline
        self.zk.four_letter_answer = lambda word: four_letter(self, word)
        self.transport = PeerTransport(
            self.myid, config.ensemble.servers, self.step, config.jute_max_buffer, SNAPSHOT_BYTES_MAX
        )
        self.runner = Runner(self.peer_storage, self.effects, self._runner_failed)
        self.counters = QuorumCounters()
        self.debug_events = zab_log.isEnabledFor(logging.DEBUG)
        self.control = None if control_socket is None else self._control(control_socket)
        self.metrics: MetricsServer | None = None
        self.tls_context = self._tls_context()
        self.listeners: list[asyncio.Server] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.snapshot_task: asyncio.Task[None] | None = None
        self.client_port = -1
        self.secure_client_port = -1
        self.started = time.monotonic()
        self.looking_since = time.monotonic()
        self.snapshot_zxid = loaded.durable.snapshot_zxid
        self.applied_since_snapshot = 0
        self.snap_threshold = self._next_snap_threshold()
        self.snapshotting = False
        self.stopped = asyncio.Event()
        self.failure: BaseException | None = None

    # --- the core ------------------------------------------------------------------------------

    def step(self, event: Input) -> None:
        self.submit_ready(self.peer.step(event))

    def submit_ready(self, ready: Ready) -> None:
        for event in ready.events:
            if event.action in INFO_EVENTS:
                self._note(event)
            elif self.debug_events:
                zab_log.debug("event=%s", event)
        for outbound in ready.early:  # PROPOSALs may leave before the log write is durable
            self.transport.send(outbound.to, outbound.message)
        self.runner.submit(ready)

    def _note(self, event: Event) -> None:
        """Count and log the events that matter to operators (role changes, elections, syncs)."""
        args = dict(event.args)
        if event.action == "ServerStateChange":
            if args["new"] is ServerState.LOOKING:
                self.looking_since = time.monotonic()
                self.counters.elections += 1
            elif args["old"] is ServerState.LOOKING:
                self.counters.last_election_ms = (time.monotonic() - self.looking_since) * 1000
        elif event.action == "LeaderSyncFollower":
            self.counters.learner_syncs[str(args["mode"])] += 1
        elif event.action == "FollowerProcessSyncMessage":
            self.counters.own_syncs[str(args["mode"])] += 1
        line = " ".join(f"{key}={_plain(value)}" for key, value in event.args)
        zab_log.info("event=%s %s", event.action, line)

    def effects(self, ready: Ready) -> None:
        """Everything of a Ready after its writes are durable, in the contract's order."""
        for write in ready.writes:
            if isinstance(write, InstallSnapshot):
                self.zk.install_tree(tree_from_snapshot(write.zxid, write.snapshot))
                self.snapshot_zxid = write.zxid
                self.applied_since_snapshot = 0
        if ready.committed:
            self.pipeline.apply(self.pipeline.committed(ready.committed))
            assert self.zk.tree.last_processed_zxid == ready.committed[-1].zxid
            self.applied_since_snapshot += len(ready.committed)
        for event in ready.events:
            if event.action in ROLE_EVENTS:
                self._role_effect(event)
        snapshot: bytes | None = None
        for outbound in ready.messages:
            message = outbound.message
            if isinstance(message, Snap) and not message.snapshot:
                assert self.zk.tree.last_processed_zxid == message.zxid, "the tree must stand at the SNAP"
                snapshot = snapshot or snapshot_body(self.zk.tree)
                message = Snap(message.zxid, snapshot)
            self.transport.send(outbound.to, message)
        for sid in ready.disconnect:
            self.transport.disconnect(sid)
        for token in ready.synced:
            self.pipeline.synced(token)
        for origin, payload in ready.forwarded:
            self.pipeline.forwarded(origin, payload)
        for payload in ready.refused:
            self.pipeline.refused(payload)
        self.pipeline.propose_queued()
        self._maybe_snapshot()

    def _role_effect(self, event: Event) -> None:
        if event.action == "ServerStateChange":
            self.zk.stop_serving(f"server state {dict(event.args)['new'].value}")
        elif event.action == "LeaderEstablished":
            self.zk.start_serving(leading=True)
        elif event.action == "FollowerProcessUPTODATE":
            self.zk.start_serving(leading=False)

    def _runner_failed(self, error: BaseException) -> None:
        self.failure = error
        self.stopped.set()

    # --- snapshots -----------------------------------------------------------------------------

    def _next_snap_threshold(self) -> int:
        half = max(1, self.config.snap_count // 2)
        return half + random.randrange(half)

    def _maybe_snapshot(self) -> None:
        if self.snapshotting or self.applied_since_snapshot < self.snap_threshold:
            return
        tree = self.zk.tree
        zxid = tree.last_processed_zxid
        body = snapshot_body(tree)
        self.snapshotting = True
        self.applied_since_snapshot = 0
        self.snap_threshold = self._next_snap_threshold()
        self.snapshot_task = asyncio.get_running_loop().create_task(self._write_snapshot(zxid, body))

    async def _write_snapshot(self, zxid: int, body: bytes) -> None:
        def write() -> Path:
            self.storage.roll_log()
            return self.storage.save_snapshot(zxid, body)

        try:
            path = await self.runner.run_in_writer(write)
            self.stats.snapshot_count += 1
            log.info("wrote snapshot %s (%d bytes)", path, len(body))
            # A SNAP installed meanwhile moved the history past this snapshot: nothing to forget.
            if zxid >= self.peer.state.history.base_zxid:
                self.snapshot_zxid = zxid
                self.step(SnapshotTaken(zxid))
        except OSError:
            log.exception("snapshot at %#x failed; the txn log still holds everything", zxid)
        finally:
            self.snapshotting = False

    # --- timers --------------------------------------------------------------------------------

    async def _ticker(self) -> None:
        loop = asyncio.get_running_loop()
        period = self.tick_ms / 1000
        half_tick = max(1, round(self.config.tick_time / 2 / self.tick_ms))
        next_at = loop.time()
        count = 0
        while True:
            next_at += period
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            if loop.time() - next_at > 10 * period:
                next_at = loop.time()  # paused (SIGSTOP) or starved: do not burst ticks
            self.step(Tick())
            count += 1
            if count % half_tick == 0:
                self._session_duties()

    def _session_duties(self) -> None:
        touched = self.zk.tracker.take_touched()
        peer = self.peer
        if self.zk.serving and peer.learner is not None:
            self.pipeline.report_touches(touched)
        elif self.zk.serving and peer.leader is not None:
            self.zk.expire_sessions()
        elif self.config.read_only_mode_enabled and not self.zk.serving:
            waited_ms = (time.monotonic() - self.looking_since) * 1000
            if waited_ms >= max(READ_ONLY_DELAY_MS_MIN, self.config.tick_time):
                self.zk.enter_read_only()

    async def _every(self, interval_s: float, job: str) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                if job == "reap" and self.zk.serving and self.peer.leader is not None:
                    self.zk.reap_containers(int(time.time() * 1000))
                elif job == "purge":
                    removed = await self.runner.run_in_writer(self._purge)
                    log.info("autopurge removed %d files", len(removed))
            except Exception:
                log.exception("periodic job %s failed", job)

    def _purge(self) -> list[Path]:
        return self.storage.purge(self.config.autopurge_snap_retain_count)

    # --- life cycle ----------------------------------------------------------------------------

    def _jaas_users(self) -> dict[str, str]:
        path = self.config.jaas_login_config
        if path is None:
            return {}
        try:
            return read_jaas_users(Path(path), self.config.extra.get("zookeeper.sasl.serverconfig", "Server"))
        except JaasError as error:
            raise StartupError(str(error)) from None

    def _tls_context(self) -> ssl.SSLContext | None:
        if self.config.secure_client_port is None:
            return None
        try:
            return build_server_context(self.config.ssl)
        except TlsConfigError as error:
            raise StartupError(f"{self.config.source}: {error}") from None

    def _control(self, path: Path) -> ControlServer:
        return ControlServer(path, lambda: status(self), self.transport.block, self.transport.unblock)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        await self.transport.start()
        await self._listen_clients()
        if self.control is not None:
            await self.control.start()
        if self.config.metrics_http_port is not None:
            host = self.config.extra.get("metricsProvider.httpHost", "0.0.0.0")
            self.metrics = MetricsServer(host, self.config.metrics_http_port, lambda: metric_values(self))
            await self.metrics.start()
        self.submit_ready(self.peer.start())
        reap_ms = int(
            self.config.extra.get("znode.container.checkIntervalMs", CONTAINER_CHECK_INTERVAL_MS_DEFAULT)
        )
        self.tasks += [
            loop.create_task(self._ticker()),
            loop.create_task(self._every(max(reap_ms, 10) / 1000, "reap")),
        ]
        if self.config.autopurge_purge_interval > 0:
            self.tasks.append(
                loop.create_task(self._every(self.config.autopurge_purge_interval * HOUR_S, "purge"))
            )
        log.info("member %d started (tick %d ms, %s)", self.myid, self.tick_ms, self.config.peer_type.value)

    async def _listen_clients(self) -> None:
        listeners = await open_client_listeners(self.zk, self.config, self.tls_context)
        self.listeners = listeners.servers
        self.client_port = listeners.client_port
        self.secure_client_port = listeners.secure_client_port
        if not self.listeners:
            raise StartupError(f"{self.config.source}: no client port for server.{self.myid}")

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for listener in self.listeners:
            listener.close()
        self.zk.stop_serving("shutting down")
        await self.transport.close()
        if self.control is not None:
            await self.control.close()
        if self.metrics is not None:
            await self.metrics.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.runner.drain(), 10)
        self.runner.close()
        self.storage.close()


def _plain(value: object) -> str:
    if isinstance(value, ServerState):
        return value.value
    if isinstance(value, int) and not isinstance(value, bool) and value > 0xFFFFFFFF:
        return f"{value:#x}"
    return str(value)


def serve_forever(config: ServerConfig, control_socket: Path | None = None) -> None:
    """Run one ensemble member until SIGTERM/SIGINT. Raises StartupError when it cannot start."""
    run_until_signalled(lambda: QuorumPeer(config, control_socket), f"member {config.myid}")
