"""Pipelined load spread over every server of an ensemble (the standalone load generator's
connections, dealt round-robin to the servers' client ports, in one process).

Run: ``python ensemble_load.py --ports P1,P2,P3 --load setData --connections 24 --depth 32``;
prints one JSON object (the same fields as ``bench/standalone/loadgen.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "standalone"))

from loadgen import LoadConnection, Stats, percentile, setup


async def run(
    ports: list[int], load: str, connections: int, depth: int, seconds: float, warmup: float
) -> dict[str, object]:
    await setup(ports[0])
    await asyncio.sleep(0.5)  # let the setup txns reach every server
    loop = asyncio.get_running_loop()
    stats = Stats()
    protocols = []
    for index in range(connections):
        port = ports[index % len(ports)]
        _, protocol = await loop.create_connection(
            lambda index=index: LoadConnection(index, load, depth, stats), "127.0.0.1", port
        )
        protocols.append(protocol)
    await asyncio.gather(*(protocol.handshaken for protocol in protocols))
    for protocol in protocols:
        protocol.send(depth)
    await asyncio.sleep(warmup)
    stats.recording = True
    start_replies, start = stats.replies, time.perf_counter()
    await asyncio.sleep(seconds)
    elapsed = time.perf_counter() - start
    done = stats.replies - start_replies
    stats.recording = False
    for protocol in protocols:
        protocol.running = False
    await asyncio.sleep(0.2)
    for protocol in protocols:
        if protocol.transport is not None:
            protocol.transport.close()
    latencies = sorted(stats.latencies)
    return {
        "load": load,
        "connections": connections,
        "depth": depth,
        "seconds": round(elapsed, 3),
        "ops": done,
        "ops_per_s": round(done / elapsed, 1),
        "p50_us": round(percentile(latencies, 0.50) * 1e6, 1),
        "p99_us": round(percentile(latencies, 0.99) * 1e6, 1),
        "errors": stats.errors,
        "connections_lost": stats.lost,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", required=True, help="client ports, comma separated")
    parser.add_argument("--load", choices=["setData", "getData", "mix", "createDelete"], required=True)
    parser.add_argument("--connections", type=int, default=24)
    parser.add_argument("--depth", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    ports = [int(port) for port in args.ports.split(",")]
    result = asyncio.run(run(ports, args.load, args.connections, args.depth, args.seconds, args.warmup))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
