"""Simulator speed: how fast the core runs in its own right.

Two numbers, both wall time on this machine (compare runs of the same machine only):
* delivered messages per second over a fixed set of swarm seeds (faults included);
* the wall time of a fault-free 3-server run that commits 10,000 txns with 64 writes in flight.

Run: ``.venv/bin/python bench/sim/bench_sim.py [--seeds 40] [--txns 10000]``.
"""

from __future__ import annotations

import argparse
import time

from zabkeeper.sim.cluster import ClusterOptions, SimCluster
from zabkeeper.sim.network import LatencyModel
from zabkeeper.sim.swarm import run_seed


def swarm_rate(seeds: int) -> tuple[float, int, float]:
    started = time.perf_counter()
    messages = 0
    for seed in range(seeds):
        messages += run_seed(seed).messages
    elapsed = time.perf_counter() - started
    return messages / elapsed, messages, elapsed


def commit_run(txns: int, in_flight: int) -> tuple[float, int, int]:
    cluster = SimCluster(ClusterOptions(voters=3, latency=LatencyModel(1, 2), snapshot_every=1000), seed=1)
    cluster.start_all()
    cluster.run_until(500)
    leader = cluster.established_leader()
    assert leader is not None
    started = time.perf_counter()
    submitted = 0
    while cluster.acknowledged < txns:
        while submitted - cluster.acknowledged < in_flight and submitted < txns:
            cluster.submit(leader)
            submitted += 1
        cluster.run_until(cluster.now + 1)
    elapsed = time.perf_counter() - started
    return elapsed, cluster.network.delivered, cluster.steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--txns", type=int, default=10_000)
    parser.add_argument("--in-flight", type=int, default=64)
    args = parser.parse_args()
    rate, messages, elapsed = swarm_rate(args.seeds)
    print(
        f"swarm: {args.seeds} seeds, {messages} messages delivered in {elapsed:.2f} s = {rate:,.0f} messages/s"
    )
    elapsed, delivered, steps = commit_run(args.txns, args.in_flight)
    print(
        f"3 servers commit {args.txns} txns: {elapsed:.2f} s wall, {delivered} messages "
        f"({delivered / elapsed:,.0f} messages/s, {steps / elapsed:,.0f} steps/s, {args.txns / elapsed:,.0f} txns/s)"
    )


if __name__ == "__main__":
    main()
