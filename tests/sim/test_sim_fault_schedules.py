"""Hypothesis-generated fault schedules: any sequence of crashes, crashes inside a write,
restarts, partitions and heals, under a write load, keeps every checker green, and the ensemble
recovers once the faults stop."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zabkeeper.sim.cluster import ClusterOptions, SimCluster
from zabkeeper.sim.network import LatencyModel


@dataclass(frozen=True)
class Fault:
    after_ms: int
    kind: str
    a: int
    b: int


def faults(servers: int) -> st.SearchStrategy[list[Fault]]:
    sid = st.integers(1, servers)
    fault = st.builds(
        Fault,
        after_ms=st.integers(1, 150),
        kind=st.sampled_from(["crash", "crash_in_write", "restart", "partition", "one_way", "heal"]),
        a=sid,
        b=sid,
    )
    return st.lists(fault, max_size=14)


def apply(cluster: SimCluster, fault: Fault) -> None:
    match fault.kind:
        case "crash":
            cluster.crash(fault.a)
        case "crash_in_write":
            cluster.crash_during_next_write(fault.a)
        case "restart":
            if not cluster.nodes[fault.a].alive:
                cluster.start(fault.a)
        case "partition" | "one_way":
            if fault.a != fault.b:
                cluster.partition(fault.a, fault.b, one_way=fault.kind == "one_way")
        case "heal":
            cluster.heal()


def run_schedule(servers: int, schedule: list[Fault], seed: int) -> SimCluster:
    options = ClusterOptions(
        voters=servers, latency=LatencyModel(1, 5), torn_probability=0.5, snapshot_every=25
    )
    cluster = SimCluster(options, seed)
    cluster.start_all()
    cluster.run_until(300)
    for fault in schedule:
        deadline = cluster.now + fault.after_ms
        while cluster.now < deadline:
            cluster.submit(1 + cluster.client_seq % servers)
            cluster.run_until(min(deadline, cluster.now + 5))
        apply(cluster, fault)
    cluster.heal()
    for sid in options.sids:
        cluster.nodes[sid].crash_on_write = None
        if not cluster.nodes[sid].alive:
            cluster.start(sid)
    acknowledged = cluster.acknowledged
    end = cluster.now + 20_000
    while cluster.acknowledged <= acknowledged:
        assert cluster.now < end, f"no progress after the faults stopped: {cluster.states()}"
        cluster.submit(1 + cluster.client_seq % servers)
        cluster.run_until(cluster.now + 20)
    leader = cluster.established_leader()
    assert leader is not None
    cluster.checkers.check_final(leader, cluster.peer(leader))
    return cluster


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(servers=st.sampled_from([3, 5]), schedule=faults(5), seed=st.integers(0, 2**16))
def test_any_fault_schedule_is_safe_and_recovers(servers: int, schedule: list[Fault], seed: int) -> None:
    schedule = [Fault(f.after_ms, f.kind, 1 + (f.a - 1) % servers, 1 + (f.b - 1) % servers) for f in schedule]
    run_schedule(servers, schedule, seed)
