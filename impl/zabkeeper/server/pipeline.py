"""The write path seam: ``RequestPipeline`` turns client writes into committed txns, in zxid order.

ZooKeeper's standalone chain is Prep -> Sync -> Final: prepare a txn (every write gets a zxid,
failures become an ErrorTxn, as in ZooKeeper), log it durably, apply it and reply. A replicated
server keeps Prep at the leader and puts Proposal/Ack/Commit between logging and applying. Both
end the same way, so the server depends only on this interface:

* ``submit(write)``: a write from a local client; the pipeline owns preparing and ordering it;
* ``CommitSink.apply_committed(txns)``: called on the event loop with each batch of committed
  txns in zxid order; the server applies them to the tree, fires watches, and answers the local
  clients waiting for them (matched by session id and cxid).

``StandalonePipeline`` is the "log then apply" implementation: prepare at submit time against the
tree plus its outstanding changes, queue, and let one log writer thread append whole batches
with one fdatasync each (group commit). While a batch is being synced the next one fills up, so
under load each fsync covers many txns. A batch of one or two txns on an otherwise idle writer is
appended on the event loop itself: a lone synchronous client then waits for one fsync instead of
an fsync plus two thread wake-ups.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from zabkeeper.server.stats import ServerStats
from zabkeeper.server.storage.txn_snap_log import FileTxnSnapLog
from zabkeeper.tree import records as r
from zabkeeper.wire.txn import encode_txn

log = logging.getLogger(__name__)

PENDING_TXNS_MAX = 100_000
# A batch this small is appended on the event loop itself when the writer thread has nothing
# queued: one fdatasync costs less than the two thread wake-ups a hand-off needs, which is what
# a lone synchronous client waits for. Bigger batches (a loaded server) go to the writer thread
# so that reads keep being answered during the fsync.
INLINE_APPEND_TXNS_MAX = 2  # bound on prepared-but-uncommitted txns; connections bound their own


@dataclass(slots=True)
class ClientWrite:
    """A write request (or session operation) from a client connected to this server."""

    session_id: int
    cxid: int
    opcode: int
    request: Any
    auth: Any  # the session's authenticated ids, for ACL checks in prepare


@dataclass(frozen=True, slots=True)
class CommittedTxn:
    header: r.TxnHeader
    txn: r.TxnRecord | None


class CommitSink(Protocol):
    def apply_committed(self, txns: list[CommittedTxn]) -> None: ...


class RequestPipeline(Protocol):
    def submit(self, write: ClientWrite) -> None: ...

    def outstanding(self) -> int: ...

    async def drain(self) -> None: ...

    def close(self) -> None: ...


Prepare = Callable[[ClientWrite, int, int], tuple[r.TxnHeader, r.TxnRecord | None]]


class StandalonePipeline:
    """prepare -> log (group commit) -> apply, all in one process."""

    def __init__(
        self,
        storage: FileTxnSnapLog,
        prepare: Prepare,
        sink: CommitSink,
        last_zxid: int,
        stats: ServerStats,
        after_batch: Callable[[int], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        inline_append_txns_max: int = INLINE_APPEND_TXNS_MAX,
    ) -> None:
        self.storage = storage
        self.prepare = prepare
        self.sink = sink
        self.last_prepared_zxid = last_zxid
        self.stats = stats
        self.after_batch = after_batch
        self.on_failure = on_failure
        assert inline_append_txns_max >= 0
        self.inline_append_txns_max = inline_append_txns_max
        self.queue: list[tuple[CommittedTxn, bytes]] = []
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="txnlog")
        self.flushing: asyncio.Task[None] | None = None
        self.in_flight = 0
        self.writer_jobs: list[Future[None]] = []
        self.failed: BaseException | None = None

    def submit(self, write: ClientWrite) -> None:
        assert self.failed is None, "the txn log failed; the server is shutting down"
        zxid = self.last_prepared_zxid + 1
        header, txn = self.prepare(write, zxid, int(time.time() * 1000))
        assert header.zxid == zxid, (header.zxid, zxid)
        self.last_prepared_zxid = zxid
        self.queue.append((CommittedTxn(header, txn), encode_txn(header, txn)))
        assert len(self.queue) + self.in_flight <= PENDING_TXNS_MAX, "pending txns unbounded"
        if self.flushing is None:
            self.flushing = asyncio.get_running_loop().create_task(self._flush_loop())

    def writer_idle(self) -> bool:
        """No snapshot or purge is queued or running on the writer thread (appends stay in order)."""
        self.writer_jobs = [job for job in self.writer_jobs if not job.done()]
        return not self.writer_jobs

    def schedule_in_writer(self, job: Callable[[], None]) -> None:
        """Storage work (snapshot writes, log roll, purge) in order with the appends."""
        self.writer_jobs.append(self.writer.submit(job))

    def outstanding(self) -> int:
        return len(self.queue) + self.in_flight

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.queue:
                batch, self.queue = self.queue, []
                self.in_flight = len(batch)
                records = [(committed.header.zxid, payload) for committed, payload in batch]
                if len(batch) <= self.inline_append_txns_max and self.writer_idle():
                    self.storage.append(records)
                else:
                    await loop.run_in_executor(self.writer, self.storage.append, records)
                self.stats.fsync_count += 1
                self.stats.fsync_batch_txns += len(batch)
                self.in_flight = 0
                self.sink.apply_committed([committed for committed, _ in batch])
                if self.after_batch is not None:
                    self.after_batch(batch[-1][0].header.zxid)
        except Exception as error:
            # A txn log that cannot be written means nothing more may be acknowledged: the
            # batch in hand is never applied or answered, and the owner shuts the server down
            # (ZooKeeper exits too). Everything acknowledged before is on disk.
            self.failed = error
            log.critical("txn log write failed, no further writes will be acknowledged: %r", error)
            if self.on_failure is not None:
                self.on_failure(error)
        finally:
            self.flushing = None

    async def drain(self) -> None:
        while self.flushing is not None:
            await asyncio.shield(self.flushing)

    def close(self) -> None:
        self.writer.shutdown(wait=True)
