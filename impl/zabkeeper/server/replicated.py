"""The replicated request pipeline: client writes through Zab, as ZooKeeper's leader and learner
request processor chains do.

* Writes (and session creates/closes, container deletions) from local clients are gathered for
  one event-loop turn and handed to the core as one ``ForwardRequest``: a learner sends them to
  the leader as one REQUEST (FollowerRequestProcessor); the leader's core hands them back as
  ``Ready.forwarded``, exactly as it hands over the REQUESTs of its learners. Only requests that
  produce txns (and session touches) are taken from learners; anything else is dropped.
* The leader queues forwarded requests and, while it is established and has room for proposals,
  prepares each against its tree plus pending changes (PrepRequestProcessor; the zxid is the one
  the core will assign) and steps ``Propose`` with the encoded txn (ProposalRequestProcessor).
* Every server applies committed txns in zxid order (the runner calls ``apply_committed``), and
  the server that holds the client's connection answers it (FinalRequestProcessor).
* ``sync`` is a ``ClientSync``: answered when ``Ready.synced`` names its token, after everything
  the leader committed before it has been applied here (``catch_up`` offers the same wait to the
  server, which uses it before deciding that a reattaching session is unknown).
* Learners report the sessions their clients kept alive (REQUEST of type ping, every half
  tickTime); the leader touches them in its session tracker, which alone expires sessions.

Requests the core refuses (no leader now) are answered with ConnectionLoss, so clients retry
elsewhere; requests lost in a leader change are covered by closing client connections when the
server stops serving.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from zabkeeper.core.inputs import ClientSync, ForwardRequest, Propose
from zabkeeper.core.messages import Txn
from zabkeeper.core.peer import Peer
from zabkeeper.core.ready import AppendTxns, Ready
from zabkeeper.server.connection import ClientConnection
from zabkeeper.server.pipeline import ClientWrite, CommittedTxn
from zabkeeper.server.zk_server import WRITE_OPS, ZooKeeperServer, monotonic_ms
from zabkeeper.tree import records as r
from zabkeeper.tree.constants import Code, OpCode
from zabkeeper.wire.client import decode_request, encode_reply, encode_request
from zabkeeper.wire.codec import decode_record
from zabkeeper.wire.jute import MalformedRecord
from zabkeeper.wire.quorum import (
    ForwardedRequest,
    decode_forwarded_batch,
    decode_session_touches,
    encode_forwarded,
    encode_session_touches,
)
from zabkeeper.wire.txn import decode_txn, encode_txn

log = logging.getLogger(__name__)

# Requests waiting on the leader for room in the core's proposal window.
QUEUED_PROPOSALS_MAX = 100_000
# Client syncs waiting for the leader's answer on this server.
SYNC_WAITERS_MAX = 100_000
# Local writes gathered in one event-loop turn (bounded by the connections' outstanding limits).
OUTBOX_MAX = 1_000_000
_LOCAL = struct.Struct(">cq")
FORWARDABLE = WRITE_OPS | {OpCode.createSession, OpCode.closeSession, OpCode.ping}
_LOCAL_TAG = b"L"


class Core(Protocol):
    """What the pipeline needs of its member: the peer, and where its Readys go."""

    peer: Peer

    def submit_ready(self, ready: Ready) -> None: ...


class ReplicatedPipeline:
    """The ``RequestPipeline`` of an ensemble member; see the module docstring."""

    def __init__(self, zk: ZooKeeperServer, core: Core) -> None:
        self.zk = zk
        self.core = core
        self.outbox: list[ClientWrite] = []
        self.proposals: deque[ClientWrite] = deque()
        self.prepared: dict[int, tuple[bytes, CommittedTxn]] = {}
        self.local: dict[int, list[ClientWrite]] = {}
        self.next_local = 0
        self.syncs: dict[int, Callable[[bool], None]] = {}
        self.next_sync = 0
        self.forwarded_count = 0
        self.proposed_count = 0
        self.refused_count = 0

    # --- RequestPipeline -----------------------------------------------------------------------

    def submit(self, write: ClientWrite) -> None:
        """Queue a local write; every write of one event-loop turn goes to the core together."""
        self.outbox.append(write)
        assert len(self.outbox) <= OUTBOX_MAX, "writes arrive faster than the loop turns"
        if len(self.outbox) == 1:
            asyncio.get_running_loop().call_soon(self.flush_outbox)

    def flush_outbox(self) -> None:
        """Hand the queued writes to the core as one ForwardRequest: a learner sends them to the
        leader as one REQUEST; the leader's own core hands them straight back (no encoding)."""
        if not self.outbox:
            return
        writes, self.outbox = self.outbox, []
        peer = self.core.peer
        if peer.is_established_leader:
            self.next_local += 1
            self.local[self.next_local] = writes
            payload = _LOCAL.pack(_LOCAL_TAG, self.next_local)
        else:
            payload = b"".join(encode_forwarded(_forwarded(write)) for write in writes)
        self.core.submit_ready(peer.step(ForwardRequest(payload)))

    def outstanding(self) -> int:
        return len(self.zk.waiting) + len(self.proposals) + len(self.syncs)

    async def drain(self) -> None:
        return None

    def close(self) -> None:
        self.reset()

    # --- the runner's hand-overs ---------------------------------------------------------------

    def apply(self, txns: list[CommittedTxn]) -> None:
        self.zk.apply_committed(txns)

    def forwarded(self, origin: int, payload: bytes) -> None:
        """Requests reached the leader (from a learner, or from this server itself)."""
        for write in self._take(origin, payload):
            if write.opcode == OpCode.ping:
                now = monotonic_ms()
                for session_id in write.request:
                    self.zk.tracker.touch(session_id, now)
            elif len(self.proposals) >= QUEUED_PROPOSALS_MAX:
                log.error("proposal queue full: dropping a request of session %#x", write.session_id)
                self._fail(write)
            else:
                self.forwarded_count += 1
                self.proposals.append(write)

    def _take(self, origin: int, payload: bytes) -> list[ClientWrite]:
        if origin == self.core.peer.myid and payload[:1] == _LOCAL_TAG and len(payload) == _LOCAL.size:
            return self.local.pop(_LOCAL.unpack(payload)[1], [])
        try:
            return [_client_write(forwarded) for forwarded in decode_forwarded_batch(payload)]
        except (MalformedRecord, ValueError) as error:
            log.warning("dropping undecodable requests forwarded by server %s: %s", origin, error)
            return []

    def refused(self, payload: bytes) -> None:
        """The core could not take requests now (no leader): the clients retry elsewhere."""
        for write in self._take(self.core.peer.myid, payload):
            if write.opcode != OpCode.ping:
                self.refused_count += 1
                self._fail(write)

    def synced(self, token: int) -> None:
        done = self.syncs.pop(token, None)
        if done is not None:
            done(True)

    def propose_queued(self) -> None:
        """Prepare and propose queued requests while the leader has room (ProposalRequestProcessor)."""
        peer = self.core.peer
        while self.proposals:
            if not peer.is_established_leader:
                for write in self.proposals:
                    self._fail(write)
                self.proposals.clear()
                return
            zxid = peer.next_zxid()
            if zxid is None:
                return  # the pipeline is full; commits will make room
            self._propose(self.proposals.popleft(), zxid)

    def _propose(self, write: ClientWrite, zxid: int) -> None:
        peer = self.core.peer
        header, txn = self.zk.prepare(write, zxid, int(time.time() * 1000))
        data = encode_txn(header, txn)
        ready = peer.step(Propose(data))
        if data in ready.refused:
            ready.refused.remove(data)
            self._fail(write)
        else:
            self.proposed_count += 1
            assert any(isinstance(w, AppendTxns) and w.txns[-1].zxid == zxid for w in ready.writes), (
                "the core assigned another zxid than the one prepared"
            )
            # Applying it later needs these records again: keep them instead of decoding the bytes.
            self.prepared[zxid] = (data, CommittedTxn(header, txn))
        self.core.submit_ready(ready)

    def committed(self, txns: list[Txn]) -> list[CommittedTxn]:
        """The records of committed txns: the prepared ones this leader kept, else decoded."""
        records = []
        for txn in txns:
            kept = self.prepared.pop(txn.zxid, None)
            if kept is not None and kept[0] == txn.data:
                records.append(kept[1])
            else:
                header, record = decode_txn(txn.data)
                records.append(CommittedTxn(header, record))
        return records

    # --- sync ----------------------------------------------------------------------------------

    def client_sync(self, connection: ClientConnection, xid: int, path: str, started: float) -> None:
        """A client's sync: answered once everything committed before it is applied here."""
        self.flush_outbox()  # a sync never overtakes the writes that came before it
        slot = connection.reserve(xid, OpCode.sync, started)

        def answer(caught_up: bool) -> None:
            zxid = self.zk.tree.last_processed_zxid
            if caught_up:
                connection.complete(slot, encode_reply(xid, zxid, 0, r.SyncResponse(path)))
            else:
                connection.complete(slot, encode_reply(xid, zxid, Code.CONNECTIONLOSS))
            connection.flush()

        self.catch_up(answer)

    def catch_up(self, done: Callable[[bool], None]) -> None:
        """Call ``done(True)`` once this server has applied everything the leader committed before
        now (a ``ClientSync``), or ``done(False)`` if there is no leader to ask."""
        if len(self.syncs) >= SYNC_WAITERS_MAX:
            done(False)
            return
        self.next_sync += 1
        token = self.next_sync
        self.syncs[token] = done
        ready = self.core.peer.step(ClientSync(token))
        if token in ready.refused_syncs:
            del self.syncs[token]
            done(False)
        self.core.submit_ready(ready)

    # --- sessions ------------------------------------------------------------------------------

    def report_touches(self, session_ids: list[int]) -> None:
        """A learner tells the leader which of its clients' sessions are alive."""
        if session_ids:
            payload = encode_session_touches(sorted(session_ids))
            self.core.submit_ready(self.core.peer.step(ForwardRequest(payload)))

    # --- failure -------------------------------------------------------------------------------

    def _fail(self, write: ClientWrite) -> None:
        zk = self.zk
        if write.opcode == OpCode.createSession:
            pending = zk.connecting.pop(write.session_id, None)
            if pending is not None:
                pending.connection.close("no leader to create the session")
            return
        key = (write.session_id, write.cxid)
        waiter = zk.waiting.pop(key, None)
        if key in zk.waiting_later:
            zk._promote_later_waiter(key)  # a later request that reused this xid waits its turn
        if waiter is None:
            return
        connection, slot = waiter
        connection.complete(slot, encode_reply(write.cxid, zk.tree.last_processed_zxid, Code.CONNECTIONLOSS))
        connection.flush()

    def reset(self) -> None:
        """The server stopped serving: forget every request in flight (their connections close)."""
        self.outbox.clear()
        self.proposals.clear()
        self.prepared.clear()
        self.local.clear()
        self.syncs.clear()


