"""Benchmark a 3-server zabkeeper ensemble against a 3-server Apache ZooKeeper 3.8 ensemble.

For each system: start the ensemble (tickTime 2000, initLimit 10, syncLimit 5, fsync on), run each
load through every server (``ensemble_load.py``, in its own process) and record throughput,
p50/p99 latency and the CPU time each server spent per operation; then kill -9 the leader
``--kills`` times (restarting it and waiting for the full ensemble in between) and record the
write gap of each kill (``failover.py``). Prints one table with the ratios zabkeeper/ZooKeeper;
``--out`` also writes every number as JSON.

    .venv/bin/python bench/ensemble/run.py --seconds 10 --kills 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from failover import GapProbe
from systems import ApacheEnsemble, Ensemble, ZabkeeperEnsemble, wait_serving

HERE = Path(__file__).resolve().parent


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_load(ensemble: Any, load: str, seconds: float, connections: int, depth: int) -> dict[str, Any]:
    pids = ensemble.pids()
    before = {sid: cpu_seconds(pid) for sid, pid in pids.items()}
    ports = ",".join(str(port) for port in ensemble.ports.values())
    command = [sys.executable, str(HERE / "ensemble_load.py"), "--ports", ports, "--load", load,
               "--seconds", str(seconds), "--connections", str(connections), "--depth", str(depth)]  # fmt: skip
    started = time.monotonic()
    result: dict[str, Any] = json.loads(
        subprocess.run(command, capture_output=True, text=True, check=True).stdout
    )
    elapsed = time.monotonic() - started
    after = {sid: cpu_seconds(pid) for sid, pid in pids.items()}
    ops_total = result["ops_per_s"] * elapsed
    result["cpu_us_per_op"] = {sid: round((after[sid] - before[sid]) * 1e6 / ops_total, 1) for sid in pids}
    return result


def failover_gaps(ensemble: Ensemble, kills: int) -> list[float]:
    gaps = []
    for _ in range(kills):
        leader = wait_serving(ensemble, list(ensemble.ports))
        probe = GapProbe([port for sid, port in ensemble.ports.items() if sid != leader])
        gap = asyncio.run(probe.measure(lambda leader=leader: ensemble.kill(leader)))
        gaps.append(round(gap, 1))
        print(f"  {ensemble.name}: killed leader {leader}, writes resumed after {gap:.0f} ms", flush=True)
        ensemble.start(leader)
        wait_serving(ensemble, list(ensemble.ports))
        time.sleep(1.0)
    return gaps


def bench_system(ensemble: Any, args: argparse.Namespace) -> dict[str, Any]:
    wait_serving(ensemble, list(ensemble.ports))
    results: dict[str, Any] = {"loads": {}}
    for load in args.loads.split(","):
        result = run_load(ensemble, load, args.seconds, args.connections, args.depth)
        results["loads"][load] = result
        print(f"  {ensemble.name} {load}: {result['ops_per_s']:.0f} ops/s, p50 {result['p50_us'] / 1000:.1f} ms, "
              f"p99 {result['p99_us'] / 1000:.1f} ms, cpu us/op {result['cpu_us_per_op']}", flush=True)  # fmt: skip
    results["gaps_ms"] = failover_gaps(ensemble, args.kills) if args.kills else []
    return results


def table(results: dict[str, dict[str, Any]]) -> str:
    zab, zk = results.get("zabkeeper"), results.get("zookeeper-3.8")
    rows = ["| metric | zabkeeper | ZooKeeper 3.8 | ratio |", "|---|---|---|---|"]

    def row(name: str, ours: float | None, theirs: float | None, unit: str) -> None:
        ratio = f"{ours / theirs:.2f}" if ours and theirs else "-"
        show = lambda value: "-" if value is None else f"{value:,.0f} {unit}".strip()  # noqa: E731
        rows.append(f"| {name} | {show(ours)} | {show(theirs)} | {ratio} |")

    def pick(result: dict[str, Any] | None, load: str, key: str) -> float | None:
        return None if result is None else float(result["loads"][load][key])

    for load in (zab or zk or {}).get("loads", {}):
        row(f"{load} throughput", pick(zab, load, "ops_per_s"), pick(zk, load, "ops_per_s"), "ops/s")
        row(f"{load} p50 latency", _ms(pick(zab, load, "p50_us")), _ms(pick(zk, load, "p50_us")), "ms")
        row(f"{load} p99 latency", _ms(pick(zab, load, "p99_us")), _ms(pick(zk, load, "p99_us")), "ms")
    for label, pick_gap in (("median", statistics.median), ("max", max)):
        ours = pick_gap(zab["gaps_ms"]) if zab and zab["gaps_ms"] else None
        theirs = pick_gap(zk["gaps_ms"]) if zk and zk["gaps_ms"] else None
        row(f"write gap after kill -9 of the leader ({label})", ours, theirs, "ms")
    return "\n".join(rows)


def _ms(value_us: float | None) -> float | None:
    return None if value_us is None else value_us / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", default="zabkeeper,zookeeper")
    parser.add_argument("--loads", default="setData,getData,mix")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=24)
    parser.add_argument("--depth", type=int, default=32)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    for name in args.systems.split(","):
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        ensemble: Any = ZabkeeperEnsemble(workdir) if name == "zabkeeper" else ApacheEnsemble(workdir)
        try:
            results[ensemble.name] = bench_system(ensemble, args)
        finally:
            ensemble.close()
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n{os.cpu_count()} cores, python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    print(table(results))
    if args.out is not None:
        document = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": f"{os.cpu_count()} cores, python {sys.version.split()[0]}",
            "load_average_after": round(os.getloadavg()[0], 1),
            "settings": {key: value for key, value in vars(args).items() if key != "out"},
            "results": results,
        }
        args.out.write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    main()
