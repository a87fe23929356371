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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "standalone"))

from loadgen import run


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
