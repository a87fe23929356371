"""kazoo against a real zabkeeper process: CRUD, watches, ephemerals, sequences, ACLs, auth,
transactions and kazoo's recipes."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadVersionError,
    NoAuthError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    RolledBackError,
)
from kazoo.recipe.barrier import Barrier, DoubleBarrier
from kazoo.recipe.counter import Counter
from kazoo.recipe.election import Election
from kazoo.recipe.lease import NonBlockingLease
from kazoo.recipe.lock import Lock, Semaphore
from kazoo.recipe.party import Party
from kazoo.recipe.queue import LockingQueue, Queue
from kazoo.security import make_digest_acl
from server_support import SUPER_PASSWORD

pytestmark = pytest.mark.network

WAIT_S = 10.0


@pytest.fixture
def client(zab_server) -> Iterator[KazooClient]:  # type: ignore[no-untyped-def]
    zk = KazooClient(f"127.0.0.1:{zab_server.port}", timeout=10)
    zk.start(timeout=10)
    try:
        yield zk
    finally:
        zk.stop()
        zk.close()


def new_client(server) -> KazooClient:  # type: ignore[no-untyped-def]
    zk = KazooClient(f"127.0.0.1:{server.port}", timeout=10)
    zk.start(timeout=10)
    return zk


@pytest.fixture
def root(client: KazooClient) -> str:
    path = f"/t-{uuid.uuid4().hex[:8]}"
    client.create(path)
    return path


def test_crud_and_stat(client: KazooClient, root: str) -> None:
    path = client.create(f"{root}/a", b"one")
    data, stat = client.get(path)
    assert (data, stat.version, stat.dataLength, stat.numChildren) == (b"one", 0, 3, 0)
    stat2 = client.set(path, b"two")
    assert stat2.version == 1 and stat2.mzxid > stat.mzxid and stat2.czxid == stat.czxid
    with pytest.raises(BadVersionError):
        client.set(path, b"three", version=0)
    with pytest.raises(NodeExistsError):
        client.create(path)
    with pytest.raises(NoNodeError):
        client.create(f"{root}/missing/child")
    client.create(f"{root}/a/b")
    with pytest.raises(NotEmptyError):
        client.delete(path)
    assert client.get_children(path) == ["b"]
    parent_stat = client.exists(root)
    assert parent_stat is not None and parent_stat.numChildren == 1
    client.delete(path, recursive=True)
    assert client.exists(path) is None


def test_large_values_up_to_jute_maxbuffer(client: KazooClient, root: str) -> None:
    client.create(f"{root}/big", b"x" * (512 * 1024))
    assert len(client.get(f"{root}/big")[0]) == 512 * 1024


def test_watches_fire_once_with_the_right_events(client: KazooClient, root: str) -> None:
    events: list[tuple[str, str]] = []
    fired = threading.Event()

    def watcher(event) -> None:  # type: ignore[no-untyped-def]
        events.append((event.type, event.path))
        fired.set()

    assert client.exists(f"{root}/w", watch=watcher) is None
    client.create(f"{root}/w", b"")
    assert fired.wait(WAIT_S)
    fired.clear()
    client.get(f"{root}/w", watch=watcher)
    client.get_children(root, watch=watcher)
    client.set(f"{root}/w", b"1")
    client.set(f"{root}/w", b"2")  # the data watch is used up: no second event
    client.create(f"{root}/w2")
    deadline = time.monotonic() + WAIT_S
    while len(events) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    assert events == [("CREATED", f"{root}/w"), ("CHANGED", f"{root}/w"), ("CHILD", root)]


def test_ephemerals_vanish_with_their_session(zab_server, client: KazooClient, root: str) -> None:  # type: ignore[no-untyped-def]
    other = new_client(zab_server)
    other.create(f"{root}/eph", ephemeral=True)
    gone = threading.Event()
    client.exists(f"{root}/eph", watch=lambda event: gone.set())
    assert client.exists(f"{root}/eph").ephemeralOwner == other.client_id[0]
    other.stop()
    other.close()
    assert gone.wait(WAIT_S)
    assert client.exists(f"{root}/eph") is None


def test_sequential_nodes_count_from_the_parent_cversion(client: KazooClient, root: str) -> None:
    first = client.create(f"{root}/job-", sequence=True)
    second = client.create(f"{root}/job-", sequence=True, ephemeral=True)
    assert first == f"{root}/job-0000000000"
    assert second == f"{root}/job-0000000001"


def test_acl_and_digest_auth(zab_server, client: KazooClient, root: str) -> None:  # type: ignore[no-untyped-def]
    acl = make_digest_acl("alice", "pw", all=True)
    client.add_auth("digest", "alice:pw")
    client.create(f"{root}/secret", b"s", acl=[acl])
    stranger = new_client(zab_server)
    try:
        with pytest.raises(NoAuthError):
            stranger.get(f"{root}/secret")
        stranger.add_auth("digest", "super:" + SUPER_PASSWORD)
        assert stranger.get(f"{root}/secret")[0] == b"s"
    finally:
        stranger.stop()
        stranger.close()
    acls, _ = client.get_acls(f"{root}/secret")
    assert acls == [acl]


def test_transactions_are_atomic(client: KazooClient, root: str) -> None:
    tx = client.transaction()
    tx.create(f"{root}/x", b"1")
    tx.create(f"{root}/x/y")
    tx.check(root, 0)
    assert tx.commit() == [f"{root}/x", f"{root}/x/y", True]
    tx = client.transaction()
    tx.create(f"{root}/z")
    tx.delete(f"{root}/missing")
    results = tx.commit()
    assert isinstance(results[0], RolledBackError) and isinstance(results[1], NoNodeError)
    assert client.exists(f"{root}/z") is None


def test_whoami_and_server_version(client: KazooClient) -> None:
    assert client.server_version()[:2] == (3, 8)
    assert "imok" in client.command(b"ruok")


def test_lock_and_semaphore(zab_server, client: KazooClient, root: str) -> None:  # type: ignore[no-untyped-def]
    other = new_client(zab_server)
    try:
        lock = Lock(client, f"{root}/lock")
        rival = Lock(other, f"{root}/lock")
        assert lock.acquire(timeout=WAIT_S)
        assert not rival.acquire(blocking=False)
        lock.release()
        assert rival.acquire(timeout=WAIT_S)
        rival.release()
        sem = Semaphore(client, f"{root}/sem", max_leases=2)
        sem2 = Semaphore(other, f"{root}/sem", max_leases=2)
        assert sem.acquire(timeout=WAIT_S) and sem2.acquire(timeout=WAIT_S)
        assert len(sem.lease_holders()) == 2
        sem.release()
        sem2.release()
    finally:
        other.stop()
        other.close()


def test_election_barrier_counter_queue_party_lease(zab_server, client: KazooClient, root: str) -> None:  # type: ignore[no-untyped-def]
    elected, resign = threading.Event(), threading.Event()
    election = Election(client, f"{root}/election", "me")

    def lead() -> None:
        elected.set()
        resign.wait(WAIT_S)

    worker = threading.Thread(target=election.run, args=(lead,), daemon=True)
    worker.start()
    assert elected.wait(WAIT_S)
    assert election.contenders() == ["me"]
    resign.set()
    worker.join(WAIT_S)

    barrier = Barrier(client, f"{root}/barrier")
    barrier.create()
    assert not barrier.wait(0.2)
    barrier.remove()
    assert barrier.wait(1)
    double = DoubleBarrier(client, f"{root}/double", 1)
    double.enter()
    double.leave()

    counter = Counter(client, f"{root}/counter")
    counter += 5
    counter -= 2
    assert counter.value == 3

    queue = Queue(client, f"{root}/queue")
    for item in (b"a", b"b", b"c"):
        queue.put(item)
    assert [queue.get(), queue.get()] == [b"a", b"b"]
    locking = LockingQueue(client, f"{root}/lq")
    locking.put(b"job", priority=1)
    assert locking.get(timeout=WAIT_S) == b"job"
    assert locking.consume()

    party = Party(client, f"{root}/party", "p1")
    party.join()
    assert len(party) == 1
    party.leave()

    lease = NonBlockingLease(client, f"{root}/lease", duration=timedelta(seconds=5), identifier="a")
    assert lease
    other = new_client(zab_server)
    try:
        assert not NonBlockingLease(other, f"{root}/lease", duration=timedelta(seconds=5), identifier="b")
    finally:
        other.stop()
        other.close()
