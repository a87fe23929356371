"""Zxids: ZooKeeper's 64-bit transaction ids, ``epoch << 32 | counter``.

The epoch is the leader's epoch when the txn was proposed; the counter counts txns within that
epoch, starting at 1 (counter 0 names the epoch itself, as in NEWLEADER's zxid). Ordering zxids as
integers orders them by (epoch, counter) as long as the counter stays below 2**32, which the
leader guarantees by refusing to propose the counter 0xffffffff (it forces a new epoch instead).
"""

from __future__ import annotations

# Zxids travel as signed 64-bit longs (the client protocol shows them to clients as Stat fields),
# so an epoch must stay below 2**31, as in ZooKeeper, where epochs are Java ints.
EPOCH_MAX = 0x7FFFFFFF
COUNTER_MAX = 0xFFFFFFFF
# Every zxid is below this: the largest epoch's last counter, a positive signed long.
ZXID_LIMIT = 1 << 63
# The last counter a leader may assign: proposing COUNTER_MAX would leave no room for the next txn,
# so ZooKeeper's leader shuts down when it reaches it and a new election starts a new epoch.
COUNTER_PROPOSABLE_MAX = COUNTER_MAX - 1


def make_zxid(epoch: int, counter: int) -> int:
    """Pack an (epoch, counter) pair into one zxid."""
    assert 0 <= epoch <= EPOCH_MAX, epoch
    assert 0 <= counter <= COUNTER_MAX, counter
    return (epoch << 32) | counter


def epoch_of(zxid: int) -> int:
    """The epoch half of a zxid."""
    assert 0 <= zxid < 1 << 64, zxid
    return zxid >> 32


def counter_of(zxid: int) -> int:
    """The counter half of a zxid."""
    assert 0 <= zxid < 1 << 64, zxid
    return zxid & COUNTER_MAX


def zxid_hex(zxid: int) -> str:
    """ZooKeeper's file-name spelling of a zxid (``log.<hex>``, ``snapshot.<hex>``)."""
    return format(zxid, "x")


def zxid_str(zxid: int) -> str:
    """Human spelling used in logs and reports: ``(epoch, counter)``."""
    return f"({epoch_of(zxid)},{counter_of(zxid)})"
