"""A scenario harness for the core: real peers in a simulated cluster with fixed 1 ms latency,
scripted faults, and every protocol event recorded so tests can read like sequence diagrams."""

from __future__ import annotations

from collections.abc import Callable

from zabkeeper.core.peer import Peer
from zabkeeper.core.ready import Event, Ready
from zabkeeper.sim.cluster import ClusterOptions, SimCluster
from zabkeeper.sim.network import LatencyModel


class Scenario:
    """Drives a SimCluster step by step and keeps the event log."""

    def __init__(self, voters: int = 3, observers: int = 0, seed: int = 0, **options: object) -> None:
        cluster_options = ClusterOptions(
            voters=voters,
            observers=observers,
            latency=LatencyModel(low=1, high=1),
            torn_probability=0.0,
            **options,  # type: ignore[arg-type]
        )
        self.cluster = SimCluster(cluster_options, seed)
        self.events: list[tuple[int, int, Event]] = []
        self.cluster.listeners.append(self._record)

    def _record(self, sid: int, ready: Ready) -> None:
        for event in ready.events:
            self.events.append((self.cluster.now, sid, event))

    # --- driving ----------------------------------------------------------------------------

    def start(self, *sids: int) -> Scenario:
        for sid in sids or self.cluster.options.sids:
            self.cluster.start(sid)
        return self

    def run(self, ms: int) -> Scenario:
        self.cluster.run_until(self.cluster.now + ms)
        return self

    def until(self, condition: Callable[[], bool], within_ms: int = 5000) -> Scenario:
        reached = self.cluster.run_until(self.cluster.now + within_ms, stop=condition)
        assert reached or condition(), f"not reached within {within_ms} ms; states {self.cluster.states()}"
        return self

    def settle(self) -> int:
        """Run until a leader is established with every live voter serving; return the leader."""
        voters = range(1, self.cluster.options.voters + 1)

        def settled() -> bool:
            leader = self.cluster.established_leader()
            live = [sid for sid in voters if self.cluster.nodes[sid].alive]
            return leader is not None and all(sid in self.cluster.serving() for sid in live)

        self.until(settled)
        leader = self.cluster.established_leader()
        assert leader is not None
        return leader

    def write(self, count: int, via: int) -> None:
        for _ in range(count):
            self.cluster.submit(via)

    def write_and_wait(self, count: int, via: int) -> None:
        before = self.cluster.acknowledged
        self.write(count, via)
        self.until(lambda: self.cluster.acknowledged >= before + count)

    # --- reading ----------------------------------------------------------------------------

    def peer(self, sid: int) -> Peer:
        return self.cluster.peer(sid)

    def actions(self, name: str, sid: int | None = None) -> list[Event]:
        return [
            event for _, who, event in self.events if event.action == name and (sid is None or who == sid)
        ]

    def sync_modes(self, leader: int, learner: int) -> list[str]:
        return [
            dict(event.args)["mode"]
            for event in self.actions("LeaderSyncFollower", leader)
            if dict(event.args)["j"] == learner
        ]

    def mark(self) -> int:
        return len(self.events)

    def actions_since(self, mark: int, name: str) -> list[tuple[int, Event]]:
        return [(who, event) for _, who, event in self.events[mark:] if event.action == name]
