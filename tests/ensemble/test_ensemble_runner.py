"""The runner keeps core/ready.py's order: writes durable, then effects, Ready by Ready, with group commit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from zabkeeper.core.messages import Ack, Txn
from zabkeeper.core.ready import AppendTxns, DurableWrite, Ready, SetCurrentEpoch
from zabkeeper.server.runner import Runner, RunnerStopped


class RecordingStore:
    """A durable store that records each call; ``gate`` holds the writer thread when set."""

    def __init__(self, log: list[str], fail: bool = False) -> None:
        self.log = log
        self.fail = fail
        self.calls: list[list[DurableWrite]] = []
        self.gate: threading.Event | None = None

    def execute(self, writes: Sequence[DurableWrite]) -> None:
        if self.gate is not None:
            assert self.gate.wait(5)
        if self.fail:
            raise OSError("disk on fire")
        self.calls.append(list(writes))
        self.log.append(f"durable {len(writes)}")


def ready(name: str, writes: int = 0) -> Ready:
    out = Ready()
    for index in range(writes):
        out.write(AppendTxns((Txn(index + 1, name.encode()),)))
    out.send(2, Ack(len(name)))
    out.event(name)
    return out


def run_runner(store: RecordingStore, log: list[str], scenario) -> Runner:  # type: ignore[no-untyped-def]
    failures: list[BaseException] = []

    async def main() -> Runner:
        runner = Runner(store, lambda r: log.append(f"effects {r.events[0].action}"), failures.append)
        await scenario(runner)
        await runner.drain()
        runner.close()
        return runner

    return asyncio.run(main())


def test_a_ready_without_writes_runs_at_once() -> None:
    log: list[str] = []

    async def scenario(runner: Runner) -> None:
        runner.submit(ready("a"))
        assert log == ["effects a"]

    run_runner(RecordingStore(log), log, scenario)


def test_effects_wait_for_durability_and_keep_order() -> None:
    log: list[str] = []
    store = RecordingStore(log)

    async def scenario(runner: Runner) -> None:
        runner.submit(ready("a", writes=1))
        runner.submit(ready("b"))  # no writes, but behind a: must wait for a's fsync
        assert log == []
        await runner.drain()

    run_runner(store, log, scenario)
    assert log == ["durable 1", "effects a", "effects b"]


def test_readys_stepped_during_an_fsync_share_the_next_one() -> None:
    log: list[str] = []
    store = RecordingStore(log)
    store.gate = threading.Event()

    async def scenario(runner: Runner) -> None:
        runner.submit(ready("a", writes=1))
        await asyncio.sleep(0.05)  # the writer now holds a's batch
        for name in ("b", "c", "d"):
            runner.submit(ready(name, writes=2))
        assert store.gate is not None
        store.gate.set()
        await runner.drain()
        assert runner.batches == 2

    run_runner(store, log, scenario)
    assert [len(call) for call in store.calls] == [1, 6]
    assert log == ["durable 1", "effects a", "durable 6", "effects b", "effects c", "effects d"]


def test_effects_that_step_again_queue_behind() -> None:
    log: list[str] = []
    store = RecordingStore(log)

    async def scenario(runner: Runner) -> None:
        def effects(r: Ready) -> None:
            name = r.events[0].action
            log.append(f"effects {name}")
            if name == "a":
                runner.submit(ready("nested"))
                log.append("a done")

        runner.effects = effects
        runner.submit(ready("a"))

    run_runner(store, log, scenario)
    assert log == ["effects a", "a done", "effects nested"]


def test_a_failed_write_stops_the_runner_and_runs_no_effects() -> None:
    log: list[str] = []
    store = RecordingStore(log, fail=True)
    failures: list[BaseException] = []

    async def main() -> None:
        runner = Runner(store, lambda r: log.append("effects"), failures.append)
        runner.submit(ready("a", writes=1))
        with pytest.raises(OSError):
            await runner.drain()
        with pytest.raises(RunnerStopped):
            runner.submit(ready("b"))
        runner.close()

    asyncio.run(main())
    assert log == [] and len(failures) == 1


def test_epoch_writes_are_batched_in_order() -> None:
    log: list[str] = []
    store = RecordingStore(log)

    async def scenario(runner: Runner) -> None:
        first = ready("a", writes=1)
        first.write(SetCurrentEpoch(3))
        runner.submit(first)
        await runner.drain()

    run_runner(store, log, scenario)
    assert isinstance(store.calls[0][0], AppendTxns) and store.calls[0][1] == SetCurrentEpoch(3)


class EagerRunner(Runner):
    """Broken on purpose: runs each batch's effects before making its writes durable."""

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.queue:
                batch = list(self.queue)
                self.queue.clear()
                for pending in batch:
                    self.effects(pending)
                writes = [write for pending in batch for write in pending.writes]
                await loop.run_in_executor(self.writer, self.store.execute, writes)
        finally:
            self.busy = False
            self.task = None


def persist_before_send_violations(runner_cls: type[Runner]) -> list[str]:
    """Names of Readys whose effects ran before their writes were durable."""
    durable: set[str] = set()
    violations: list[str] = []

    class Store:
        def execute(self, writes: Sequence[DurableWrite]) -> None:
            for write in writes:
                assert isinstance(write, AppendTxns)
                durable.update(txn.data.decode() for txn in write.txns)

    def effects(r: Ready) -> None:
        name = r.events[0].action
        if r.writes and name not in durable:
            violations.append(name)

    async def main() -> None:
        runner = runner_cls(Store(), effects, lambda error: None)
        for index in range(20):
            runner.submit(ready(f"r{index}", writes=index % 3))
            if index % 5 == 0:
                await asyncio.sleep(0)
        await runner.drain()
        runner.close()

    asyncio.run(main())
    return violations


def test_persist_before_send_holds_and_the_check_catches_a_runner_that_breaks_it() -> None:
    assert persist_before_send_violations(Runner) == []
    assert persist_before_send_violations(EagerRunner) != []
