"""kazoo clients against a 3-server ensemble: the client protocol works through every member.

Writes go in through followers and the leader alike, reads are local, watches fire on the server
that holds the watch whoever made the change, sessions move between servers, and the operations
surface (4lw, metrics) reports the member's role.
"""

from __future__ import annotations

import socket
import struct
import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ensemble_support import SESSION_TIMEOUT_S, TICK_TIME_MS, member_hosts
from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, NoAuthError, NodeExistsError, NoNodeError, RolledBackError
from kazoo.recipe.lock import Lock
from kazoo.security import make_digest_acl

from zabkeeper.cli.local_ensemble import LocalEnsemble, four_letter

pytestmark = pytest.mark.network
WAIT_S = 10.0


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnsemble]:
    local = LocalEnsemble(
        tmp_path_factory.mktemp("clients"),
        tick_time=TICK_TIME_MS,
        sync_limit=4,
        settings={"minSessionTimeout": 1000, "maxSessionTimeout": 20000},
    )
    try:
        local.start_all()
        local.wait_serving(timeout_s=60)
        yield local
    finally:
        local.close()


@pytest.fixture
def per_server(ensemble: LocalEnsemble, clients: Callable[..., KazooClient]) -> dict[int, KazooClient]:
    """One client connected to each member only."""
    return {sid: clients(member_hosts(ensemble, sid)) for sid in ensemble.members}


@pytest.fixture
def root(per_server: dict[int, KazooClient]) -> str:
    path = f"/t-{uuid.uuid4().hex[:8]}"
    per_server[1].create(path)
    return path


def synced_get(client: KazooClient, path: str) -> tuple[bytes, object]:
    client.sync(path)
    result: tuple[bytes, object] = client.get(path)
    return result


def test_writes_through_any_server_are_seen_everywhere(per_server: dict[int, KazooClient], root: str) -> None:
    for sid, client in per_server.items():
        client.create(f"{root}/from-{sid}", str(sid).encode())
    for client in per_server.values():
        client.sync(root)
        assert sorted(client.get_children(root)) == [f"from-{sid}" for sid in sorted(per_server)]
    stat = per_server[2].set(f"{root}/from-1", b"changed")
    with pytest.raises(BadVersionError):
        per_server[3].set(f"{root}/from-1", b"stale", version=0)
    data, seen = synced_get(per_server[3], f"{root}/from-1")
    assert data == b"changed" and seen.mzxid == stat.mzxid and seen.version == 1  # type: ignore[attr-defined]
    with pytest.raises(NodeExistsError):
        per_server[1].create(f"{root}/from-2")
    with pytest.raises(NoNodeError):
        per_server[2].create(f"{root}/missing/child")


def test_sequential_nodes_are_unique_across_servers(per_server: dict[int, KazooClient], root: str) -> None:
    created = [
        client.create(f"{root}/seq-", sequence=True) for _ in range(5) for client in per_server.values()
    ]
    assert len(set(created)) == len(created) == 15
    assert sorted(created) == sorted(f"{root}/seq-{index:010d}" for index in range(15))


def test_a_watch_fires_on_its_server_whoever_changes_the_node(
    per_server: dict[int, KazooClient], root: str
) -> None:
    fired: list[tuple[str, str]] = []
    event = threading.Event()
    path = f"{root}/watched"
    per_server[1].create(path, b"0")

    def watcher(watched_event: object) -> None:
        fired.append((watched_event.type, watched_event.path))  # type: ignore[attr-defined]
        event.set()

    per_server[2].sync(path)  # server 2 may lag behind the create; sync catches it up
    per_server[2].get(path, watch=watcher)
    per_server[3].set(path, b"1")
    assert event.wait(WAIT_S)
    assert fired == [("CHANGED", path)]


def test_ephemerals_go_everywhere_when_their_session_closes(
    ensemble: LocalEnsemble,
    per_server: dict[int, KazooClient],
    clients: Callable[..., KazooClient],
    root: str,
) -> None:
    owner = clients(member_hosts(ensemble, 2))
    owner.create(f"{root}/eph", ephemeral=True)
    per_server[3].sync(root)
    assert per_server[3].exists(f"{root}/eph") is not None
    owner.stop()
    for client in per_server.values():
        client.sync(root)
        assert client.exists(f"{root}/eph") is None


