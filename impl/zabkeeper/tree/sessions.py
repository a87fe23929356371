"""Sessions: ids, passwords, timeout negotiation and expiry (ZooKeeper's SessionTrackerImpl).

Which sessions exist is replicated state: a session is opened by a createSession txn and ended
by a closeSession txn (``DataTree.sessions`` holds id -> timeout, and snapshots carry it), so a
session survives restarts and leader changes. When it *expires* is local to the server that
tracks it (the leader, or a standalone server): this module keeps the deadlines in tick buckets
like ZooKeeper's ExpiryQueue, driven entirely by the ``now_ms`` its callers pass in, and reports
which sessions are due; the server then submits a closeSession for each.

Session ids are ZooKeeper-shaped: the server id in the high byte, then the low 40 bits of the
start time in ms, then a 16-bit counter. Passwords are 16 bytes derived from the session id and a
server secret (HMAC-SHA256, where ZooKeeper seeds java.util.Random), so any server holding the
secret can check a reconnecting client without storing passwords.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from zabkeeper.tree.constants import CONTAINER_EPHEMERAL_OWNER, SERVER_ID_EXTENDED_MAX

PASSWORD_LENGTH = 16
SESSIONS_MAX = 1 << 20


def negotiate_timeout(requested_ms: int, min_ms: int, max_ms: int) -> int:
    """The session timeout a server grants: the client's wish clamped to [min, max]."""
    assert 0 < min_ms <= max_ms, (min_ms, max_ms)
    return min(max(requested_ms, min_ms), max_ms)


def initial_session_id(server_id: int, now_ms: int) -> int:
    """SessionTrackerImpl.initializeNextSessionId: the first id this server hands out."""
    assert 0 <= server_id <= SERVER_ID_EXTENDED_MAX, server_id
    session_id = ((now_ms << 24) & ((1 << 64) - 1)) >> 8
    session_id |= server_id << 56
    if session_id >= 1 << 63:
        session_id -= 1 << 64
    if session_id == CONTAINER_EPHEMERAL_OWNER:
        session_id += 1
    return session_id


def session_password(session_id: int, secret: bytes) -> bytes:
    """The 16-byte password of ``session_id``; the same on every server sharing ``secret``."""
    message = (session_id & ((1 << 64) - 1)).to_bytes(8, "big")
    return hmac.new(secret, message, hashlib.sha256).digest()[:PASSWORD_LENGTH]


def check_password(session_id: int, password: bytes, secret: bytes) -> bool:
    return hmac.compare_digest(session_password(session_id, secret), password)


@dataclass(slots=True)
class _Tracked:
    timeout_ms: int
    expiry_ms: int
    closing: bool = False


class SessionTracker:
    """Live sessions with their expiry deadlines, rounded up to ``tick_ms`` buckets."""

    def __init__(self, server_id: int, tick_ms: int, now_ms: int) -> None:
        assert tick_ms > 0, tick_ms
        self.tick_ms = tick_ms
        self._next_session_id = initial_session_id(server_id, now_ms)
        self._sessions: dict[int, _Tracked] = {}
        self._buckets: dict[int, dict[int, None]] = {}
        self._next_expiration_ms = self._round_up(now_ms)

    def _round_up(self, time_ms: int) -> int:
        """ExpiryQueue.roundToNextInterval: the bucket a deadline falls into."""
        return (time_ms // self.tick_ms + 1) * self.tick_ms

    def __contains__(self, session_id: int) -> bool:
        return session_id in self._sessions

    def __len__(self) -> int:
        return len(self._sessions)

    def next_session_id(self) -> int:
        """An id for a new session (createSession); ids never repeat within this tracker."""
        session_id = self._next_session_id
        self._next_session_id += 1
        return session_id

    def timeout_of(self, session_id: int) -> int | None:
        tracked = self._sessions.get(session_id)
        return None if tracked is None else tracked.timeout_ms

    def expiry_of(self, session_id: int) -> int | None:
        tracked = self._sessions.get(session_id)
        return None if tracked is None else tracked.expiry_ms

    def is_closing(self, session_id: int) -> bool:
        tracked = self._sessions.get(session_id)
        return tracked is not None and tracked.closing

    def track(self, session_id: int, timeout_ms: int, now_ms: int) -> None:
        """Start tracking a session (on createSession, or when restoring from the tree)."""
        assert timeout_ms > 0, timeout_ms
        assert len(self._sessions) < SESSIONS_MAX or session_id in self._sessions, len(self._sessions)
        tracked = self._sessions.get(session_id)
        if tracked is None:
            tracked = _Tracked(timeout_ms, 0)
            self._sessions[session_id] = tracked
        tracked.timeout_ms = timeout_ms
        self._move(session_id, tracked, self._round_up(now_ms + timeout_ms))

    def restore(self, sessions: dict[int, int], now_ms: int) -> None:
        """Track every session of a loaded tree, each with a full timeout from ``now_ms``."""
        for session_id in sorted(sessions):
            self.track(session_id, sessions[session_id], now_ms)

    def _move(self, session_id: int, tracked: _Tracked, expiry_ms: int) -> None:
        if tracked.expiry_ms == expiry_ms:
            return
        old_bucket = self._buckets.get(tracked.expiry_ms)
        if old_bucket is not None:
            old_bucket.pop(session_id, None)
            if not old_bucket:
                del self._buckets[tracked.expiry_ms]
        tracked.expiry_ms = expiry_ms
        self._buckets.setdefault(expiry_ms, {})[session_id] = None

    def touch(self, session_id: int, now_ms: int) -> bool:
        """Any packet from the session: push its deadline out. False if the session is unknown
        or closing (the server must then answer SessionExpired)."""
        tracked = self._sessions.get(session_id)
        if tracked is None or tracked.closing:
            return False
        self._move(session_id, tracked, self._round_up(now_ms + tracked.timeout_ms))
        return True

    def set_closing(self, session_id: int) -> None:
        """A closeSession is on its way: refuse further requests, stop expiring it again."""
        tracked = self._sessions.get(session_id)
        if tracked is not None:
            tracked.closing = True

    def remove(self, session_id: int) -> None:
        """The closeSession was applied."""
        tracked = self._sessions.pop(session_id, None)
        if tracked is None:
            return
        bucket = self._buckets.get(tracked.expiry_ms)
        if bucket is not None:
            bucket.pop(session_id, None)
            if not bucket:
                del self._buckets[tracked.expiry_ms]

    def next_expiration_ms(self) -> int:
        """When ``expire`` may next have something to say (SessionTracker's wait time)."""
        return self._next_expiration_ms

    def expire(self, now_ms: int) -> list[int]:
        """Sessions whose deadline bucket has passed, marked closing; the server submits a
        closeSession (``prepare`` with CloseSessionRequest) for each."""
        if now_ms < self._next_expiration_ms:
            return []
        expired: list[int] = []
        for deadline in sorted(deadline for deadline in self._buckets if deadline <= now_ms):
            for session_id in self._buckets.pop(deadline):
                tracked = self._sessions[session_id]
                if not tracked.closing:
                    tracked.closing = True
                    expired.append(session_id)
        self._next_expiration_ms = self._round_up(now_ms)
        return expired
