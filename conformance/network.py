"""The network as the spec models it (spec/env.qnt), carrying the core's real messages.

The driver does not use the simulator's timed network: it needs exactly the spec's channels so
that "deliver the head of channel j -> i" means the same message on both sides. Election
notifications go on a FIFO channel per ordered pair and are lost when the receiver is down or
partitioned away. Quorum packets go on a connection per pair that FOLLOWERINFO/OBSERVERINFO
opens (anything else sent on a closed connection is lost), FIFO per direction; closing it (by
either end, a crash, a partition) drops what is in flight. Each end remembers the generation of
the connection it uses; an end whose connection is gone hears ``Disconnected`` (ConnectionLost)
before anything on a newer one. PING is liveness chatter the spec leaves out: it is never carried.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from zabkeeper.core.messages import (
    FollowerInfo,
    Message,
    Notification,
    ObserverInfo,
    Ping,
    QuorumPacket,
)


@dataclass
class Connection:
    gen: int = 0
    open: bool = False


def pair_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


@dataclass
class SpecNetwork:
    """Channels, connections, views and partitions between ``servers`` (see the module docstring)."""

    servers: tuple[int, ...]
    online: set[int] = field(default_factory=set)
    elec: dict[tuple[int, int], deque[Notification]] = field(default_factory=dict)
    quorum: dict[tuple[int, int], deque[QuorumPacket]] = field(default_factory=dict)
    conns: dict[tuple[int, int], Connection] = field(default_factory=dict)
    views: dict[tuple[int, int], int] = field(default_factory=dict)
    partitioned: set[tuple[int, int]] = field(default_factory=set)

    def __post_init__(self) -> None:
        for a in self.servers:
            for b in self.servers:
                if a != b:
                    self.elec[(a, b)] = deque()
                    self.quorum[(a, b)] = deque()
                    self.views[(a, b)] = 0
                    if a < b:
                        self.conns[(a, b)] = Connection()

    def is_partitioned(self, a: int, b: int) -> bool:
        return pair_key(a, b) in self.partitioned

    # --- sending --------------------------------------------------------------------------------

    def send(self, src: int, dst: int, message: Message) -> None:
        assert src != dst, (src, dst)
        if isinstance(message, Notification):
            if dst in self.online and not self.is_partitioned(src, dst):
                self.elec[(src, dst)].append(message)
            return
        if isinstance(message, Ping):
            return
        connection = self.conns[pair_key(src, dst)]
        reachable = dst in self.online and not self.is_partitioned(src, dst)
        if connection.open:
            if reachable:
                self.quorum[(src, dst)].append(message)
            else:
                self._break(src, dst)
        elif isinstance(message, FollowerInfo | ObserverInfo):
            connection.gen += 1
            connection.open = reachable
            self.views[(src, dst)] = connection.gen
            if reachable:
                self.quorum[(src, dst)].append(message)

    def _break(self, a: int, b: int) -> None:
        self.conns[pair_key(a, b)].open = False
        self.quorum[(a, b)].clear()
        self.quorum[(b, a)].clear()

    def close(self, closer: int, other: int) -> None:
        """``closer`` closes its connection with ``other``."""
        self.views[(closer, other)] = 0
        if self.conns[pair_key(closer, other)].open:
            self._break(closer, other)

    # --- faults ---------------------------------------------------------------------------------

    def crash(self, sid: int) -> None:
        self.online.discard(sid)
        for other in self.servers:
            if other != sid:
                self.close(sid, other)
                self.elec[(other, sid)].clear()

    def start(self, sid: int) -> None:
        self.online.add(sid)

    def partition(self, a: int, b: int) -> None:
        self.partitioned.add(pair_key(a, b))
        self.elec[(a, b)].clear()
        self.elec[(b, a)].clear()
        if self.conns[pair_key(a, b)].open:
            self._break(a, b)

    def recover(self, a: int, b: int) -> None:
        self.partitioned.discard(pair_key(a, b))

    # --- receiving ------------------------------------------------------------------------------

    def take_notification(self, receiver: int, sender: int) -> Notification | None:
        channel = self.elec[(sender, receiver)]
        return channel.popleft() if channel else None

    def can_take_packet(self, receiver: int, sender: int) -> bool:
        view = self.views[(receiver, sender)]
        gen = self.conns[pair_key(receiver, sender)].gen
        return bool(self.quorum[(sender, receiver)]) and view in (0, gen)

    def take_packet(self, receiver: int, sender: int) -> QuorumPacket | None:
        if not self.can_take_packet(receiver, sender):
            return None
        self.views[(receiver, sender)] = self.conns[pair_key(receiver, sender)].gen
        return self.quorum[(sender, receiver)].popleft()

    def connection_gone(self, me: int, other: int) -> bool:
        view = self.views[(me, other)]
        connection = self.conns[pair_key(me, other)]
        return view != 0 and not (connection.open and connection.gen == view)

    def forget(self, me: int, other: int) -> None:
        self.views[(me, other)] = 0
