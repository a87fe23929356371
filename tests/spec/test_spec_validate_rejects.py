"""Validation can fail: a recorded run with a step the spec does not allow is rejected, by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.generate import have_quint
from conformance.record import RecordedRun, record_run
from conformance.validate import validate_run


@pytest.mark.slow
def test_a_run_the_spec_allows_passes_and_a_tampered_one_is_rejected(tmp_path: Path) -> None:
    # Never skipped: without Quint this check would silently vanish. `make test` installs it.
    assert have_quint(), "spec/node_modules is not installed: run `make -C spec deps` (make test does)"
    run = record_run(5, steps_max=40)
    ok, message = validate_run(run, tmp_path)
    assert ok, message
    # The third step becomes a NEWLEADER ACK nobody sent: no spec state allows it there.
    steps = list(run.steps)
    steps[2] = ("LeaderProcessACKLD", 1, 2)
    ok, message = validate_run(RecordedRun(run.seed, run.voters, run.committed_log_max, steps), tmp_path)
    assert not ok
    assert "refuses step 3 LeaderProcessACKLD(i=1, j=2)" in message
