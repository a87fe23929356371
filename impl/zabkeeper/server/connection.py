"""One client TCP (or TLS) connection: framing, handshake hand-off, in-order replies, batching.

The connection turns bytes into decoded requests and hands them to its ``ConnectionOwner``
(the server); it never interprets a request. What it guarantees:

* Replies leave in request order. Each request takes a slot in ``slots``; a write's slot is
  filled when its txn is applied, a read arriving behind a pending write waits in its slot and
  is evaluated only when it reaches the head (so it sees that write, as ZooKeeper promises).
  Reads with nothing ahead of them are answered at once.
* Batching: every complete frame of one socket read is processed before one ``write`` of all
  replies produced; replies completed by a commit batch are flushed once per batch.
* Bounded: at most ``OUTSTANDING_MAX`` requests in flight per connection (reading pauses until
  replies drain), frames above jute.maxbuffer and malformed records close this connection only,
  and a peer that stops reading pauses our reading when its send buffer is full.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from zabkeeper.tree import records as r
from zabkeeper.wire.client import UnknownOpcode, decode_connect_request, decode_request, encode_reply
from zabkeeper.wire.framing import BadFrame, FrameDecoder, four_letter_word
from zabkeeper.wire.jute import MalformedRecord

log = logging.getLogger(__name__)

OUTSTANDING_MAX = 1000  # ZooKeeper's globalOutstandingLimit default, applied per connection


class ConnectionOwner(Protocol):
    """What a connection needs from the server it belongs to."""

    jute_max_buffer: int

    def connection_opened(self, connection: ClientConnection) -> bool: ...

    def connection_closed(self, connection: ClientConnection) -> None: ...

    def handle_connect(self, connection: ClientConnection, request: r.ConnectRequest) -> None: ...

    def handle_request(self, connection: ClientConnection, xid: int, opcode: int, request: Any) -> None: ...

    def four_letter(self, word: str) -> str: ...

    def batch_received(self, connection: ClientConnection, packets: int, data_bytes: int) -> None: ...

    def count_sent(
        self, packets: int, replies: int, latency_total_ms: float, latency_max_ms: float
    ) -> None: ...


class Slot:
    """A reply position: filled with a frame, or holding a read to evaluate at the head."""

    __slots__ = ("evaluate", "frame", "started")

    def __init__(self, started: float, evaluate: Callable[[], bytes] | None = None) -> None:
        self.started = started
        self.frame: bytes | None = None
        self.evaluate = evaluate


class ClientConnection(asyncio.Protocol):
    def __init__(self, owner: ConnectionOwner, secure: bool = False) -> None:
        self.owner = owner
        self.secure = secure
        self.decoder = FrameDecoder(owner.jute_max_buffer)
        self.transport: asyncio.Transport | None = None
        self.remote = "?"
        self.state: Any = None  # the owner's per-connection state (session, identity)
        self.handshake_done = False
        self.first_bytes: bytes | None = b""
        self.slots: deque[Slot] = deque()
        self.out: list[bytes] = []
        self.closing = False
        self.reading_paused = False
        self.writing_paused = False
        self.received = 0
        self.sent = 0
        self.last_opcode = 0
        self.last_cxid = 0
        self.last_zxid = 0
        self.established_ms = int(time.time() * 1000)
        self.send_read_only_byte = True
        self.batch_started = time.perf_counter()
        self.immediate_replies = 0
        self.queued_replies = 0
        self.latency_total = 0.0
        self.latency_max = 0.0
        self.peer_certificate: dict[str, Any] | None = None

    # --- asyncio callbacks ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.remote = f"{peer[0]}:{peer[1]}" if peer else "?"
        if self.secure:
            ssl_object = transport.get_extra_info("ssl_object")
            self.peer_certificate = ssl_object.getpeercert() if ssl_object is not None else None
        if not self.owner.connection_opened(self):
            self.close("too many connections from this address (maxClientCnxns)")

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.slots.clear()
        self.owner.connection_closed(self)

    def pause_writing(self) -> None:
        self.writing_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._update_reading()

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        if self.first_bytes is not None:
            # Until 4 bytes have arrived we cannot tell a four-letter word from a frame length.
            self.first_bytes += data
            if len(self.first_bytes) < 4:
                return
            data, self.first_bytes = self.first_bytes, None
            word = four_letter_word(data[:4])
            if word is not None:
                self._answer_four_letter(word)
                return
        try:
            frames = self.decoder.feed(data)
        except BadFrame as error:
            self.close(f"bad frame: {error}")
            return
        if not frames:
            return
        self.batch_started = time.perf_counter()
        self.owner.batch_received(self, len(frames), len(data))
        self.received += len(frames)
        for payload in frames:
            if self.closing:
                break
            self._frame_received(payload)
        self.flush()

    # --- requests ------------------------------------------------------------------------------

    def _frame_received(self, payload: bytes) -> None:
        try:
            if not self.handshake_done:
                self.handshake_done = True
                request, self.send_read_only_byte = decode_connect_request(payload)
                self.owner.handle_connect(self, request)
                return
            xid, opcode, request = decode_request(payload)
        except MalformedRecord as error:
            self.close(f"malformed record: {error}")
            return
        except UnknownOpcode as error:
            log.warning("%s: %s; answering Unimplemented and closing", self.remote, error)
            self.out.append(encode_reply(int.from_bytes(payload[:4], "big", signed=True), -1, -6))
            self.close_after_flush()
            return
        self.last_opcode = opcode
        self.owner.handle_request(self, xid, opcode, request)

    def _answer_four_letter(self, word: str) -> None:
        assert self.transport is not None
        try:
            text = self.owner.four_letter(word)
        except Exception:  # a broken formatter must not take the server down
            log.exception("four-letter word %s failed", word)
            text = ""
        self.transport.write(text.encode("utf-8"))
        self.closing = True
        self.transport.close()

    # --- replies -------------------------------------------------------------------------------

    def reply_now(self, frame: bytes, opcode: int | None = None, started: float | None = None) -> None:
        """A reply that may go out now if nothing is ahead of it, else queued in order.

        ``opcode`` (when given) becomes the connection's last operation for ``cons``; ``started``
        (when given) is the request's arrival time, else the current batch's."""
        if opcode is not None:
            self.last_opcode = opcode
        if started is not None or self.slots:
            slot = Slot(self.batch_started if started is None else started)
            slot.frame = frame
            self.slots.append(slot)
            if len(self.slots) == 1:
                self._drain_slots()
            return
        self.out.append(frame)
        self.immediate_replies += 1

    def defer_read(self, evaluate: Callable[[], bytes]) -> None:
        """A read that must see the writes ahead of it: evaluated when it reaches the head."""
        if not self.slots:
            self.out.append(evaluate())
            self.immediate_replies += 1
            return
        self.slots.append(Slot(self.batch_started, evaluate))

    def reserve(
        self, xid: int | None = None, opcode: int | None = None, started: float | None = None
    ) -> Slot:
        """A slot for a write; ``complete(slot, frame)`` fills it when the txn is applied.
        ``xid``/``opcode`` (when given) are recorded for ``cons``, ``started`` as in reply_now."""
        if xid is not None:
            self.last_cxid = xid
        if opcode is not None:
            self.last_opcode = opcode
        slot = Slot(self.batch_started if started is None else started)
        self.slots.append(slot)
        self._update_reading()
        return slot

    def complete(self, slot: Slot, frame: bytes) -> None:
        slot.frame = frame
        if self.slots and self.slots[0] is slot:
            self._drain_slots()

    def _drain_slots(self) -> None:
        slots = self.slots
        now = time.perf_counter()
        while slots:
            head = slots[0]
            if head.frame is None:
                if head.evaluate is None:
                    break
                head.frame = head.evaluate()
            slots.popleft()
            self.out.append(head.frame)
            latency = now - head.started
            self.latency_total += latency
            if latency > self.latency_max:
                self.latency_max = latency
            self.queued_replies += 1
        self._update_reading()

    def send_notification(self, frame: bytes) -> None:
        """Watch events go straight out, ahead of any reply that reflects the change."""
        self.out.append(frame)

    def flush(self) -> None:
        out = self.out
        if not out:
            return
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(out))
        replies = self.immediate_replies + self.queued_replies
        if self.immediate_replies:
            latency = time.perf_counter() - self.batch_started
            self.latency_total += latency * self.immediate_replies
            self.latency_max = max(self.latency_max, latency)
        self.sent += len(out)
        self.owner.count_sent(len(out), replies, self.latency_total * 1000.0, self.latency_max * 1000.0)
        out.clear()
        self.immediate_replies = self.queued_replies = 0
        self.latency_total = self.latency_max = 0.0

    def outstanding(self) -> int:
        return len(self.slots)

    def _update_reading(self) -> None:
        if self.transport is None or self.closing:
            return
        should_pause = self.writing_paused or len(self.slots) >= OUTSTANDING_MAX
        if should_pause and not self.reading_paused:
            self.reading_paused = True
            self.transport.pause_reading()
        elif not should_pause and self.reading_paused:
            self.reading_paused = False
            self.transport.resume_reading()

    # --- closing -------------------------------------------------------------------------------

    def close(self, reason: str | None = None) -> None:
        """Close this connection only; pending replies are dropped (the client will reconnect)."""
        if reason is not None:
            log.warning("closing connection from %s: %s", self.remote, reason)
        self.closing = True
        self.out.clear()
        if self.transport is not None:
            self.transport.close()

    def close_after_flush(self) -> None:
        self.flush()
        self.closing = True
        if self.transport is not None:
            self.transport.close()
