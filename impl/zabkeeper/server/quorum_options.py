"""The core's options for one ensemble member, from its zoo.cfg.

The core counts every timeout in ticks. A member's tick is finer than zoo.cfg's tickTime
(tickTime/20, between 10 and 50 ms), so failover is not rounded up to whole tickTimes: initLimit
and syncLimit (in tickTimes), FastLeaderElection's finalizeWait (200 ms) and
maxNotificationInterval (60 s), the leader's ping interval (half a tickTime) and the learner's
connect retry are all converted to those ticks here.
"""

from __future__ import annotations

import math

from zabkeeper.config import ServerConfig
from zabkeeper.core.options import PeerOptions
from zabkeeper.server.standalone import StartupError

TICK_MS_MIN = 10
TICK_MS_MAX = 50
FINALIZE_WAIT_MS = 200  # FastLeaderElection.finalizeWait
NOTIFICATION_INTERVAL_MAX_MS = 60_000  # FastLeaderElection.maxNotificationInterval
CONNECT_RETRY_MS = 50
COMMIT_LOG_COUNT_DEFAULT = 500
OUTSTANDING_PROPOSALS_MAX = 10_000


def peer_options(config: ServerConfig) -> tuple[PeerOptions, int]:
    """The core's options for this member, with every limit converted to ticks, and the tick (ms)."""
    assert config.is_distributed and config.myid is not None
    tick_ms = max(TICK_MS_MIN, min(TICK_MS_MAX, config.tick_time // 20))

    def ticks(ms: float) -> int:
        return max(1, math.ceil(ms / tick_ms))

    sync_limit_ticks = max(2, ticks(config.sync_limit * config.tick_time))
    options = PeerOptions(
        myid=config.myid,
        quorum=config.quorum_verifier(),
        observers=config.ensemble.observers,
        init_limit_ticks=ticks(config.init_limit * config.tick_time),
        sync_limit_ticks=sync_limit_ticks,
        ping_interval_ticks=min(ticks(config.tick_time / 2), sync_limit_ticks - 1) or 1,
        finalize_wait_ticks=ticks(FINALIZE_WAIT_MS),
        notification_interval_max_ticks=max(ticks(NOTIFICATION_INTERVAL_MAX_MS), ticks(FINALIZE_WAIT_MS)),
        connect_retry_ticks=ticks(CONNECT_RETRY_MS),
        committed_log_max=_commit_log_count(config),
        outstanding_proposals_max=OUTSTANDING_PROPOSALS_MAX,
    )
    return options, tick_ms


def _commit_log_count(config: ServerConfig) -> int:
    """ZooKeeper's ``zookeeper.commitLogCount``: committed txns kept in memory for DIFF syncs."""
    raw = config.extra.get("zookeeper.commitLogCount", config.extra.get("commitLogCount", ""))
    if not raw:
        return COMMIT_LOG_COUNT_DEFAULT
    if not raw.isdigit() or int(raw) < 1:
        raise StartupError(f"{config.source}: commitLogCount {raw!r} is not a positive number")
    return int(raw)
