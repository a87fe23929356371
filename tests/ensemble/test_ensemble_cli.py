"""``zabkeeper ensemble`` end to end: banner and connect string, commands from another shell, and
Ctrl-C stopping every member."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kazoo.client import KazooClient

pytestmark = pytest.mark.network


def zabkeeper(*args: str, directory: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "zabkeeper", "ensemble", *args, "--dir", str(directory)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def member_pids(directory: Path) -> set[int]:
    """Pids of processes whose command line names a zoo.cfg under ``directory``."""
    pids = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "serve --config" in cmdline and str(directory) in cmdline:
                pids.add(int(proc.name))
    return pids


def test_the_ensemble_command_runs_and_pokes_a_local_ensemble(tmp_path: Path) -> None:
    directory = tmp_path / "ens"
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "zabkeeper", "ensemble", "--size", "3", "--dir", str(directory)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert supervisor.stdout is not None
        connect = None
        deadline = time.monotonic() + 60
        while connect is None and time.monotonic() < deadline:
            line = supervisor.stdout.readline()
            assert line, "the supervisor exited before printing the connect string"
            if line.startswith("connect string: "):
                connect = line.split(": ", 1)[1].strip()
        assert connect is not None and connect.count(",") == 2
        client = KazooClient(hosts=connect, timeout=10)
        client.start(timeout=30)
        client.create("/from-cli", b"ok")
        client.stop()
        client.close()

        status = zabkeeper("status", directory=directory)
        assert status.returncode == 0 and status.stdout.count("serving=True") == 3, status.stdout
        assert zabkeeper("kill", "2", directory=directory).stdout.startswith("ok")
        assert "server 2: down" in zabkeeper("status", directory=directory).stdout
        assert zabkeeper("restart", "2", directory=directory).stdout.startswith("ok")
        assert zabkeeper("kill", directory=directory).returncode == 2, "kill needs a member number"
        assert len(member_pids(directory)) == 3
    finally:
        if supervisor.poll() is None:
            os.kill(supervisor.pid, signal.SIGINT)
            supervisor.wait(30)
    deadline = time.monotonic() + 10
    while member_pids(directory) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not member_pids(directory), "Ctrl-C must stop every member"
    assert supervisor.returncode == 0
