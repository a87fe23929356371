"""One seed, one run: the swarm picks an ensemble and a fault mix, then checks safety and liveness.

A run has two phases, as TigerBeetle's VOPR does. The safety phase drives a client workload while
faults strike at random (crashes, crashes in the middle of a write, restarts, symmetric and
one-way partitions, isolating a server); the checkers watch every step. The liveness phase heals
every partition and restarts every server, and then requires that a leader is established with a
quorum serving and that a write submitted after the heal is acknowledged, within a bounded
simulated time. A failing seed reproduces exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from random import Random

from zabkeeper.sim.checkers import InvariantViolation
from zabkeeper.sim.cluster import ClusterOptions, EventSink, SimCluster
from zabkeeper.sim.network import LatencyModel


@dataclass(frozen=True)
class SwarmOptions:
    """Everything one seed decides."""

    seed: int
    cluster: ClusterOptions
    safety_ms: int
    liveness_ms: int
    fault_mean_ms: int
    write_interval_ms: int
    crash_weight: int
    partition_weight: int
    sync_probability: float

    @staticmethod
    def from_seed(seed: int, sizes: Sequence[int] = (3, 5, 7)) -> SwarmOptions:
        rng = Random(seed)
        voters = rng.choice(list(sizes))
        cluster = ClusterOptions(
            voters=voters,
            observers=rng.choice((0, 0, 1, 2)),
            tick_ms=10,
            tick_drift_ms=rng.choice((0, 0, 1, 2)),
            latency=LatencyModel(
                low=1,
                high=rng.choice((2, 5, 10)),
                slow_probability=rng.choice((0.0, 0.01, 0.05)),
                slow=rng.choice((20, 100)),
            ),
            init_limit_ticks=20,
            sync_limit_ticks=rng.choice((5, 10)),
            finalize_wait_ticks=rng.choice((1, 2, 3)),
            torn_probability=rng.choice((0.0, 0.5)),
            snapshot_every=rng.choice((20, 100, 1000)),
            committed_log_max=rng.choice((5, 50)),
            fsync_ms=rng.choice((0, 0, 1, 4)),
        )
        return SwarmOptions(
            seed=seed,
            cluster=cluster,
            safety_ms=rng.choice((1500, 3000)),
            liveness_ms=20_000,
            fault_mean_ms=rng.choice((40, 100, 250)),
            write_interval_ms=rng.choice((2, 5, 20)),
            crash_weight=rng.choice((1, 3)),
            partition_weight=rng.choice((0, 1, 3)),
            sync_probability=rng.choice((0.0, 0.05)),
        )

    def describe(self) -> str:
        c = self.cluster
        return (
            f"voters={c.voters} observers={c.observers} latency={c.latency.low}-{c.latency.high}ms "
            f"slow={c.latency.slow_probability} sync_limit={c.sync_limit_ticks} finalize={c.finalize_wait_ticks} "
            f"torn={c.torn_probability} fsync={c.fsync_ms}ms snapshot_every={c.snapshot_every} faults_every~{self.fault_mean_ms}ms "
            f"crash/partition={self.crash_weight}/{self.partition_weight} writes_every={self.write_interval_ms}ms"
        )


@dataclass
class SimResult:
    """What one seed's run did and found."""

    seed: int
    description: str
    violation: str | None
    detail: str
    sim_ms: int
    steps: int
    messages: int
    committed: int
    acknowledged: int
    leaders: int

    @property
    def ok(self) -> bool:
        return self.violation is None


def run_seed(seed: int, sizes: Sequence[int] = (3, 5, 7), log: EventSink | None = None) -> SimResult:
    """Run one seed to the end (or to the first violation)."""
    options = SwarmOptions.from_seed(seed, sizes)
    cluster = SimCluster(options.cluster, seed, log)
    rng = Random(seed ^ 0x5EED)
    violation: str | None = None
    detail = ""
    try:
        cluster.start_all()
        _safety_phase(cluster, options, rng)
        _liveness_phase(cluster, options, rng)
    except InvariantViolation as exc:
        violation, detail = exc.invariant, exc.detail
    except AssertionError as exc:
        violation, detail = "CoreAssertion", f"{type(exc).__name__}: {exc}"
    return SimResult(
        seed=seed,
        description=options.describe(),
        violation=violation,
        detail=detail,
        sim_ms=cluster.now,
        steps=cluster.steps,
        messages=cluster.network.delivered,
        committed=len(cluster.checkers.ghost.committed),
        acknowledged=cluster.acknowledged,
        leaders=sum(len(leaders) for leaders in cluster.checkers.ghost.epoch_leaders.values()),
    )


