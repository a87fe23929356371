"""Data tree speed: prepare + apply per write type, in-process, as the standalone server drives it.

Each load runs the server's write path without sockets or disk: ``prepare`` a batch of requests
against the tree plus its pending changes (every request with its own RequestContext, as
``ZooKeeperServer.prepare`` builds one), then ``apply`` the batch, hand each watch trigger to an
empty WatchManager (the server asks it for every trigger) and drop the batch's pending changes.
Batches of ``--batch`` writes stand for the group commit of a loaded server.

Loads (100-byte values, open ACL, one session):
* ``setData``: unconditional setData round-robin over 16 nodes;
* ``create``: sequential persistent creates (opcode create) under one parent;
* ``delete``: unconditional deletes of the nodes ``create`` made, in creation order;
* ``createDelete``: what the standalone benchmark's load of that name does per pair of requests.

The figure is operations per second of prepare + apply (+ trigger), the median over
``--repeats`` runs of ``--ops`` operations each, counted in CPU time of this process (much less
sensitive than wall time to other work on a shared machine; still, compare runs of one machine
only), with the share of time spent in each phase.

Run: ``.venv/bin/python bench/tree/bench_tree.py [--ops 50000] [--repeats 5] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from zabkeeper.tree import records as r
from zabkeeper.tree.acl import OPEN_ACL_UNSAFE
from zabkeeper.tree.apply import apply
from zabkeeper.tree.constants import Code, CreateMode, OpCode
from zabkeeper.tree.datatree import DataTree
from zabkeeper.tree.pending import PendingChanges
from zabkeeper.tree.prepare import RequestContext, ServerOptions, WriteRequest, prepare
from zabkeeper.tree.watches import WatchManager

SESSION = 0x0100_0000_0000_0001
VALUE = bytes(100)
NODES = 16
LOADS = ("setData", "create", "delete", "createDelete")

Batch = list[tuple[OpCode, WriteRequest]]


class Bench:
    """One tree, its pending changes and an empty watch manager, with phase timers."""

    def __init__(self) -> None:
        self.tree = DataTree()
        self.pending = PendingChanges()
        self.watches = WatchManager()
        self.options = ServerOptions()
        self.zxid = 0
        self.seconds = {"prepare": 0.0, "apply": 0.0, "trigger": 0.0}
        self.created: list[str] = []

    def run_batch(self, batch: Batch) -> None:
        now = int(time.time() * 1000)
        started = time.process_time()
        prepared = []
        for cxid, (op, request) in enumerate(batch):
            self.zxid += 1
            context = RequestContext(SESSION, cxid, self.zxid, now, (), self.options)
            prepared.append(prepare(op, request, context, self.tree, self.pending))
        prepared_at = time.process_time()
        results = [apply(self.tree, txn.header, txn.txn) for txn in prepared]
        applied_at = time.process_time()
        for result in results:
            for trigger in result.triggers:
                self.watches.trigger(trigger)
        self.pending.applied(prepared[-1].header.zxid)
        triggered_at = time.process_time()
        self.seconds["prepare"] += prepared_at - started
        self.seconds["apply"] += applied_at - prepared_at
        self.seconds["trigger"] += triggered_at - applied_at
        for result in results:
            assert result.err == Code.OK, result.err
            if isinstance(result.response, r.CreateResponse):
                self.created.append(result.response.path)

    def setup(self, load: str, ops: int) -> None:
        """Nodes the load needs, outside the timed part."""
        self.run_batch([(OpCode.create, r.CreateRequest("/bench", b"", OPEN_ACL_UNSAFE, 0))])
        if load == "setData":
            self.run_batch(
                [
                    (OpCode.create, r.CreateRequest(f"/bench/n{i}", VALUE, OPEN_ACL_UNSAFE, 0))
                    for i in range(NODES)
                ]
            )
        if load == "delete":
            for start in range(0, ops, 256):
                self.run_batch([_sequential_create()] * min(256, ops - start))
        self.created.clear()
        self.seconds = dict.fromkeys(self.seconds, 0.0)


def _sequential_create() -> tuple[OpCode, WriteRequest]:
    return OpCode.create, r.CreateRequest(
        "/bench/c-", VALUE, OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL
    )


def run(load: str, ops: int, batch_size: int) -> tuple[float, dict[str, float]]:
    bench = Bench()
    bench.setup(load, ops if load == "delete" else 0)
    paths = list(bench.tree.nodes["/bench"].children)
    set_data = [(OpCode.setData, r.SetDataRequest(f"/bench/n{i}", VALUE, -1)) for i in range(NODES)]
    started = time.process_time()
    done = 0
    while done < ops:
        batch: Batch
        size = min(batch_size, ops - done)
        if load == "setData":
            batch = [set_data[(done + i) % NODES] for i in range(size)]
        elif load == "create":
            batch = [_sequential_create()] * size
        elif load == "delete":
            batch = [
                (OpCode.delete, r.DeleteRequest(f"/bench/{name}", -1)) for name in paths[done : done + size]
            ]
        else:
            # Half creates, half deletes of what the previous batch created (as a loaded client).
            deletes: Batch = [
                (OpCode.delete, r.DeleteRequest(path, -1)) for path in bench.created[: size // 2]
            ]
            del bench.created[: size // 2]
            batch = [_sequential_create()] * (size - len(deletes)) + deletes
        bench.run_batch(batch)
        done += size
    elapsed = time.process_time() - started
    total = sum(bench.seconds.values())
    return ops / elapsed, {phase: seconds / total for phase, seconds in bench.seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--loads", default=",".join(LOADS))
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    print(
        f"load average {os.getloadavg()[0]:.2f}; {args.ops} ops x {args.repeats} repeats, batches of {args.batch}"
    )
    summary = {}
    for load in args.loads.split(","):
        assert load in LOADS, load
        runs = [run(load, args.ops, args.batch) for _ in range(args.repeats)]
        rate = statistics.median(rate for rate, _ in runs)
        shares = {phase: statistics.median(share[phase] for _, share in runs) for phase in runs[0][1]}
        summary[load] = {"ops_per_s": rate, "us_per_op": 1e6 / rate, "phase_share": shares}
        phases = "  ".join(f"{phase} {share:4.0%}" for phase, share in shares.items())
        print(f"{load:12s} {rate:10,.0f} ops/s  {1e6 / rate:6.2f} us/op   {phases}")
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "load_average": os.getloadavg(),
                    "settings": vars(args) | {"json": str(args.json)},
                    "summary": summary,
                },
                indent=1,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
