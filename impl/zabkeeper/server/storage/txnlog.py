"""The txn log: ``log.<first zxid hex>`` files of checksummed records, appended in batches.

Durability contract:
* ``append(records)`` writes a whole batch with one write and one fdatasync; when it returns,
  every record of the batch survives a crash (group commit: one fsync for many txns).
* A crash during ``append`` can leave a torn or partly written last batch. ``recover`` finds the
  first record whose checksum fails in the newest file, cuts the file there and reports it; such
  records were never acknowledged (their fsync never returned), so cutting them loses nothing.
  A bad record in any older file is real corruption and raises ``CorruptLog`` naming the file.
* ``truncate_after(zxid)`` (TRUNC sync) removes files from the newest backwards and then cuts the
  file holding ``zxid``, so every intermediate crash state is a prefix of the old log.
* Files carry the generation of the snapshot history they extend (see ``wire.storage_format``);
  readers pass the generation they replay, and files of other generations are ignored.

Only one thread may call the mutating methods at a time (the pipeline's log writer).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from zabkeeper.core.zxid import zxid_hex
from zabkeeper.server.storage.durable_files import fsync_dir
from zabkeeper.wire.storage_format import (
    LOG_HEADER,
    CorruptFile,
    LogRecord,
    decode_log_header,
    decode_log_record,
    encode_log_header,
    encode_log_record,
)

LOG_PREFIX = "log."
log = logging.getLogger(__name__)


class CorruptLog(RuntimeError):
    pass


def parse_zxid_suffix(path: Path, prefix: str) -> int | None:
    name = path.name
    if not name.startswith(prefix):
        return None
    try:
        return int(name[len(prefix) :], 16)
    except ValueError:
        return None


class TxnLog:
    """The log files in one directory; new files get ``generation`` in their header."""

    def __init__(self, directory: Path, generation: int = 0) -> None:
        self.directory = directory
        self.generation = generation
        self.active_fd: int | None = None
        self.last_zxid: int | None = None

    def files(self) -> list[tuple[int, Path]]:
        """(first zxid, path) of every log file, oldest first."""
        found = []
        for path in self.directory.iterdir():
            zxid = parse_zxid_suffix(path, LOG_PREFIX)
            if zxid is not None and path.is_file():
                found.append((zxid, path))
        return sorted(found)

    def generation_files(self, generation: int) -> list[tuple[int, Path]]:
        result = []
        for zxid, path in self.files():
            with path.open("rb") as handle:
                head = handle.read(LOG_HEADER.size)
            try:
                if decode_log_header(head) == generation:
                    result.append((zxid, path))
            except CorruptFile:
                continue
        return result

    def recover(self) -> list[str]:
        """Cut a torn tail off the newest file of this generation; returns what it did, for the log."""
        notes: list[str] = []
        files = self.generation_files(self.generation)
        for index, (_, path) in enumerate(files):
            data = path.read_bytes()
            offset = LOG_HEADER.size
            while offset < len(data):
                decoded = decode_log_record(data, offset)
                if decoded is None:
                    break
                offset = decoded[1]
            if offset == len(data):
                continue
            if index != len(files) - 1:
                raise CorruptLog(f"{path}: corrupt record at offset {offset} before the end of the log")
            with path.open("r+b") as handle:
                handle.truncate(offset)
                os.fsync(handle.fileno())
            notes.append(f"{path}: cut {len(data) - offset} bytes of a torn last record at offset {offset}")
        for _, path in self.files():
            if path.stat().st_size < LOG_HEADER.size:
                # Created, but the crash came before its header was complete: it holds nothing.
                path.unlink()
                notes.append(f"{path}: removed a log file with an incomplete header")
        return notes

    def records(self, after_zxid: int, generation: int | None = None) -> Iterator[LogRecord]:
        """Records with zxid > after_zxid, in log order, from files of ``generation`` (default: ours)."""
        files = self.generation_files(self.generation if generation is None else generation)
        starts = [zxid for zxid, _ in files]
        # Skip whole files that end before after_zxid: a file ends where the next one starts.
        first = 0
        for index, start in enumerate(starts):
            if start <= after_zxid + 1:
                first = index
        previous = after_zxid
        for _, path in files[first:]:
            data = path.read_bytes()
            offset = LOG_HEADER.size
            while offset < len(data):
                decoded = decode_log_record(data, offset)
                if decoded is None:
                    raise CorruptLog(f"{path}: corrupt record at offset {offset} (run recover first)")
                record, offset = decoded
                if record.zxid > after_zxid:
                    assert record.zxid > previous, f"{path}: zxid {record.zxid:#x} out of order"
                    previous = record.zxid
                    yield record

    def append(self, records: Sequence[tuple[int, bytes]]) -> None:
        """Write a batch of (zxid, payload) records and fdatasync once."""
        assert records
        if self.active_fd is None:
            self._open_new_file(records[0][0])
        assert self.active_fd is not None
        chunks = []
        last = self.last_zxid
        for zxid, payload in records:
            assert last is None or zxid > last, (zxid, last)
            last = zxid
            chunks.append(encode_log_record(zxid, payload))
        data = memoryview(b"".join(chunks))
        while data:
            written = os.write(self.active_fd, data)
            data = data[written:]
        os.fdatasync(self.active_fd)
        self.last_zxid = last

    def _open_new_file(self, first_zxid: int) -> None:
        path = self.directory / f"{LOG_PREFIX}{zxid_hex(first_zxid)}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        os.write(fd, encode_log_header(self.generation))
        os.fsync(fd)
        fsync_dir(self.directory)
        self.active_fd = fd

    def roll(self) -> None:
        """The next append starts a new file (done after each snapshot, as ZooKeeper does)."""
        self.close()

    def close(self) -> None:
        if self.active_fd is not None:
            os.close(self.active_fd)
            self.active_fd = None

    def truncate_after(self, zxid: int) -> None:
        """Drop every record with a zxid above ``zxid`` (TRUNC), newest file first."""
        self.close()
        files = self.generation_files(self.generation)
        for start, path in reversed(files):
            if start > zxid:
                path.unlink()
                fsync_dir(self.directory)
                continue
            data = path.read_bytes()
            offset = LOG_HEADER.size
            while offset < len(data):
                decoded = decode_log_record(data, offset)
                if decoded is None or decoded[0].zxid > zxid:
                    break
                offset = decoded[1]
            if offset < len(data):
                with path.open("r+b") as handle:
                    handle.truncate(offset)
                    os.fsync(handle.fileno())
            break
        self.last_zxid = None if self.last_zxid is None else min(self.last_zxid, zxid)

    def remove(self, paths: Sequence[Path]) -> None:
        """Delete whole files (purge, or files of a superseded generation)."""
        for path in paths:
            assert path.parent == self.directory
            path.unlink(missing_ok=True)
        if paths:
            fsync_dir(self.directory)
