"""Storage durability contract: group-commit appends, torn tails, TRUNC, SNAP install, purge, epochs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zabkeeper.server.storage.epochs import ACCEPTED_EPOCH, CURRENT_EPOCH, EpochFileError
from zabkeeper.server.storage.txn_snap_log import FileTxnSnapLog
from zabkeeper.server.storage.txnlog import CorruptLog


def payload(zxid: int) -> bytes:
    return f"txn-{zxid}".encode() * 3


def restored_zxids(data_dir: Path) -> tuple[int | None, list[int]]:
    store = FileTxnSnapLog(data_dir)
    restored = store.restore()
    zxids = [record.zxid for record in restored.records]
    store.close()
    return (None if restored.snapshot is None else restored.snapshot.zxid), zxids


def test_appended_batches_come_back_in_order(tmp_path: Path) -> None:
    store = FileTxnSnapLog(tmp_path)
    store.restore()
    store.append([(1, payload(1)), (2, payload(2))])
    store.append([(3, payload(3))])
    store.close()
    restored = FileTxnSnapLog(tmp_path).restore()
    assert [(r.zxid, r.payload) for r in restored.records] == [(z, payload(z)) for z in (1, 2, 3)]


def log_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "version-2").glob("log.*"))


@pytest.mark.parametrize("cut", [1, 5, 13, 20])
def test_torn_last_record_is_cut_not_applied(tmp_path: Path, cut: int) -> None:
    store = FileTxnSnapLog(tmp_path)
    store.restore()
    store.append([(1, payload(1)), (2, payload(2))])
    store.close()
    (path,) = log_files(tmp_path)
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(size - cut)
    _, zxids = restored_zxids(tmp_path)
    assert zxids == [1]
    # The cut is durable: appending after recovery continues cleanly.
    store = FileTxnSnapLog(tmp_path)
    assert [r.zxid for r in store.restore().records] == [1]
    store.append([(2, b"again")])
    store.close()
    assert restored_zxids(tmp_path)[1] == [1, 2]


def test_flipped_byte_in_last_record_is_detected(tmp_path: Path) -> None:
    store = FileTxnSnapLog(tmp_path)
    store.restore()
    store.append([(1, payload(1)), (2, payload(2))])
    store.close()
    (path,) = log_files(tmp_path)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01
    path.write_bytes(bytes(data))
    assert restored_zxids(tmp_path)[1] == [1]


def test_corruption_before_the_end_is_refused(tmp_path: Path) -> None:
    store = FileTxnSnapLog(tmp_path)
    store.restore()
    store.append([(1, payload(1))])
    store.roll_log()
    store.append([(2, payload(2))])
    store.close()
    first = log_files(tmp_path)[0]
    data = bytearray(first.read_bytes())
    data[-3] ^= 0xFF
    first.write_bytes(bytes(data))
    with pytest.raises(CorruptLog, match=r"log\.1"):
        FileTxnSnapLog(tmp_path).restore()


def test_snapshot_then_replay_only_newer_records(tmp_path: Path) -> None:
    store = FileTxnSnapLog(tmp_path)
    store.restore()
    store.append([(1, payload(1)), (2, payload(2))])
    store.roll_log()
    store.save_snapshot(2, b"tree@2")
    store.append([(3, payload(3))])
    store.close()
    restored = FileTxnSnapLog(tmp_path).restore()
    assert restored.snapshot is not None and restored.snapshot.body == b"tree@2"
    assert [r.zxid for r in restored.records] == [3]


def test_corrupt_newest_snapshot_falls_back_to_older(tmp_path: Path) -> None:
    store = FileTxnSnapLog(tmp_path)
    store.restore()
    store.save_snapshot(0, b"empty")
    store.append([(1, payload(1)), (2, payload(2))])
    store.roll_log()
    newest = store.save_snapshot(2, b"tree@2")
    store.close()
    data = bytearray(newest.read_bytes())
    data[30] ^= 0xFF
    newest.write_bytes(bytes(data))
    snap_zxid, zxids = restored_zxids(tmp_path)
    assert (snap_zxid, zxids) == (0, [1, 2])


def test_truncate_after_removes_later_records_and_snapshots(tmp_path: Path) -> None:
    store = FileTxnSnapLog(tmp_path)
    store.restore()
    store.append([(1, payload(1)), (2, payload(2)), (3, payload(3))])
    store.roll_log()
    store.save_snapshot(3, b"tree@3")
    store.append([(4, payload(4))])
    store.truncate_after(2)
    store.append([(3, b"other history")])
    store.close()
    restored = FileTxnSnapLog(tmp_path).restore()
    assert restored.snapshot is None
    assert [(r.zxid, r.payload) for r in restored.records] == [
        (1, payload(1)),
        (2, payload(2)),
        (3, b"other history"),
    ]


def test_installed_snapshot_hides_stale_log_even_before_cleanup(tmp_path: Path) -> None:
    store = FileTxnSnapLog(tmp_path)
    store.restore()
    store.append([(1, payload(1)), (5, payload(5)), (9, payload(9))])
    store.close()
    stale = {p.name: p.read_bytes() for p in log_files(tmp_path)}
    store = FileTxnSnapLog(tmp_path)
    store.restore()
    store.install_snapshot(4, b"leader tree@4")
    store.append([(5, b"leader txn 5")])
    store.close()
    # Simulate a crash between the commit point (rename) and the cleanup: put the stale log back.
    for name, data in stale.items():
        (tmp_path / "version-2" / (name + "0")).write_bytes(data)
    restored = FileTxnSnapLog(tmp_path).restore()
    assert restored.snapshot is not None and restored.snapshot.body == b"leader tree@4"
    assert [(r.zxid, r.payload) for r in restored.records] == [(5, b"leader txn 5")]


def test_crash_before_install_commit_keeps_old_state(tmp_path: Path) -> None:
    store = FileTxnSnapLog(tmp_path)
    store.restore()
    store.append([(1, payload(1)), (2, payload(2))])
    store.close()
    # An install that crashed before its rename leaves only a temp file.
    (tmp_path / "version-2" / "snapshot.1.tmp").write_bytes(b"half written")
    snap_zxid, zxids = restored_zxids(tmp_path)
    assert (snap_zxid, zxids) == (None, [1, 2])
    assert not list((tmp_path / "version-2").glob("*.tmp"))


def test_purge_keeps_retained_snapshots_and_the_logs_they_need(tmp_path: Path) -> None:
    store = FileTxnSnapLog(tmp_path)
    store.restore()
    zxid = 0
    for _ in range(5):
        store.append([(zxid + 1, payload(zxid + 1)), (zxid + 2, payload(zxid + 2))])
        zxid += 2
        store.roll_log()
        store.save_snapshot(zxid - 1, f"tree@{zxid - 1}".encode())
    store.append([(zxid + 1, payload(zxid + 1))])
    removed = store.purge(3)
    store.close()
    assert sorted(p.name for p in removed) == ["log.1", "log.3", "snapshot.1", "snapshot.3"]
    snap_zxid, zxids = restored_zxids(tmp_path)
    assert snap_zxid == 9 and zxids == [10, 11]
    # The oldest kept snapshot (5) can still be replayed to the end from the kept logs.
    store = FileTxnSnapLog(tmp_path)
    assert [r.zxid for r in store.txn_log.records(5)] == [6, 7, 8, 9, 10, 11]


def test_epoch_files_round_trip_and_refuse_garbage(tmp_path: Path) -> None:
    store = FileTxnSnapLog(tmp_path)
    assert store.read_epoch(ACCEPTED_EPOCH) is None
    store.write_epoch(ACCEPTED_EPOCH, 7)
    store.write_epoch(CURRENT_EPOCH, 6)
    assert (store.read_epoch(ACCEPTED_EPOCH), store.read_epoch(CURRENT_EPOCH)) == (7, 6)
    assert not [n for n in os.listdir(store.snap_dir) if n.endswith(".tmp")]
    (store.snap_dir / CURRENT_EPOCH).write_text("seven")
    with pytest.raises(EpochFileError, match="currentEpoch"):
        store.read_epoch(CURRENT_EPOCH)
