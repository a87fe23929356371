"""The implementation side of a replay: real core ``Peer``s with the disks, state machines and
network a shell would give them.

Each ``DriverNode`` executes its peer's ``Ready``s exactly as the contract in core/ready.py says
(persist, apply, send, close), against a ``DiskImage`` and a ``StateMachine`` from the simulator
and the spec-shaped ``SpecNetwork``. A Ready may be executed in parts: NEWLEADER handling is split
in the spec into durable sub-steps (log the synced txns, write currentEpoch, ACK), so the driver
runs the matching part of that one Ready per spec step, and a crash in between loses the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.instances import Instance
from conformance.network import SpecNetwork
from zabkeeper.core.inputs import SnapshotTaken
from zabkeeper.core.messages import Message, Snap, Txn
from zabkeeper.core.options import PeerOptions
from zabkeeper.core.peer import Peer
from zabkeeper.core.ready import (
    AppendTxns,
    DurableWrite,
    InstallSnapshot,
    Outbound,
    Ready,
    SetCurrentEpoch,
)
from zabkeeper.sim.disk import DiskImage
from zabkeeper.sim.machine import StateMachine


def txn_data(value: int) -> bytes:
    """The payload the driver gives the spec's request ``value``."""
    return f"v{value}".encode()


def txn_value(txn: Txn) -> int:
    assert txn.data[:1] == b"v", txn
    return int(txn.data[1:])


@dataclass
class PendingReady:
    """The part of a NEWLEADER Ready not executed yet, by spec sub-step."""

    epoch_writes: list[DurableWrite]
    messages: list[Outbound]
    disconnect: list[int]
    steps: list[str]


@dataclass
class DriverNode:
    sid: int
    options: PeerOptions
    disk: DiskImage = field(default_factory=DiskImage)
    machine: StateMachine = field(default_factory=StateMachine)
    peer: Peer | None = None
    pending: PendingReady | None = None

    @property
    def online(self) -> bool:
        return self.peer is not None


class Ensemble:
    """The servers of one replay."""

    def __init__(self, instance: Instance, voters: frozenset[int], observers: frozenset[int]) -> None:
        self.instance = instance
        servers = tuple(sorted(voters | observers))
        self.network = SpecNetwork(servers)
        self.nodes = {sid: DriverNode(sid, instance.peer_options(sid, voters, observers)) for sid in servers}

    # --- life cycle -----------------------------------------------------------------------------

    def boot(self, sid: int, accepted_epoch: int, current_epoch: int, log: list[Txn]) -> None:
        """Put a disk image in place (before the ensemble starts)."""
        node = self.nodes[sid]
        node.disk = DiskImage(accepted_epoch=accepted_epoch, current_epoch=current_epoch, log=list(log))
        self.network.start(sid)

    def start(self, sid: int) -> Ready:
        node = self.nodes[sid]
        assert node.peer is None, sid
        node.machine = StateMachine(node.disk.snapshot)
        node.peer = Peer(node.options, node.disk.durable_state())
        self.network.start(sid)
        ready = node.peer.start()
        self.execute(node, ready)
        return ready

    def crash(self, sid: int) -> None:
        node = self.nodes[sid]
        node.peer = None
        node.pending = None
        self.network.crash(sid)

    def take_snapshot(self, sid: int) -> Ready:
        node = self.nodes[sid]
        assert node.peer is not None
        zxid = node.machine.last_zxid
        node.disk.snapshot_zxid = zxid
        node.disk.snapshot = tuple(node.machine.applied)
        node.disk.log = [txn for txn in node.disk.log if txn.zxid > zxid]
        ready = node.peer.step(SnapshotTaken(zxid))
        self.execute(node, ready)
        return ready

    # --- executing Readys -----------------------------------------------------------------------

    def execute(self, node: DriverNode, ready: Ready) -> None:
        """Run a whole Ready in the contract's order (early messages first; the spec's step is
        atomic, so they leave in the same step as the rest)."""
        self._send(node, ready.early, [])
        self._write(node, ready.writes)
        for txn in ready.committed:
            node.machine.apply(txn)
        self._send(node, ready.messages, ready.disconnect)

    def execute_newleader(self, node: DriverNode, ready: Ready, order: tuple[str, ...]) -> str | None:
        """Run the first sub-step of a NEWLEADER Ready and keep the rest; returns a complaint if the
        Ready does not have the shape the spec's sub-steps describe."""
        split = next((k for k, w in enumerate(ready.writes) if isinstance(w, SetCurrentEpoch)), None)
        if split is None or ready.committed:
            return f"the NEWLEADER step wrote {ready.writes} and delivered {ready.committed}"
        logged, epoch = ready.writes[:split], ready.writes[split:]
        if not all(isinstance(w, AppendTxns | InstallSnapshot) for w in logged):
            return f"unexpected writes before currentEpoch: {logged}"
        if len(epoch) != 1:
            return f"the synced txns must be durable before currentEpoch, but the Ready writes {ready.writes}"
        assert order[0] == "NL_LOG_TXNS", order
        self._write(node, logged)
        node.pending = PendingReady(
            list(epoch), list(ready.messages), list(ready.disconnect), list(order[1:])
        )
        return None

    def execute_pending(self, node: DriverNode, sub_step: str) -> str | None:
        pending = node.pending
        if pending is None or not pending.steps or pending.steps[0] != sub_step:
            return f"server {node.sid} has no pending NEWLEADER sub-step {sub_step}"
        pending.steps.pop(0)
        if sub_step == "NL_WRITE_EPOCH":
            self._write(node, pending.epoch_writes)
            pending.epoch_writes = []
        elif sub_step == "NL_SEND_ACK":
            self._send(node, pending.messages, pending.disconnect)
            pending.messages, pending.disconnect = [], []
        else:
            return f"the core logs the synced txns first; it cannot do {sub_step} now"
        if not pending.steps:
            node.pending = None
        return None

    def _write(self, node: DriverNode, writes: list[DurableWrite]) -> None:
        for write in writes:
            node.disk.apply(write, StateMachine.decode)
            if isinstance(write, InstallSnapshot):
                node.machine = StateMachine(StateMachine.decode(write.snapshot))

    def _send(self, node: DriverNode, messages: list[Outbound], disconnect: list[int]) -> None:
        for outbound in messages:
            self.network.send(node.sid, outbound.to, self._fill(node, outbound.message))
        for other in disconnect:
            self.network.close(node.sid, other)

    @staticmethod
    def _fill(node: DriverNode, message: Message) -> Message:
        if isinstance(message, Snap) and not message.snapshot:
            assert node.machine.last_zxid == message.zxid, (node.machine.last_zxid, message.zxid)
            return Snap(message.zxid, node.machine.encode())
        return message
