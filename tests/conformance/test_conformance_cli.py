"""`zabkeeper conformance replay`: progress, coverage, the summary line and the exit status."""

from __future__ import annotations

from pathlib import Path

import pytest

from zabkeeper.cli import main


def test_replay_prints_coverage_and_ends_with_the_summary(
    corpus_slice: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["conformance", "replay", str(corpus_slice[0]), str(corpus_slice[1])])
    out = capsys.readouterr().out.strip().splitlines()
    assert status == 0
    assert out[-1].startswith("traces=2 steps=") and out[-1].endswith("mismatches=0")
    assert "spec actions exercised:" in out
    assert any(line.strip().endswith("FLEHandleNotmsg") for line in out)


def test_replay_of_a_broken_trace_exits_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.itf.json"
    bad.write_text('{"states": [{"#meta": {}, "x": 1}]}')
    assert main(["conformance", "replay", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "unreadable" in out and out.strip().splitlines()[-1] == "traces=1 steps=0 mismatches=1"


def test_replay_of_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["conformance", "replay", str(tmp_path / "nope")]) == 2