def _every(cluster: SimCluster, rng: Random, mean_ms: int, until: int, action: Callable[[], None]) -> None:
    """Schedule ``action`` at exponentially distributed intervals until ``until``."""

    def fire() -> None:
        if cluster.now >= until:
            return
        action()
        cluster._at(cluster.now + max(1, int(rng.expovariate(1 / mean_ms))), fire)

    cluster._at(cluster.now + max(1, int(rng.expovariate(1 / mean_ms))), fire)


def _safety_phase(cluster: SimCluster, options: SwarmOptions, rng: Random) -> None:
    sids = options.cluster.sids
    end = options.safety_ms

    def fault() -> None:
        alive = [sid for sid in sids if cluster.nodes[sid].alive]
        dead = [sid for sid in sids if not cluster.nodes[sid].alive]
        choices: list[tuple[int, Callable[[], None]]] = []
        if alive:
            victim = rng.choice(alive)
            choices.append((options.crash_weight, lambda: cluster.crash(victim)))
            choices.append((options.crash_weight, lambda: cluster.crash_during_next_write(victim)))
        if dead:
            choices.append((2 * options.crash_weight * len(dead), lambda: cluster.start(rng.choice(dead))))
        if options.partition_weight:
            a, b = rng.sample(sids, 2)
            choices.append(
                (options.partition_weight, lambda: cluster.partition(a, b, one_way=rng.random() < 0.3))
            )
            choices.append((options.partition_weight, lambda: _isolate(cluster, rng.choice(sids), sids)))
            choices.append((options.partition_weight, cluster.heal))
        total = sum(weight for weight, _ in choices)
        pick = rng.uniform(0, total)
        for weight, action in choices:
            pick -= weight
            if pick <= 0:
                action()
                return

    _every(cluster, rng, options.fault_mean_ms, end, fault)
    _every(cluster, rng, options.write_interval_ms, end, lambda: _client(cluster, options, rng))
    cluster.run_until(end)


def _isolate(cluster: SimCluster, sid: int, sids: Sequence[int]) -> None:
    for other in sids:
        if other != sid:
            cluster.partition(sid, other)


def _client(cluster: SimCluster, options: SwarmOptions, rng: Random) -> None:
    sid = rng.choice(options.cluster.sids)
    if options.sync_probability and rng.random() < options.sync_probability:
        cluster.client_sync(sid)
    else:
        cluster.submit(sid)


def _liveness_phase(cluster: SimCluster, options: SwarmOptions, rng: Random) -> None:
    cluster.heal()
    for sid in options.cluster.sids:
        cluster.nodes[sid].crash_on_write = None
        if not cluster.nodes[sid].alive:
            cluster.start(sid)
    start = cluster.now
    deadline = start + options.liveness_ms
    acknowledged_at_heal = cluster.acknowledged
    _every(cluster, rng, 20, deadline, lambda: _client(cluster, options, rng))
    voters = options.cluster.voters

    def done() -> bool:
        leader = cluster.established_leader()
        serving_voters = [sid for sid in cluster.serving() if sid <= voters]
        return (
            leader is not None
            and 2 * len(serving_voters) > voters
            and cluster.acknowledged > acknowledged_at_heal
        )

    if not cluster.run_until(deadline, stop=done):
        raise InvariantViolation(
            "Liveness",
            f"no leader with a serving quorum committed a new write within {options.liveness_ms} ms "
            f"after healing; states {cluster.states()}",
        )
    leader = cluster.established_leader()
    assert leader is not None
    cluster.checkers.check_final(leader, cluster.peer(leader))
