"""FileTxnSnapLog: the txn log, snapshots and epoch files of one server, and their joint rules.

Layout (as ZooKeeper's): ``<dataDir>/version-2/snapshot.<zxid>``, ``acceptedEpoch``,
``currentEpoch``; ``<dataLogDir>/version-2/log.<zxid>`` (dataLogDir defaults to dataDir).

Durability contract, which the standalone pipeline and the replicated one both rely on:
* restore = the newest intact snapshot (by generation, then zxid) + replay of the log records of
  that generation with higher zxids. A torn last log record is cut first, never half-applied.
* ``append`` returns only after the batch is on disk (one fdatasync per batch).
* ``save_snapshot`` writes atomically; the log is rolled by the caller at the snapshot point.
* ``install_snapshot`` (SNAP sync) writes the new snapshot under a new generation, atomically. The
  rename is the commit point: before it restore sees the old state, after it restore ignores
  every log file of older generations, so stale records are never replayed after the new
  snapshot. Old files are then deleted; a crash before that only leaves garbage for the next
  ``purge``.
* ``truncate_after`` (TRUNC sync) deletes newer snapshots first, then truncates the log from its
  end backwards: any crash state in between is a prefix of the old history.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from zabkeeper.server.storage import epochs
from zabkeeper.server.storage.durable_files import remove_temp_files
from zabkeeper.server.storage.snapshots import LoadedSnapshot, SnapshotStore
from zabkeeper.server.storage.txnlog import TxnLog
from zabkeeper.wire.storage_format import LogRecord

VERSION_DIR = "version-2"
# ZooKeeper refuses to retain fewer than 3 snapshots when purging.
SNAP_RETAIN_COUNT_MIN = 3
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Restored:
    """What restore found: the snapshot to load (None on a fresh data dir) and the log after it."""

    snapshot: LoadedSnapshot | None
    records: Iterator[LogRecord]
    notes: list[str]


class FileTxnSnapLog:
    def __init__(self, data_dir: Path, data_log_dir: Path | None = None) -> None:
        self.snap_dir = data_dir / VERSION_DIR
        self.log_dir = (data_log_dir or data_dir) / VERSION_DIR
        self.snap_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.snapshots = SnapshotStore(self.snap_dir)
        self.txn_log = TxnLog(self.log_dir)

    @property
    def generation(self) -> int:
        return self.txn_log.generation

    def restore(self) -> Restored:
        notes = [f"removed unfinished write {path}" for path in remove_temp_files(self.snap_dir)]
        snapshot = self.snapshots.newest_valid()
        self.txn_log.generation = 0 if snapshot is None else snapshot.generation
        notes += self.txn_log.recover()
        after = -1 if snapshot is None else snapshot.zxid
        records = list(self.txn_log.records(after))
        self.txn_log.last_zxid = records[-1].zxid if records else None
        for note in notes:
            log.warning("%s", note)
        return Restored(snapshot, iter(records), notes)

    def append(self, records: Sequence[tuple[int, bytes]]) -> None:
        self.txn_log.append(records)

    def roll_log(self) -> None:
        self.txn_log.roll()

    def save_snapshot(self, zxid: int, body: bytes) -> Path:
        return self.snapshots.write(self.generation, zxid, body)

    def install_snapshot(self, zxid: int, body: bytes) -> Path:
        old = self.generation
        self.txn_log.close()
        path = self.snapshots.write(old + 1, zxid, body)
        self.txn_log.generation = old + 1
        self.txn_log.last_zxid = None
        self._remove_other_generations()
        return path

    def truncate_after(self, zxid: int) -> None:
        newer = [s.path for s in self.snapshots.files() if s.generation == self.generation and s.zxid > zxid]
        self.snapshots.remove(sorted(newer, reverse=True))
        self.txn_log.truncate_after(zxid)

    def _remove_other_generations(self) -> None:
        stale_snaps = [s.path for s in self.snapshots.files() if s.generation != self.generation]
        self.snapshots.remove(stale_snaps)
        current = {path for _, path in self.txn_log.generation_files(self.generation)}
        self.txn_log.remove([path for _, path in self.txn_log.files() if path not in current])

    def purge(self, snap_retain_count: int) -> list[Path]:
        """Autopurge: keep the newest ``snap_retain_count`` snapshots and the logs they need."""
        assert snap_retain_count >= SNAP_RETAIN_COUNT_MIN, snap_retain_count
        self._remove_other_generations()
        snaps = self.snapshots.files()
        if len(snaps) <= snap_retain_count:
            return []
        oldest_kept = snaps[-snap_retain_count].zxid
        old_snaps = [s.path for s in snaps[:-snap_retain_count]]
        logs = self.txn_log.files()
        # Keep the newest log file that starts at or before the oldest kept snapshot: it may hold
        # the records right after that snapshot.
        needed_from = max((start for start, _ in logs if start <= oldest_kept), default=None)
        old_logs = [path for start, path in logs if needed_from is not None and start < needed_from]
        self.snapshots.remove(old_snaps)
        self.txn_log.remove(old_logs)
        return old_snaps + old_logs

    def read_epoch(self, name: str) -> int | None:
        return epochs.read_epoch(self.snap_dir, name)

    def write_epoch(self, name: str, epoch: int) -> None:
        epochs.write_epoch(self.snap_dir, name, epoch)

    def close(self) -> None:
        self.txn_log.close()
