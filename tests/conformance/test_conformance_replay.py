"""Replay: committed traces conform, and the replayer's verdicts can fail."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

from conformance.replay import replay_file, replay_trace
from conformance.trace import SpecTrace, load_trace


def test_a_slice_of_the_corpus_conforms(corpus_slice: list[Path]) -> None:
    results = [replay_file(path) for path in corpus_slice]
    failures = [result.report() for result in results if not result.ok]
    assert not failures, "\n".join(failures)
    assert sum(result.steps for result in results) > 3000


def _tamper_state(trace: SpecTrace, index: int) -> SpecTrace:
    steps = list(trace.steps)
    state = copy.deepcopy(steps[index].state)
    node = state["nodes"][1]
    node["acceptedEpoch"] = node["acceptedEpoch"] + 7
    steps[index] = replace(steps[index], state=state)
    return replace(trace, steps=steps)


def test_a_state_the_code_does_not_reach_is_incorrect_state(corpus_slice: list[Path]) -> None:
    trace = _tamper_state(load_trace(corpus_slice[0]), 5)
    result = replay_trace(trace)
    assert result.verdict == "incorrect_state" and result.step == 5
    assert any(line.startswith("nodes.1.acceptedEpoch: spec=") for line in result.detail), result.detail
    assert "seed" in result.report() and "step 5" in result.report()


def test_a_step_the_code_cannot_take_is_missing_action(corpus_slice: list[Path]) -> None:
    trace = load_trace(corpus_slice[0])
    steps = list(trace.steps)
    # At step 1 nobody leads yet: a request at server 1 is refused by the core.
    steps[1] = replace(steps[1], action="LeaderProcessRequest", picks={"i": 1})
    result = replay_trace(replace(trace, steps=steps))
    assert result.verdict == "missing_action", result.report()
    assert "refused" in result.detail[0]
    # Restarting a server that is up is not a step the implementation can take either.
    steps[1] = replace(steps[1], action="NodeStart", picks={"i": 2})
    result = replay_trace(replace(trace, steps=steps))
    assert result.verdict == "missing_action" and "already up" in result.detail[0]


def test_an_unknown_action_is_missing(corpus_slice: list[Path]) -> None:
    trace = load_trace(corpus_slice[1])
    steps = list(trace.steps)
    steps[1] = replace(steps[1], action="LeaderAbdicatesForFun")
    result = replay_trace(replace(trace, steps=steps))
    assert result.verdict == "missing_action" and "does not know" in result.detail[0]


def test_an_unreadable_file_is_reported_not_raised(tmp_path: Path) -> None:
    bad = tmp_path / "broken.itf.json"
    bad.write_text("{")
    result = replay_file(bad)
    assert result.verdict == "unreadable" and not result.ok


def test_the_named_regressions_conform() -> None:
    regressions = sorted(
        (Path(__file__).resolve().parents[2] / "traces" / "regressions").glob("*.itf.json.gz")
    )
    assert {path.name.split(".")[0] for path in regressions} >= {
        "clean-election",
        "diff-catch-up",
        "trunc-diverged-log",
        "snap-lagging-follower",
        "leader-change-after-commit",
        "observer-inform",
    }
    failures = [result.report() for result in map(replay_file, regressions) if not result.ok]
    assert not failures, "\n".join(failures)


def test_the_corpus_covers_every_action_the_fixed_protocol_takes(corpus_files: list[Path]) -> None:
    from conformance.itf import read_json
    from conformance.report import SPEC_ACTIONS

    seen = {state["mbt::actionTaken"] for path in corpus_files for state in read_json(path)["states"]}
    never = {
        "FollowerProcessNEWLEADERLogTxns",
        "LeaderProcessUnexpectedPacket",
    }  # variants / MessageLegal only
    assert set(SPEC_ACTIONS) - never <= seen, sorted(set(SPEC_ACTIONS) - never - seen)


def test_the_core_is_none_of_the_bug_variants() -> None:
    """Each variant trace (spec/zab_bugs.qnt with one of ZooKeeper's old behaviours) diverges from
    the core, at the step where the old behaviour differs."""
    variants = sorted((Path(__file__).resolve().parents[2] / "traces" / "variants").glob("*.itf.json.gz"))
    assert len(variants) == 5
    for result in map(replay_file, variants):
        assert result.verdict in ("incorrect_state", "unexpected_action", "missing_action"), result.report()
