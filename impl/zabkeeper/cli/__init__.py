"""The ``zabkeeper`` console script: one subcommand per module of this package.

Each subcommand module exposes ``register(subparsers)``, which adds its parser and sets
``handler`` (a function taking the parsed arguments and returning the exit status).
Modules are imported lazily so that ``zabkeeper sim`` never pays for asyncio or z3.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# (subcommand, module that registers it); the order is the order of ``zabkeeper --help``.
SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("serve", "zabkeeper.cli.serve"),
    ("ensemble", "zabkeeper.cli.ensemble"),
    ("sim", "zabkeeper.cli.sim"),
    ("check-config", "zabkeeper.cli.check_config"),
    ("prove", "zabkeeper.cli.prove"),
    ("conformance", "zabkeeper.cli.conformance"),
)


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zabkeeper", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, module_name in SUBCOMMANDS:
        if wanted is not None and wanted != name:
            subparsers.add_parser(name, help=f"see `zabkeeper {name} --help`")
            continue
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    status: int = args.handler(args)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
