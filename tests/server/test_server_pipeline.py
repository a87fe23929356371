"""StandalonePipeline: txns are durable before they are applied (and so before any reply), and
many concurrent writes share one fsync. The persist-before-apply checker is shown to catch a
pipeline that applies first."""

from __future__ import annotations

import asyncio
import threading

import pytest

from zabkeeper.server.pipeline import ClientWrite, CommittedTxn, StandalonePipeline
from zabkeeper.server.stats import ServerStats
from zabkeeper.tree import records as r
from zabkeeper.tree.constants import OpCode


class RecordingStorage:
    """Stands in for FileTxnSnapLog.append; blocks while ``gate`` is closed."""

    def __init__(self, events: list[tuple[str, list[int]]]) -> None:
        self.events = events
        self.gate = threading.Event()
        self.gate.set()

    def append(self, records: list[tuple[int, bytes]]) -> None:
        self.gate.wait(5)
        self.events.append(("durable", [zxid for zxid, _ in records]))


class RecordingSink:
    def __init__(self, events: list[tuple[str, list[int]]]) -> None:
        self.events = events

    def apply_committed(self, txns: list[CommittedTxn]) -> None:
        self.events.append(("applied", [txn.header.zxid for txn in txns]))


def prepare(write: ClientWrite, zxid: int, time_ms: int) -> tuple[r.TxnHeader, r.TxnRecord]:
    return r.TxnHeader(write.session_id, write.cxid, zxid, time_ms, OpCode.setData), r.SetDataTxn(
        "/a", b"x", 1
    )


def durable_before_applied(events: list[tuple[str, list[int]]]) -> list[int]:
    """zxids applied before they were durable: must be empty."""
    durable: set[int] = set()
    violations = []
    for kind, zxids in events:
        if kind == "durable":
            durable.update(zxids)
        else:
            violations += [zxid for zxid in zxids if zxid not in durable]
    return violations


class ApplyFirstPipeline(StandalonePipeline):
    """A deliberately broken pipeline: applies (and so replies) before the log write."""

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while self.queue:
            batch, self.queue = self.queue, []
            self.sink.apply_committed([committed for committed, _ in batch])
            records = [(committed.header.zxid, payload) for committed, payload in batch]
            await loop.run_in_executor(self.writer, self.storage.append, records)
        self.flushing = None


async def run_writes(pipeline_class: type[StandalonePipeline], writes: int) -> list[tuple[str, list[int]]]:
    events: list[tuple[str, list[int]]] = []
    storage = RecordingStorage(events)
    storage.gate.clear()  # the first fsync is slow: everything else queues behind it
    pipeline = pipeline_class(
        storage,
        prepare,
        RecordingSink(events),
        0,
        ServerStats(),
        inline_append_txns_max=0,  # type: ignore[arg-type]
    )
    for cxid in range(1, writes + 1):
        pipeline.submit(ClientWrite(1, cxid, OpCode.setData, None, ()))
        await asyncio.sleep(0)
    storage.gate.set()
    await pipeline.drain()
    pipeline.close()
    return events


def test_every_txn_is_durable_before_it_is_applied() -> None:
    events = asyncio.run(run_writes(StandalonePipeline, 200))
    assert durable_before_applied(events) == []
    applied = [zxid for kind, zxids in events if kind == "applied" for zxid in zxids]
    assert applied == list(range(1, 201))


def test_writes_arriving_during_an_fsync_share_the_next_one() -> None:
    events = asyncio.run(run_writes(StandalonePipeline, 200))
    fsyncs = [zxids for kind, zxids in events if kind == "durable"]
    assert len(fsyncs) <= 3, [len(batch) for batch in fsyncs]


def test_the_checker_catches_a_pipeline_that_applies_first() -> None:
    events = asyncio.run(run_writes(ApplyFirstPipeline, 50))
    assert durable_before_applied(events) != []


@pytest.mark.parametrize("writes", [1, 7])
def test_small_bursts_commit_in_zxid_order(writes: int) -> None:
    events = asyncio.run(run_writes(StandalonePipeline, writes))
    applied = [zxid for kind, zxids in events if kind == "applied" for zxid in zxids]
    assert applied == list(range(1, writes + 1))


def test_a_failed_log_write_is_never_applied_and_reported() -> None:
    class FailingStorage:
        def append(self, records: list[tuple[int, bytes]]) -> None:
            raise OSError("disk full")

    events: list[tuple[str, list[int]]] = []
    failures: list[BaseException] = []

    async def scenario() -> None:
        pipeline = StandalonePipeline(
            FailingStorage(),
            prepare,
            RecordingSink(events),
            0,
            ServerStats(),
            on_failure=failures.append,  # type: ignore[arg-type]
        )
        pipeline.submit(ClientWrite(1, 1, OpCode.setData, None, ()))
        await pipeline.drain()
        pipeline.close()

    asyncio.run(scenario())
    assert events == [] and len(failures) == 1 and "disk full" in str(failures[0])


def test_a_lone_write_is_appended_on_the_loop_and_still_durable_first() -> None:
    events: list[tuple[str, list[int]]] = []
    threads: list[str] = []

    class ThreadRecordingStorage(RecordingStorage):
        def append(self, records: list[tuple[int, bytes]]) -> None:
            threads.append(threading.current_thread().name)
            super().append(records)

    async def scenario() -> None:
        pipeline = StandalonePipeline(
            ThreadRecordingStorage(events), prepare, RecordingSink(events), 0, ServerStats()
        )  # type: ignore[arg-type]
        for cxid in (1, 2, 3):
            pipeline.submit(ClientWrite(1, cxid, OpCode.setData, None, ()))
            await pipeline.drain()
        pipeline.close()

    asyncio.run(scenario())
    assert threads == [threading.main_thread().name] * 3
    assert durable_before_applied(events) == [] and len(events) == 6
