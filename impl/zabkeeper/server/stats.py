"""Server counters behind ``srvr``/``stat``/``mntr``: packets, latency, connections, fsync, snapshots.

Plain integers bumped by the connection and pipeline code on the event loop thread; reading
them is cheap and never blocks. Latencies are kept in milliseconds as ZooKeeper reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Version string shown by srvr/stat/envi/mntr: ZooKeeper's own version first, because clients
# (kazoo's server_version, Curator) parse the leading digits to pick protocol features.
ZOOKEEPER_VERSION = "3.8.0-zabkeeper-0.1.0, built on 2026-11-25 00:00 UTC"


@dataclass
class LatencyStats:
    count: int = 0
    total_ms: float = 0.0
    min_ms: float = 0.0
    max_ms: float = 0.0

    def add(self, latency_ms: float) -> None:
        if self.count == 0 or latency_ms < self.min_ms:
            self.min_ms = latency_ms
        if latency_ms > self.max_ms:
            self.max_ms = latency_ms
        self.count += 1
        self.total_ms += latency_ms

    def add_many(self, count: int, total_ms: float, max_ms: float) -> None:
        """``count`` requests answered in one write; the minimum is the batch's mean."""
        assert count > 0
        mean = total_ms / count
        if self.count == 0 or mean < self.min_ms:
            self.min_ms = mean
        if max_ms > self.max_ms:
            self.max_ms = max_ms
        self.count += count
        self.total_ms += total_ms

    def avg_ms(self) -> float:
        return self.total_ms / self.count if self.count else 0.0

    def reset(self) -> None:
        self.count, self.total_ms, self.min_ms, self.max_ms = 0, 0.0, 0.0, 0.0


@dataclass
class ServerStats:
    packets_received: int = 0
    packets_sent: int = 0
    bytes_received: int = 0
    auth_failed: int = 0
    connections_rejected: int = 0
    bad_frames: int = 0
    fsync_count: int = 0
    fsync_batch_txns: int = 0
    snapshot_count: int = 0
    latency: LatencyStats = field(default_factory=LatencyStats)

    def reset(self) -> None:
        """``srst``: zero the packet and latency counters."""
        self.packets_received = 0
        self.packets_sent = 0
        self.latency.reset()
