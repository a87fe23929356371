"""Simulator runs recorded in the spec's vocabulary, and their translation into Quint."""

from __future__ import annotations

from pathlib import Path

from conformance.record import RecordedRun, record_run
from conformance.report import SPEC_ACTIONS
from conformance.validate import SPEC_ACTIONS_I_ONLY, SPEC_ACTIONS_WITH_J, quint_module

SPEC = Path(__file__).resolve().parents[2] / "spec"


def test_a_recorded_run_uses_only_spec_actions() -> None:
    run = record_run(7, steps_max=200)
    assert len(run.steps) == 200
    names = {action for action, _, _ in run.steps}
    assert names <= set(SPEC_ACTIONS), names - set(SPEC_ACTIONS)
    assert {"FLEHandleNotmsg", "LeaderProcessFOLLOWERINFO", "FollowerProcessNEWLEADER"} <= names
    assert all(i in (1, 2, 3) for _, i, _ in run.steps)


def test_recording_is_deterministic_per_seed() -> None:
    assert record_run(11, steps_max=120).steps == record_run(11, steps_max=120).steps


def test_runs_round_trip_through_their_log(tmp_path: Path) -> None:
    run = record_run(3, steps_max=60)
    run.save(tmp_path / "run.json")
    assert RecordedRun.load(tmp_path / "run.json") == run


def test_the_quint_module_dispatches_every_action_it_may_meet(tmp_path: Path) -> None:
    run = RecordedRun(5, 3, 1, [("FLEHandleNotmsg", 1, 2), ("NodeCrash", 3, 0)])
    text = quint_module(run, "validate_run_s5", SPEC, tmp_path)
    assert '("FLEHandleNotmsg", 1, 2)' in text and "recordedRunTest" in text
    for action in SPEC_ACTIONS_WITH_J:
        assert f"{action}(i, j)" in text
    for action in SPEC_ACTIONS_I_ONLY:
        assert f"{action}(i)" in text
    assert '"../' in text or 'from "/' not in text, "Quint imports must be relative"
