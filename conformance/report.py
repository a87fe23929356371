"""Replaying many traces: a progress bar, failure reports, action coverage and the summary line.

The summary's last line is always ``traces=T steps=S mismatches=M``; the coverage table says
which spec actions the replayed traces exercised and how often (and which they never reached).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from conformance.replay import ReplayResult, replay_file, trace_files

# Every action of spec/zab.qnt's step, so the coverage table can name the ones never exercised.
SPEC_ACTIONS = [
    "FLEHandleNotmsg",
    "FLEReceiveNotmsg",
    "FLENotmsgTimeout",
    "FLEWaitNewNotmsg",
    "ConnectAndFollowerSendFOLLOWERINFO",
    "LeaderProcessFOLLOWERINFO",
    "FollowerProcessLEADERINFO",
    "LeaderProcessACKEPOCH",
    "FollowerProcessSyncMessage",
    "FollowerProcessPROPOSALInSync",
    "FollowerProcessCOMMITInSync",
    "ObserverProcessINFORMInSync",
    "FollowerProcessNEWLEADER",
    "FollowerProcessNEWLEADERLogTxns",
    "FollowerProcessNEWLEADERWriteEpoch",
    "FollowerProcessNEWLEADERSendACK",
    "LeaderProcessACKLD",
    "FollowerProcessUPTODATE",
    "LeaderProcessRequest",
    "FollowerProcessPROPOSAL",
    "LeaderProcessACK",
    "FollowerProcessCOMMIT",
    "ObserverProcessINFORM",
    "LeaderProcessUnexpectedPacket",
    "LearnerProcessUnexpectedPacket",
    "FilterNonexistentMessage",
    "ConnectionLost",
    "LearnerTimeout",
    "LeaderTimeout",
    "TakeSnapshot",
    "NodeCrash",
    "NodeStart",
    "PartitionStart",
    "PartitionRecover",
]


class ProgressSink(Protocol):
    """What a progress bar must do (the CLI passes ``zabkeeper.cli.progress.Progress``)."""

    def advance(self, note: str = "") -> None: ...

    def finish(self) -> None: ...


class _Silent:
    def advance(self, note: str = "") -> None:
        return None

    def finish(self) -> None:
        return None


@dataclass
class ReplaySummary:
    traces: int = 0
    steps: int = 0
    failures: list[ReplayResult] = field(default_factory=list)
    actions: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def mismatches(self) -> int:
        return len(self.failures)

    def add(self, result: ReplayResult) -> None:
        self.traces += 1
        self.steps += result.steps
        self.actions.update(result.actions)
        if not result.ok:
            self.failures.append(result)

    def coverage(self) -> str:
        lines = ["spec actions exercised:"]
        for action in sorted(set(SPEC_ACTIONS) | set(self.actions), key=lambda a: -self.actions[a]):
            lines.append(f"  {self.actions[action]:>7}  {action}")
        return "\n".join(lines)

    def summary_line(self) -> str:
        return f"traces={self.traces} steps={self.steps} mismatches={self.mismatches}"


def replay_paths(
    paths: Iterable[Path],
    jobs: int = 1,
    out: TextIO | None = None,
    progress_for: Callable[[int], ProgressSink] | None = None,
) -> ReplaySummary:
    out = out if out is not None else sys.stdout
    files = list(trace_files(paths))
    summary = ReplaySummary()
    progress = progress_for(len(files)) if progress_for is not None else _Silent()
    started = time.monotonic()
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results: Iterable[ReplayResult] = pool.map(replay_file, files, chunksize=4)
            _collect(results, summary, progress, out)
    else:
        _collect(map(replay_file, files), summary, progress, out)
    progress.finish()
    summary.seconds = time.monotonic() - started
    return summary


def _collect(
    results: Iterable[ReplayResult], summary: ReplaySummary, progress: ProgressSink, out: TextIO
) -> None:
    for result in results:
        summary.add(result)
        if not result.ok:
            print(result.report(), file=out, flush=True)
        progress.advance(f"mismatches={summary.mismatches}")


def print_summary(summary: ReplaySummary, out: TextIO | None = None) -> None:
    out = out if out is not None else sys.stdout
    print(summary.coverage(), file=out)
    rate = summary.steps / summary.seconds if summary.seconds > 0 else 0.0
    print(f"replayed {summary.steps} steps in {summary.seconds:.1f}s ({rate:.0f} steps/s)", file=out)
    print(summary.summary_line(), file=out, flush=True)
