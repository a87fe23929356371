"""``zabkeeper sim``: run the deterministic simulator for one seed or a swarm of seeds.

``zabkeeper sim --seed S`` reproduces one run exactly (``--events`` prints its event log in the
spec's action vocabulary); ``zabkeeper sim --seeds N`` runs N seeds and ends with the line
``seeds=N violations=V``. A violation prints its seed and the first broken invariant.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from zabkeeper.cli.progress import Progress
from zabkeeper.sim.swarm import SimResult, run_seed


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("sim", help="run the deterministic Zab simulator", description=__doc__)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--seed", type=int, help="run this one seed")
    which.add_argument("--seeds", type=int, help="run this many seeds (a swarm)")
    parser.add_argument("--start", type=int, default=0, help="first seed of a swarm (default 0)")
    parser.add_argument("--servers", default="3,5,7", help="ensemble sizes to draw from (default 3,5,7)")
    parser.add_argument("--events", action="store_true", help="print the run's event log (with --seed)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for a swarm")
    parser.set_defaults(handler=main)


def _sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(int(part) for part in text.split(",") if part.strip())
    if not sizes or any(size < 1 for size in sizes):
        raise SystemExit(f"zabkeeper sim: bad --servers {text!r}")
    return sizes


def describe(result: SimResult) -> str:
    verdict = "ok" if result.ok else f"VIOLATION {result.violation}: {result.detail}"
    return (
        f"seed={result.seed} {verdict}\n  {result.description}\n"
        f"  sim_ms={result.sim_ms} steps={result.steps} messages={result.messages} "
        f"committed={result.committed} acknowledged={result.acknowledged} leaders={result.leaders}"
    )


def main(args: argparse.Namespace) -> int:
    sizes = _sizes(args.servers)
    if args.seed is not None:
        log = None
        if args.events:

            def log(time_ms: int, sid: int, text: str) -> None:
                print(f"{time_ms:>8}ms s{sid} {text}")

        result = run_seed(args.seed, sizes, log)
        print(describe(result))
        return 0 if result.ok else 1
    return _swarm(range(args.start, args.start + args.seeds), sizes, args.jobs)


def _swarm(seeds: range, sizes: tuple[int, ...], jobs: int) -> int:
    progress = Progress(len(seeds), "sim")
    violations: list[SimResult] = []
    messages = 0
    with ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else _Inline() as pool:
        for result in pool.map(run_seed, seeds, [sizes] * len(seeds)):
            messages += result.messages
            if not result.ok:
                violations.append(result)
                print(f"\nseed={result.seed} violation {result.violation}: {result.detail}", file=sys.stderr)
            progress.advance(f"violations={len(violations)}")
    progress.finish()
    for result in violations:
        print(describe(result))
        print(
            f"  reproduce: zabkeeper sim --seed {result.seed} --servers {','.join(map(str, sizes))} --events"
        )
    print(f"messages={messages}")
    print(f"seeds={len(seeds)} violations={len(violations)}")
    return 0 if not violations else 1


class _Inline:
    """The single-process stand-in for a pool."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn: Any, *iterables: Any) -> Any:
        return map(fn, *iterables)
