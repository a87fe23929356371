"""A local ensemble of real ``zabkeeper serve`` processes on 127.0.0.1, for developers and tests.

``LocalEnsemble`` writes one zoo.cfg and ``myid`` per member (free ports found by binding port 0,
one data directory each), starts each member as its own process with a control socket, and can
kill (-9), stop, restart, pause (SIGSTOP), resume, isolate (a partition at the transport: the
member drops all traffic with every other member, and they with it) and heal members while the
others run. Processes are only ever signalled by their own pid, and each member is told by the
kernel to stop when the process that started it dies. ``zabkeeper ensemble`` drives it,
and so do the ensemble tests and benchmarks.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zabkeeper.server.control import control_request

UNIX_PATH_MAX = 100
PR_SET_PDEATHSIG = 1
START_TIMEOUT_S = 30.0


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the process that started it dies (Linux's
    PR_SET_PDEATHSIG), so a killed supervisor or test run never leaves members behind."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def four_letter(port: int, word: str, timeout: float = 3.0) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(word.encode("ascii"))
        chunks: list[bytes] = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks).decode("utf-8", "replace")
            chunks.append(chunk)


@dataclass
class Member:
    sid: int
    observer: bool
    client_port: int
    quorum_port: int
    election_port: int
    metrics_port: int
    workdir: Path
    control_path: Path
    process: subprocess.Popen[bytes] | None = None
    paused: bool = False

    @property
    def config_path(self) -> Path:
        return self.workdir / "zoo.cfg"

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def server_line(self) -> str:
        role = "observer" if self.observer else "participant"
        return f"127.0.0.1:{self.quorum_port}:{self.election_port}:{role};127.0.0.1:{self.client_port}"


@dataclass
class LocalEnsemble:
    """Members 1..size vote; size+1..size+observers observe."""

    base_dir: Path
    size: int = 3
    observers: int = 0
    tick_time: int = 2000
    init_limit: int = 10
    sync_limit: int = 5
    settings: Mapping[str, object] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)

    def __post_init__(self) -> None:
        assert self.size >= 1 and self.observers >= 0
        self.base_dir = self.base_dir.resolve()
        self.base_dir.mkdir(parents=True, exist_ok=True)
        socket_dir = self.base_dir
        if len(str(socket_dir / "m99.sock")) > UNIX_PATH_MAX:
            socket_dir = Path(tempfile.mkdtemp(prefix="zk-ens-"))
        for sid in range(1, self.size + self.observers + 1):
            workdir = self.base_dir / f"m{sid}"
            self.members[sid] = Member(
                sid, sid > self.size, free_port(), free_port(), free_port(), free_port(),
                workdir, socket_dir / f"m{sid}.sock",
            )  # fmt: skip
        self.write_configs()

    # --- configuration -------------------------------------------------------------------------

    def write_configs(self) -> None:
        servers = "".join(f"server.{m.sid}={m.server_line()}\n" for m in self.members.values())
        for member in self.members.values():
            data_dir = member.workdir / "data"
            data_dir.mkdir(parents=True, exist_ok=True)
            (data_dir / "myid").write_text(f"{member.sid}\n")
            settings: dict[str, object] = {
                "tickTime": self.tick_time,
                "initLimit": self.init_limit,
                "syncLimit": self.sync_limit,
                "dataDir": data_dir,
                "4lw.commands.whitelist": "*",
                "maxClientCnxns": 0,
                "metricsProvider.httpPort": member.metrics_port,
                "metricsProvider.httpHost": "127.0.0.1",
            }
            if member.observer:
                settings["peerType"] = "observer"
            settings.update(self.settings)
            text = "".join(f"{key}={value}\n" for key, value in settings.items()) + servers
            member.config_path.write_text(text, encoding="utf-8")

    @property
    def connect_string(self) -> str:
        return ",".join(f"127.0.0.1:{m.client_port}" for m in self.members.values())

    # --- processes -----------------------------------------------------------------------------

    def start(self, sid: int) -> None:
        member = self.members[sid]
        assert not member.alive, f"server {sid} is running"
        command = [
            sys.executable, "-m", "zabkeeper", "serve", "--config", str(member.config_path),
            "--control-socket", str(member.control_path),
        ]  # fmt: skip
        with member.log_path.open("ab") as log_file:
            member.process = subprocess.Popen(
                command,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=member.workdir,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        member.paused = False

    def start_all(self, attempts: int = 3) -> None:
        """Start every member. Free ports are only probed, so another process on the machine may
        take one first: a member that cannot listen makes the whole ensemble move to new ports."""
        for attempt in range(attempts):
            for sid in self.members:
                self.start(sid)
            if self._all_listening():
                return
            self.close()
            if attempt + 1 < attempts:
                self._new_ports()
        raise RuntimeError(f"the members could not start; see {self.base_dir}/m*/server.log")

    def _all_listening(self, timeout_s: float = START_TIMEOUT_S) -> bool:
        """True once every member answers on its control socket; False if one exited first."""
        deadline = time.monotonic() + timeout_s
        waiting = set(self.members)
        while waiting and time.monotonic() < deadline:
            for sid in sorted(waiting):
                member = self.members[sid]
                if not member.alive:
                    return False
                with contextlib.suppress(OSError, ValueError):
                    self.status(sid)
                    waiting.discard(sid)
            time.sleep(0.05)
        return not waiting

    def _new_ports(self) -> None:
        for member in self.members.values():
            member.client_port, member.quorum_port = free_port(), free_port()
            member.election_port, member.metrics_port = free_port(), free_port()
        self.write_configs()

    def kill(self, sid: int) -> None:
        """kill -9: no chance to close anything cleanly (the kernel still closes its sockets)."""
        self._signal(sid, signal.SIGKILL)
        self._reap(sid, 10)

    def stop(self, sid: int, timeout_s: float = 15.0) -> None:
        member = self.members[sid]
        if not member.alive:
            return
        if member.paused:
            self.resume(sid)
        self._signal(sid, signal.SIGTERM)
        if not self._reap(sid, timeout_s):
            self.kill(sid)

    def restart(self, sid: int) -> None:
        if self.members[sid].alive:
            self.stop(sid)
        self.start(sid)

    def pause(self, sid: int) -> None:
        self._signal(sid, signal.SIGSTOP)
        self.members[sid].paused = True

    def resume(self, sid: int) -> None:
        self._signal(sid, signal.SIGCONT)
        self.members[sid].paused = False

    def _signal(self, sid: int, sig: int) -> None:
        member = self.members[sid]
        if member.alive:
            assert member.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.kill(member.process.pid, sig)

    def _reap(self, sid: int, timeout_s: float) -> bool:
        process = self.members[sid].process
        if process is None:
            return True
        try:
            process.wait(timeout_s)
            return True
        except subprocess.TimeoutExpired:
            return False

    def close(self) -> None:
        """Stop every member (SIGTERM, then SIGKILL after a grace period)."""
        for sid, member in self.members.items():
            if member.alive:
                if member.paused:
                    self.resume(sid)
                self._signal(sid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for sid in self.members:
            if not self._reap(sid, max(0.1, deadline - time.monotonic())):
                self.kill(sid)

    # --- partitions and status -----------------------------------------------------------------

    def control(self, sid: int, command: str) -> str:
        return control_request(self.members[sid].control_path, command)

    def isolate(self, sid: int) -> None:
        others = [other for other in self.members if other != sid]
        self.control(sid, "block " + ",".join(map(str, others)))
        for other in others:
            if self.members[other].alive and not self.members[other].paused:
                self.control(other, f"block {sid}")

    def heal(self) -> None:
        for sid, member in self.members.items():
            if member.alive and not member.paused:
                self.control(sid, "unblock")

    def status(self, sid: int) -> dict[str, Any]:
        answer = self.control(sid, "status")
        parsed: dict[str, Any] = json.loads(answer)
        return parsed

    def statuses(self) -> dict[int, dict[str, Any] | None]:
        result: dict[int, dict[str, Any] | None] = {}
        for sid, member in self.members.items():
            result[sid] = None
            if member.alive and not member.paused:
                with contextlib.suppress(OSError, ValueError):
                    result[sid] = self.status(sid)
        return result

    def leader(self) -> int | None:
        """The member that leads and serves, if exactly one does."""
        leaders = [
            sid
            for sid, state in self.statuses().items()
            if state is not None and state["state"] == "LEADING" and state["serving"]
        ]
        return leaders[0] if len(leaders) == 1 else None

    def wait_until(self, condition: Any, timeout_s: float = START_TIMEOUT_S, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for member in self.members.values():
                if member.process is not None and member.process.poll() not in (None, 0, -9, -15):
                    raise RuntimeError(f"server {member.sid} exited with {member.process.returncode}")
            if condition():
                return
            time.sleep(0.05)
        raise TimeoutError(f"{what} not reached within {timeout_s}s: {self.statuses()}")

    def wait_serving(self, sids: list[int] | None = None, timeout_s: float = START_TIMEOUT_S) -> int:
        """Wait until ``sids`` (default: every live member) serve under one leader; its sid."""
        wanted = (
            sids if sids is not None else [s for s, m in self.members.items() if m.alive and not m.paused]
        )
        result: list[int] = []

        def ready() -> bool:
            states = self.statuses()
            if any(states[sid] is None or not states[sid]["serving"] for sid in wanted):  # type: ignore[index]
                return False
            leaders = {states[sid]["leader"] for sid in wanted}  # type: ignore[index]
            if len(leaders) != 1:
                return False
            result[:] = [leaders.pop()]
            return True

        self.wait_until(ready, timeout_s, f"servers {wanted} serving")
        return result[0]
