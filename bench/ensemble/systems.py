"""The two 3-server ensembles the benchmark compares, behind one small interface.

``ZabkeeperEnsemble`` is ``zabkeeper.cli.local_ensemble.LocalEnsemble`` (real ``zabkeeper serve``
processes); ``ApacheEnsemble`` runs Debian's Apache ZooKeeper 3.8 (QuorumPeerMain, fsync on, as
shipped) with the same zoo.cfg timings. Both pick free ports, keep one work directory per server,
and signal their processes only by pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Protocol

from zabkeeper.cli.local_ensemble import LocalEnsemble, free_port

ZOOKEEPER_JAR = Path("/usr/share/java/zookeeper.jar")
ZOOKEEPER_CONF_DIR = Path("/etc/zookeeper/conf")
TIMINGS = {"tickTime": 2000, "initLimit": 10, "syncLimit": 5}


def four_letter(port: int, word: str, timeout: float = 2.0) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(word.encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks).decode("utf-8", "replace")


def mode_of(port: int) -> str | None:
    with contextlib.suppress(OSError):
        for line in four_letter(port, "srvr").splitlines():
            if line.startswith("Mode: "):
                return line[6:]
    return None


class Ensemble(Protocol):
    name: str

    @property
    def ports(self) -> dict[int, int]: ...

    def start(self, sid: int) -> None: ...

    def kill(self, sid: int) -> None: ...

    def close(self) -> None: ...


def leader_of(ensemble: Ensemble) -> int | None:
    modes = {sid: mode_of(port) for sid, port in ensemble.ports.items()}
    leaders = [sid for sid, mode in modes.items() if mode == "leader"]
    return leaders[0] if len(leaders) == 1 else None


def wait_serving(ensemble: Ensemble, sids: list[int], timeout_s: float = 90.0) -> int:
    """Wait until ``sids`` all serve (srvr answers a mode) with exactly one leader among them."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        modes = {sid: mode_of(ensemble.ports[sid]) for sid in sids}
        leaders = [sid for sid, mode in modes.items() if mode == "leader"]
        if all(mode in ("leader", "follower") for mode in modes.values()) and len(leaders) == 1:
            return leaders[0]
        time.sleep(0.1)
    raise TimeoutError(f"{ensemble.name}: servers {sids} not serving within {timeout_s}s")


class ZabkeeperEnsemble:
    name = "zabkeeper"

    def __init__(self, base_dir: Path) -> None:
        self.local = LocalEnsemble(
            base_dir,
            tick_time=TIMINGS["tickTime"],
            init_limit=TIMINGS["initLimit"],
            sync_limit=TIMINGS["syncLimit"],
        )
        self.local.start_all()

    @property
    def ports(self) -> dict[int, int]:
        return {sid: member.client_port for sid, member in self.local.members.items()}

    def pids(self) -> dict[int, int]:
        return {sid: m.process.pid for sid, m in self.local.members.items() if m.process is not None}

    def start(self, sid: int) -> None:
        self.local.start(sid)

    def kill(self, sid: int) -> None:
        self.local.kill(sid)

    def close(self) -> None:
        self.local.close()


class ApacheEnsemble:
    name = "zookeeper-3.8"

    def __init__(self, base_dir: Path, heap: str = "512m") -> None:
        self.base_dir = base_dir
        self.heap = heap
        self.processes: dict[int, subprocess.Popen[bytes]] = {}
        self.client_ports = {sid: free_port() for sid in (1, 2, 3)}
        peer_ports = {sid: (free_port(), free_port()) for sid in (1, 2, 3)}
        servers = "".join(
            f"server.{sid}=127.0.0.1:{quorum}:{election}\n" for sid, (quorum, election) in peer_ports.items()
        )
        for sid, port in self.client_ports.items():
            workdir = base_dir / f"zk{sid}"
            (workdir / "data").mkdir(parents=True, exist_ok=True)
            (workdir / "data" / "myid").write_text(f"{sid}\n")
            settings = {
                **TIMINGS,
                "dataDir": workdir / "data",
                "clientPort": port,
                "clientPortAddress": "127.0.0.1",
                "4lw.commands.whitelist": "*",
                "maxClientCnxns": 0,
                "admin.enableServer": "false",
            }
            text = "".join(f"{key}={value}\n" for key, value in settings.items()) + servers
            (workdir / "zoo.cfg").write_text(text)
        for sid in self.client_ports:
            self.start(sid)

    @property
    def ports(self) -> dict[int, int]:
        return dict(self.client_ports)

    def pids(self) -> dict[int, int]:
        return {sid: process.pid for sid, process in self.processes.items() if process.poll() is None}

    def start(self, sid: int) -> None:
        workdir = self.base_dir / f"zk{sid}"
        command = [
            "java", f"-Xmx{self.heap}", f"-Xms{self.heap}", "-XX:+UseParallelGC",
            "-cp", f"{ZOOKEEPER_CONF_DIR}:{ZOOKEEPER_JAR}",
            f"-Dzookeeper.log.dir={workdir}", "-Dzookeeper.root.logger=WARN,CONSOLE",
            "-Dzookeeper.jmx.log4j.disable=true",
            "org.apache.zookeeper.server.quorum.QuorumPeerMain", str(workdir / "zoo.cfg"),
        ]  # fmt: skip
        with (workdir / "server.log").open("ab") as log:
            self.processes[sid] = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True
            )

    def kill(self, sid: int) -> None:
        process = self.processes[sid]
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)

    def close(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(5)
