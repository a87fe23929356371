"""The standalone server: restore from disk, listen, run timers, snapshot, shut down cleanly.

Start-up restores the tree as the storage contract says (newest intact snapshot + log replay,
torn tail cut), re-tracks every session the tree holds with a fresh timeout, and opens the
client port (and the TLS port, whose ``ssl.*`` settings are checked before anything listens).
While running: session expiry every tick, snapshots every ~snapCount txns (ZooKeeper's
randomised snapCount/2 + rand(snapCount/2), written by the log writer thread between two
appends, with the log rolled at the snapshot's zxid), the container/TTL reaper every minute,
and autopurge every ``autopurge.purgeInterval`` hours. SIGTERM/SIGINT close the listeners,
drain the write pipeline and close the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import ssl
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from zabkeeper.config import ConfigError, ConfRuntime, ServerConfig, render_conf
from zabkeeper.server.facts import gather_facts
from zabkeeper.server.four_letter import answer
from zabkeeper.server.listeners import open_client_listeners
from zabkeeper.server.pipeline import StandalonePipeline
from zabkeeper.server.sasl import JaasError, read_jaas_users
from zabkeeper.server.stats import ServerStats
from zabkeeper.server.storage.txn_snap_log import FileTxnSnapLog
from zabkeeper.server.storage.txnlog import CorruptLog
from zabkeeper.server.tls import TlsConfigError, build_server_context
from zabkeeper.server.zk_server import ZooKeeperServer
from zabkeeper.tree.apply import apply
from zabkeeper.tree.datatree import DataTree
from zabkeeper.tree.snapshot import CorruptSnapshot, restore, snapshot_nodes, snapshot_sessions
from zabkeeper.wire.jute import MalformedRecord
from zabkeeper.wire.snapshot import decode_snapshot_body, encode_snapshot_body
from zabkeeper.wire.txn import decode_txn

log = logging.getLogger(__name__)

CONTAINER_CHECK_INTERVAL_MS_DEFAULT = 60_000
HOUR_S = 3600
GIL_SWITCH_INTERVAL_S = 0.0005


class StartupError(RuntimeError):
    """The server cannot start; the message says why (and names the file when there is one)."""


def restore_tree(storage: FileTxnSnapLog) -> tuple[DataTree, int]:
    """The tree as of the last durable txn, and how many log records were replayed."""
    try:
        restored = storage.restore()
    except CorruptLog as error:
        raise StartupError(str(error)) from None
    snapshot = restored.snapshot
    if snapshot is None:
        tree = DataTree()
    else:
        try:
            sessions, nodes = decode_snapshot_body(snapshot.body)
            tree = restore(nodes, sessions, snapshot.zxid)
        except (MalformedRecord, CorruptSnapshot) as error:
            raise StartupError(f"{snapshot.path}: unreadable snapshot: {error}") from None
    replayed = 0
    for record in restored.records:
        try:
            header, txn = decode_txn(record.payload)
        except MalformedRecord as error:
            raise StartupError(f"txn log record {record.zxid:#x} does not decode: {error}") from None
        assert header.zxid == record.zxid, (header.zxid, record.zxid)
        apply(tree, header, txn)
        replayed += 1
    return tree, replayed


def snapshot_body(tree: DataTree) -> bytes:
    return encode_snapshot_body(snapshot_sessions(tree), snapshot_nodes(tree))


def directory_bytes(directory: Path) -> int:
    return sum(entry.stat().st_size for entry in directory.iterdir() if entry.is_file())


class StandaloneServer:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.stats = ServerStats()
        self.storage = FileTxnSnapLog(Path(config.data_dir), Path(config.data_log_dir))
        self.tls_context = self._tls_context()
        self.jaas_users = self._jaas_users()
        tree, replayed = restore_tree(self.storage)
        log.info("restored %d znodes and %d sessions at zxid %#x (%d txns replayed)",
                 tree.node_count(), len(tree.sessions), tree.last_processed_zxid, replayed)  # fmt: skip
        if tree.last_processed_zxid == 0 and not self.storage.snapshots.files():
            self.storage.save_snapshot(0, snapshot_body(tree))
        self.zk = ZooKeeperServer(config, tree, self.stats, self.jaas_users)
        self.stopped = asyncio.Event()
        self.pipeline = StandalonePipeline(
            self.storage, self.zk.prepare, self.zk, tree.last_processed_zxid, self.stats, self._after_batch,
            on_failure=self._storage_failed,
        )  # fmt: skip
        self.zk.pipeline = self.pipeline
        self.zk.four_letter_answer = self.four_letter
        self.last_snapshot_zxid = tree.last_processed_zxid
        self.snap_threshold = self._next_snap_threshold()
        self.servers: list[asyncio.Server] = []
        self.timers: list[asyncio.Task[None]] = []
        self.client_port = -1
        self.secure_client_port = -1
        self.started = time.monotonic()
        self.failure: BaseException | None = None

    def _tls_context(self) -> ssl.SSLContext | None:
        if self.config.secure_client_port is None:
            return None
        try:
            return build_server_context(self.config.ssl)
        except TlsConfigError as error:
            raise StartupError(f"{self.config.source}: {error}") from None

    def _jaas_users(self) -> dict[str, str]:
        path = self.config.jaas_login_config
        if path is None:
            return {}
        section = self.config.extra.get("zookeeper.sasl.serverconfig", "Server")
        try:
            return read_jaas_users(Path(path), section)
        except JaasError as error:
            raise StartupError(str(error)) from None

    def _next_snap_threshold(self) -> int:
        half = max(1, self.config.snap_count // 2)
        return half + random.randrange(half)

    # --- life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        listeners = await open_client_listeners(self.zk, self.config, self.tls_context)
        self.servers = listeners.servers
        self.client_port = listeners.client_port
        self.secure_client_port = listeners.secure_client_port
        if not self.servers:
            raise StartupError(f"{self.config.source}: neither clientPort nor secureClientPort is set")
        self.timers = [
            loop.create_task(self._every(min(self.config.tick_time, 1000) / 1000, self.zk.expire_sessions)),
            loop.create_task(self._every(self._container_interval_s(), self._reap)),
        ]
        if self.config.autopurge_purge_interval > 0:
            self.timers.append(
                loop.create_task(self._every(self.config.autopurge_purge_interval * HOUR_S, self._purge))
            )
        log.info("serving clients on port %s (secure: %s)", self.client_port, self.secure_client_port)

    def _container_interval_s(self) -> float:
        raw = self.config.extra.get(
            "znode.container.checkIntervalMs", str(CONTAINER_CHECK_INTERVAL_MS_DEFAULT)
        )
        return max(int(raw), 10) / 1000

    async def _every(self, interval_s: float, job: object) -> None:
        assert callable(job)
        while True:
            await asyncio.sleep(interval_s)
            try:
                job()
            except Exception:
                log.exception("periodic job %s failed", getattr(job, "__name__", job))

    def _storage_failed(self, error: BaseException) -> None:
        self.failure = error
        self.zk.close_all_connections()
        self.stopped.set()

    def _reap(self) -> None:
        self.zk.reap_containers(int(time.time() * 1000))

    def _purge(self) -> None:
        retain = self.config.autopurge_snap_retain_count
        self.pipeline.schedule_in_writer(lambda: log.info("autopurge removed %s", self.storage.purge(retain)))

    def _after_batch(self, last_zxid: int) -> None:
        if last_zxid - self.last_snapshot_zxid < self.snap_threshold:
            return
        body = snapshot_body(self.zk.tree)
        zxid = self.zk.tree.last_processed_zxid
        assert zxid == last_zxid, (zxid, last_zxid)
        self.last_snapshot_zxid = zxid
        self.snap_threshold = self._next_snap_threshold()
        self.stats.snapshot_count += 1

        def write_snapshot() -> None:
            try:
                self.storage.roll_log()
                path = self.storage.save_snapshot(zxid, body)
                log.info("wrote snapshot %s (%d bytes)", path, len(body))
            except OSError:
                log.exception("snapshot at zxid %#x failed; the txn log still holds everything", zxid)

        self.pipeline.schedule_in_writer(write_snapshot)

    async def stop(self) -> None:
        for timer in self.timers:
            timer.cancel()
        for server in self.servers:
            server.close()
        self.zk.close_all_connections()
        for server in self.servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)
        await self.pipeline.drain()
        self.pipeline.close()
        self.storage.close()

    # --- four-letter words ---------------------------------------------------------------------

    def four_letter(self, word: str) -> str:
        if word in ("srst",) and word in self.config.four_letter_words:
            self.stats.reset()
        runtime = ConfRuntime(
            client_port=self.client_port,
            secure_client_port=self.secure_client_port,
            snap_dir=str(self.storage.snap_dir),
            snap_dir_size=directory_bytes(self.storage.snap_dir),
            log_dir=str(self.storage.log_dir),
            log_dir_size=directory_bytes(self.storage.log_dir),
        )
        conf = render_conf(self.config, runtime)
        uptime_ms = int((time.monotonic() - self.started) * 1000)
        facts = gather_facts(self.zk, self.pipeline.outstanding(), conf, runtime, uptime_ms)
        return answer(word, facts, self.config.four_letter_words)


class Service(Protocol):
    """What ``run_until_signalled`` needs of a server: start, stop, and how it ended."""

    stopped: asyncio.Event
    failure: BaseException | None

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def _serve(service: Service, name: str) -> None:
    try:
        await service.start()
    except OSError as error:
        await service.stop()
        raise StartupError(f"cannot listen: {error}") from None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, service.stopped.set)
    await service.stopped.wait()
    log.info("%s shutting down", name)
    await service.stop()
    if service.failure is not None:
        raise StartupError(f"{name} stopped after a txn log failure: {service.failure!r}")


def run_until_signalled(make: Callable[[], Service], name: str) -> None:
    """Run a server (standalone or an ensemble member) until SIGTERM/SIGINT. Raises StartupError
    when it cannot start or stopped because its disk failed."""
    # The txn log writer thread needs the GIL back as soon as its fsync returns, while the event
    # loop is busy with requests; Python's default 5 ms switch interval would hold every commit
    # batch that long. 0.5 ms measured better on both throughput and latency under load.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    try:
        asyncio.run(_serve(make(), name))
    except ConfigError as error:
        raise StartupError(str(error)) from None
    finally:
        logging.shutdown()


def serve_forever(config: ServerConfig) -> None:
    """Run a standalone server until SIGTERM/SIGINT. Raises StartupError when it cannot start."""
    run_until_signalled(lambda: StandaloneServer(config), "standalone server")
