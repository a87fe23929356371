"""``zabkeeper conformance``: hold the core to the Quint spec, in both directions.

* ``replay PATH...`` replays ITF traces (files or folders) against real core peers and reports
  the first divergence of each (missing_action, unexpected_action, incorrect_state), the spec
  actions exercised, and a last line ``traces=T steps=S mismatches=M``; non-zero on a mismatch.
* ``generate --seed S --count N`` runs the spec's simulator for N traces and replays them.
* ``validate LOG...`` checks that simulator runs (recorded in the spec's vocabulary) are
  behaviours of the spec, by turning each into a Quint ``run`` that ``quint test`` evaluates.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

from zabkeeper.cli.progress import Progress


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "conformance",
        help="replay spec traces against the core",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="conformance_command", metavar="COMMAND", required=True)

    replay = commands.add_parser("replay", help="replay ITF traces (files or folders)")
    replay.add_argument("paths", nargs="+", type=Path)
    replay.add_argument("--jobs", type=int, default=1, help="worker processes")
    replay.set_defaults(handler=_replay)

    generate = commands.add_parser("generate", help="generate traces with quint run and replay them")
    generate.add_argument("--seed", type=int, help="quint's seed (default: random, printed)")
    generate.add_argument("--count", type=int, default=10, help="traces to generate")
    generate.add_argument("--instance", default="zab3", help="spec instance module (zab3, zab5, zab3obs)")
    generate.add_argument("--max-steps", type=int, default=120)
    generate.add_argument("--out", type=Path, help="keep the traces in this folder")
    generate.add_argument("--jobs", type=int, default=1)
    generate.set_defaults(handler=_generate)

    validate = commands.add_parser("validate", help="check recorded simulator runs against the spec")
    validate.add_argument("logs", nargs="*", type=Path, help="run logs written by `validate --record`")
    validate.add_argument(
        "--record", type=int, metavar="N", help="record and validate N fresh simulator runs"
    )
    validate.add_argument("--seed", type=int, help="first simulator seed for --record (default: random)")
    validate.add_argument("--steps", type=int, default=150, help="spec steps to record per run")
    validate.add_argument("--keep", type=Path, help="keep recorded logs and generated Quint runs here")
    validate.set_defaults(handler=_validate)


def _replay(args: argparse.Namespace) -> int:
    from conformance.report import print_summary, replay_paths

    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        print(f"zabkeeper conformance replay: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    summary = replay_paths(args.paths, jobs=args.jobs, progress_for=lambda total: Progress(total, "replay"))
    print_summary(summary)
    return 0 if summary.mismatches == 0 and summary.traces > 0 else 1


def _generate(args: argparse.Namespace) -> int:
    from conformance.generate import GenerateError, GenerateRequest, generate
    from conformance.report import print_summary, replay_paths

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    print(f"generating {args.count} traces of {args.instance} with seed {seed}", flush=True)
    request = GenerateRequest(seed=seed, count=args.count, instance=args.instance, max_steps=args.max_steps)
    with tempfile.TemporaryDirectory(prefix="zab-traces-") as tmp:
        out = args.out if args.out is not None else Path(tmp)
        try:
            paths = generate(request, out)
        except GenerateError as exc:
            print(f"zabkeeper conformance generate: {exc}", file=sys.stderr)
            return 2
        summary = replay_paths(paths, jobs=args.jobs, progress_for=lambda total: Progress(total, "generated"))
    print(f"seed={seed}")
    print_summary(summary)
    return 0 if summary.mismatches == 0 else 1


def _validate(args: argparse.Namespace) -> int:
    from conformance.validate import run_validation

    return run_validation(args.logs, args.record, args.seed, args.keep, args.steps)
