"""Durability: after kill -9 and a restart, every acknowledged write and every live session is back."""

from __future__ import annotations

import threading
import time

import pytest
import servers
from rawclient import RawClient, create
from server_support import zabkeeper_settings

from zabkeeper.tree import records as r
from zabkeeper.tree.constants import Code, OpCode

pytestmark = pytest.mark.network


def test_acknowledged_writes_and_sessions_survive_kill_9(tmp_path, zab_factory) -> None:  # type: ignore[no-untyped-def]
    # snapCount 50: several snapshots and log rolls happen under this load.
    server = servers.start_zabkeeper(tmp_path, zabkeeper_settings(snapCount=50))
    zab_factory.append(server)
    owner = RawClient(server.port, timeout_ms=30000)
    assert owner.call(OpCode.create, create("/eph", b"mine", flags=1))[0].err == 0
    writer = RawClient(server.port)
    acknowledged: list[str] = []
    stop = threading.Event()

    def pipelined_writes() -> None:
        # Keep 32 creates in flight; record each one whose reply says OK.
        try:
            sent = 0
            for _ in range(32):
                writer.send(OpCode.create, create(f"/n{sent}", b"v"))
                sent += 1
            while not stop.is_set():
                header, response = writer.receive(OpCode.create)
                if header.err == Code.OK:
                    acknowledged.append(response.path)
                writer.send(OpCode.create, create(f"/n{sent}", b"v"))
                sent += 1
        except (OSError, ConnectionError):
            return

    thread = threading.Thread(target=pipelined_writes, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while len(acknowledged) < 400 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill9()
    stop.set()
    thread.join(10)
    assert len(acknowledged) >= 400

    restarted = servers.restart(server)
    zab_factory.append(restarted)
    # The owner's session is still alive: reattach with its id and password.
    again = RawClient(restarted.port, session_id=owner.session_id, password=owner.password)
    assert again.session_id == owner.session_id and again.connect_response.time_out > 0
    header, data = again.call(OpCode.getData, r.GetDataRequest("/eph", False))
    assert header.err == 0 and data.stat.ephemeral_owner == owner.session_id
    header, children = again.call(OpCode.getChildren, r.GetChildrenRequest("/", False))
    missing = set(path.lstrip("/") for path in acknowledged) - set(children.children)
    assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {sorted(missing)[:5]}"
    snapshots = list((tmp_path / "data" / "version-2").glob("snapshot.*"))
    assert len(snapshots) >= 2, "snapCount=50 should have produced snapshots"
    again.close()


def test_closed_session_stays_closed_after_restart(tmp_path, zab_factory) -> None:  # type: ignore[no-untyped-def]
    server = servers.start_zabkeeper(tmp_path, zabkeeper_settings())
    zab_factory.append(server)
    client = RawClient(server.port)
    client.call(OpCode.create, create("/gone", flags=1))
    session_id, password = client.session_id, client.password
    client.close()
    server.kill9()
    restarted = servers.restart(server)
    zab_factory.append(restarted)
    expired = RawClient(restarted.port, session_id=session_id, password=password)
    assert expired.connect_response.time_out == 0 and expired.session_id == 0
    fresh = RawClient(restarted.port)
    assert fresh.call(OpCode.exists, r.ExistsRequest("/gone", False))[0].err == Code.NONODE
    fresh.close()
