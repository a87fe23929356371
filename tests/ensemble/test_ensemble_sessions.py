"""Sessions across the ensemble: the leader expires what followers no longer report alive.

A client process connected to a follower is killed without closing its session: the follower
stops reporting it, the leader expires it through a closeSession txn, and its ephemeral node
disappears on every member. Meanwhile an idle session on another follower, kept alive only by its
client's pings (which the follower reports to the leader), outlives several of its timeouts.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from ensemble_support import member_hosts
from kazoo.client import KazooClient

from zabkeeper.cli.local_ensemble import LocalEnsemble

pytestmark = pytest.mark.network

SESSION_TIMEOUT_S = 2.0
CLIENT_SCRIPT = """
import sys, time
from kazoo.client import KazooClient
client = KazooClient(hosts=sys.argv[1], timeout=float(sys.argv[2]))
client.start(timeout=30)
client.create("/doomed", ephemeral=True)
print("ready", flush=True)
time.sleep(600)
"""


def test_the_leader_expires_a_vanished_client_and_keeps_a_pinging_one(
    ensembles: Callable[..., LocalEnsemble], clients: Callable[..., KazooClient]
) -> None:
    ensemble = ensembles()
    leader = ensemble.wait_serving()
    first, second = (sid for sid in ensemble.members if sid != leader)
    idle = clients(member_hosts(ensemble, second), timeout=SESSION_TIMEOUT_S)
    idle.create("/alive", ephemeral=True)
    idle_session = idle.client_id[0]
    doomed = subprocess.Popen(
        [sys.executable, "-c", CLIENT_SCRIPT, member_hosts(ensemble, first), str(SESSION_TIMEOUT_S)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert doomed.stdout is not None and doomed.stdout.readline().strip() == "ready"
        observer = clients(member_hosts(ensemble, leader))
        observer.sync("/")
        assert observer.exists("/doomed") is not None
        doomed.kill()  # no closeSession: only the expiry can remove its ephemeral
        doomed.wait(10)
        deadline = time.monotonic() + 6 * SESSION_TIMEOUT_S
        while observer.exists("/doomed") is not None:
            assert time.monotonic() < deadline, "the vanished session was never expired"
            time.sleep(0.1)
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait(10)
    for sid in ensemble.members:
        reader = clients(member_hosts(ensemble, sid))
        reader.sync("/")
        assert reader.exists("/doomed") is None, f"server {sid} still holds the expired ephemeral"
    time.sleep(2 * SESSION_TIMEOUT_S)
    assert idle.client_id[0] == idle_session
    stat = idle.exists("/alive")
    assert stat is not None and stat.ephemeralOwner == idle_session, "a pinging session was expired"
