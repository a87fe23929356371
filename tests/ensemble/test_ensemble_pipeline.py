"""The leader's side of the replicated pipeline takes only what a learner may forward.

A REQUEST from a peer is input from the network: a batch that does not decode, or that carries a
read or an unknown opcode, is dropped with a warning; the leader neither crashes nor proposes it.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest

from zabkeeper.server.replicated import ReplicatedPipeline
from zabkeeper.tree import records as r
from zabkeeper.tree.constants import OpCode
from zabkeeper.wire.client import encode_request
from zabkeeper.wire.quorum import ForwardedRequest, encode_forwarded, encode_session_touches


class StubPeer:
    myid = 1


class StubCore:
    peer = StubPeer()

    def submit_ready(self, ready: Any) -> None:
        raise AssertionError("nothing is stepped here")


class StubTracker:
    def __init__(self) -> None:
        self.touched: list[int] = []

    def touch(self, session_id: int, now_ms: int) -> bool:
        self.touched.append(session_id)
        return True


class StubServer:
    def __init__(self) -> None:
        self.tracker = StubTracker()


def pipeline() -> ReplicatedPipeline:
    return ReplicatedPipeline(StubServer(), StubCore())  # type: ignore[arg-type]


def forwarded(opcode: int, request: object, cxid: int = 7) -> bytes:
    body = encode_request(cxid, opcode, request)[12:]
    return encode_forwarded(ForwardedRequest(0x55, cxid, opcode, body))


def test_writes_from_a_learner_are_queued_for_proposal() -> None:
    under_test = pipeline()
    payload = forwarded(OpCode.setData, r.SetDataRequest("/a", b"x", -1)) + forwarded(
        OpCode.delete, r.DeleteRequest("/b", -1), cxid=8
    )
    under_test.forwarded(2, payload)
    assert [(w.opcode, w.cxid) for w in under_test.proposals] == [(OpCode.setData, 7), (OpCode.delete, 8)]


def test_session_touches_only_touch() -> None:
    under_test = pipeline()
    under_test.forwarded(2, encode_session_touches([11, 12]))
    assert not under_test.proposals
    assert under_test.zk.tracker.touched == [11, 12]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "payload",
    [
        forwarded(OpCode.getData, r.GetDataRequest("/a", False)),  # a read is never forwarded
        encode_forwarded(ForwardedRequest(1, 1, 4242, b"")),  # unknown opcode
        encode_forwarded(ForwardedRequest(1, 1, OpCode.setData, b"\x00\x00")),  # truncated request
        encode_forwarded(ForwardedRequest(1, 1, OpCode.ping, struct.pack(">i", 9))),  # lying touch count
        b"\x00\x01",  # not a forwarded request at all
    ],
)
def test_what_a_learner_may_not_forward_is_dropped(payload: bytes) -> None:
    under_test = pipeline()
    under_test.forwarded(2, payload)
    assert not under_test.proposals
