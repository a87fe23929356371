"""``zabkeeper prove``: run every z3 proof and every must-fail weakened variant.

Prints a table (proof, result, seconds), then what each proof proved and the counterexample
each weakened variant produced. Exits 1 when a proof does not hold or a weakened variant is
not refuted with a counterexample, so CI notices either.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "prove", help="run the z3 proofs and their must-fail variants", description=__doc__
    )
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this proof (repeatable)")
    parser.add_argument("--no-weakened", action="store_true", help="skip the must-fail weakened variants")
    parser.add_argument("--list", action="store_true", help="list the proofs and exit")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from zabkeeper.proofs import ALL, PROOFS, Proof, as_expected

    chosen: tuple[Proof, ...] = PROOFS if args.no_weakened else ALL
    if args.list:
        for proof in chosen:
            print(proof.name if proof.must_hold else f"{proof.name} (must fail; weakens {proof.weakens})")
        return 0
    if args.only:
        unknown = set(args.only) - {proof.name for proof in ALL}
        if unknown:
            print(
                f"zabkeeper prove: no proof named {', '.join(sorted(unknown))} (see --list)", file=sys.stderr
            )
            return 2
        chosen = tuple(proof for proof in ALL if proof.name in args.only)
    width = max(len(proof.name) for proof in chosen)
    print(f"{'proof':<{width}}  {'result':<24}  seconds")
    outcomes = []
    for proof in chosen:
        result = proof.execute()
        ok = as_expected(proof, result)
        if proof.must_hold:
            verdict = "proved" if ok else "NOT PROVED"
        else:
            verdict = "refuted (as it must)" if ok else "NOT REFUTED"
        print(f"{proof.name:<{width}}  {verdict:<24}  {result.seconds:7.2f}", flush=True)
        outcomes.append((proof, result, ok))
    print()
    for _, result, _ in outcomes:
        print(result.report())
        print()
    failures = [proof.name for proof, _, ok in outcomes if not ok]
    if failures:
        print(f"zabkeeper prove: not as expected: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0
