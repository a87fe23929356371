"""Peer transports: the election and quorum channels of one ensemble member over TCP.

Each member listens on its ``server.N`` election port and quorum port. What the core expects of
them (``core.inputs``, and the simulator's network, whose semantics this module reproduces):

* Election channel: notifications may be lost, never reordered per pair. Every member keeps one
  outgoing connection per peer for its own notifications (opened on demand, with a hello naming
  its sid, re-opened with exponential backoff while messages wait, at most
  ``ELECTION_QUEUE_MAX`` of them) and receives on the connections its peers opened.
* Quorum channel: one connection per pair, opened by the learner with FOLLOWERINFO/OBSERVERINFO
  (whose LearnerInfo names its sid). Anything else sent without a connection is dropped. A
  refused connect, an EOF, a reset or a malformed packet is reported as ``Disconnected(sid)``,
  always before anything from a newer connection with that sid. A connection the core closes
  (``disconnect``) is not reported back to it.
* Bounds and framing live in ``peer_link``; a malformed frame or packet drops that connection
  only.

Blocking (``block``/``unblock``) simulates a network partition for tests and ``zabkeeper
ensemble isolate``: traffic to and from blocked sids vanishes silently (as in a partition, no
reset arrives, so each side must notice the silence); a quorum connection that lost a message
is dead for good and is closed (and reported) when the partition heals.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from zabkeeper.config import QuorumServer
from zabkeeper.core.inputs import Disconnected, Input, Receive
from zabkeeper.core.messages import (
    Ack,
    Commit,
    FollowerInfo,
    Message,
    Notification,
    ObserverInfo,
    QuorumPacket,
)
from zabkeeper.core.zxid import counter_of
from zabkeeper.server.peer_link import PeerFrameDecoder, PeerLink, framed
from zabkeeper.wire.jute import MalformedRecord
from zabkeeper.wire.quorum import (
    decode_election_hello,
    decode_notification,
    decode_packet,
    encode_election_hello,
    encode_frame,
    encode_notification,
)

log = logging.getLogger(__name__)

ELECTION_FRAME_MAX = 64 * 1024
ELECTION_QUEUE_MAX = 16
PACKET_OVERHEAD_MAX = 1024
BACKOFF_MIN_S = 0.05
BACKOFF_MAX_S = 2.0
CONNECT_TIMEOUT_S = 5.0
DEAD_LINKS_MAX = 64

Deliver = Callable[[Input], None]


@dataclass
class _ElectionOut:
    """The outgoing election connection to one peer and what waits for it."""

    queue: deque[bytes] = field(default_factory=lambda: deque(maxlen=ELECTION_QUEUE_MAX))
    link: PeerLink | None = None
    connecting: bool = False
    backoff_s: float = 0.0
    retry: asyncio.TimerHandle | None = None
    # The newest notification a partition held back; TCP would deliver it once the path heals.
    held: bytes | None = None


class PeerTransport:
    """The election and quorum channels of member ``myid``; see the module docstring."""

    def __init__(
        self,
        myid: int,
        servers: Mapping[int, QuorumServer],
        deliver: Deliver,
        jute_max_buffer: int,
        snapshot_bytes_max: int,
    ) -> None:
        assert myid in servers
        self.myid = myid
        self.servers = servers
        self.deliver = deliver
        self.frame_max = jute_max_buffer + PACKET_OVERHEAD_MAX
        self.snapshot_bytes_max = snapshot_bytes_max
        self.listeners: list[asyncio.Server] = []
        self.quorum: dict[int, PeerLink] = {}
        self.election_out: dict[int, _ElectionOut] = {sid: _ElectionOut() for sid in servers if sid != myid}
        self.accepted: set[PeerLink] = set()
        self.blocked: frozenset[int] = frozenset()
        self.dead: list[PeerLink] = []
        self.packets_sent = 0
        self.packets_received = 0
        self.connections_dropped = 0

    # --- life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        own = self.servers[self.myid]
        for address, kind in ((own.election_address, "election"), (own.quorum_address, "quorum")):
            server = await loop.create_server(
                functools.partial(self._accepted_link, kind), address.host, address.port, reuse_address=True
            )
            self.listeners.append(server)
        log.info("listening for peers: election %s, quorum %s", own.election_address, own.quorum_address)

    async def close(self) -> None:
        for server in self.listeners:
            server.close()
        for out in self.election_out.values():
            if out.retry is not None:
                out.retry.cancel()
            if out.link is not None:
                out.link.close()
        for link in [*self.quorum.values(), *self.accepted, *self.dead]:
            link.close()
        self.quorum.clear()
        for server in self.listeners:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)

    def _accepted_link(self, kind: str) -> PeerLink:
        if kind == "election":
            decoder = PeerFrameDecoder(ELECTION_FRAME_MAX)
        else:
            decoder = PeerFrameDecoder(self.frame_max, self.snapshot_bytes_max)
        link = PeerLink(self, kind, decoder)
        self.accepted.add(link)
        return link

    # --- sending -------------------------------------------------------------------------------

    def send(self, to: int, message: Message) -> None:
        assert to != self.myid and to in self.servers, to
        self.packets_sent += 1
        if isinstance(message, Notification):
            if to in self.blocked:
                self.election_out[to].held = encode_notification(message)
            else:
                self._send_notification(to, encode_notification(message))
            return
        link = self.quorum.get(to)
        if to in self.blocked:
            if link is not None:
                link.swallowed = True
            return
        frame = encode_frame(message, self.myid)
        if link is None:
            if isinstance(message, FollowerInfo | ObserverInfo):
                self._open_quorum(to, frame)
            return
        # COMMIT and a proposal's ACK are cumulative (core/leader.py): a newer one queued right
        # after another implies it. A NEWLEADER ACK (counter 0) is not, and is never replaced.
        cumulative = isinstance(message, Commit) or (
            isinstance(message, Ack) and counter_of(message.zxid) != 0
        )
        link.write(frame, cumulative=cumulative)

    def _open_quorum(self, to: int, frame: bytes) -> None:
        link = PeerLink(self, "quorum", PeerFrameDecoder(self.frame_max, self.snapshot_bytes_max))
        link.sid = to
        link.registered = True
        link.pending.append(frame)
        self.quorum[to] = link
        address = self.servers[to].quorum_address
        asyncio.get_running_loop().create_task(self._connect(link, address.host, address.port))

    async def _connect(self, link: PeerLink, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.create_connection(lambda: link, host, port), CONNECT_TIMEOUT_S)
        except (TimeoutError, OSError) as error:
            log.debug("cannot connect to %s:%s (%s)", host, port, error)
            if not link.closed:
                link.closed = True
                self.link_lost(link)

    def _send_notification(self, to: int, payload: bytes) -> None:
        out = self.election_out[to]
        frame = framed(payload)
        if out.link is not None and not out.link.closed:
            out.link.write(frame)
            return
        out.queue.append(frame)
        if not out.connecting and out.retry is None:
            self._connect_election(to)

    def _connect_election(self, to: int) -> None:
        out = self.election_out[to]
        out.retry = None
        if not out.queue or to in self.blocked:
            return
        out.connecting = True
        link = PeerLink(self, "election", PeerFrameDecoder(ELECTION_FRAME_MAX))
        link.sid = to
        own = self.servers[self.myid].election_address
        link.pending.append(framed(encode_election_hello(self.myid, str(own))))
        link.pending.extend(out.queue)
        out.queue.clear()
        address = self.servers[to].election_address
        asyncio.get_running_loop().create_task(
            self._connect_election_link(to, link, address.host, address.port)
        )

    async def _connect_election_link(self, to: int, link: PeerLink, host: str, port: int) -> None:
        out = self.election_out[to]
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.create_connection(lambda: link, host, port), CONNECT_TIMEOUT_S)
        except (TimeoutError, OSError):
            out.connecting = False
            # Keep the newest notifications for the next attempt; older ones are stale anyway.
            out.queue.extend(frame for frame in link.pending[1:])
            out.backoff_s = min(BACKOFF_MAX_S, max(BACKOFF_MIN_S, out.backoff_s * 2))
            out.retry = loop.call_later(out.backoff_s, self._connect_election, to)
            return
        out.connecting = False
        out.backoff_s = 0.0
        out.link = link
        while out.queue:  # sent while the connection was being opened
            link.write(out.queue.popleft())

    # --- receiving -----------------------------------------------------------------------------

    def frame_received(self, link: PeerLink, frame: bytes) -> None:
        if link.kind == "election":
            self._election_frame(link, frame)
        else:
            self._quorum_frame(link, frame)

    def _election_frame(self, link: PeerLink, frame: bytes) -> None:
        try:
            if link.sid is None:
                sid = decode_election_hello(frame)
                if sid not in self.servers or sid == self.myid:
                    raise MalformedRecord(f"unknown server id {sid}")
                link.sid = sid
                return
            if link in self.accepted and link.sid not in self.blocked:
                notification = decode_notification(frame, link.sid)
                self.packets_received += 1
                self.deliver(Receive(link.sid, notification))
        except MalformedRecord as error:
            self.link_failed(link, f"malformed election message: {error}")

    def _quorum_frame(self, link: PeerLink, frame: bytes) -> None:
        if link.swallowed:
            return
        try:
            decoded = decode_packet(frame)
        except MalformedRecord as error:
            self.link_failed(link, f"malformed quorum packet: {error}")
            return
        if link.sid is None:
            self._introduce(link, decoded.message, decoded.learner_sid)
            return
        if link.sid in self.blocked:
            link.swallowed = True
            return
        self.packets_received += 1
        self.deliver(Receive(link.sid, decoded.message))

    def _introduce(self, link: PeerLink, message: QuorumPacket, sid: int | None) -> None:
        """The first packet on an accepted quorum connection must say which learner opened it."""
        if sid is None or sid not in self.servers or sid == self.myid:
            self.link_failed(link, f"first quorum packet {type(message).__name__} names no known learner")
            return
        link.sid = sid
        if sid in self.blocked:
            link.swallowed = True
            self._bury(link)
            return
        old = self.quorum.get(sid)
        if old is not None:
            self._forget(old)
            old.close()
            if old.registered:
                self.deliver(Disconnected(sid))
        link.registered = True
        self.quorum[sid] = link
        self.packets_received += 1
        self.deliver(Receive(sid, message))

    def link_failed(self, link: PeerLink, reason: str) -> None:
        log.warning("dropping %s connection with server %s: %s", link.kind, link.sid, reason)
        self.connections_dropped += 1
        link.close()
        self.link_lost(link)

    def link_lost(self, link: PeerLink) -> None:
        self.accepted.discard(link)
        if link.kind == "election":
            out = self.election_out.get(link.sid) if link.sid is not None else None
            if out is not None and out.link is link:
                out.link = None
            return
        if link.sid is None or self.quorum.get(link.sid) is not link:
            return
        del self.quorum[link.sid]
        if link.sid in self.blocked or link.swallowed:
            # A partition hides the reset; the connection is dead and healing reports it.
            self._bury(link)
            return
        self.deliver(Disconnected(link.sid))

    def _bury(self, link: PeerLink) -> None:
        """Keep a connection a partition killed until the partition heals (bounded: a peer that
        keeps reconnecting through a partition must not grow this without end)."""
        self.dead.append(link)
        if len(self.dead) > DEAD_LINKS_MAX:
            # Connections the core knows are at most one per peer; drop the oldest unknown one.
            oldest = next((dead for dead in self.dead if not dead.registered), None)
            if oldest is not None:
                self.dead.remove(oldest)
                oldest.close()

    def _forget(self, link: PeerLink) -> None:
        if link.sid is not None and self.quorum.get(link.sid) is link:
            del self.quorum[link.sid]

    # --- the core's requests -------------------------------------------------------------------

    def disconnect(self, sid: int) -> None:
        """The core closes its quorum connection with ``sid``; nothing is reported back."""
        link = self.quorum.pop(sid, None)
        if link is not None:
            link.registered = False
            link.close()
        for dead in self.dead:
            if dead.sid == sid:
                dead.registered = False

    # --- partitions (tests and ``zabkeeper ensemble isolate``) ---------------------------------

    def block(self, sids: frozenset[int]) -> None:
        self.blocked = frozenset(sid for sid in sids if sid != self.myid)
        for sid in self.blocked:
            link = self.quorum.get(sid)
            if link is not None:
                link.swallowed = True
            out = self.election_out.get(sid)
            if out is not None:
                out.queue.clear()
        log.warning("partition: blocking traffic with servers %s", sorted(self.blocked))

    def unblock(self) -> None:
        """Heal: dead quorum connections are closed and reported broken, as a reset would."""
        self.blocked = frozenset()
        for sid, link in list(self.quorum.items()):
            if link.swallowed:
                del self.quorum[sid]
                self._bury(link)
        dead, self.dead = self.dead, []
        for link in dead:
            link.close()
            if link.registered and link.sid is not None and link.sid not in self.quorum:
                link.registered = False
                self.deliver(Disconnected(link.sid))
        for sid, out in self.election_out.items():
            if out.held is not None:
                held, out.held = out.held, None
                self._send_notification(sid, held)
        log.warning("partition healed")