def test_a_reattached_session_on_another_server_keeps_its_ephemeral(
    ensemble: LocalEnsemble, clients: Callable[..., KazooClient], root: str
) -> None:
    owner = clients(member_hosts(ensemble, 1))
    owner.create(f"{root}/kept", ephemeral=True)
    session_id, password = owner.client_id
    moved = clients(member_hosts(ensemble, 2), client_id=(session_id, password))
    assert moved.client_id[0] == session_id
    moved.sync(root)
    stat = moved.exists(f"{root}/kept")
    assert stat is not None and stat.ephemeralOwner == session_id
    moved.create(f"{root}/kept2", ephemeral=True)


def test_multi_and_acls_through_a_follower(
    ensemble: LocalEnsemble,
    per_server: dict[int, KazooClient],
    clients: Callable[..., KazooClient],
    root: str,
) -> None:
    follower = next(
        sid for sid, state in ensemble.statuses().items() if state and state["state"] == "FOLLOWING"
    )
    client = per_server[follower]
    transaction = client.transaction()
    transaction.create(f"{root}/m1", b"a")
    transaction.create(f"{root}/m2", b"b")
    assert transaction.commit() == [f"{root}/m1", f"{root}/m2"]
    failing = client.transaction()
    failing.create(f"{root}/m3")
    failing.create(f"{root}/m1")
    results = failing.commit()
    assert isinstance(results[0], RolledBackError) and isinstance(results[1], NodeExistsError)
    assert client.exists(f"{root}/m3") is None
    owner = clients(member_hosts(ensemble, follower), auth_data=[("digest", "alice:secret")])
    owner.create(f"{root}/private", b"x", acl=[make_digest_acl("alice", "secret", all=True)])
    stranger = per_server[next(sid for sid in per_server if sid != follower)]
    stranger.sync(root)
    with pytest.raises(NoAuthError):
        stranger.get(f"{root}/private")


def test_sync_makes_another_servers_write_visible(per_server: dict[int, KazooClient], root: str) -> None:
    for value in range(20):
        per_server[1].set(root, str(value).encode())
        data, _ = synced_get(per_server[2], root)
        assert data == str(value).encode()


def test_a_lock_recipe_across_servers(per_server: dict[int, KazooClient], root: str) -> None:
    counter = [0]
    errors: list[BaseException] = []

    def worker(client: KazooClient) -> None:
        try:
            lock = Lock(client, f"{root}/lock")
            for _ in range(5):
                with lock:
                    value = counter[0]
                    counter[0] = value + 1
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(client,)) for client in per_server.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and counter[0] == 15


def test_a_client_that_has_seen_more_than_the_server_is_refused(ensemble: LocalEnsemble) -> None:
    body = struct.pack(">iqiq", 0, 1 << 60, 10000, 0) + struct.pack(">i", 16) + bytes(16) + b"\x00"
    with socket.create_connection(("127.0.0.1", ensemble.members[2].client_port), timeout=5) as sock:
        sock.sendall(struct.pack(">i", len(body)) + body)
        assert sock.recv(100) == b"", "the server closes instead of answering"


def test_four_letter_words_and_metrics_show_the_role(ensemble: LocalEnsemble) -> None:
    leader = ensemble.wait_serving()
    for sid, member in ensemble.members.items():
        srvr = four_letter(member.client_port, "srvr")
        assert f"Mode: {'leader' if sid == leader else 'follower'}" in srvr
        assert "Zxid: 0x" in srvr and "Epoch: " in srvr
    mntr = dict(
        line.split("\t", 1) for line in four_letter(ensemble.members[leader].client_port, "mntr").splitlines()
    )
    assert mntr["zk_server_state"] == "leader" and mntr["zk_synced_followers"] == "2"
    assert mntr["zk_peer_state"] == "leading - broadcast"
    url = f"http://127.0.0.1:{ensemble.members[leader].metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    assert "\nsynced_followers 2\n" in text and 'server_state="leader"' in text


def test_members_log_role_changes_as_structured_events(ensemble: LocalEnsemble) -> None:
    log_text = Path(ensemble.members[1].log_path).read_text()
    assert "event=ServerStateChange i=1 old=LOOKING new=" in log_text
    assert SESSION_TIMEOUT_S > 0
