"""An ensemble member's disk as the core sees it: ``DurableState`` at start, ``DurableWrite``s after.

Start-up (``load``): the newest intact snapshot (its generation, per ``FileTxnSnapLog``) is the
state machine; every log record after it is the core's history, committed or not (the core
decides what is committed; nothing is replayed into the tree here, unlike a standalone server,
whose whole log is committed). The epoch files give acceptedEpoch and currentEpoch; when they
are missing (a fresh data directory, or one written by a standalone server) both default to the
epoch of the last logged zxid, as ZooKeeper's QuorumPeer does.

Writes (``execute``, on the runner's writer thread): consecutive log appends are written with one
fdatasync; epoch files, truncations and snapshot installs are each durable on their own (see
``FileTxnSnapLog`` for their crash guarantees). A TRUNC never removes a committed txn (the core
asserts it), and a SNAP installs the leader's tree as a new snapshot generation atomically.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

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
from zabkeeper.core.zxid import epoch_of
from zabkeeper.server.standalone import StartupError
from zabkeeper.server.storage.epochs import ACCEPTED_EPOCH, CURRENT_EPOCH, EpochFileError
from zabkeeper.server.storage.txn_snap_log import FileTxnSnapLog
from zabkeeper.server.storage.txnlog import CorruptLog
from zabkeeper.tree.datatree import DataTree
from zabkeeper.tree.snapshot import CorruptSnapshot, restore
from zabkeeper.wire.jute import MalformedRecord
from zabkeeper.wire.snapshot import decode_snapshot_body

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedState:
    """What a member starts from: the core's durable state and the tree at its snapshot."""

    durable: DurableState
    tree: DataTree


def tree_from_snapshot(zxid: int, body: bytes) -> DataTree:
    """The tree a snapshot body describes; raises ``MalformedRecord``/``CorruptSnapshot``."""
    sessions, nodes = decode_snapshot_body(body)
    return restore(nodes, sessions, zxid)


class PeerStorage:
    """The core's view of ``FileTxnSnapLog``."""

    def __init__(self, storage: FileTxnSnapLog) -> None:
        self.storage = storage
        self.appended = 0
        self.fsyncs = 0

    def load(self) -> LoadedState:
        try:
            restored = self.storage.restore()
        except CorruptLog as error:
            raise StartupError(str(error)) from None
        snapshot = restored.snapshot
        tree = DataTree()
        snapshot_zxid = 0
        if snapshot is not None:
            try:
                tree = tree_from_snapshot(snapshot.zxid, snapshot.body)
            except (MalformedRecord, CorruptSnapshot) as error:
                raise StartupError(f"{snapshot.path}: unreadable snapshot: {error}") from None
            snapshot_zxid = snapshot.zxid
        history = tuple(Txn(record.zxid, record.payload) for record in restored.records)
        last_zxid = history[-1].zxid if history else snapshot_zxid
        try:
            accepted = self.storage.read_epoch(ACCEPTED_EPOCH)
            current = self.storage.read_epoch(CURRENT_EPOCH)
        except EpochFileError as error:
            raise StartupError(str(error)) from None
        if current is None:
            current = epoch_of(last_zxid)
        if accepted is None:
            accepted = current
        if current > accepted:
            raise StartupError(
                f"{self.storage.snap_dir}: currentEpoch {current} is above acceptedEpoch {accepted}"
            )
        log.info(
            "loaded snapshot at %#x and %d logged txns (last %#x); acceptedEpoch %d, currentEpoch %d",
            snapshot_zxid, len(history), last_zxid, accepted, current,
        )  # fmt: skip
        durable = DurableState(accepted, current, snapshot_zxid, history)
        return LoadedState(durable, tree)

    def execute(self, writes: Sequence[DurableWrite]) -> None:
        """Make ``writes`` durable in order; called on the runner's writer thread."""
        appends: list[tuple[int, bytes]] = []
        for write in writes:
            if isinstance(write, AppendTxns):
                appends.extend((txn.zxid, txn.data) for txn in write.txns)
                continue
            self._append(appends)
            appends = []
            match write:
                case SetAcceptedEpoch(epoch):
                    self.storage.write_epoch(ACCEPTED_EPOCH, epoch)
                case SetCurrentEpoch(epoch):
                    self.storage.write_epoch(CURRENT_EPOCH, epoch)
                case TruncateLog(zxid):
                    self.storage.truncate_after(zxid)
                case InstallSnapshot(zxid, body):
                    path = self.storage.install_snapshot(zxid, body)
                    log.info("installed the leader's snapshot at %#x as %s", zxid, path)
            self.fsyncs += 1
        self._append(appends)

    def _append(self, records: list[tuple[int, bytes]]) -> None:
        if records:
            self.storage.append(records)
            self.appended += len(records)
            self.fsyncs += 1
