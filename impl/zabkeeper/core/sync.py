"""The DIFF / TRUNC / SNAP decision: a pure function of a few zxids.

ZooKeeper's leader (LearnerHandler.syncFollower) decides how to bring a learner up to date from
the learner's last logged zxid and the leader's history window (ZkV3_7_0.tla ``SyncFollower``).
Here the window is the leader's whole logged history, in-flight proposals included:

* the learner's last zxid is the leader's last: DIFF with nothing to send;
* it is beyond the leader's last: TRUNC to the leader's last (the learner holds txns that were
  never committed);
* it lies inside the window: DIFF with the txns after it if the leader holds that zxid, else TRUNC
  to the largest zxid the leader holds below it, followed by the txns after that;
* it is older than the window: SNAP of the leader's state, followed by the txns after it.

Two departures from ZooKeeper 3.8. We do not fall back to SNAP when a TRUNC crosses an epoch
boundary: that fallback exists because ZooKeeper's on-disk truncation could not cross log files,
and ours can. And the window ends at the leader's last *logged* zxid, not its last committed one:
ZooKeeper TRUNCs a reconnecting follower back to the last committed zxid even when it holds (and
has ACKed) in-flight proposals, so an ACK the leader still counts toward a commit can vanish from
that follower's disk until the proposal is logged again; the simulator found this window.
"""

from __future__ import annotations

from dataclasses import dataclass

from zabkeeper.core.messages import SyncMode


@dataclass(frozen=True, slots=True)
class SyncPlan:
    """What the leader sends first (``mode`` with ``zxid``), and that the txns after
    ``send_after`` (up to the leader's last) follow as PROPOSAL + COMMIT pairs."""

    mode: SyncMode
    zxid: int
    send_after: int


def plan_sync(
    peer_last_zxid: int,
    window_base: int,
    window_last: int,
    peer_zxid_held: bool,
    floor_zxid: int,
    state_zxid: int,
) -> SyncPlan:
    """Decide the sync of one learner.

    ``window_base`` and ``window_last`` bound the leader's history window (txns after the base up
    to the last are held, the base itself is in the state machine); ``peer_zxid_held`` says
    whether the leader holds ``peer_last_zxid`` (or it equals the base); ``floor_zxid`` is the
    largest zxid the leader holds at or below ``peer_last_zxid``; ``state_zxid`` is where the
    leader's state machine stands, which a SNAP ships.
    """
    assert window_base <= state_zxid <= window_last, (window_base, state_zxid, window_last)
    assert window_base <= floor_zxid <= max(window_base, min(peer_last_zxid, window_last))
    if peer_last_zxid == window_last:
        return SyncPlan(SyncMode.DIFF, window_last, window_last)
    if peer_last_zxid > window_last:
        return SyncPlan(SyncMode.TRUNC, window_last, window_last)
    if peer_last_zxid >= window_base:
        if peer_zxid_held:
            return SyncPlan(SyncMode.DIFF, window_last, peer_last_zxid)
        return SyncPlan(SyncMode.TRUNC, floor_zxid, floor_zxid)
    return SyncPlan(SyncMode.SNAP, state_zxid, state_zxid)
