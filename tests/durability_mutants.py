"""ACK-before-durable mutants of the core, for tests only.

Each mutant wraps one learner handler of the core so that the step still takes its durable
writes but no longer asks for them to be synced before its messages leave (``Ready.must_sync``
is cleared). Every message such a step sends promises something about the sender's disk, so each
mutant is a bug of the class ZooKeeper's sync phase suffered again and again (ZOOKEEPER-2845,
-3911, -4643, -4646, -4685). The simulator, conformance replay and the tests must each turn red
under every one of them; the tests that show it import this module (``tests`` is on pytest's
``pythonpath``).

Paths, by the message that leaves too early:

* ``proposal``: FollowerProcessPROPOSAL logs the proposal and ACKs it before the log is synced;
* ``newleader``: FollowerProcessNEWLEADER logs the synced txns and writes currentEpoch, and ACKs
  NEWLEADER (and the synced proposals of the new epoch) before either is synced;
* ``uptodate``: FollowerProcessUPTODATE logs the proposals queued during sync and ACKs them before
  the log is synced;
* ``ackepoch``: a learner (re)connecting to a leader accepts the new epoch and answers ACKEPOCH
  before acceptedEpoch is synced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from zabkeeper.core.learner import _HANDLERS, Learner, LearnerPhase
from zabkeeper.core.messages import LeaderInfo, NewLeader, Proposal, UpToDate
from zabkeeper.core.ready import Ready

Handler = Callable[[Learner, Any, Ready], None]

# The learner dispatch entry each mutant replaces.
PATHS: dict[str, tuple[LearnerPhase, type]] = {
    "proposal": (LearnerPhase.BROADCAST, Proposal),
    "newleader": (LearnerPhase.SYNCING, NewLeader),
    "uptodate": (LearnerPhase.NEWLEADER_ACKED, UpToDate),
    "ackepoch": (LearnerPhase.CONNECTING, LeaderInfo),
}


def _unsynced(handler: Handler) -> Handler:
    def buggy(self: Learner, packet: Any, out: Ready) -> None:
        handler(self, packet, out)
        out.must_sync = False

    return buggy


@contextmanager
def ack_before_durable(path: str) -> Iterator[None]:
    """Inject the mutant of ``path`` (one of ``PATHS``) into the core while the block runs."""
    key = PATHS[path]
    original = _HANDLERS[key]
    _HANDLERS[key] = _unsynced(original)
    try:
        yield
    finally:
        _HANDLERS[key] = original
