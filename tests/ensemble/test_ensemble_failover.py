"""kill -9 of the leader under a write load, then of every server: nothing acknowledged is lost.

Writers create uniquely named znodes through the whole connect string; a write counts as
acknowledged only when its reply arrived. After the leader is killed a new leader must serve
writes, sessions held by other servers must survive (same session id, ephemerals intact), watches
set before the kill must fire, and every acknowledged znode must exist on every server, also
after every server was killed and restarted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from ensemble_support import member_hosts
from kazoo.client import KazooClient
from kazoo.exceptions import KazooException

from zabkeeper.cli.local_ensemble import LocalEnsemble

pytestmark = pytest.mark.network


class Writers:
    """Threads that keep creating /load/<writer>-<n> and record which creates were acknowledged."""

    def __init__(self, hosts: str, clients: Callable[..., KazooClient], count: int = 3) -> None:
        self.acked: list[tuple[float, float, str]] = []  # (invoked, acknowledged, name)
        self.failed = 0
        self.stop = threading.Event()
        self.clients = [clients(hosts) for _ in range(count)]
        self.clients[0].ensure_path("/load")
        self.threads = [threading.Thread(target=self._run, args=(index,)) for index in range(count)]
        self.lock = threading.Lock()

    def _run(self, index: int) -> None:
        client = self.clients[index]
        number = 0
        while not self.stop.is_set():
            number += 1
            name = f"w{index}-{number}"
            invoked = time.monotonic()
            try:
                client.create(f"/load/{name}", name.encode())
            except KazooException:
                with self.lock:
                    self.failed += 1
                time.sleep(0.02)
                continue
            with self.lock:
                self.acked.append((invoked, time.monotonic(), name))

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)

    def acked_since(self, moment: float) -> int:
        with self.lock:
            return sum(1 for invoked, _, _ in self.acked if invoked > moment)


def all_znodes(client: KazooClient) -> set[str]:
    client.sync("/load")
    return set(client.get_children("/load"))


def test_killing_the_leader_under_load_loses_no_acknowledged_write(
    ensembles: Callable[..., LocalEnsemble], clients: Callable[..., KazooClient]
) -> None:
    ensemble = ensembles()
    leader = ensemble.wait_serving()
    follower = next(sid for sid in ensemble.members if sid != leader)
    watcher = clients(member_hosts(ensemble, follower))
    session_before = watcher.client_id[0]
    watcher.create("/survivor", ephemeral=True)
    watcher.create("/watched", b"0")
    fired = threading.Event()
    watcher.get("/watched", watch=lambda event: fired.set())

    with Writers(ensemble.connect_string, clients) as writers:
        deadline = time.monotonic() + 20
        while writers.acked_since(0) < 100:
            assert time.monotonic() < deadline, "no write load"
            time.sleep(0.05)
        killed_at = time.monotonic()
        ensemble.kill(leader)
        new_leader = ensemble.wait_serving(timeout_s=30)
        assert new_leader != leader
        while writers.acked_since(killed_at) < 50:
            assert time.monotonic() < deadline + 30, "the new leader serves no writes"
            time.sleep(0.05)
        gap = min(done for invoked, done, _ in writers.acked if invoked > killed_at) - killed_at
        print(f"first acknowledged write {gap * 1000:.0f} ms after kill -9 of leader {leader}")

    acked = {name for _, _, name in writers.acked}
    assert watcher.exists("/survivor") is not None  # waits until the client has reconnected
    assert watcher.client_id[0] == session_before, "the follower's session survived the failover"
    clients(member_hosts(ensemble, new_leader)).set("/watched", b"1")
    assert fired.wait(10), "a watch set before the failover fired"
    for sid in ensemble.members:
        if sid != leader:
            missing = acked - all_znodes(clients(member_hosts(ensemble, sid)))
            assert not missing, f"server {sid} lost acknowledged writes {sorted(missing)[:5]}"

    ensemble.start(leader)
    ensemble.wait_serving(timeout_s=30)
    assert not acked - all_znodes(clients(member_hosts(ensemble, leader)))

    for sid in ensemble.members:
        ensemble.kill(sid)
    ensemble.start_all()
    ensemble.wait_serving(timeout_s=60)
    for sid in ensemble.members:
        missing = acked - all_znodes(clients(member_hosts(ensemble, sid)))
        assert not missing, f"after restarting every server, {sid} lacks {sorted(missing)[:5]}"
