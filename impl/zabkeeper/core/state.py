"""The state every role of a peer shares: its epochs, its history and what it has delivered.

``accepted_epoch`` and ``current_epoch`` mirror the files of those names; ``history`` is the tail
of the txn log; ``last_committed`` is the zxid of the last txn handed to the state machine (the
state machine starts at the snapshot's zxid after a restart). Roles change these only through the
methods here, which also queue the matching durable writes, so memory and disk never disagree
about what was promised.
"""

from __future__ import annotations

from dataclasses import dataclass

from zabkeeper.core.log import TxnHistory
from zabkeeper.core.messages import Txn
from zabkeeper.core.options import PeerOptions
from zabkeeper.core.ready import (
    AppendTxns,
    InstallSnapshot,
    Ready,
    SetAcceptedEpoch,
    SetCurrentEpoch,
    TruncateLog,
)


@dataclass(frozen=True)
class DurableState:
    """What a server finds on its disk when it starts: both epoch files, the zxid its snapshot
    (state machine) stands at, and the txns logged after it."""

    accepted_epoch: int = 0
    current_epoch: int = 0
    snapshot_zxid: int = 0
    log: tuple[Txn, ...] = ()


class PeerState:
    """Shared, mutable state of one peer; the roles hold a reference to it."""

    def __init__(self, options: PeerOptions, durable: DurableState) -> None:
        assert durable.current_epoch <= durable.accepted_epoch, durable
        self.options = options
        self.accepted_epoch = durable.accepted_epoch
        self.current_epoch = durable.current_epoch
        self.history = TxnHistory(durable.snapshot_zxid, durable.log)
        self.last_committed = durable.snapshot_zxid
        self.now = 0

    @property
    def myid(self) -> int:
        return self.options.myid

    @property
    def last_zxid(self) -> int:
        return self.history.last_zxid

    def accept_epoch(self, epoch: int, out: Ready) -> None:
        assert epoch > self.accepted_epoch, (epoch, self.accepted_epoch)
        self.accepted_epoch = epoch
        out.write(SetAcceptedEpoch(epoch))

    def adopt_epoch(self, epoch: int, out: Ready) -> None:
        assert self.current_epoch <= epoch <= self.accepted_epoch, (self.current_epoch, epoch)
        self.current_epoch = epoch
        out.write(SetCurrentEpoch(epoch))

    def log_txns(self, txns: list[Txn], out: Ready, sync: bool = True) -> None:
        if not txns:
            return
        for txn in txns:
            self.history.append(txn)
        out.write(AppendTxns(tuple(txns)), sync=sync)

    def truncate(self, zxid: int, out: Ready) -> None:
        # CommittedLogDurability: a truncation never removes a delivered txn.
        assert zxid >= self.last_committed, (zxid, self.last_committed)
        self.history.truncate_after(zxid)
        out.write(TruncateLog(zxid))

    def install_snapshot(self, zxid: int, snapshot: bytes, out: Ready) -> None:
        self.history.reset(zxid)
        self.last_committed = zxid
        out.write(InstallSnapshot(zxid, snapshot))

    def deliver_through(self, zxid: int, out: Ready) -> None:
        """Hand every held txn up to ``zxid`` that was not delivered yet to the state machine."""
        if zxid <= self.last_committed:
            return
        txns = self.history.after(self.last_committed, upto=zxid)
        assert txns and txns[-1].zxid == zxid, (zxid, self.last_committed, self.history.last_zxid)
        out.committed.extend(txns)
        self.last_committed = zxid

    def forget_snapshotted(self, snapshot_zxid: int) -> None:
        """After a snapshot at ``snapshot_zxid``, keep only ``committed_log_max`` committed txns
        at or below it (the DIFF window) and everything after it."""
        if snapshot_zxid <= self.history.base_zxid:
            return  # a SNAP installed meanwhile already moved the history past this snapshot
        upto = min(snapshot_zxid, self.last_committed)
        committed = self.history.after(self.history.base_zxid, upto=upto)
        surplus = len(committed) - self.options.committed_log_max
        if surplus > 0:
            self.history.forget_through(committed[surplus - 1].zxid)
