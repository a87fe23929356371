"""Client histories and the consistency ZooKeeper promises for them.

Every operation is recorded with the times it was invoked and answered and what it saw. A write
(setData of a unique value) is acknowledged with the zxid of its txn (the Stat's mzxid); a read
returns a value and its mzxid; a synced read is a read issued after ``sync`` on the same session.
Writes whose answer never came (connection lost, timeout) have an unknown outcome and only
constrain nothing. The checks (``violations``):

* writes are linearizable: the zxid order of acknowledged writes respects real time (a write
  answered before another was invoked has the smaller zxid), and no zxid is used twice;
* a read's value is the value of the write its mzxid names;
* each session's reads of a key never go back in zxid (sequential consistency, also across
  reconnects to other servers), and a session reads its own acknowledged writes;
* a read after ``sync`` sees every write acknowledged before the sync was invoked;
* no acknowledged write is lost: each key's final mzxid is at least its last acknowledged write's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Op:
    session: int
    kind: str  # "write" | "read"
    key: str
    invoked: float
    answered: float | None  # None: the outcome is unknown
    value: bytes
    zxid: int = 0  # write: its txn; read: the mzxid it saw
    synced_at: float | None = None  # read after sync: when the sync was invoked


def violations(ops: list[Op], final: dict[str, tuple[bytes, int]]) -> list[str]:
    found: list[str] = []
    writes = [op for op in ops if op.kind == "write" and op.answered is not None]
    reads = [op for op in ops if op.kind == "read" and op.answered is not None]
    found += _write_order(writes)
    found += _read_values(writes, reads)
    found += _session_order(ops)
    found += _synced_reads(writes, reads)
    for key in {op.key for op in writes}:
        last = max(op.zxid for op in writes if op.key == key)
        if key not in final or final[key][1] < last:
            found.append(f"lost write: {key} ends at {final.get(key)} but {last:#x} was acknowledged")
    return found


def _write_order(writes: list[Op]) -> list[str]:
    found = []
    by_zxid: dict[int, Op] = {}
    for op in writes:
        if op.zxid in by_zxid:
            found.append(f"two writes share zxid {op.zxid:#x}")
        by_zxid[op.zxid] = op
    # Real time: among writes answered before ``op`` was invoked, none may have a larger zxid.
    ordered = sorted(writes, key=lambda op: op.answered or 0.0)
    by_invocation = sorted(writes, key=lambda op: op.invoked)
    index = 0
    highest: Op | None = None
    for op in by_invocation:
        while index < len(ordered) and (ordered[index].answered or 0.0) < op.invoked:
            candidate = ordered[index]
            if highest is None or candidate.zxid > highest.zxid:
                highest = candidate
            index += 1
        if highest is not None and highest.zxid > op.zxid:
            found.append(f"write {op.value!r} ({op.zxid:#x}) ordered before {highest.value!r} ({highest.zxid:#x}), "
                         "which was acknowledged before it was invoked")  # fmt: skip
    return found


def _read_values(writes: list[Op], reads: list[Op]) -> list[str]:
    value_of = {(op.key, op.zxid): op.value for op in writes}
    found = []
    for read in reads:
        written = value_of.get((read.key, read.zxid))
        if written is not None and written != read.value:
            found.append(f"read of {read.key} at {read.zxid:#x} saw {read.value!r}, written {written!r}")
    return found


def _session_order(ops: list[Op]) -> list[str]:
    found = []
    seen: dict[tuple[int, str], int] = defaultdict(int)
    for op in sorted((op for op in ops if op.answered is not None), key=lambda op: op.invoked):
        floor = seen[(op.session, op.key)]
        if op.kind == "read" and op.zxid < floor:
            found.append(f"session {op.session} read {op.key} at {op.zxid:#x} after having seen {floor:#x}")
        seen[(op.session, op.key)] = max(floor, op.zxid)
    return found


def _synced_reads(writes: list[Op], reads: list[Op]) -> list[str]:
    found = []
    for read in reads:
        if read.synced_at is None:
            continue
        before = [op.zxid for op in writes if op.key == read.key and (op.answered or 0.0) < read.synced_at]
        if before and read.zxid < max(before):
            found.append(f"read after sync of {read.key} saw {read.zxid:#x}, older than {max(before):#x}")
    return found
