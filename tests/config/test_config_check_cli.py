"""`zabkeeper check-config`: whole ensembles of zoo.cfg files, good, disjoint and malformed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from zabkeeper.cli import main

BASE = "tickTime=2000\ninitLimit=5\nsyncLimit=2\nclientPort=2181\n"


def _server_lines(sids: list[int], observers: tuple[int, ...] = ()) -> str:
    lines = [f"server.{sid}=127.0.0.1:{2000 + sid}:{3000 + sid}" for sid in sids]
    lines += [f"server.{sid}=127.0.0.1:{2000 + sid}:{3000 + sid}:observer" for sid in observers]
    return "\n".join(lines) + "\n"


def _ensemble_file(tmp_path: Path, myid: int, members: str) -> Path:
    data = tmp_path / f"data{myid}"
    data.mkdir()
    (data / "myid").write_text(f"{myid}\n")
    path = tmp_path / f"zoo{myid}.cfg"
    path.write_text(BASE + f"dataDir={data}\n" + members)
    return path


def test_agreeing_ensemble_is_proved(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    members = _server_lines([1, 2, 3, 4, 5], observers=(6,))
    files = [str(_ensemble_file(tmp_path, sid, members)) for sid in range(1, 7)]
    assert main(["check-config", *files]) == 0
    out = capsys.readouterr().out
    assert "majority of {1,2,3,4,5}, observers {6}" in out
    assert "ok: every quorum of every view meets every quorum of every view (6 views, 21 pairs, z3)" in out


def test_disagreeing_views_print_two_disjoint_quorums(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _ensemble_file(tmp_path, 1, _server_lines([1, 2, 3]))
    new = _ensemble_file(tmp_path, 4, _server_lines([1, 2, 3, 4, 5]))
    assert main(["check-config", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    pattern = rf"counterexample: view of server 1 \({re.escape(str(old))}\): \{{(.*)\}}; "
    pattern += rf"view of server 4 \({re.escape(str(new))}\): \{{(.*)\}}; they share no server"
    match = re.search(pattern, out)
    assert match is not None, out
    first, second = ({int(sid) for sid in group.split(",")} for group in match.groups())
    assert len(first) == 2 and first <= {1, 2, 3}
    assert len(second) == 3 and not first & second


def test_hierarchical_and_dynamic_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dynamic = tmp_path / "zoo.cfg.dynamic.100000000"
    dynamic.write_text(
        _server_lines(list(range(1, 7))) + "group.1=1:2:3\ngroup.2=4:5:6\nweight.1=2\nweight.4=2\n"
    )
    static = tmp_path / "zoo.cfg"
    static.write_text(
        "tickTime=2000\ninitLimit=5\nsyncLimit=2\ndataDir=/nonexistent\ndynamicConfigFile="
        + dynamic.name
        + "\n"
    )
    assert main(["check-config", str(static)]) == 0
    out = capsys.readouterr().out
    assert "hierarchical: group.1={1,2,3} group.2={4,5,6}; weights 1:2 2:1 3:1 4:2 5:1 6:1" in out


def _serve_stderr(config: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "zabkeeper", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stderr


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            "server.1=h:2888:3888\nserver.2=h:2889:x\nserver.3=h:2890:3890\n",
            "server.2: election port 'x' is not a number",
        ),
        (
            "server.1=h:2888:3888\nserver.2=h:2889:3889\nserver.3=h:2890:3890\ngroup.1=1:2\n",
            "server.3: participant 3 is in no group.x line",
        ),
    ],
)
def test_malformed_file_gets_the_servers_own_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: str, message: str
) -> None:
    config = _ensemble_file(tmp_path, 1, lines)
    assert main(["check-config", str(config)]) == 2
    printed = capsys.readouterr().out.strip()
    assert message in printed and printed.startswith(f"{config}:")
    status, stderr = _serve_stderr(config)
    assert status != 0
    assert printed in stderr, "the server must refuse to start with the same message"
