"""Concurrent sessions under faults keep ZooKeeper's guarantees (checked by ``histories``).

Six sessions write unique values to and read four keys through the whole connect string while the
leader is killed and restarted, and then the new leader is isolated and healed. The recorded
history must have linearizable writes, sequentially consistent reads, reads after ``sync`` that
see every earlier write, and no lost acknowledged write. The checker itself is shown to catch
each kind of violation on small hand-made histories.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

import pytest
from histories import Op, violations
from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.handlers.threading import KazooTimeoutError

from zabkeeper.cli.local_ensemble import LocalEnsemble

KEYS = [f"/lin/k{index}" for index in range(4)]
SESSIONS = 6
OP_TIMEOUT_S = 4.0


class Worker(threading.Thread):
    def __init__(self, index: int, client: KazooClient, stop: threading.Event) -> None:
        super().__init__()
        self.index = index
        self.client = client
        self.stop = stop
        self.ops: list[Op] = []
        self.random = random.Random(index)

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            key = self.random.choice(KEYS)
            choice = self.random.random()
            try:
                if choice < 0.4:
                    self._write(key, f"s{self.index}-{number}".encode())
                else:
                    self._read(key, synced=choice > 0.8)
            except (KazooException, KazooTimeoutError):
                time.sleep(0.05)

    def _session(self) -> int:
        """The session that just answered (a session that expired is replaced by a new one)."""
        client_id = self.client.client_id
        assert client_id is not None
        session_id: int = client_id[0]
        return session_id

    def _write(self, key: str, value: bytes) -> None:
        invoked = time.monotonic()
        try:
            stat = self.client.set_async(key, value).get(timeout=OP_TIMEOUT_S)
        except (KazooException, KazooTimeoutError):
            self.ops.append(Op(-1, "write", key, invoked, None, value))
            raise
        answered = time.monotonic()
        self.ops.append(Op(self._session(), "write", key, invoked, answered, value, stat.mzxid))

    def _read(self, key: str, synced: bool) -> None:
        invoked = time.monotonic()
        if synced:
            self.client.sync_async(key).get(timeout=OP_TIMEOUT_S)
        value, stat = self.client.get_async(key).get(timeout=OP_TIMEOUT_S)
        answered = time.monotonic()
        synced_at = invoked if synced else None
        self.ops.append(Op(self._session(), "read", key, invoked, answered, value, stat.mzxid, synced_at))


@pytest.mark.network
def test_histories_under_faults_keep_zookeepers_guarantees(
    ensembles: Callable[..., LocalEnsemble], clients: Callable[..., KazooClient]
) -> None:
    ensemble = ensembles()
    setup = clients(ensemble.connect_string)
    for key in KEYS:
        setup.ensure_path(key)
    stop = threading.Event()
    workers = [Worker(i, clients(ensemble.connect_string), stop) for i in range(SESSIONS)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(1.5)
        leader = ensemble.wait_serving()
        ensemble.kill(leader)
        time.sleep(2.0)
        ensemble.start(leader)
        second = ensemble.wait_serving(timeout_s=30)
        time.sleep(1.0)
        ensemble.isolate(second)
        time.sleep(3.5)
        ensemble.heal()
        ensemble.wait_serving(timeout_s=30)
        time.sleep(1.5)
    finally:
        stop.set()
        for worker in workers:
            worker.join(30)
    ops = [op for worker in workers for op in worker.ops]
    final = {}
    for key in KEYS:
        setup.sync(key)
        value, stat = setup.get(key)
        final[key] = (value, stat.mzxid)
    acknowledged = [op for op in ops if op.answered is not None]
    print(f"{len(ops)} operations, {len(acknowledged)} answered")
    assert sum(1 for op in acknowledged if op.kind == "write") > 50, "too few writes to mean anything"
    assert any(op.synced_at is not None for op in acknowledged)
    problems = violations(ops, final)
    assert not problems, "\n".join(problems[:20])


def write(session: int, key: str, start: float, end: float | None, value: bytes, zxid: int) -> Op:
    return Op(session, "write", key, start, end, value, zxid)


def read(session: int, key: str, start: float, value: bytes, zxid: int, synced: bool = False) -> Op:
    return Op(session, "read", key, start, start + 0.1, value, zxid, start if synced else None)


def test_the_checker_accepts_a_correct_history() -> None:
    ops = [
        write(1, "/a", 0.0, 1.0, b"x", 5),
        write(2, "/a", 2.0, 3.0, b"y", 7),
        read(3, "/a", 1.5, b"x", 5),
        read(3, "/a", 3.5, b"y", 7, synced=True),
        write(4, "/a", 0.5, None, b"z", 0),  # unknown outcome: constrains nothing
    ]
    assert violations(ops, {"/a": (b"y", 7)}) == []


@pytest.mark.parametrize(
    ("ops", "final", "kind"),
    [
        ([write(1, "/a", 0, 1, b"x", 9), write(2, "/a", 2, 3, b"y", 7)], {"/a": (b"x", 9)}, "ordered before"),
        (
            [write(1, "/a", 0, 1, b"x", 5), write(2, "/b", 0, 1, b"y", 5)],
            {"/a": (b"x", 5), "/b": (b"y", 5)},
            "share zxid",
        ),
        ([write(1, "/a", 0, 1, b"x", 5), read(2, "/a", 2, b"q", 5)], {"/a": (b"x", 5)}, "saw"),
        ([read(2, "/a", 1, b"y", 7), read(2, "/a", 2, b"x", 5)], {"/a": (b"y", 7)}, "after having seen"),
        ([write(2, "/a", 0, 1, b"x", 5), read(2, "/a", 2, b"w", 3)], {"/a": (b"x", 5)}, "after having seen"),
        (
            [write(1, "/a", 0, 1, b"x", 5), read(2, "/a", 2, b"w", 3, synced=True)],
            {"/a": (b"x", 5)},
            "after sync",
        ),
        ([write(1, "/a", 0, 1, b"x", 5)], {"/a": (b"w", 3)}, "lost write"),
    ],
)
def test_the_checker_catches_each_violation(
    ops: list[Op], final: dict[str, tuple[bytes, int]], kind: str
) -> None:
    problems = violations(ops, final)
    assert any(kind in problem for problem in problems), problems
