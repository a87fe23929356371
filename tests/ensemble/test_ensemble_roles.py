"""Observers and read-only mode on real processes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ensemble_support import member_hosts
from kazoo.client import KazooClient
from kazoo.exceptions import NotReadOnlyCallError

from zabkeeper.cli.local_ensemble import LocalEnsemble, four_letter

pytestmark = pytest.mark.network


def test_an_observer_serves_reads_forwards_writes_and_never_votes(
    ensembles: Callable[..., LocalEnsemble], clients: Callable[..., KazooClient]
) -> None:
    ensemble = ensembles(size=3, observers=1)
    observer = 4
    assert "Mode: observer" in four_letter(ensemble.members[observer].client_port, "srvr")
    client = clients(member_hosts(ensemble, observer))
    client.create("/through-observer", b"o")
    other = clients(member_hosts(ensemble, 1))
    other.sync("/")
    assert other.get("/through-observer")[0] == b"o"
    other.set("/through-observer", b"p")
    client.sync("/through-observer")
    assert client.get("/through-observer")[0] == b"p"
    leader = ensemble.wait_serving()
    state = ensemble.status(leader)
    assert state["synced_followers"] == 2, "the observer is not counted as a follower"
    # Two voters down: the observer and the last voter are no quorum.
    follower = next(sid for sid in (1, 2, 3) if sid != leader)
    ensemble.kill(follower)
    ensemble.kill(leader)
    ensemble.wait_until(lambda: not ensemble.status(observer)["serving"], 15, "the observer to stop serving")


def test_a_partitioned_server_serves_read_only_clients(
    ensembles: Callable[..., LocalEnsemble], clients: Callable[..., KazooClient]
) -> None:
    ensemble = ensembles(**{"readonlymode.enabled": "true"})
    writer = clients(ensemble.connect_string)
    writer.create("/before", b"kept")
    survivor = 1
    writer.sync("/before")
    ensemble.wait_until(
        lambda: ensemble.status(survivor)["applied_zxid"] == ensemble.status(2)["applied_zxid"]
    )
    for sid in (2, 3):
        ensemble.kill(sid)
    ensemble.wait_until(lambda: ensemble.status(survivor)["read_only"], 20, "read-only mode")
    port = ensemble.members[survivor].client_port
    assert four_letter(port, "isro") == "ro"
    assert "Mode: read-only" in four_letter(port, "srvr")
    reader = clients(member_hosts(ensemble, survivor), read_only=True)
    assert reader.get("/before")[0] == b"kept"
    with pytest.raises(NotReadOnlyCallError):
        reader.create("/during")
    for sid in (2, 3):
        ensemble.start(sid)
    ensemble.wait_serving(timeout_s=30)
    assert four_letter(port, "isro") == "rw"
    fresh = clients(member_hosts(ensemble, survivor))
    fresh.create("/after")
