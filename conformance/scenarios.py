"""Build the spec's scenario tests (spec/zab_test.qnt, spec/zab_bugs_test.qnt) from traces.

Scenario runs are found by the spec itself: ``quint run`` with the negation of a witness as the
invariant stops at a trace that reaches it (a TRUNC, a SNAP, ...); ``traces/regressions/`` keeps
those traces, and this module turns each into a Quint ``run`` that replays its steps and expects
the witness plus every invariant. Bug runs come from the variant instances of spec/zab_bugs.qnt
(``traces/variants/``): each becomes a run of its variant that expects the broken invariant to
fail, and a run of the fixed spec along the same steps (NEWLEADER sub-steps in the fixed order),
as far as the fixed spec takes them, that expects the invariant to hold.

Regenerate with ``python -m conformance.scenarios`` (needs Quint: see spec/README.md).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

from conformance.generate import SPEC_DIR
from conformance.record import RecordedRun
from conformance.validate import (
    FIXED_ORDER,
    first_refused_step,
    instance_import,
    quint_module,
    quint_run,
    trace_steps,
)

REPO = SPEC_DIR.parent
REGRESSIONS = REPO / "traces" / "regressions"
VARIANTS = REPO / "traces" / "variants"

WITNESSES = {
    "clean-election": "WitnessAllServing",
    "diff-catch-up": "WitnessDiffCatchUp",
    "trunc-diverged-log": "WitnessTrunc",
    "snap-lagging-follower": "WitnessSnap",
    "leader-change-after-commit": "WitnessLeaderChangeAfterCommit",
    "commit-in-epoch-2": "WitnessCommitInEpoch2",
}
OBSERVER_WITNESSES = {"observer-inform": "WitnessObserverInformed"}

# bug -> (variant module, NEWLEADER order, BUGS flags, the invariant it breaks)
BUGS = {
    "zk-4643": ("zab_zk4643", "[NL_WRITE_EPOCH, NL_LOG_TXNS, NL_SEND_ACK]", "", "LeaderLogCompleteness"),
    "zk-4646": ("zab_zk4646", "[NL_WRITE_EPOCH, NL_SEND_ACK, NL_LOG_TXNS]", "", "LeaderLogCompleteness"),
    "zk-3911": ("zab_zk3911", "[NL_WRITE_EPOCH, NL_SEND_ACK]", "", "LeaderLogCompleteness"),
    "zk-4685": ("zab_zk4685", FIXED_ORDER, '"ZK-4685"', "MessageLegal"),
    "zk-2845": ("zab_zk2845", FIXED_ORDER, '"ZK-2845"', "ProcessConsistency"),
}
SUB_STEPS = (
    "FollowerProcessNEWLEADERLogTxns",
    "FollowerProcessNEWLEADERWriteEpoch",
    "FollowerProcessNEWLEADERSendACK",
)
FIXED_SUB_STEPS = ("FollowerProcessNEWLEADERWriteEpoch", "FollowerProcessNEWLEADERSendACK")


def camel(name: str) -> str:
    parts = re.split(r"[^a-zA-Z0-9]+", name)
    return parts[0] + "".join(part.capitalize() for part in parts[1:])


def to_fixed_order(steps: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """The same steps with each follower's NEWLEADER sub-steps renamed to the fixed order."""
    remaining: dict[int, list[str]] = {}
    out = []
    for action, i, j in steps:
        if action == "FollowerProcessNEWLEADER":
            remaining[i] = list(FIXED_SUB_STEPS)
        elif action in SUB_STEPS:
            queue = remaining.get(i) or []
            if not queue:
                continue
            action = queue.pop(0)
        elif action == "NodeCrash":
            remaining.pop(i, None)
        out.append((action, i, j))
    return out


def scenario_runs(files: dict[str, str], observers: bool) -> str:
    runs = []
    for name, witness in files.items():
        path = REGRESSIONS / f"{name}.itf.json.gz"
        if path.exists():
            scenario, rotation, steps = trace_steps(path)
            runs.append(
                quint_run(f"{camel(name)}Test", scenario, rotation, steps, f"{witness} and AllInvariants")
            )
    voters = "1, 2, 3"
    header = instance_import(".", voters, 1)
    if observers:
        header = header.replace("OBSERVERS = Set()", "OBSERVERS = Set(4)")
    return header + "\n" + "\n".join(runs)


def fixed_prefix(scenario: int, rotation: int, steps: list[tuple[str, int, int]]) -> int:
    """How many of ``steps`` the fixed spec takes from the same initial state."""
    with tempfile.TemporaryDirectory(prefix="zab-fixed-", dir=SPEC_DIR) as tmp:
        workdir = Path(tmp)
        spec = os.path.relpath(SPEC_DIR, workdir)
        run = RecordedRun(0, 3, 1, steps)
        module = workdir / "fixed_prefix.qnt"
        module.write_text(
            quint_module(
                run,
                "fixed_prefix",
                SPEC_DIR,
                workdir,
                instance_import(spec, "1, 2, 3", 1),
                f"initWith({scenario}, {rotation})",
            )
        )
        return first_refused_step(module, len(steps), SPEC_DIR)


def bug_modules() -> str:
    modules = []
    for bug, (variant, order, flags, invariant) in BUGS.items():
        path = VARIANTS / f"{bug}.itf.json.gz"
        if not path.exists():
            continue
        scenario, rotation, steps = trace_steps(path)
        modules.append(
            f"/// {bug}: the variant breaks {invariant}.\nmodule {variant}_test {{\n"
            + instance_import(".", "1, 2, 3", 1, order, flags)
            + "\n"
            + quint_run(f"{camel(bug)}VariantBreaksTest", scenario, rotation, steps, f"not({invariant})")
            + "}\n"
        )
    return "\n".join(modules)


def fixed_runs() -> str:
    runs = []
    for bug, (_variant, _order, _flags, invariant) in BUGS.items():
        path = VARIANTS / f"{bug}.itf.json.gz"
        if not path.exists():
            continue
        scenario, rotation, steps = trace_steps(path)
        mapped = to_fixed_order(steps)
        taken = fixed_prefix(scenario, rotation, mapped)
        runs.append(
            quint_run(
                f"{camel(bug)}ShapeHoldsTest",
                scenario,
                rotation,
                mapped[:taken],
                f"{invariant} and AllInvariants",
            )
        )
    return "\n".join(runs)


def main() -> int:
    head = "// -*- mode: Bluespec; -*-\n// Generated by `python -m conformance.scenarios` from traces/; do not edit by hand.\n"
    test = (
        head
        + "/// Scenario runs of the fixed spec: each replays a trace that reaches a witness (a clean\n"
        + "/// election, a DIFF, a TRUNC, a SNAP, ...) and the shapes of ZooKeeper's bugs, where every\n"
        + "/// invariant holds.\nmodule zab_test {\n"
        + scenario_runs(WITNESSES, observers=False)
        + fixed_runs()
        + "}\n\n/// The observer scenario (3 voters and observer 4).\nmodule zab_obs_test {\n"
        + scenario_runs(OBSERVER_WITNESSES, observers=True)
        + "}\n"
    )
    (SPEC_DIR / "zab_test.qnt").write_text(test)
    bugs = (
        head
        + "/// Each of ZooKeeper's old behaviours (spec/zab_bugs.qnt) breaks its invariant.\n"
        + bug_modules()
    )
    (SPEC_DIR / "zab_bugs_test.qnt").write_text(bugs)
    print("wrote spec/zab_test.qnt and spec/zab_bugs_test.qnt", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
