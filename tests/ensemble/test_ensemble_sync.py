"""How a learner catches up, observed on real processes: DIFF, SNAP, and TRUNC after a partition.

Each test reads the sync modes from the members' own counters (``status``: ``own_syncs`` counts
how this member was synced since it started, ``learner_syncs`` how the leader synced others), so
the path is observed, not assumed. The partition test isolates the leader at the transport while
a client keeps writing to it: the old leader logs proposals it can never commit, the majority
elects a new leader and keeps writing, the old leader stops serving, and after healing it is
TRUNCated back to the committed history and everything converges.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable

import pytest
from ensemble_support import member_hosts
from kazoo.client import KazooClient

from zabkeeper.cli.local_ensemble import LocalEnsemble, four_letter

pytestmark = pytest.mark.network


def children(client: KazooClient, path: str) -> set[str]:
    client.sync(path)
    return set(client.get_children(path))


def refuses_clients(port: int) -> bool:
    """A fresh client's ConnectRequest is answered by closing the connection."""
    body = struct.pack(">iqiq", 0, 0, 10000, 0) + struct.pack(">i", 16) + bytes(16) + b"\x01"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(struct.pack(">i", len(body)) + body)
        return sock.recv(100) == b""


def wait_converged(ensemble: LocalEnsemble, timeout_s: float = 30) -> None:
    def converged() -> bool:
        states = [s for s in ensemble.statuses().values() if s is not None]
        return len({s["applied_zxid"] for s in states}) == 1 and all(s["serving"] for s in states)

    ensemble.wait_until(converged, timeout_s, "every member at the same zxid")


def test_a_lagging_follower_catches_up_by_diff(
    ensembles: Callable[..., LocalEnsemble], clients: Callable[..., KazooClient]
) -> None:
    ensemble = ensembles()
    leader = ensemble.wait_serving()
    lagging = next(sid for sid in ensemble.members if sid != leader)
    ensemble.stop(lagging)
    writer = clients(member_hosts(ensemble, leader))
    writer.ensure_path("/diff")
    for index in range(30):
        writer.create(f"/diff/n{index}")
    diffs_before = ensemble.status(leader)["learner_syncs"]["DIFF"]
    ensemble.start(lagging)
    ensemble.wait_serving()
    state = ensemble.status(lagging)
    assert state["own_syncs"] == {"DIFF": 1, "TRUNC": 0, "SNAP": 0}
    assert ensemble.status(leader)["learner_syncs"]["DIFF"] == diffs_before + 1
    assert len(children(clients(member_hosts(ensemble, lagging)), "/diff")) == 30


def test_a_follower_far_behind_gets_a_snap_and_keeps_it_across_a_crash(
    ensembles: Callable[..., LocalEnsemble], clients: Callable[..., KazooClient]
) -> None:
    ensemble = ensembles(snapCount=20, commitLogCount=10)
    leader = ensemble.wait_serving()
    lagging = next(sid for sid in ensemble.members if sid != leader)
    ensemble.kill(lagging)
    writer = clients(member_hosts(ensemble, leader))
    writer.ensure_path("/snap")
    for index in range(150):
        writer.create(f"/snap/n{index}", str(index).encode())
    ensemble.start(lagging)
    ensemble.wait_serving()
    assert ensemble.status(lagging)["own_syncs"]["SNAP"] == 1
    assert ensemble.status(leader)["learner_syncs"]["SNAP"] >= 1
    assert len(children(clients(member_hosts(ensemble, lagging)), "/snap")) == 150
    ensemble.kill(lagging)
    ensemble.start(lagging)
    ensemble.wait_serving()
    reader = clients(member_hosts(ensemble, lagging))
    assert len(children(reader, "/snap")) == 150
    assert reader.get("/snap/n149")[0] == b"149"


def test_an_isolated_leader_loses_its_uncommitted_tail_to_a_trunc(
    ensembles: Callable[..., LocalEnsemble], clients: Callable[..., KazooClient]
) -> None:
    ensemble = ensembles()
    old_leader = ensemble.wait_serving()
    majority = [sid for sid in ensemble.members if sid != old_leader]
    stranded = clients(member_hosts(ensemble, old_leader))
    stranded.ensure_path("/part")
    for index in range(5):
        stranded.create(f"/part/committed{index}")

    ensemble.isolate(old_leader)
    for index in range(5):
        stranded.create_async(f"/part/lost{index}")

    def diverged() -> bool:
        state = ensemble.status(old_leader)
        return bool(state["last_logged_zxid"] != state["last_committed_zxid"])

    ensemble.wait_until(diverged, 10, "the isolated leader logging proposals it cannot commit")

    def majority_serves() -> bool:
        states = [ensemble.status(sid) for sid in majority]
        return all(s["serving"] and s["leader"] in majority for s in states)

    ensemble.wait_until(majority_serves, 30, "the majority serving under a new leader")
    new_leader = ensemble.wait_serving(majority)
    assert new_leader in majority
    writer = clients(member_hosts(ensemble, new_leader))
    for index in range(10):
        writer.create(f"/part/majority{index}")
    ensemble.wait_until(
        lambda: not ensemble.status(old_leader)["serving"], 15, "the old leader stepping down"
    )
    assert "not currently serving" in four_letter(ensemble.members[old_leader].client_port, "srvr")
    assert refuses_clients(ensemble.members[old_leader].client_port)
    stranded.stop()

    ensemble.heal()
    ensemble.wait_serving(timeout_s=30)
    wait_converged(ensemble)
    assert ensemble.status(old_leader)["own_syncs"]["TRUNC"] == 1
    expected = {f"committed{i}" for i in range(5)} | {f"majority{i}" for i in range(10)}
    for sid in ensemble.members:
        seen = children(clients(member_hosts(ensemble, sid)), "/part")
        assert seen == expected, f"server {sid} holds {sorted(seen ^ expected)} differently"
