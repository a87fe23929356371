"""Sessions: negotiated timeouts, expiry, reattach, closeSession, refusal of clients from the future."""

from __future__ import annotations

import time

import pytest
import servers
from rawclient import RawClient, create
from server_support import zabkeeper_settings

from zabkeeper.tree import records as r
from zabkeeper.tree.constants import Code, EventType, OpCode

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def fast_ticks(tmp_path_factory):  # type: ignore[no-untyped-def]
    """tickTime 250 ms: sessions may be as short as 500 ms, so expiry tests stay quick."""
    server = servers.start_zabkeeper(tmp_path_factory.mktemp("ticks"), zabkeeper_settings(tickTime=250))
    try:
        yield server
    finally:
        server.stop()


def test_timeout_is_clamped_to_min_and_max(fast_ticks) -> None:  # type: ignore[no-untyped-def]
    low = RawClient(fast_ticks.port, timeout_ms=1)
    high = RawClient(fast_ticks.port, timeout_ms=10**9)
    assert (low.connect_response.time_out, high.connect_response.time_out) == (500, 5000)
    low.close()
    high.close()


def test_expiry_deletes_ephemerals_and_tells_the_client(fast_ticks) -> None:  # type: ignore[no-untyped-def]
    watcher = RawClient(fast_ticks.port, timeout_ms=5000)
    doomed = RawClient(fast_ticks.port, timeout_ms=500)
    assert doomed.call(OpCode.create, create("/doomed", flags=1))[0].err == 0
    assert watcher.call(OpCode.exists, r.ExistsRequest("/doomed", True))[0].err == 0
    # The doomed client goes silent (no pings); the watcher keeps its own session alive.
    deadline = time.monotonic() + 5
    while not watcher.events and time.monotonic() < deadline:
        watcher.call(OpCode.ping, None)
        watcher.wait_events(1, timeout=0.2)
    assert [(e.type, e.path) for e in watcher.events] == [(EventType.NodeDeleted, "/doomed")]
    with pytest.raises(ConnectionError):
        doomed.call(OpCode.ping, None)
    again = RawClient(fast_ticks.port, session_id=doomed.session_id, password=doomed.password)
    assert (again.connect_response.time_out, again.session_id) == (0, 0)
    watcher.close()


def test_pings_keep_a_session_alive(fast_ticks) -> None:  # type: ignore[no-untyped-def]
    client = RawClient(fast_ticks.port, timeout_ms=500)
    client.call(OpCode.create, create("/kept", flags=1))
    for _ in range(8):
        time.sleep(0.15)
        assert client.call(OpCode.ping, None)[0].err == 0
    assert client.call(OpCode.exists, r.ExistsRequest("/kept", False))[0].err == 0
    client.close()


def test_reattach_moves_the_session_and_closes_the_old_connection(fast_ticks) -> None:  # type: ignore[no-untyped-def]
    first = RawClient(fast_ticks.port, timeout_ms=5000)
    first.call(OpCode.create, create("/moved", flags=1))
    second = RawClient(fast_ticks.port, timeout_ms=4000, session_id=first.session_id, password=first.password)
    assert second.session_id == first.session_id and second.connect_response.time_out == 4000
    with pytest.raises(ConnectionError):
        first.call(OpCode.ping, None)
    header, stat = second.call(OpCode.exists, r.ExistsRequest("/moved", False))
    assert header.err == 0 and stat.stat.ephemeral_owner == first.session_id
    second.close()


def test_wrong_password_is_treated_as_expired(fast_ticks) -> None:  # type: ignore[no-untyped-def]
    owner = RawClient(fast_ticks.port)
    thief = RawClient(fast_ticks.port, session_id=owner.session_id, password=b"x" * 16)
    assert (thief.connect_response.time_out, thief.session_id) == (0, 0)
    assert owner.call(OpCode.ping, None)[0].err == 0
    owner.close()


def test_close_session_deletes_ephemerals_and_closes(fast_ticks) -> None:  # type: ignore[no-untyped-def]
    client = RawClient(fast_ticks.port)
    client.call(OpCode.create, create("/bye", flags=1))
    header, _ = client.call(OpCode.closeSession, r.CloseSessionRequest())
    assert header.err == 0
    with pytest.raises(ConnectionError):
        client.read_frame()
    other = RawClient(fast_ticks.port)
    assert other.call(OpCode.exists, r.ExistsRequest("/bye", False))[0].err == Code.NONODE
    other.close()


def test_client_that_saw_a_newer_zxid_is_refused(fast_ticks) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConnectionError):
        RawClient(fast_ticks.port, last_zxid_seen=1 << 40)
    fine = RawClient(fast_ticks.port)
    fine.close()
