"""``zabkeeper check-config zoo.cfg...``: validate zoo.cfg files and prove their quorums intersect.

Each file is read as the server it belongs to would read it (with its dynamic config file, and
``dataDir/myid`` when that exists here); a malformed file gets the exact message the server
prints when it refuses to start. Given the files of every server of an ensemble, z3 then checks
that any quorum in one server's view meets any quorum in any other server's view (and in its
own). Exit status: 0 all quorums intersect, 1 two disjoint quorums were found (printed, with
whose views they come from), 2 a file is malformed.
"""

from __future__ import annotations

import argparse
from typing import Any

from zabkeeper.config import ConfigError, Ensemble, ServerConfig, load_server_config


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check-config", help="validate zoo.cfg files and prove their quorums intersect", description=__doc__
    )
    parser.add_argument("files", nargs="+", metavar="ZOO_CFG", help="zoo.cfg of each server of the ensemble")
    parser.set_defaults(handler=main)


def describe(config: ServerConfig) -> str:
    ensemble = config.ensemble
    if not config.is_distributed:
        return "standalone (no quorum)"
    return _rule(ensemble) + (f", observers {_set(ensemble.observers)}" if ensemble.observers else "")


def _rule(ensemble: Ensemble) -> str:
    if not ensemble.is_hierarchical:
        return f"majority of {_set(ensemble.participants)}"
    groups = " ".join(f"group.{gid}={_set(members)}" for gid, members in sorted(ensemble.groups.items()))
    weights = " ".join(f"{sid}:{weight}" for sid, weight in sorted(ensemble.weights.items()))
    return f"hierarchical: {groups}; weights {weights}"


def _set(sids: frozenset[int]) -> str:
    return "{" + ",".join(str(sid) for sid in sorted(sids)) + "}"


def main(args: argparse.Namespace) -> int:
    configs: list[ServerConfig] = []
    malformed = False
    for path in args.files:
        try:
            configs.append(load_server_config(path, require_myid=False))
        except ConfigError as error:
            print(error)
            malformed = True
    if malformed:
        return 2
    from zabkeeper.proofs.views import View, find_disjoint_quorums

    views = []
    for config in configs:
        label = config.source if config.myid is None else f"server {config.myid} ({config.source})"
        print(f"{label}: {describe(config)}")
        for warning in config.warnings:
            print(f"  warning: {warning}")
        if config.is_distributed:
            views.append(View(label, config.ensemble))
    if not views:
        print("ok: no file describes a replicated ensemble, so there are no quorums to compare")
        return 0
    found = find_disjoint_quorums(views)
    if found is not None:
        print(f"counterexample: {found}")
        return 1
    pairs = len(views) * (len(views) + 1) // 2
    print(
        f"ok: every quorum of every view meets every quorum of every view ({len(views)} views, {pairs} pairs, z3)"
    )
    return 0