def _forwarded(write: ClientWrite) -> ForwardedRequest:
    if write.opcode == OpCode.createSession:
        assert isinstance(write.request, r.CreateSessionTxn)
        body = struct.pack(">i", write.request.time_out)
    else:
        body = encode_request(write.cxid, write.opcode, write.request)[12:]
    return ForwardedRequest(write.session_id, write.cxid, write.opcode, body, tuple(write.auth))


def _client_write(forwarded: ForwardedRequest) -> ClientWrite:
    """The write a forwarded request carries; ``MalformedRecord`` if it is not one a learner may
    forward (a txn-producing request, a session change, or session touches)."""
    request: Any
    if forwarded.opcode not in FORWARDABLE:
        raise MalformedRecord(f"opcode {forwarded.opcode} is not forwarded to the leader")
    if forwarded.opcode == OpCode.createSession:
        request = decode_record(r.CreateSessionTxn, forwarded.request)
    elif forwarded.opcode == OpCode.ping:
        request = decode_session_touches(forwarded.request)
    else:
        header = struct.pack(">ii", forwarded.cxid, forwarded.opcode)
        _xid, _opcode, request = decode_request(header + forwarded.request)
    return ClientWrite(forwarded.session_id, forwarded.cxid, forwarded.opcode, request, forwarded.auth)
