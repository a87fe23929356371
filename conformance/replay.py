"""Replay spec traces against the real core and report the first divergence.

For each trace: boot an ensemble of core ``Peer``s from the trace's initial disks, compare the
projections, then apply every step through the ``Driver`` and compare again. The verdict is the
first of missing_action (the code cannot take the step), unexpected_action (the code took a
different one) or incorrect_state (both stepped, the states differ), with the trace, its seed,
the step and a diff; or ok.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from conformance.driver import Driver, Mismatch, initial_log
from conformance.ensemble import Ensemble
from conformance.instances import instance_named
from conformance.itf import ItfError
from conformance.projection import diff, project_impl, project_spec
from conformance.trace import SpecTrace, load_trace

DIFF_LINES_MAX = 12


@dataclass
class ReplayResult:
    path: Path
    seed: str
    steps: int
    verdict: str | None = None
    step: int | None = None
    action: str = ""
    detail: list[str] = field(default_factory=list)
    actions: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return self.verdict is None

    def report(self) -> str:
        if self.ok:
            return f"{self.path}: ok ({self.steps} steps)"
        lines = [
            f"{self.path}: {self.verdict} at step {self.step} {self.action} (seed {self.seed})",
            *(f"    {line}" for line in self.detail[:DIFF_LINES_MAX]),
        ]
        if len(self.detail) > DIFF_LINES_MAX:
            lines.append(f"    ... {len(self.detail) - DIFF_LINES_MAX} more differences")
        return "\n".join(lines)


def boot(trace: SpecTrace) -> tuple[Ensemble, Driver]:
    """The implementation in the trace's initial state."""
    nodes = trace.steps[0].state["nodes"]
    observers = frozenset(sid for sid, n in nodes.items() if n["fle"]["initVote"]["leader"] == -1)
    voters = frozenset(nodes) - observers
    instance = instance_named(trace.source)
    ensemble = Ensemble(instance, voters, observers)
    for sid, n in sorted(nodes.items()):
        ensemble.boot(sid, n["acceptedEpoch"], n["currentEpoch"], initial_log(n["history"]))
    for sid in sorted(nodes):
        ensemble.start(sid)
    return ensemble, Driver(ensemble, instance)


def replay_trace(trace: SpecTrace) -> ReplayResult:
    result = ReplayResult(trace.path, trace.seed, steps=0)
    ensemble, driver = boot(trace)
    previous = trace.steps[0]
    for step in trace.steps:
        if step.index > 0:
            result.actions[step.action] += 1
            try:
                driver.apply(step.action, step.picks, previous.state)
            except Mismatch as mismatch:
                return _fail(result, step.index, step.describe(), mismatch.verdict, [mismatch.detail])
            except AssertionError as exc:
                # A core assertion is the implementation refusing a state the spec reached.
                return _fail(
                    result, step.index, step.describe(), "incorrect_state", [f"core assertion: {exc!r}"]
                )
        lines = diff(project_spec(step.state), project_impl(ensemble))
        if lines:
            return _fail(result, step.index, step.describe(), "incorrect_state", lines)
        result.steps = step.index
        previous = step
    return result


def _fail(result: ReplayResult, index: int, action: str, verdict: str, detail: list[str]) -> ReplayResult:
    result.verdict, result.step, result.action, result.detail = verdict, index, action, detail
    return result


def trace_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The ITF files named, or found under the folders named, in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.name.endswith((".itf.json", ".itf.json.gz")))
        else:
            yield path


def replay_file(path: Path) -> ReplayResult:
    try:
        trace = load_trace(path)
    except ItfError as exc:
        return ReplayResult(path, "?", 0, verdict="unreadable", step=0, detail=[str(exc)])
    return replay_trace(trace)
