"""``Ready``: everything one step of a ``Peer`` asks the outside world to do.

The contract (the one rule ZooKeeper's NEWLEADER/ACK/epoch bugs broke; ZOOKEEPER-3911, -4394,
-4643, -4646, -4685): a shell executes a Ready in this order and finishes it before it executes
the next one:

0. ``early`` messages may leave at once, before the writes are durable: they are a leader's
   PROPOSALs to up-to-date followers, which promise nothing about the leader's disk (a leader's
   own ACK counts only through the order below: nothing that follows from a commit happens
   before the proposal is durable here). Sending them while the log write is in flight is what
   ZooKeeper's leader does too, and it halves a write's latency;
1. ``writes``, in order, made durable (fsync when ``must_sync``) before anything else happens;
   a crash may lose a suffix of the unsynced writes, never a middle one;
2. ``committed`` txns applied to the state machine, in order;
3. ``messages`` sent, in order (a ``Snap`` is filled from the state machine, which now stands at
   the snapshot's zxid), and the quorum connections in ``disconnect`` closed;
4. ``synced`` client syncs and ``forwarded`` requests handed to the server; ``refused`` payloads
   (a Propose or ForwardRequest this server cannot take now) and ``refused_syncs`` tokens (a
   ClientSync with no leader to ask) answered with an error.

Several Readys may share one fsync (group commit) as long as every write of a Ready is durable
before any message of it leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zabkeeper.core.messages import Message, ServerState, Txn, ZabState
from zabkeeper.core.zxid import zxid_str

# --- durable writes ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetAcceptedEpoch:
    """Write the ``acceptedEpoch`` file."""

    epoch: int


@dataclass(frozen=True, slots=True)
class SetCurrentEpoch:
    """Write the ``currentEpoch`` file."""

    epoch: int


@dataclass(frozen=True, slots=True)
class AppendTxns:
    """Append txns to the txn log, in order."""

    txns: tuple[Txn, ...]


@dataclass(frozen=True, slots=True)
class TruncateLog:
    """Remove every logged txn whose zxid is greater than ``zxid``."""

    zxid: int


@dataclass(frozen=True, slots=True)
class InstallSnapshot:
    """Replace the state and the whole txn log by this snapshot (as of ``zxid``), atomically:
    after a crash the disk holds either the old state and log or the snapshot with an empty log."""

    zxid: int
    snapshot: bytes

    def __repr__(self) -> str:
        return f"InstallSnapshot({zxid_str(self.zxid)}, {len(self.snapshot)} bytes)"


DurableWrite = SetAcceptedEpoch | SetCurrentEpoch | AppendTxns | TruncateLog | InstallSnapshot


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message for server ``to``."""

    to: int
    message: Message


@dataclass(frozen=True, slots=True)
class Event:
    """What happened in a step, named by the spec action it performed (or a role change).

    The simulator prints these as its event log; conformance validates logged runs against the
    spec with them.
    """

    action: str
    args: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        inner = ", ".join(f"{key}={_show(value)}" for key, value in self.args)
        return f"{self.action}({inner})"


def _show(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0xFFFFFFFF:
        return zxid_str(value)
    if isinstance(value, ServerState | ZabState):
        return str(value.value)
    return repr(value) if isinstance(value, str) else f"{value}"


@dataclass
class Ready:
    """The outputs of one step; see the module docstring for the order of execution."""

    writes: list[DurableWrite] = field(default_factory=list)
    must_sync: bool = False
    committed: list[Txn] = field(default_factory=list)
    early: list[Outbound] = field(default_factory=list)
    messages: list[Outbound] = field(default_factory=list)
    disconnect: list[int] = field(default_factory=list)
    synced: list[int] = field(default_factory=list)
    forwarded: list[tuple[int, bytes]] = field(default_factory=list)
    refused: list[bytes] = field(default_factory=list)
    refused_syncs: list[int] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def write(self, durable: DurableWrite, sync: bool = True) -> None:
        self.writes.append(durable)
        self.must_sync = self.must_sync or sync

    def send(self, to: int, message: Message) -> None:
        self.messages.append(Outbound(to, message))

    def send_early(self, to: int, message: Message) -> None:
        self.early.append(Outbound(to, message))

    def event(self, action: str, **args: Any) -> None:
        self.events.append(Event(action, tuple(args.items())))

    def is_empty(self) -> bool:
        return not (
            self.writes
            or self.committed
            or self.early
            or self.messages
            or self.disconnect
            or self.synced
            or self.forwarded
            or self.refused
            or self.refused_syncs
            or self.events
        )
