"""A simulated network with TCP's shape: FIFO connections that break and lose what is in flight.

Two kinds of channel join every ordered pair of servers. The election channel is connectionless
here (notifications may be lost, never reordered within the pair). The quorum channel is a
connection that a learner opens with FOLLOWERINFO/OBSERVERINFO; either side may close it, a crash
closes all of a server's connections, and the other side learns of it (``Disconnected``) unless a
partition swallows the news, in which case it must notice the silence by itself, as with TCP. A
message a partition swallows breaks its connection for good (TCP never loses a message from the
middle of a stream and carries on).
A new connection is announced to the receiver only after the old one was reported broken.

Every message gets a latency drawn from the seeded random source; channels stay FIFO, different
channels reorder freely. Partitions drop messages in one or both directions at delivery time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from random import Random

from zabkeeper.core.messages import FollowerInfo, Message, Notification, ObserverInfo


@dataclass(frozen=True)
class LatencyModel:
    """Latencies in simulated milliseconds: uniform in [low, high], sometimes ``slow`` longer."""

    low: int = 1
    high: int = 4
    slow_probability: float = 0.0
    slow: int = 50

    def draw(self, rng: Random) -> int:
        latency = rng.randint(self.low, self.high)
        if self.slow_probability and rng.random() < self.slow_probability:
            latency += rng.randint(1, self.slow)
        return latency


@dataclass
class _Connection:
    generation: int = 0
    open: bool = False


# Deliver(callback) receives (destination, source, message-or-None); None means "Disconnected".
Deliver = Callable[[int, int, Message | None], None]
Schedule = Callable[[int, Callable[[], None]], None]


class SimNetwork:
    """Moves messages between servers; the cluster supplies the clock (``schedule``) and the
    receiving end (``deliver``)."""

    def __init__(self, rng: Random, latency: LatencyModel, schedule: Schedule, deliver: Deliver) -> None:
        self.rng = rng
        self.latency = latency
        self.schedule = schedule
        self.deliver = deliver
        self.now = 0
        self.blocked: set[tuple[int, int]] = set()
        self.alive: dict[int, bool] = {}
        self._connections: dict[frozenset[int], _Connection] = {}
        # What each endpoint believes: (me, other) -> generation of the connection it uses.
        self._seen: dict[tuple[int, int], int] = {}
        self._channel_free_at: dict[tuple[int, int, bool], int] = {}
        self.sent = 0
        self.delivered = 0

    def _connection(self, a: int, b: int) -> _Connection:
        key = frozenset((a, b))
        connection = self._connections.get(key)
        if connection is None:
            connection = self._connections[key] = _Connection()
        return connection

    def _arrival(self, src: int, dst: int, quorum: bool) -> int:
        channel = (src, dst, quorum)
        arrival = max(self._channel_free_at.get(channel, 0), self.now + self.latency.draw(self.rng))
        self._channel_free_at[channel] = arrival
        return arrival

    # --- sending --------------------------------------------------------------------------------

    def send(self, src: int, dst: int, message: Message) -> None:
        self.sent += 1
        if isinstance(message, Notification):
            self.schedule(self._arrival(src, dst, False), lambda: self._arrive_election(src, dst, message))
            return
        connection = self._connection(src, dst)
        if not connection.open:
            if not isinstance(message, FollowerInfo | ObserverInfo):
                return  # nobody is listening on a closed connection
            connection.generation += 1
            connection.open = True
            self._seen[(src, dst)] = connection.generation
        generation = connection.generation
        self.schedule(
            self._arrival(src, dst, True), lambda: self._arrive_quorum(src, dst, generation, message)
        )

    def _arrive_election(self, src: int, dst: int, message: Message) -> None:
        if self.alive.get(dst) and (src, dst) not in self.blocked:
            self.delivered += 1
            self.deliver(dst, src, message)

    def _arrive_quorum(self, src: int, dst: int, generation: int, message: Message) -> None:
        connection = self._connection(src, dst)
        if not connection.open or connection.generation != generation:
            return
        if not self.alive.get(dst) or (src, dst) in self.blocked:
            # TCP never loses a message from the middle of a stream: the connection is broken for
            # good, silently (no reset crosses a partition); both ends must notice the silence.
            connection.open = False
            return
        seen = self._seen.get((dst, src))
        if seen != generation:
            if seen is not None:
                # The receiver still holds an older connection: report it broken first.
                self._seen.pop((dst, src))
                self.deliver(dst, src, None)
            self._seen[(dst, src)] = generation
        self.delivered += 1
        self.deliver(dst, src, message)

    # --- closing --------------------------------------------------------------------------------

    def close(self, closer: int, other: int) -> None:
        """``closer`` closes its quorum connection with ``other``; ``other`` hears about it
        after a latency, unless a partition is in the way."""
        connection = self._connection(closer, other)
        self._seen.pop((closer, other), None)
        if not connection.open:
            return
        connection.open = False
        generation = connection.generation
        self.schedule(
            self._arrival(closer, other, True), lambda: self._arrive_reset(closer, other, generation)
        )

    def _arrive_reset(self, closer: int, other: int, generation: int) -> None:
        if not self.alive.get(other) or (closer, other) in self.blocked:
            return
        if self._seen.get((other, closer)) == generation:
            self._seen.pop((other, closer))
            self.deliver(other, closer, None)

    def crash(self, sid: int) -> None:
        self.alive[sid] = False
        for key in list(self._connections):
            if sid in key:
                (other,) = key - {sid}
                self.close(sid, other)
        for seen in [seen for seen in self._seen if seen[0] == sid]:
            del self._seen[seen]

    def start(self, sid: int) -> None:
        self.alive[sid] = True

    # --- partitions -----------------------------------------------------------------------------

    def block(self, src: int, dst: int) -> None:
        self.blocked.add((src, dst))

    def unblock(self, src: int, dst: int) -> None:
        self.blocked.discard((src, dst))

    def heal(self) -> None:
        self.blocked.clear()
