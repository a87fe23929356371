"""Snapshot files ``snapshot.<zxid hex>``: whole-tree images, written atomically, checksummed.

A snapshot is written to a temp file, fsynced and renamed into place, so a crash leaves either
no new snapshot or a complete one; the trailer checksum catches a file damaged later. Restore
takes the newest intact snapshot, ordering by (generation, zxid): a snapshot installed from a
leader starts a new generation and so wins over any snapshot of the old history, whatever its
zxid. Corrupt snapshots are skipped with a log line, never loaded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from zabkeeper.core.zxid import zxid_hex
from zabkeeper.server.storage.durable_files import fsync_dir, write_atomically
from zabkeeper.server.storage.txnlog import parse_zxid_suffix
from zabkeeper.wire.storage_format import (
    SNAP_HEADER,
    CorruptFile,
    decode_snapshot,
    decode_snapshot_header,
    encode_snapshot,
)

SNAP_PREFIX = "snapshot."
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SnapshotFile:
    generation: int
    zxid: int
    path: Path


@dataclass(frozen=True)
class LoadedSnapshot:
    generation: int
    zxid: int
    body: bytes
    path: Path


class SnapshotStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def files(self) -> list[SnapshotFile]:
        """Every snapshot whose header reads, oldest (generation, zxid) first."""
        found = []
        for path in self.directory.iterdir():
            if parse_zxid_suffix(path, SNAP_PREFIX) is None or not path.is_file():
                continue
            with path.open("rb") as handle:
                head = handle.read(SNAP_HEADER.size)
            try:
                generation, zxid = decode_snapshot_header(head)
            except CorruptFile as error:
                log.warning("%s: skipped: %s", path, error)
                continue
            found.append(SnapshotFile(generation, zxid, path))
        return sorted(found, key=lambda snap: (snap.generation, snap.zxid))

    def newest_valid(self) -> LoadedSnapshot | None:
        for snap in reversed(self.files()):
            try:
                generation, zxid, body = decode_snapshot(snap.path.read_bytes())
            except CorruptFile as error:
                log.warning("%s: not used: %s", snap.path, error)
                continue
            assert (generation, zxid) == (snap.generation, snap.zxid)
            return LoadedSnapshot(generation, zxid, body, snap.path)
        return None

    def write(self, generation: int, zxid: int, body: bytes) -> Path:
        path = self.directory / f"{SNAP_PREFIX}{zxid_hex(zxid)}"
        write_atomically(path, encode_snapshot(generation, zxid, body))
        return path

    def remove(self, paths: list[Path]) -> None:
        for path in paths:
            assert path.parent == self.directory
            path.unlink(missing_ok=True)
        if paths:
            fsync_dir(self.directory)
