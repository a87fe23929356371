"""The runner: executes the core's ``Ready`` values in order, with group commit.

``core/ready.py`` is the contract: a Ready's durable writes are on disk before anything else of
it happens, then its committed txns are applied, then its messages leave, then the rest; and a
Ready is finished before the next one starts. The runner keeps that order while letting many
Readys share one fsync:

* ``submit(ready)`` queues a Ready. When nothing is queued or being written, a Ready without
  writes runs at once (most Readys of a busy leader are ACKs and COMMITs).
* Otherwise the whole queue becomes one batch: the writer thread makes every write of the batch
  durable with as few fsyncs as the order allows (consecutive log appends share one), and then
  the event loop executes the effects of each Ready of the batch, in order. Readys stepped
  meanwhile queue up for the next batch, so under load one fsync covers many txns.
* ``effects`` may step the core again (a forwarded request becomes a proposal); the Readys this
  produces are queued behind the current ones, never run inside them.

The writer thread is also where other storage work runs (snapshots, log roll, purge), so it is
ordered with the appends (``run_in_writer``). A failed write stops the runner for good: nothing
stepped after it may be acknowledged, and the member shuts down.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar

from zabkeeper.core.ready import DurableWrite, Ready

log = logging.getLogger(__name__)

T = TypeVar("T")
# Readys waiting for one batch; beyond this the member is far behind its disk and must stop.
QUEUED_READYS_MAX = 1_000_000


class DurableStore(Protocol):
    """Executes durable writes; called on the writer thread only."""

    def execute(self, writes: Sequence[DurableWrite]) -> None:
        """Make every write durable, in order, before returning."""


class RunnerStopped(RuntimeError):
    """The disk failed; the runner accepts no more work."""


class Runner:
    """Runs Readys for one member; see the module docstring."""

    def __init__(
        self,
        store: DurableStore,
        effects: Callable[[Ready], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        self.store = store
        self.effects = effects
        self.on_failure = on_failure
        self.queue: deque[Ready] = deque()
        self.busy = False
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zab-writer")
        self.failed: BaseException | None = None
        self.batches = 0
        self.batched_writes = 0
        self.task: asyncio.Task[None] | None = None

    def submit(self, ready: Ready) -> None:
        if self.failed is not None:
            raise RunnerStopped(f"disk failure: {self.failed!r}")
        if ready.is_empty():
            return
        self.queue.append(ready)
        assert len(self.queue) <= QUEUED_READYS_MAX, "the runner fell too far behind"
        if not self.busy:
            self._drain()

    def _drain(self) -> None:
        """Run Readys without writes at once; hand the rest to the writer as one batch."""
        self.busy = True
        try:
            while self.queue and not self.queue[0].writes:
                self.effects(self.queue.popleft())
        except BaseException:
            self.busy = False
            raise
        if self.queue:
            self.task = asyncio.get_running_loop().create_task(self._flush())
        else:
            self.busy = False

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.queue:
                batch = list(self.queue)
                self.queue.clear()
                writes = [write for ready in batch for write in ready.writes]
                if writes:
                    await loop.run_in_executor(self.writer, self.store.execute, writes)
                    self.batches += 1
                    self.batched_writes += len(writes)
                for ready in batch:
                    self.effects(ready)
        except BaseException as error:
            self.failed = error
            self.queue.clear()
            log.critical("the runner stopped: %r", error)
            self.on_failure(error)
            raise
        finally:
            self.busy = False
            self.task = None

    @property
    def pending(self) -> int:
        return len(self.queue)

    async def run_in_writer(self, job: Callable[[], T]) -> T:
        """Run storage work on the writer thread, ordered with the durable writes."""
        return await asyncio.get_running_loop().run_in_executor(self.writer, job)

    async def drain(self) -> None:
        """Wait until every submitted Ready has been executed."""
        while self.task is not None:
            await asyncio.shield(self.task)

    def close(self) -> None:
        self.writer.shutdown(wait=True)
