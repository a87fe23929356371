"""The driver: each spec action becomes the input(s) that make the core take the same step.

Message actions deliver the head of channel j -> i (``Receive``); ConnectionLost is
``Disconnected``; timers (FLENotmsgTimeout, FLEWaitNewNotmsg, the learner's retry, LearnerTimeout,
LeaderTimeout) are as many ``Tick``s as the core's timer needs, up to a bound; faults crash,
restart and partition servers; LeaderProcessRequest is ``Propose``; TakeSnapshot is
``SnapshotTaken``. A step the code cannot take raises ``Mismatch`` with the verdict
missing_action; a step whose events name a different action, unexpected_action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.ensemble import DriverNode, Ensemble, txn_data
from conformance.instances import Instance
from zabkeeper.core.inputs import Disconnected, Input, Propose, Receive, Tick
from zabkeeper.core.messages import ServerState, Txn
from zabkeeper.core.ready import Ready

TICKS_MAX = 5000

# Spec actions that deliver the head of a quorum channel, with the core event that must show up
# (None: the core may take the step silently, e.g. an ACK of an already committed proposal).
PACKET_ACTIONS: dict[str, str | None] = {
    "LeaderProcessFOLLOWERINFO": "LeaderProcessFOLLOWERINFO",
    "FollowerProcessLEADERINFO": "FollowerProcessLEADERINFO",
    "LeaderProcessACKEPOCH": "LeaderProcessACKEPOCH",
    "FollowerProcessSyncMessage": "FollowerProcessSyncMessage",
    "FollowerProcessPROPOSALInSync": "FollowerProcessPROPOSALInSync",
    "FollowerProcessCOMMITInSync": "FollowerProcessCOMMITInSync",
    "ObserverProcessINFORMInSync": "ObserverProcessINFORMInSync",
    "LeaderProcessACKLD": None,
    "FollowerProcessUPTODATE": "FollowerProcessUPTODATE",
    "FollowerProcessPROPOSAL": "FollowerProcessPROPOSAL",
    "LeaderProcessACK": None,
    "FollowerProcessCOMMIT": "FollowerProcessCOMMIT",
    "ObserverProcessINFORM": "ObserverProcessINFORM",
    "LeaderProcessUnexpectedPacket": None,
    "LearnerProcessUnexpectedPacket": None,
    "FilterNonexistentMessage": None,
}

# Every event name that is a spec action (or a sub-operation of one) in the core's vocabulary.
PROTOCOL_EVENTS = frozenset(PACKET_ACTIONS) | {
    "FLEHandleNotmsg",
    "FLEReceiveNotmsg",
    "FLENotmsgTimeout",
    "FLEWaitNewNotmsg",
    "FollowerProcessNEWLEADER",
    "LeaderProcessRequest",
    "ConnectAndFollowerSendFOLLOWERINFO",
}

NEWLEADER_SUB_STEPS = {
    "FollowerProcessNEWLEADERLogTxns": "NL_LOG_TXNS",
    "FollowerProcessNEWLEADERWriteEpoch": "NL_WRITE_EPOCH",
    "FollowerProcessNEWLEADERSendACK": "NL_SEND_ACK",
}


class Mismatch(Exception):
    """The code cannot follow the spec here; ``verdict`` is missing_action or unexpected_action."""

    def __init__(self, verdict: str, detail: str) -> None:
        super().__init__(f"{verdict}: {detail}")
        self.verdict = verdict
        self.detail = detail


@dataclass
class Driver:
    """Applies spec steps to an ``Ensemble``."""

    ensemble: Ensemble
    instance: Instance

    # --- helpers --------------------------------------------------------------------------------

    def _live(self, sid: int, action: str) -> DriverNode:
        node = self.ensemble.nodes.get(sid)
        if node is None or node.peer is None:
            raise Mismatch("missing_action", f"{action}: server {sid} is down in the implementation")
        if node.pending is not None and not action.startswith(("FollowerProcessNEWLEADER", "NodeCrash")):
            raise Mismatch("missing_action", f"{action}: server {sid} is still executing a NEWLEADER Ready")
        return node

    def _step(self, node: DriverNode, event: Input) -> Ready:
        assert node.peer is not None
        ready = node.peer.step(event)
        self.ensemble.execute(node, ready)
        return ready

    @staticmethod
    def _expect_event(action: str, expected: str | None, ready: Ready) -> None:
        names = [event.action for event in ready.events]
        if expected is None or expected in names:
            return
        others = [name for name in names if name in PROTOCOL_EVENTS]
        verdict = "unexpected_action" if others else "missing_action"
        raise Mismatch(verdict, f"{action}: the core's step performed {names or 'nothing'}")

    def _tick_until(self, node: DriverNode, action: str, done: Callable[[Ready], bool]) -> None:
        for _ in range(TICKS_MAX):
            ready = self._step(node, Tick())
            if done(ready):
                return
            if node.peer is None:
                break
        raise Mismatch(
            "missing_action", f"{action}: no timer of server {node.sid} fired within {TICKS_MAX} ticks"
        )

    # --- the step -------------------------------------------------------------------------------

    def apply(self, action: str, picks: dict[str, Any], before: dict[str, Any]) -> None:
        """Make the implementation take spec step ``action`` (``before`` is the spec's pre-state)."""
        i = picks.get("i")
        j = picks.get("j")
        network = self.ensemble.network
        if action in ("FLEHandleNotmsg", "FLEReceiveNotmsg"):
            node = self._live(_int(i), action)
            notification = network.take_notification(_int(i), _int(j))
            if notification is None:
                raise Mismatch("missing_action", f"{action}: no notification from {j} to {i}")
            self._expect_event(action, action, self._step(node, Receive(_int(j), notification)))
        elif action in PACKET_ACTIONS or action == "FollowerProcessNEWLEADER":
            self._deliver_packet(action, _int(i), _int(j))
        elif action in NEWLEADER_SUB_STEPS:
            node = self._live(_int(i), action)
            complaint = self.ensemble.execute_pending(node, NEWLEADER_SUB_STEPS[action])
            if complaint is not None:
                raise Mismatch("missing_action", complaint)
        elif action == "ConnectionLost":
            node = self._live(_int(i), action)
            if not network.connection_gone(_int(i), _int(j)):
                raise Mismatch("missing_action", f"{action}: server {i}'s connection with {j} is not gone")
            network.forget(_int(i), _int(j))
            self._step(node, Disconnected(_int(j)))
        elif action in ("FLENotmsgTimeout", "FLEWaitNewNotmsg", "ConnectAndFollowerSendFOLLOWERINFO"):
            node = self._live(_int(i), action)
            self._tick_until(node, action, lambda ready: any(e.action == action for e in ready.events))
        elif action in ("LearnerTimeout", "LeaderTimeout"):
            node = self._live(_int(i), action)
            self._tick_until(
                node,
                action,
                lambda _ready: node.peer is not None and node.peer.server_state is ServerState.LOOKING,
            )
        elif action == "LeaderProcessRequest":
            node = self._live(_int(i), action)
            value = int(before["ghost"]["nextValue"])
            ready = self._step(node, Propose(txn_data(value)))
            if ready.refused:
                raise Mismatch("missing_action", f"{action}: leader {i} refused the request")
            self._expect_event(action, action, ready)
        elif action == "TakeSnapshot":
            self._live(_int(i), action)
            self.ensemble.take_snapshot(_int(i))
        elif action == "NodeCrash":
            self._live(_int(i), action)
            self.ensemble.crash(_int(i))
        elif action == "NodeStart":
            if self.ensemble.nodes[_int(i)].online:
                raise Mismatch("missing_action", f"{action}: server {i} is already up")
            self.ensemble.start(_int(i))
        elif action == "PartitionStart":
            network.partition(_int(i), _int(j))
        elif action == "PartitionRecover":
            network.recover(_int(i), _int(j))
        else:
            raise Mismatch("missing_action", f"the driver does not know spec action {action!r}")

    def _deliver_packet(self, action: str, i: int, j: int) -> None:
        node = self._live(i, action)
        packet = self.ensemble.network.take_packet(i, j)
        if packet is None:
            raise Mismatch("missing_action", f"{action}: no packet from {j} to {i} can be delivered")
        assert node.peer is not None
        ready = node.peer.step(Receive(j, packet))
        if action == "FollowerProcessNEWLEADER":
            self._expect_event(action, action, ready)
            if node.peer.server_state is ServerState.LOOKING:
                self.ensemble.execute(node, ready)
                return
            complaint = self.ensemble.execute_newleader(node, ready, self.instance.newleader_order)
            if complaint is not None:
                raise Mismatch("unexpected_action", complaint)
            return
        self.ensemble.execute(node, ready)
        self._expect_event(action, PACKET_ACTIONS[action], ready)


def _int(value: Any) -> int:
    if not isinstance(value, int):
        raise Mismatch("missing_action", f"the step has no server argument ({value!r})")
    return value


def initial_log(history: Any) -> list[Txn]:
    """The spec's initial history as core txns."""
    return [Txn(int(txn["zxid"]), txn_data(int(txn["value"]))) for txn in history]
