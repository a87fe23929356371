"""A simulated disk: writes land in a volatile buffer and become durable at fsync.

A crash keeps a seeded-random prefix of the unsynced writes (the page cache flushed some of
them), and the last surviving txn-log append may be torn: only some of its txns survive, whole,
as a real log whose torn tail record is detected and cut on recovery. Epoch files and snapshot
installs are atomic (write, fsync, rename). What survives is exactly what ``DurableState`` plus
the snapshot's state-machine contents describe after a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random

from zabkeeper.core.messages import Txn
from zabkeeper.core.ready import (
    AppendTxns,
    DurableWrite,
    InstallSnapshot,
    SetAcceptedEpoch,
    SetCurrentEpoch,
    TruncateLog,
)
from zabkeeper.core.state import DurableState

# Turns a snapshot's bytes into the state machine's txns (the state machine's own format).
SnapshotDecoder = Callable[[bytes], tuple[Txn, ...]]


@dataclass
class DiskImage:
    """The durable contents: epochs, the snapshot (its zxid and state-machine txns), the log."""

    accepted_epoch: int = 0
    current_epoch: int = 0
    snapshot_zxid: int = 0
    snapshot: tuple[Txn, ...] = ()
    log: list[Txn] = field(default_factory=list)

    def apply(self, write: DurableWrite, decode_snapshot: SnapshotDecoder) -> None:
        match write:
            case SetAcceptedEpoch(epoch):
                self.accepted_epoch = epoch
            case SetCurrentEpoch(epoch):
                self.current_epoch = epoch
            case AppendTxns(txns):
                self.log.extend(txns)
            case TruncateLog(zxid):
                while self.log and self.log[-1].zxid > zxid:
                    self.log.pop()
            case InstallSnapshot(zxid, data):
                self.snapshot_zxid = zxid
                self.snapshot = decode_snapshot(data)
                self.log = []

    def durable_state(self) -> DurableState:
        return DurableState(
            accepted_epoch=self.accepted_epoch,
            current_epoch=self.current_epoch,
            snapshot_zxid=self.snapshot_zxid,
            log=tuple(self.log),
        )


class SimDisk:
    """One server's disk."""

    def __init__(self, rng: Random, decode_snapshot: SnapshotDecoder, torn_probability: float) -> None:
        self.rng = rng
        self.decode_snapshot = decode_snapshot
        self.torn_probability = torn_probability
        self.image = DiskImage()
        self.unsynced: list[DurableWrite] = []
        self.fsyncs = 0

    def write(self, writes: list[DurableWrite], sync: bool) -> None:
        self.unsynced.extend(writes)
        if sync:
            self.fsync()

    def fsync(self) -> None:
        if not self.unsynced:
            return
        for write in self.unsynced:
            self.image.apply(write, self.decode_snapshot)
        self.unsynced.clear()
        self.fsyncs += 1

    def logical_log(self) -> list[Txn]:
        """The log as the server sees it: the durable log with the unsynced writes on top."""
        image = DiskImage(log=list(self.image.log))
        for write in self.unsynced:
            image.apply(write, self.decode_snapshot)
        return image.log

    def take_snapshot(self, zxid: int, state: tuple[Txn, ...]) -> None:
        """Save the state machine at ``zxid`` and drop the log records it covers (after an fsync:
        a snapshot is only taken of committed, hence logged and synced, txns)."""
        self.fsync()
        self.image.snapshot_zxid = zxid
        self.image.snapshot = state
        self.image.log = [txn for txn in self.image.log if txn.zxid > zxid]

    def crash(self) -> None:
        """Lose the page cache: a random prefix of the unsynced writes survives, maybe torn."""
        keep = self.rng.randint(0, len(self.unsynced))
        survivors = self.unsynced[:keep]
        if survivors and isinstance(survivors[-1], AppendTxns) and self.rng.random() < self.torn_probability:
            txns = survivors[-1].txns
            survivors[-1] = AppendTxns(txns[: self.rng.randint(0, len(txns) - 1)])
        for write in survivors:
            self.image.apply(write, self.decode_snapshot)
        self.unsynced.clear()
