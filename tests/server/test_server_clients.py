"""Other real clients against zabkeeper: zkCli (Java, Debian's zookeeper package) driven through a
scripted session, and Apache ZooKeeper's C client (libzookeeper-mt) through a small program."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.network

ZKCLI = Path("/usr/share/zookeeper/bin/zkCli.sh")
C_SOURCE = Path(__file__).parent / "c" / "zk_smoke.c"


def test_zkcli_scripted_session(zab_server) -> None:  # type: ignore[no-untyped-def]
    if not ZKCLI.exists():
        pytest.fail("zkCli.sh missing: run scripts/install-system-deps")
    script = "\n".join(
        [
            "create /cli hello",
            "get /cli",
            "set /cli world",
            "get -s /cli",
            "create -e -s /cli/e- x",
            "ls /cli",
            "delete /cli/nonexistent",
            "quit",
        ]
    )
    result = subprocess.run(
        [str(ZKCLI), "-server", f"127.0.0.1:{zab_server.port}"],
        input=script + "\n", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    out, err = result.stdout, result.stderr
    assert "Created /cli" in err and "Created /cli/e-0000000000" in err
    assert "\nhello\n" in out and "\nworld\n" in out
    assert "dataVersion = 1" in out and "dataLength = 5" in out
    assert "[e-0000000000]" in out
    assert "Node does not exist: /cli/nonexistent" in err


def test_c_client_program(zab_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if shutil.which("gcc") is None or not Path("/usr/include/zookeeper/zookeeper.h").exists():
        pytest.fail("gcc or libzookeeper-mt-dev missing: run scripts/install-system-deps")
    binary = tmp_path / "zk_smoke"
    subprocess.run(
        ["gcc", "-O1", "-Wall", "-o", str(binary), str(C_SOURCE), "-lzookeeper_mt"], check=True, timeout=120
    )
    result = subprocess.run(
        [str(binary), f"127.0.0.1:{zab_server.port}"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "connected",
        "create 0 /c-client",
        "create-seq 0 /c-client/seq-0000000000",
        "get 0 v1 version=0 children=1",
        "set 0",
        "watch fired",
        "stale-set -103",
        "children 0 1",
        "delete-nonempty -111",
        "exists-missing -101",
        "closed",
    ]
