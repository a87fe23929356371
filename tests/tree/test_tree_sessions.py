"""Sessions: timeout negotiation, id layout, passwords, expiry in tick buckets driven by time."""

from __future__ import annotations

import pytest
from tree_harness import OTHER_SESSION, SESSION, TreeHarness

from zabkeeper.tree.constants import CONTAINER_EPHEMERAL_OWNER, Code, EventType, OpCode
from zabkeeper.tree.records import ExistsRequest
from zabkeeper.tree.sessions import (
    SessionTracker,
    check_password,
    initial_session_id,
    negotiate_timeout,
    session_password,
)

SECRET = b"server secret"


@pytest.mark.parametrize(
    ("requested", "granted"),
    [(1, 4000), (3999, 4000), (4000, 4000), (10_000, 10_000), (40_000, 40_000), (99_999, 40_000), (-5, 4000)],
)
def test_negotiated_timeout_is_clamped(requested: int, granted: int) -> None:
    assert negotiate_timeout(requested, 4000, 40_000) == granted


def test_session_id_layout() -> None:
    now_ms = 0x12_3456_789A
    session_id = initial_session_id(3, now_ms)
    assert session_id >> 56 == 3
    assert (session_id >> 16) & ((1 << 40) - 1) == now_ms & ((1 << 40) - 1)
    assert session_id & 0xFFFF == 0
    assert initial_session_id(0xFE, 1 << 50) < 0  # high byte 0xFE: a negative jute long
    assert initial_session_id(0x80, 0) == CONTAINER_EPHEMERAL_OWNER + 1  # never the container owner
    with pytest.raises(AssertionError):
        initial_session_id(0xFF, 0)


def test_ids_count_up_from_the_start_time() -> None:
    tracker = SessionTracker(server_id=1, tick_ms=2000, now_ms=5_000)
    first, second = tracker.next_session_id(), tracker.next_session_id()
    assert second == first + 1
    assert first == initial_session_id(1, 5_000)


def test_passwords_are_deterministic_and_keyed() -> None:
    password = session_password(SESSION, SECRET)
    assert len(password) == 16
    assert password == session_password(SESSION, SECRET)
    assert password != session_password(OTHER_SESSION, SECRET)
    assert password != session_password(SESSION, b"other secret")
    assert check_password(SESSION, password, SECRET)
    assert not check_password(SESSION, bytes(16), SECRET)
    assert len(session_password(-5, SECRET)) == 16


def test_expiry_rounds_deadlines_up_to_tick_buckets() -> None:
    tracker = SessionTracker(server_id=1, tick_ms=2000, now_ms=1_000)
    tracker.track(SESSION, 5_000, now_ms=1_000)  # deadline 6_000 -> bucket 8_000
    assert tracker.expiry_of(SESSION) == 8_000
    assert tracker.expire(7_999) == []
    assert tracker.expire(8_000) == [SESSION]
    assert tracker.is_closing(SESSION)
    assert tracker.expire(20_000) == []  # reported once
    assert not tracker.touch(SESSION, 20_000)
    tracker.remove(SESSION)
    assert SESSION not in tracker and len(tracker) == 0


@pytest.mark.parametrize(
    ("touches", "now", "expired"),
    [
        ([], 8_000, True),
        ([3_000], 8_000, False),  # 3_000 + 5_000 -> bucket 10_000
        ([3_000], 9_999, False),
        ([3_000], 10_000, True),
        ([3_000, 7_999], 12_000, False),  # 7_999 + 5_000 -> bucket 14_000
        ([3_000, 7_999], 14_000, True),
    ],
)
def test_touch_pushes_the_deadline(touches: list[int], now: int, expired: bool) -> None:
    tracker = SessionTracker(server_id=1, tick_ms=2000, now_ms=1_000)
    tracker.track(SESSION, 5_000, now_ms=1_000)
    for touched_at in touches:
        assert tracker.touch(SESSION, touched_at)
    assert tracker.expire(now) == ([SESSION] if expired else [])


def test_expire_reports_due_sessions_in_deadline_order_and_ignores_closing_ones() -> None:
    tracker = SessionTracker(server_id=1, tick_ms=1000, now_ms=0)
    tracker.track(3, 4_000, 0)
    tracker.track(1, 2_000, 0)
    tracker.track(2, 2_000, 0)
    tracker.track(4, 9_000, 0)
    tracker.set_closing(2)
    assert tracker.next_expiration_ms() == 1_000
    assert tracker.expire(6_000) == [1, 3]
    assert tracker.next_expiration_ms() == 7_000
    assert tracker.timeout_of(4) == 9_000
    assert not tracker.touch(99, 0)


def test_restore_tracks_every_session_of_a_tree() -> None:
    tracker = SessionTracker(server_id=1, tick_ms=1000, now_ms=50_000)
    tracker.restore({SESSION: 4_000, OTHER_SESSION: 10_000}, now_ms=50_000)
    assert tracker.expire(55_000) == [SESSION]
    assert tracker.expire(61_000) == [OTHER_SESSION]


def test_expired_session_closes_through_a_txn(harness: TreeHarness) -> None:
    tracker = SessionTracker(server_id=1, tick_ms=1000, now_ms=0)
    harness.open_session(SESSION, 4_000)
    tracker.track(SESSION, harness.tree.sessions[SESSION], 0)
    harness.create("/lock", flags=1)
    harness.read(OpCode.exists, ExistsRequest("/lock", True), "watcher")
    (expired,) = tracker.expire(5_000)
    result = harness.close_session(expired)
    assert result.err == Code.OK
    tracker.remove(expired)
    assert harness.tree.get_node("/lock") is None
    assert harness.tree.sessions == {}
    assert harness.take_notifications() == [("watcher", EventType.NodeDeleted, "/lock")]
